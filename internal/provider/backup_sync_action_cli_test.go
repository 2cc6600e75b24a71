package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// Acceptance tests of the action through the Terraform CLI. Actions need
// Terraform 1.14 or later; under older CLIs and OpenTofu these tests are
// skipped with a message saying how to run them.

// actionsCLI returns the path of the CLI the acceptance tests use
// (TF_ACC_TERRAFORM_PATH, or terraform on PATH, as terraform-plugin-testing
// finds it), and skips the test when that CLI has no actions.
func actionsCLI(t *testing.T) string {
	t.Helper()
	cli := acceptanceCLI(t)
	// An empty CLI configuration: nothing but the version is printed.
	rc := filepath.Join(t.TempDir(), "empty.tfrc")
	if err := os.WriteFile(rc, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(cli, "version")
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1", "TF_CLI_CONFIG_FILE="+rc)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s version: %v", cli, err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	const howTo = " Run these tests with TF_ACC_TERRAFORM_PATH set to Terraform 1.14 or later " +
		"(for example ../shared/tools/install.sh .cache/cli, then TF_ACC_TERRAFORM_PATH=$PWD/.cache/cli/terraform-1.15.9)."
	m := regexp.MustCompile(`^(Terraform|OpenTofu) v(\d+)\.(\d+)\.`).FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("%s version printed %q, which names neither Terraform nor OpenTofu", cli, first)
	}
	if m[1] == "OpenTofu" {
		t.Skipf("%s has no action blocks: cbr_backup_sync as an action needs Terraform 1.14 or later.%s", first, howTo)
	}
	major, _ := strconv.Atoi(m[2])
	minor, _ := strconv.Atoi(m[3])
	if major < 1 || major == 1 && minor < 14 {
		t.Skipf("%s has no action blocks: cbr_backup_sync as an action needs Terraform 1.14 or later.%s", first, howTo)
	}
	return cli
}

// actionBlock renders an action "cbr_backup_sync" block, its backups keyed
// as backupsConfig keys them.
func actionBlock(name string, backups []testBackup, extra string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "action \"cbr_backup_sync\" %q {\n  config {\n", name)
	for _, line := range strings.SplitAfter(backupsArgument(backups), "\n") {
		if line != "" {
			b.WriteString("  " + line)
		}
	}
	fmt.Fprintf(&b, "%s  }\n}\n", extra)
	return b.String()
}

// triggerResource is a terraform_data resource whose creation and updates
// invoke the action.
func triggerResource(input string) string {
	return fmt.Sprintf(`
resource "terraform_data" "trigger" {
  input = %q
  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.cbr_backup_sync.nightly]
    }
  }
}
`, input)
}

// onlyInState checks that the state holds exactly these resources: the
// action adds nothing.
type onlyInState []string

func (want onlyInState) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	var got []string
	if req.State != nil && req.State.Values != nil && req.State.Values.RootModule != nil {
		for _, r := range req.State.Values.RootModule.Resources {
			got = append(got, r.Address)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		resp.Error = fmt.Errorf("the state holds %q, want only %q", got, []string(want))
	}
}

// importsPerBackup fails unless the fake imported each backup exactly n times.
func importsPerBackup(fake *cbrfake.Server, backups []testBackup, n int) func() error {
	return func() error {
		count := map[string]int{}
		for _, s := range fake.Synced() {
			count[s.BackupID]++
		}
		for _, b := range backups {
			if count[b.BackupID] != n {
				return fmt.Errorf("backup %s was imported %d times, want %d", b.BackupID, count[b.BackupID], n)
			}
		}
		if len(count) != len(backups) {
			return fmt.Errorf("the fake imported %d distinct backups, want %d", len(count), len(backups))
		}
		return nil
	}
}

// TestAccBackupSyncAction_trigger: an action_trigger of a terraform_data
// resource invokes the action when the resource is created and updated, and
// only then; nothing but terraform_data is in the state.
func TestAccBackupSyncAction_trigger(t *testing.T) {
	actionsCLI(t)
	fake, url := startFake(t, cbrfake.Options{})
	backups := makeBackups(3)
	backups[1].ResourceType = "OS::Cinder::Volume"
	// The update of the last step triggers the action a second time, and
	// an action sends every time it is invoked.
	for _, b := range backups {
		allowImports(fake, 2, b.BackupID)
	}
	cfg := func(input string) string {
		return providerConfig(url) + actionBlock("nightly", backups, "") + triggerResource(input)
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{
				Config: cfg("night-1"),
				// Planning sends nothing.
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheckFunc(func() error { return expectCalls(fake, cbrfake.KindSync, 0)() }),
				}},
				ConfigStateChecks: []statecheck.StateCheck{onlyInState{"terraform_data.trigger"}},
				Check: func(*terraform.State) error {
					if err := expectCalls(fake, cbrfake.KindSync, 1)(); err != nil {
						return err
					}
					if err := expectSyncBody(fake, backups)(); err != nil {
						return err
					}
					return importsPerBackup(fake, backups, 1)()
				},
			},
			{
				// Nothing changes: no trigger, no request.
				Config:           cfg("night-1"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check:            func(*terraform.State) error { return expectCalls(fake, cbrfake.KindSync, 1)() },
			},
			{
				// An update triggers it again, and the action sends every
				// backup again: that is what an action is for.
				Config:            cfg("night-2"),
				ConfigStateChecks: []statecheck.StateCheck{onlyInState{"terraform_data.trigger"}},
				Check: func(*terraform.State) error {
					if err := expectCalls(fake, cbrfake.KindSync, 2)(); err != nil {
						return err
					}
					return importsPerBackup(fake, backups, 2)()
				},
			},
		},
		CheckDestroy: func(*terraform.State) error { return expectCalls(fake, cbrfake.KindSync, 2)() },
	})
}

// TestAccBackupSyncAction_errors: mistakes are reported at plan time on the
// attribute, before anything is sent; an API error fails the apply with
// CBR's error and request ID, and is not retried.
func TestAccBackupSyncAction_errors(t *testing.T) {
	actionsCLI(t)
	fake, url := startFake(t, cbrfake.Options{})
	backups := makeBackups(2)
	dup := makeBackups(2)
	dup[1].Key, dup[1].BackupID = dup[1].BackupID, dup[0].BackupID // differs from its key
	long := makeBackups(1)
	long[0].BackupName = strings.Repeat("名", 65)
	fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{Status: 400, ErrorCode: "BackupService.9900", ErrorMsg: "Invalid parameter: image_path"})
	tfresource.ParallelTest(t, tfresource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{
				Config:      providerConfig(url) + actionBlock("nightly", dup, "") + triggerResource("x"),
				PlanOnly:    true,
				ExpectError: errorLike(`(?s)Backup ID Differs From Its Key.*backups\["1f9e6b47-7655-4a19-b563-000000000001"\].backup_id is "1f9e6b47-7655-4a19-b563-000000000000", but the entry's key is "1f9e6b47-7655-4a19-b563-000000000001"`),
			},
			{
				Config:      providerConfig(url) + actionBlock("nightly", long, "    timeout = \"0s\"\n") + triggerResource("x"),
				PlanOnly:    true,
				ExpectError: errorLike(`(?s)(backup_name.*65.*timeout must be a positive duration|timeout must be a positive duration.*backup_name.*65)`),
			},
			{
				Config: providerConfig(url) + actionBlock("nightly", backups, "") + triggerResource("x"),
				ExpectError: errorLike(`(?s)Unable to Synchronize CBR Backups.*CBR did not accept request 1 of 1 \(2 backups\).*HTTP status: 400.*error_code: BackupService.9900.*` +
					`error_msg: Invalid parameter: image_path.*request id: [0-9a-f]{32}.*not synchronized \(not sent, or refused by CBR\): 2:`),
				Check: func(*terraform.State) error { return nil },
			},
		},
		CheckDestroy: func(*terraform.State) error {
			if err := expectCalls(fake, cbrfake.KindSync, 1)(); err != nil {
				return fmt.Errorf("%w (the refused request must not be retried, and validation errors must send nothing)", err)
			}
			if n := len(fake.Synced()); n != 0 {
				return fmt.Errorf("the fake imported %d backups, want 0", n)
			}
			return nil
		},
	})
}

// bulkSize is the number of backups of the CLI test of requests of 50: more
// than two requests carry (the action, unlike the resource, has no bound).
func bulkSize(*testing.T) int { return 120 }

// TestAccBackupSyncAction_invoke runs `terraform apply -invoke`, which
// terraform-plugin-testing cannot, against the fake API: the requests sent,
// the progress the CLI prints, an API error, and an empty state.
func TestAccBackupSyncAction_invoke(t *testing.T) {
	cli := actionsCLI(t)
	t.Parallel()
	fake, url := startFake(t, cbrfake.Options{})
	r := newCLIRun(t, cli)
	all := makeBackups(3 + bulkSize(t))
	backups, bulk := all[:3], all[3:]
	r.write("main.tf", requiredProviders+providerConfig(url)+actionBlock("tonight", backups, "    wait_for_completion = true\n")+actionBlock("bulk", bulk, ""))

	out, ok := r.run("providers", "schema", "-json")
	if !ok {
		t.Fatalf("terraform providers schema -json failed:\n%s", out)
	}
	var schemas struct {
		ProviderSchemas map[string]struct {
			ActionSchemas map[string]struct {
				Block struct {
					Attributes map[string]json.RawMessage `json:"attributes"`
				} `json:"block"`
			} `json:"action_schemas"`
		} `json:"provider_schemas"`
	}
	if err := json.Unmarshal([]byte(out), &schemas); err != nil {
		t.Fatalf("providers schema -json: %v\n%s", err, out)
	}
	attrs := schemas.ProviderSchemas["registry.terraform.io/cbr-sync/cbr"].ActionSchemas["cbr_backup_sync"].Block.Attributes
	for _, name := range []string{"backups", "wait_for_completion", "timeout"} {
		if attrs[name] == nil {
			t.Errorf("terraform providers schema -json lists no %s in the cbr_backup_sync action: %s", name, out)
		}
	}

	// A plan of the configuration alone invokes nothing.
	if out, ok := r.run("plan", "-no-color"); !ok || fake.Count(cbrfake.KindSync) != 0 {
		t.Fatalf("plan (ok %v, %d sync requests):\n%s", ok, fake.Count(cbrfake.KindSync), out)
	}

	out, ok = r.run("apply", "-invoke=action.cbr_backup_sync.tonight", "-auto-approve", "-no-color")
	if !ok {
		t.Fatalf("apply -invoke failed:\n%s", out)
	}
	if err := expectCalls(fake, cbrfake.KindSync, 1)(); err != nil {
		t.Error(err)
	}
	if err := expectSyncBody(fake, backups)(); err != nil {
		t.Error(err)
	}
	if err := importsPerBackup(fake, backups, 1)(); err != nil {
		t.Error(err)
	}
	rid := requestsOf(fake, cbrfake.KindSync)[0].RequestID
	for _, want := range []string{
		"Sending 3 backups to CBR in 1 request of at most 50.",
		"CBR accepted request 1 of 1 (request id " + rid + "): 3 of 3 backups sent.",
		"Waiting for CBR: 0 of 3 backups imported, 0 failed, 3 still running; next check in 2s.",
		"Done waiting: 3 of 3 backups imported, 0 failed, 0 still running, 0 not checked.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output of apply -invoke lacks the progress %q:\n%s", want, out)
		}
	}
	if lists, gets := fake.Count(cbrfake.KindOperationLogs), fake.Count(cbrfake.KindOperationLog); lists < 2 || gets != 0 {
		t.Errorf("%d list requests and %d reads by ID, want at least 2 rounds of one list", lists, gets)
	}
	if out, _ := r.run("state", "list"); strings.TrimSpace(out) != "" {
		t.Errorf("terraform state list after apply -invoke: %q, want nothing", out)
	}

	// Many backups: requests of at most 50, in order.
	out, ok = r.run("apply", "-invoke=action.cbr_backup_sync.bulk", "-auto-approve", "-no-color")
	if !ok {
		t.Fatalf("apply -invoke of %d backups failed:\n%s", len(bulk), out)
	}
	var sizes []int
	for n := len(bulk); n > 0; n -= 50 {
		sizes = append(sizes, min(n, 50))
	}
	if got := syncRequestSizes(t, fake); fmt.Sprint(got) != fmt.Sprint(append([]int{3}, sizes...)) {
		t.Errorf("sync request sizes %v, want 3 then %v", got, sizes)
	}
	if err := importsPerBackup(fake, all, 1)(); err != nil {
		t.Error(err)
	}
	for i := range sizes {
		want := fmt.Sprintf("CBR accepted request %d of %d (request id %s)", i+1, len(sizes), requestsOf(fake, cbrfake.KindSync)[i+1].RequestID)
		if !strings.Contains(out, want) {
			t.Errorf("the output of apply -invoke lacks %q:\n%s", want, out)
		}
	}

	// Invoking again sends again; an API error fails with CBR's error and
	// request ID, and is not retried.
	fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{Status: 403, ErrorCode: "BackupService.9901", ErrorMsg: "The project is not authorized"})
	out, ok = r.run("apply", "-invoke=action.cbr_backup_sync.tonight", "-auto-approve", "-no-color")
	if ok {
		t.Fatalf("apply -invoke succeeded despite a 403:\n%s", out)
	}
	rid = requestsOf(fake, cbrfake.KindSync)[1+len(sizes)].RequestID
	if !errorLike(`(?s)Error when invoking action.*Unable to Synchronize CBR Backups: CBR did not accept request 1 of 1 \(3 backups\).*HTTP status: 403.*error_code: BackupService.9901.*` +
		`error_msg: The project is not authorized.*request id: ` + rid).MatchString(out) {
		t.Errorf("the output of a refused apply -invoke:\n%s", out)
	}
	if err := expectCalls(fake, cbrfake.KindSync, 2+len(sizes))(); err != nil {
		t.Error(err)
	}
	if out, _ := r.run("state", "list"); strings.TrimSpace(out) != "" {
		t.Errorf("terraform state list after a failed apply -invoke: %q, want nothing", out)
	}
}
