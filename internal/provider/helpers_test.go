package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1/model"
)

// The helpers the tests of this package share: the provider served to the
// CLI and the fake API behind it, the backup fixture every test builds its
// configurations, states and values from, and the checks of states and
// plans.

// providerFactories serves the provider in-process to the Terraform CLI, with
// an empty environment so a developer's HW_* variables cannot leak into tests.
// Retries wait milliseconds instead of seconds. The server is the one the
// released binary serves (serverFor, as NewServer), not the bare framework's.
func providerFactories(env map[string]string) map[string]func() (tfprotov6.ProviderServer, error) {
	return providerFactoriesWith(env, nil)
}

// providerFactoriesWith is providerFactories with the provider adjusted by tune.
func providerFactoriesWith(env map[string]string, tune func(*cbrProvider)) map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"cbr": func() (tfprotov6.ProviderServer, error) {
			p := &cbrProvider{
				version:        "test",
				getenv:         func(k string) string { return env[k] },
				retryBaseDelay: time.Millisecond,
				retryMaxDelay:  10 * time.Millisecond,
			}
			if tune != nil {
				tune(p)
			}
			return serverFor(func() provider.Provider { return p }, testServerOptions())()
		},
	}
}

// testServerOptions are the options of the served servers of the tests:
// check mode, each difference between the direct path and the framework
// failing the test run (recordDifference), or, when CBR_FRAMEWORK_PATH asks
// for it (CI runs the acceptance tests once that way), the framework path.
func testServerOptions() serverOptions {
	if frameworkPathAsked(os.Getenv) {
		return serverOptions{frameworkOnly: true}
	}
	return serverOptions{check: true, onDifference: recordDifference}
}

// differences are the differences check mode found in this test run.
var differences struct {
	sync.Mutex
	found []string
}

// recordDifference records a difference check mode found; TestMain fails the
// run when there is any, even when the step that saw it expected an error
// (an ExpectError step would accept the diagnostic check mode adds).
func recordDifference(summary, detail string) {
	differences.Lock()
	defer differences.Unlock()
	differences.found = append(differences.found, summary+": "+detail)
}

// foundDifferences returns the differences recorded so far.
func foundDifferences() []string {
	differences.Lock()
	defer differences.Unlock()
	return slices.Clone(differences.found)
}

// startFake starts a fake CBR API for one test. When the test ends, it
// fails the test if the fake imported a backup more than once, unless the
// test allowed it with allowImports, and if check mode found a difference
// between the direct path and the framework while the test ran.
func startFake(t *testing.T, opts cbrfake.Options) (*cbrfake.Server, string) {
	t.Helper()
	fake := cbrfake.New(opts)
	url, closeFn := fake.Start()
	t.Cleanup(closeFn)
	guardImports(t, fake)
	failOnDifferences(t)
	return fake, url
}

// failOnDifferences fails t when check mode records a difference while t
// runs. Tests running in parallel with it may have caused it: every one of
// them fails, and TestMain fails the run too.
func failOnDifferences(t *testing.T) {
	before := len(foundDifferences())
	t.Cleanup(func() {
		if found := foundDifferences(); len(found) > before {
			t.Errorf("check mode found %d difference(s) between the direct path and the framework while this test ran (tests running in parallel may have caused them):\n%s",
				len(found)-before, strings.Join(found[before:], "\n"))
		}
	})
}

// allowedImports holds, per fake, how many times a test allows a backup ID
// to be imported (1 when not listed).
var allowedImports sync.Map // *cbrfake.Server -> *importAllowance

type importAllowance struct {
	mu    sync.Mutex
	times map[string]int
}

// guardImports makes t fail at its end when fake imported any backup more
// often than allowed: exactly once, unless allowImports says otherwise.
func guardImports(t *testing.T, fake *cbrfake.Server) {
	t.Helper()
	a := &importAllowance{times: map[string]int{}}
	allowedImports.Store(fake, a)
	t.Cleanup(func() {
		defer allowedImports.Delete(fake)
		a.mu.Lock()
		defer a.mu.Unlock()
		for id, n := range fake.Stats().SyncedPerBackupID {
			want := 1
			if w, ok := a.times[id]; ok {
				want = w
			}
			if n > want {
				t.Errorf("the fake API imported backup %s %d times; at most %d %s allowed by the test: the provider sent a backup again", id, n, want, times(want))
			}
		}
	})
}

// allowImports lets a test import the given backups up to n times each, as
// a triggers change asks.
func allowImports(fake *cbrfake.Server, n int, backupIDs ...string) {
	v, ok := allowedImports.Load(fake)
	if !ok {
		panic("allowImports: the fake was not started by startFake")
	}
	a, _ := v.(*importAllowance)
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, id := range backupIDs {
		a.times[id] = n
	}
}

// providerConfig points the provider at a fake API with token auth.
func providerConfig(url string) string {
	return fmt.Sprintf(`
provider "cbr" {
  endpoints  = { cbr = %q }
  project_id = %q
  auth_token = %q
}
`, url, cbrfake.DefaultProjectID, cbrfake.DefaultToken)
}

// errorLike compiles an expected error pattern in which each space matches any
// run of white space, because Terraform wraps diagnostics to its terminal width.
func errorLike(pattern string) *regexp.Regexp {
	return regexp.MustCompile(strings.ReplaceAll(pattern, " ", `\s+`))
}

// expectCalls fails the step when the fake has not seen exactly n requests of kind.
func expectCalls(fake *cbrfake.Server, kind string, n int) func() error {
	return func() error {
		if got := fake.Count(kind); got != n {
			return fmt.Errorf("the fake API saw %d %s requests, want %d", got, kind, n)
		}
		return nil
	}
}

// priorState is a plan check on the state the plan started from: it hands
// the resource's attribute values to check.
type priorState struct {
	address string
	check   func(values map[string]any) error
}

func (c priorState) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	if req.Plan.PriorState == nil || req.Plan.PriorState.Values == nil || req.Plan.PriorState.Values.RootModule == nil {
		resp.Error = fmt.Errorf("the plan has no prior state")
		return
	}
	var found *tfjson.StateResource
	for _, r := range req.Plan.PriorState.Values.RootModule.Resources {
		if r.Address == c.address {
			found = r
		}
	}
	if found == nil {
		resp.Error = fmt.Errorf("%s is not in the prior state", c.address)
		return
	}
	resp.Error = c.check(found.AttributeValues)
}

func mustDynamic(b testing.TB, typ tftypes.Type, v tftypes.Value) *tfprotov6.DynamicValue {
	b.Helper()
	dv, err := tfprotov6.NewDynamicValue(typ, v)
	if err != nil {
		b.Fatal(err)
	}
	return &dv
}

const testAddr = "cbr_backup_sync.test"

// testBackup is the one fixture of a backup: every form a test needs is
// derived from it, so that they cannot drift apart: the configuration text
// (hcl), the entry as Terraform stores it (json), the protocol value
// (value), the request entry of the API (sync, which is also the JSON of a
// testBackup: what the API receives) and the resource model (model).
type testBackup struct {
	BackupID, BackupName, BucketName, ImagePath string
	ResourceID, ResourceName, ResourceType      string
	CreatedAt                                   int64
	// OperationLogID, when set, adopts the backup in the configuration; in
	// a state it is the recorded operation log.
	OperationLogID string
	// Status and SyncState are computed: they appear in states only.
	Status, SyncState string
	// Key, when set, keys the entry in the configuration instead of
	// BackupID, which is then given as its backup_id (a mistake unless
	// they are equal).
	Key string
}

// MarshalJSON encodes b as an entry of a sync request (see sync).
func (b testBackup) MarshalJSON() ([]byte, error) { return json.Marshal(b.sync()) }

// key is the entry's key in a configuration.
func (b testBackup) key() string {
	if b.Key != "" {
		return b.Key
	}
	return b.BackupID
}

// makeBackups is n backups as an inventory lists them, in the order of
// their backup_id.
func makeBackups(n int) []testBackup {
	out := make([]testBackup, n)
	for i := range out {
		out[i] = testBackup{
			BackupID:     fmt.Sprintf("1f9e6b47-7655-4a19-b563-%012d", i),
			BackupName:   fmt.Sprintf("vm-%02d-backup", i),
			BucketName:   "hybrid-backups",
			ImagePath:    fmt.Sprintf("6abec15e/%02d/chain", i),
			ResourceID:   fmt.Sprintf("96f7512d-239d-3f31-80cf-%012d", i),
			ResourceName: fmt.Sprintf("vm-%02d", i),
			ResourceType: cbr.DefaultResourceType,
			CreatedAt:    1553587260 + int64(i),
		}
	}
	return out
}

// directID is the backup_id of numberedBackup(i): keys sort as the indexes do.
func directID(i int) string { return fmt.Sprintf("%08x-0000-4000-8000-000000000000", i) }

// numberedBackup is backup i of the protocol-level tests and benchmarks.
func numberedBackup(i int) testBackup {
	id := directID(i)
	return testBackup{
		BackupID: id, BackupName: fmt.Sprintf("vm-%d-backup", i), BucketName: "hybrid-backups-cn-north-4",
		ImagePath: "6abec15e-7baf-4d79-b5a9-6b98a2da7020/" + id + "/" + id, ResourceID: "96f7512d-239d-3f31-80cf-d1ce041df9a6",
		ResourceName: "vm", ResourceType: cbr.DefaultResourceType, CreatedAt: 1714521600 + int64(i),
	}
}

// accepted is b as a state records it once CBR accepted it with opLogID.
func (b testBackup) accepted(opLogID string) testBackup {
	b.OperationLogID, b.SyncState = opLogID, syncAccepted
	return b
}

// attrs is every attribute of the entry, an empty string as null (nil).
func (b testBackup) attrs() map[string]any {
	str := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	return map[string]any{
		"backup_id": str(b.BackupID), "backup_name": str(b.BackupName), "bucket_name": str(b.BucketName),
		"image_path": str(b.ImagePath), "resource_id": str(b.ResourceID), "resource_name": str(b.ResourceName),
		"resource_type": str(b.ResourceType), "created_at": b.CreatedAt, "operation_log_id": str(b.OperationLogID),
		"status": str(b.Status), "sync_state": str(b.SyncState),
	}
}

// configured is the attributes a configuration gives, as backupsConfig
// writes them: the required ones as they are (even empty), backup_id only
// when Key is set, resource_type only when it is not the default,
// operation_log_id when set; nothing computed.
func (b testBackup) configured() map[string]any {
	out := map[string]any{
		"backup_name": b.BackupName, "bucket_name": b.BucketName, "image_path": b.ImagePath,
		"resource_id": b.ResourceID, "resource_name": b.ResourceName, "created_at": b.CreatedAt,
	}
	if b.Key != "" {
		out["backup_id"] = b.BackupID
	}
	if b.ResourceType != "" && b.ResourceType != cbr.DefaultResourceType {
		out["resource_type"] = b.ResourceType
	}
	if b.OperationLogID != "" {
		out["operation_log_id"] = b.OperationLogID
	}
	return out
}

// json is the entry as Terraform stores it in a state file.
func (b testBackup) json() map[string]any { return b.attrs() }

// value is the entry as a value of typ (an element of backups) with the
// attributes of attrs: b.attrs() or b.configured(), maybe edited (see
// entryValue).
func (b testBackup) value(typ tftypes.Object, attrs map[string]any) tftypes.Value {
	return entryValue(typ, attrs)
}

// entryValue is a value of typ with the attributes of attrs, the others
// null: nil is null, an int64 a number, a tftypes.Value itself.
func entryValue(typ tftypes.Object, attrs map[string]any) tftypes.Value {
	out := make(map[string]tftypes.Value, len(typ.AttributeTypes))
	for k, t := range typ.AttributeTypes {
		switch v := attrs[k].(type) {
		case tftypes.Value:
			out[k] = v
		case int64:
			out[k] = tftypes.NewValue(t, new(big.Float).SetInt64(v))
		default:
			out[k] = tftypes.NewValue(t, v)
		}
	}
	return tftypes.NewValue(typ, out)
}

// hclOrder is the order of the attributes of an entry in configurations.
var hclOrder = []string{"backup_name", "bucket_name", "image_path", "resource_id", "resource_name", "created_at", "backup_id", "resource_type", "operation_log_id"}

// hcl is the entry in backupsArgument: its key and b.configured().
func (b testBackup) hcl() string {
	c := b.configured()
	var s strings.Builder
	fmt.Fprintf(&s, "    %q = {\n", b.key())
	for _, k := range hclOrder {
		switch v := c[k].(type) {
		case string:
			fmt.Fprintf(&s, "      %-13s = %q\n", k, v)
		case int64:
			fmt.Fprintf(&s, "      %-13s = %d\n", k, v)
		}
	}
	s.WriteString("    }\n")
	return s.String()
}

// sync is the entry of a sync request to the API.
func (b testBackup) sync() model.BackupSync {
	return model.BackupSync{BackupId: b.BackupID, BackupName: b.BackupName, BucketName: b.BucketName, ImagePath: b.ImagePath,
		ResourceId: b.ResourceID, ResourceName: b.ResourceName, ResourceType: b.ResourceType, CreatedAt: int32(b.CreatedAt)}
}

// syncEntries is the sync request entry of each backup.
func syncEntries(backups []testBackup) []model.BackupSync {
	out := make([]model.BackupSync, len(backups))
	for i, b := range backups {
		out[i] = b.sync()
	}
	return out
}

// model is the entry of the resource's model: the configured attributes
// known, the computed ones null (the caller sets them).
func (b testBackup) model() backupModel {
	return backupModel{BackupID: types.StringValue(b.BackupID), BackupName: types.StringValue(b.BackupName),
		BucketName: types.StringValue(b.BucketName), ImagePath: types.StringValue(b.ImagePath), ResourceID: types.StringValue(b.ResourceID),
		ResourceName: types.StringValue(b.ResourceName), ResourceType: types.StringValue(b.ResourceType),
		CreatedAt: types.NumberValue(big.NewFloat(float64(b.CreatedAt)))}
}

// backupsConfig renders a cbr_backup_sync resource, its backups keyed by
// backup_id, which is left out (unless Key is set). resource_type is left out
// (so the default applies) when it is the default.
func backupsConfig(backups []testBackup) string {
	return "resource \"cbr_backup_sync\" \"test\" {\n" + backupsArgument(backups) + "}\n"
}

// backupsArgument renders the backups argument of a resource or an action,
// as backupsConfig describes it.
func backupsArgument(backups []testBackup) string {
	var b strings.Builder
	b.WriteString("  backups = {\n")
	for _, e := range backups {
		b.WriteString(e.hcl())
	}
	b.WriteString("  }\n")
	return b.String()
}

// backupsValue is a backups map of typ (the resource's or the action's)
// holding these backups as backupsConfig configures them (the action's
// entries have no operation_log_id: it is left out there).
func backupsValue(t *testing.T, typ tftypes.Object, backups []testBackup) tftypes.Value {
	t.Helper()
	mapType, elemType := backupsTypes(t, typ)
	elems := make(map[string]tftypes.Value, len(backups))
	for _, b := range backups {
		if _, dup := elems[b.key()]; dup {
			t.Fatalf("backupsValue: two backups keyed %q", b.key())
		}
		elems[b.key()] = b.value(elemType, b.configured())
	}
	return tftypes.NewValue(mapType, elems)
}

// backupsTypes is the type of backups in typ (the resource's or the
// action's) and of its entries.
func backupsTypes(t testing.TB, typ tftypes.Object) (tftypes.Map, tftypes.Object) {
	t.Helper()
	mapType, ok := typ.AttributeTypes["backups"].(tftypes.Map)
	if !ok {
		t.Fatalf("backups is a %s", typ.AttributeTypes["backups"])
	}
	elemType, ok := mapType.ElementType.(tftypes.Object)
	if !ok {
		t.Fatalf("backups' elements are %s", mapType.ElementType)
	}
	return mapType, elemType
}

// expectSyncBody checks the exact JSON of the last sync request the fake received.
func expectSyncBody(fake *cbrfake.Server, backups []testBackup) func() error {
	return func() error {
		want, err := json.Marshal(map[string]any{"sync": backups})
		if err != nil {
			return err
		}
		var last *cbrfake.Request
		for _, r := range fake.Requests() {
			if r.Kind == cbrfake.KindSync {
				last = &r
			}
		}
		if last == nil {
			return fmt.Errorf("no sync request was received")
		}
		if string(last.Body) != string(want) {
			return fmt.Errorf("sync body\n got %s\nwant %s", last.Body, want)
		}
		ua := last.Header.Get("User-Agent")
		if !regexp.MustCompile(`^terraform-provider-cbr/test terraform/\d+\.\d+\.\d+`).MatchString(ua) {
			return fmt.Errorf("User-Agent %q", ua)
		}
		if got := last.Header.Get("X-Auth-Token"); got != cbrfake.DefaultToken {
			return fmt.Errorf("X-Auth-Token %q", got)
		}
		return nil
	}
}

// stateMatchesFake checks that the state holds n backups, each keyed by its
// backup_id, and every operation_log_id against what the fake API answered.
func stateMatchesFake(fake *cbrfake.Server, n int) []statecheck.StateCheck {
	return []statecheck.StateCheck{
		statecheck.ExpectKnownValue(testAddr, tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`))),
		statecheck.ExpectKnownValue(testAddr, tfjsonpath.New("backups"), knownvalue.MapSizeExact(n)),
		allOpLogsMatch{fake: fake},
	}
}

// stateEntries is the backups map of a resource's values in a state or plan
// (its JSON form), by key.
func stateEntries(values map[string]any) (map[string]map[string]any, error) {
	raw, ok := values["backups"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("backups is %T, not a map", values["backups"])
	}
	out := make(map[string]map[string]any, len(raw))
	for k, v := range raw {
		entry, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("backups[%q] is %T, not an object", k, v)
		}
		out[k] = entry
	}
	return out, nil
}

// resourceValues is the values of testAddr in a state.
func resourceValues(req statecheck.CheckStateRequest) (map[string]any, error) {
	if req.State == nil || req.State.Values == nil || req.State.Values.RootModule == nil {
		return nil, fmt.Errorf("no state")
	}
	for _, r := range req.State.Values.RootModule.Resources {
		if r.Address == testAddr {
			return r.AttributeValues, nil
		}
	}
	return nil, fmt.Errorf("%s not in state", testAddr)
}

// latestOpLog is the operation log ID the fake gave the latest sync of
// backupID, "" if it never synced it.
func latestOpLog(fake *cbrfake.Server, backupID string) string {
	var want string
	for _, s := range fake.Synced() {
		if s.BackupID == backupID {
			want = s.OperationLogID
		}
	}
	return want
}

// resourceEntries is the backups map of testAddr in the state, by key.
func resourceEntries(req statecheck.CheckStateRequest) (map[string]map[string]any, error) {
	values, err := resourceValues(req)
	if err != nil {
		return nil, err
	}
	return stateEntries(values)
}

// allOpLogsMatch checks every entry of backups in the state: its backup_id
// is its key, and its operation_log_id is the one the fake gave the latest
// sync of that backup.
type allOpLogsMatch struct{ fake *cbrfake.Server }

func (c allOpLogsMatch) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	entries, err := resourceEntries(req)
	if err != nil {
		resp.Error = err
		return
	}
	var errs []error
	for key, entry := range entries {
		if id, _ := entry["backup_id"].(string); id != key {
			errs = append(errs, fmt.Errorf("backups[%q].backup_id = %q, want its key", key, id))
		}
		got, _ := entry["operation_log_id"].(string)
		if want := latestOpLog(c.fake, key); want == "" || got != want {
			errs = append(errs, fmt.Errorf("backups[%q].operation_log_id = %q, the fake answered %q", key, got, want))
		}
	}
	resp.Error = errors.Join(errs...)
}

// withOwnID is backups with each backup_id given, equal to its key.
func withOwnID(backups []testBackup) []testBackup {
	out := append([]testBackup(nil), backups...)
	for i := range out {
		out[i].Key = out[i].BackupID
	}
	return out
}

func diagsText(diags []*tfprotov6.Diagnostic) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "[%v] %s: %s\n", d.Severity, d.Summary, d.Detail)
	}
	return b.String()
}

// objectWith is a value of typ with the given attributes, the others null.
func objectWith(typ tftypes.Object, vals map[string]tftypes.Value) tftypes.Value {
	all := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		if v, ok := vals[name]; ok {
			all[name] = v
		} else {
			all[name] = tftypes.NewValue(at, nil)
		}
	}
	return tftypes.NewValue(typ, all)
}

// backupPath is the path of attribute name of the entry of backups keyed
// backupID.
func backupPath(backupID, name string) tfjsonpath.Path {
	return tfjsonpath.New("backups").AtMapKey(backupID).AtMapKey(name)
}

func opPath(backupID string) tfjsonpath.Path { return backupPath(backupID, "operation_log_id") }

func syncStatePath(backupID string) tfjsonpath.Path { return backupPath(backupID, "sync_state") }

// acceptanceCLI returns the path of the CLI the acceptance tests use
// (TF_ACC_TERRAFORM_PATH, or terraform on PATH), and skips the test without
// TF_ACC or without a CLI.
func acceptanceCLI(t *testing.T) string {
	t.Helper()
	skipWithoutAcc(t)
	if cli := os.Getenv("TF_ACC_TERRAFORM_PATH"); cli != "" {
		return cli
	}
	cli, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("no terraform on PATH and TF_ACC_TERRAFORM_PATH is not set")
	}
	return cli
}

// builtProvider is the provider binary the CLI tests share: built once
// per test run, never changed afterwards, removed by TestMain.
var builtProvider struct {
	once sync.Once
	dir  string
	out  []byte
	err  error
}

// providerBinary builds the provider, once for all the tests, into a
// temporary directory and returns the directory (for dev_overrides).
func providerBinary(t *testing.T) string {
	t.Helper()
	builtProvider.once.Do(func() {
		// Shared by every test of the run, so not t.TempDir(); TestMain
		// removes it (removeProviderBinary).
		if builtProvider.dir, builtProvider.err = os.MkdirTemp("", "cbr-provider"); builtProvider.err != nil { //nolint:usetesting // see above
			return
		}
		cmd := exec.Command("go", "build", "-ldflags", "-X main.version=test", "-o", filepath.Join(builtProvider.dir, "terraform-provider-cbr"), ".")
		cmd.Dir = filepath.Join("..", "..")
		builtProvider.out, builtProvider.err = cmd.CombinedOutput()
	})
	if builtProvider.err != nil {
		t.Fatalf("go build: %v\n%s", builtProvider.err, builtProvider.out)
	}
	return builtProvider.dir
}

// removeProviderBinary removes what providerBinary built, if anything.
func removeProviderBinary() {
	if builtProvider.dir != "" {
		_ = os.RemoveAll(builtProvider.dir)
	}
}

// cliRun runs the CLI in dir with a dev_overrides configuration for the
// built provider and an environment without HW_* variables.
type cliRun struct {
	t        *testing.T
	cli, dir string
	env      []string
}

func newCLIRun(t *testing.T, cli string) *cliRun {
	t.Helper()
	dir := t.TempDir()
	rc := filepath.Join(dir, "dev.tfrc")
	if err := os.WriteFile(rc, []byte(fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"cbr-sync/cbr\" = %q\n  }\n  direct {}\n}\n", providerBinary(t))), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TF_CLI_CONFIG_FILE=" + rc,
		"CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0",
	}
	return &cliRun{t: t, cli: cli, dir: dir, env: env}
}

func (r *cliRun) write(name, content string) {
	r.t.Helper()
	if err := os.WriteFile(filepath.Join(r.dir, name), []byte(content), 0o600); err != nil {
		r.t.Fatal(err)
	}
}

// run runs the CLI and returns its combined output and whether it succeeded.
func (r *cliRun) run(args ...string) (string, bool) {
	r.t.Helper()
	cmd := exec.Command(r.cli, args...)
	cmd.Dir, cmd.Env = r.dir, r.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		r.t.Fatalf("%s %s: %v", r.cli, strings.Join(args, " "), err)
	}
	return out.String(), err == nil
}

const requiredProviders = `
terraform {
  required_providers {
    cbr = {
      source = "cbr-sync/cbr"
    }
  }
}
`

// ptr is a pointer to a copy of v.
func ptr[T any](v T) *T { return &v }

// traceLog makes the CLI and the in-process provider log at TRACE into a
// file of the test's own, and returns its path. terraform-plugin-testing and
// the provider read these settings from the test process's environment: a
// test that calls traceLog cannot be parallel.
func traceLog(t *testing.T) string {
	t.Helper()
	logFile := filepath.Join(t.TempDir(), "terraform.log")
	t.Setenv("TF_ACC_LOG_PATH", logFile)
	t.Setenv("TF_ACC_LOG", "TRACE")
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_LOG_PATH_MASK", "")
	return logFile
}

// ownLogEntries is the entries of the log at path (see logEntries) but the
// ones in which the test harness logs a step's configuration: that is the
// test's own text (holding what it configured), not Terraform's or ours.
func ownLogEntries(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range logEntries(string(data)) {
		if !strings.Contains(firstLine(e), "sdk.helper_resource: Setting Terraform configuration") {
			out = append(out, e)
		}
	}
	return out
}

var logEntryStart = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d`)

// logEntries splits a Terraform log into entries: a timestamped line and
// the continuation lines (multi-line field values) that follow it.
func logEntries(log string) []string {
	var entries []string
	for _, line := range strings.Split(log, "\n") {
		if logEntryStart.MatchString(line) || len(entries) == 0 {
			entries = append(entries, line)
		} else {
			entries[len(entries)-1] += "\n" + line
		}
	}
	return entries
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// expectSynced fails when the fake has not applied exactly n backup entries.
func expectSynced(fake *cbrfake.Server, n int) func(*terraform.State) error {
	return func(*terraform.State) error {
		if got := len(fake.Synced()); got != n {
			return fmt.Errorf("the fake API applied %d backup entries, want %d", got, n)
		}
		return nil
	}
}

// expectRequests fails when the fake has not seen exactly n requests in all.
func expectRequests(fake *cbrfake.Server, n int) func(*terraform.State) error {
	return func(*terraform.State) error {
		if got := len(fake.Requests()); got != n {
			return fmt.Errorf("the fake API saw %d requests in all, want %d", got, n)
		}
		return nil
	}
}

// expectCallCounts fails unless the fake saw exactly calls[kind] requests
// of each kind listed.
func expectCallCounts(fake *cbrfake.Server, calls map[string]int) error {
	for kind, n := range calls {
		if err := expectCalls(fake, kind, n)(); err != nil {
			return err
		}
	}
	return nil
}

// planCalledNothing is a PreConfig that fails the test when the fake has
// seen any request: the plan-only steps before it must call nothing.
func planCalledNothing(t *testing.T, fake *cbrfake.Server) func() {
	return func() {
		if n := len(fake.Requests()); n != 0 {
			t.Errorf("the plan made %d API calls, want none", n)
		}
	}
}

// resourceSchema is the schema of cbr_backup_sync as r gives it, and a null
// value of its type.
func resourceSchema(ctx context.Context, r *backupSyncResource) (resource.SchemaResponse, tftypes.Value) {
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	return sr, tftypes.NewValue(sr.Schema.Type().TerraformType(ctx), nil)
}

// resourceModel is a cbr_backup_sync model with id, wait_for_completion and
// backups, each entry b.model() with its computed attributes set by
// computed; triggers and timeouts null.
func resourceModel(id types.String, wait bool, backups []testBackup, computed func(*backupModel)) backupSyncModel {
	m := backupSyncModel{ID: id, WaitForCompletion: types.BoolValue(wait), Triggers: types.MapNull(types.StringType),
		Timeouts: timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{"create": types.StringType})}}
	for _, b := range backups {
		e := b.model()
		computed(&e)
		m.Backups = append(m.Backups, e)
	}
	return m
}

// shownBackup is an entry of backups as `show -json` shows it.
type shownBackup struct {
	BackupID       string  `json:"backup_id"`
	OperationLogID *string `json:"operation_log_id"`
	SyncState      string  `json:"sync_state"`
	ResourceType   string  `json:"resource_type"`
	Status         *string `json:"status"`
}

// opLogID is the entry's operation_log_id, "" for null.
func (b shownBackup) opLogID() string {
	if b.OperationLogID == nil {
		return ""
	}
	return *b.OperationLogID
}

// shownResource is a resource as `show -json` shows it.
type shownResource struct {
	Address       string `json:"address"`
	Tainted       bool   `json:"tainted"`
	SchemaVersion int    `json:"schema_version"`
	Values        struct {
		Backups      map[string]shownBackup `json:"backups"`
		FailOnImport bool                   `json:"fail_on_import_failure"`
	} `json:"values"`
}

// show runs `show -json` and returns the resources of the root module and
// the output.
func (r *cliRun) show() ([]shownResource, string) {
	r.t.Helper()
	out, ok := r.run("show", "-json")
	if !ok {
		r.t.Fatalf("show -json failed:\n%s", out)
	}
	var state struct {
		Values struct {
			RootModule struct {
				Resources []shownResource `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(out), &state); err != nil {
		r.t.Fatalf("show -json: %v\n%s", err, out)
	}
	return state.Values.RootModule.Resources, out
}

// skipWithoutAcc skips an acceptance test that terraform-plugin-testing does
// not run (and so does not skip) itself, unless TF_ACC is set.
func skipWithoutAcc(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 to run it")
	}
}

// as is v as a T; a test that asserts a type it does not hold panics.
func as[T any](v any) T {
	t, ok := v.(T)
	if !ok {
		panic(fmt.Sprintf("%T is not a %T", v, t))
	}
	return t
}
