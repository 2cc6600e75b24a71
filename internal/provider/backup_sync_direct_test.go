package provider

import (
	"context"
	"fmt"
	"maps"
	"math/big"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// The direct path of cbr_backup_sync (backup_sync_direct.go) must answer
// what the framework answers. The acceptance tests run every validation and
// plan through both (serverOptions.check); the tests below add the cases
// they do not reach, check that the direct path does answer the usual calls
// (a direct path that always declined would pass every other test), and
// compare applies, which cannot run twice against one API.

// directValues builds cbr_backup_sync values of the schema's type.
type directValues struct {
	typ   tftypes.Object
	entry tftypes.Object
}

func newDirectValues(t *testing.T, typ tftypes.Object) directValues {
	t.Helper()
	_, entry := backupsTypes(t, typ)
	return directValues{typ: typ, entry: entry}
}

// keyAttr is the pseudo-attribute of an edit that gives an entry another key
// than its backup_id.
const keyAttr = "(key)"

// backup is the key and the value of the entry of backups for
// numberedBackup(i): configured fields, backup_id equal to the key,
// resource_type and the computed ones as given (nil: null). edit[keyAttr]
// gives another key.
func (v directValues) backup(i int, edit map[string]any) (string, tftypes.Value) {
	b := numberedBackup(i)
	b.ResourceType = ""
	attrs := b.attrs()
	key := b.BackupID
	for k, val := range edit {
		if k == keyAttr {
			key, _ = val.(string)
			continue
		}
		attrs[k] = val
	}
	return key, b.value(v.entry, attrs)
}

// resource is the whole value: backups from entries (by key), top-level
// attributes as given (nil: null).
func (v directValues) resource(entries map[string]tftypes.Value, top map[string]any) tftypes.Value {
	attrs := map[string]tftypes.Value{}
	for k, t := range v.typ.AttributeTypes {
		switch val := top[k].(type) {
		case tftypes.Value:
			attrs[k] = val
		default:
			attrs[k] = tftypes.NewValue(t, val)
		}
	}
	attrs["backups"] = tftypes.NewValue(v.typ.AttributeTypes["backups"], entries)
	return tftypes.NewValue(v.typ, attrs)
}

// indexes is 0 to n-1.
func indexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// config is n configured backups (entries changed by edit), with top.
func (v directValues) config(n int, edit func(i int) map[string]any, top map[string]any) tftypes.Value {
	return v.configAt(indexes(n), edit, top)
}

// configAt is the configured backups idx, keyed by backup_id: backup_id is
// left out, as in most configurations, for the backups of even index, and
// given for the others (edit may change both).
func (v directValues) configAt(idx []int, edit func(i int) map[string]any, top map[string]any) tftypes.Value {
	entries := make(map[string]tftypes.Value, len(idx))
	for _, i := range idx {
		e := map[string]any{}
		if i%2 == 0 {
			e["backup_id"] = nil
		}
		if edit != nil {
			for k, val := range edit(i) {
				e[k] = val
			}
		}
		key, val := v.backup(i, e)
		entries[key] = val
	}
	return v.resource(entries, top)
}

// state is what an apply of config recorded: resource_type defaulted,
// every backup accepted unless edit says otherwise.
func (v directValues) state(n int, edit func(i int) map[string]any, top map[string]any) tftypes.Value {
	return v.stateAt(indexes(n), edit, top)
}

// stateAt is state for the backups idx.
func (v directValues) stateAt(idx []int, edit func(i int) map[string]any, top map[string]any) tftypes.Value {
	entries := make(map[string]tftypes.Value, len(idx))
	for _, i := range idx {
		e := map[string]any{"resource_type": "OS::Native::Server", "operation_log_id": fmt.Sprintf("op-%d", i), "sync_state": syncAccepted}
		if edit != nil {
			for k, val := range edit(i) {
				e[k] = val
			}
		}
		key, val := v.backup(i, e)
		entries[key] = val
	}
	t := map[string]any{"id": "6f1c2c4e-8f5e-4a55-9d38-0d1f6d1b2c3a", "wait_for_completion": false, "fail_on_import_failure": true}
	for k, val := range top {
		t[k] = val
	}
	return v.resource(entries, t)
}

// proposed is a proposed new state as Terraform computes it: the
// configuration, with the state's value for each computed attribute the
// configuration leaves null (entries of backups matched by key).
func proposed(t *testing.T, config, prior tftypes.Value) tftypes.Value {
	t.Helper()
	if prior.IsNull() {
		return config
	}
	computed := map[string]bool{"id": true, "wait_for_completion": true, "fail_on_import_failure": true,
		"backup_id": true, "resource_type": true, "operation_log_id": true, "status": true, "sync_state": true}
	// As may hand out the value's own map: merge into copies, leaving
	// config as it is.
	asMap := func(v tftypes.Value) map[string]tftypes.Value {
		var m map[string]tftypes.Value
		if err := v.As(&m); err != nil {
			t.Fatal(err)
		}
		return maps.Clone(m)
	}
	c, p := asMap(config), asMap(prior)
	merge := func(c, p map[string]tftypes.Value) {
		for k, val := range c {
			if computed[k] && val.IsNull() {
				c[k] = p[k]
			}
		}
	}
	merge(c, p)
	if !c["backups"].IsKnown() || c["backups"].IsNull() {
		return tftypes.NewValue(config.Type(), c)
	}
	cm, pm := asMap(c["backups"]), asMap(p["backups"])
	for k, ce := range cm {
		pe, ok := pm[k]
		if !ok || !ce.IsKnown() || ce.IsNull() || !pe.IsKnown() || pe.IsNull() {
			continue
		}
		ca, pa := asMap(ce), asMap(pe)
		merge(ca, pa)
		cm[k] = tftypes.NewValue(ce.Type(), ca)
	}
	c["backups"] = tftypes.NewValue(c["backups"].Type(), cm)
	return tftypes.NewValue(config.Type(), c)
}

// directCounts returns the served server's counts of direct answers.
func directCounts(t *testing.T, s tfprotov6.ProviderServer) (validate, plan, apply int64) {
	t.Helper()
	fs, ok := s.(*directServer)
	if !ok {
		t.Fatalf("served server is a %T", s)
	}
	return fs.directCalls.validate.Load(), fs.directCalls.plan.Load(), fs.directCalls.apply.Load()
}

// noDifference fails the test on the diagnostic the check mode adds when
// the direct answer differs from the framework's.
func noDifference(t *testing.T, diags []*tfprotov6.Diagnostic) {
	t.Helper()
	for _, d := range diags {
		if strings.Contains(d.Summary, "Differs From the Framework") {
			t.Errorf("%s: %s", d.Summary, d.Detail)
		}
	}
}

func TestDirectBackupSyncPlan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pair := newServerPair(t, true, nil)
	v := newDirectValues(t, pair.typ)
	null := tftypes.NewValue(pair.typ, nil)
	unknownState := func(i int) map[string]any {
		if i%3 == 0 {
			return map[string]any{"operation_log_id": nil, "sync_state": syncUnknown}
		}
		return nil
	}
	notSent := func(i int) map[string]any {
		if i >= 40 {
			return map[string]any{"operation_log_id": nil, "sync_state": syncNotSent}
		}
		return nil
	}
	cases := []struct {
		name          string
		config, prior tftypes.Value
		direct        bool
	}{
		{"create", v.config(50, nil, nil), null, true},
		{"create one", v.config(1, nil, nil), null, true},
		{"create 2000", v.config(2000, nil, nil), null, true},
		{"create with resource types, adoption, waiting, triggers and timeouts", v.config(7, func(i int) map[string]any {
			switch i {
			case 1:
				return map[string]any{"resource_type": "OS::Nova::Server"}
			case 2:
				return map[string]any{"operation_log_id": "adopted-op"}
			case 3:
				return map[string]any{"created_at": big.NewFloat(1)}
			}
			return nil
		}, map[string]any{
			"wait_for_completion": true, "fail_on_import_failure": false,
			"triggers": map[string]tftypes.Value{"run": tftypes.NewValue(tftypes.String, "1")},
			"timeouts": map[string]tftypes.Value{"create": tftypes.NewValue(tftypes.String, "30m")},
		}), null, true},
		{"create with empty triggers and timeouts", v.config(2, nil, map[string]any{
			"triggers": map[string]tftypes.Value{},
			"timeouts": map[string]tftypes.Value{"create": tftypes.NewValue(tftypes.String, nil)},
		}), null, true},
		{"unchanged", v.config(50, nil, nil), v.state(50, nil, nil), true},
		{"unchanged 2000", v.config(2000, nil, nil), v.state(2000, nil, nil), true},
		{"unchanged with outcomes unknown", v.config(10, nil, nil), v.state(10, unknownState, nil), true},
		{"unchanged with backups not sent", v.config(50, nil, nil), v.state(50, notSent, nil), true},
		{"backups added", v.config(60, nil, nil), v.state(50, nil, nil), true},
		{"backups removed", v.config(40, nil, nil), v.state(50, nil, nil), true},
		{"a field changed", v.config(50, func(i int) map[string]any {
			if i == 7 {
				return map[string]any{"image_path": "moved"}
			}
			return nil
		}, nil), v.state(50, nil, nil), true},
		{"resource type changed to the default", v.config(3, func(i int) map[string]any {
			return map[string]any{"resource_type": "OS::Native::Server"}
		}, nil), v.state(3, nil, nil), true},
		{"triggers changed", v.config(50, nil, map[string]any{"triggers": map[string]tftypes.Value{"run": tftypes.NewValue(tftypes.String, "2")}}),
			v.state(50, unknownState, map[string]any{"triggers": map[string]tftypes.Value{"run": tftypes.NewValue(tftypes.String, "1")}}), true},
		{"waiting turned on", v.config(5, nil, map[string]any{"wait_for_completion": true}), v.state(5, notSent, nil), true},
		{"unknown outcome adopted", v.config(10, func(i int) map[string]any {
			if i == 3 {
				return map[string]any{"operation_log_id": "found-op"}
			}
			return nil
		}, nil), v.state(10, unknownState, nil), true},
		{"imported entries", v.config(4, nil, nil), v.state(4, func(i int) map[string]any {
			if i < 2 {
				return map[string]any{"backup_name": nil, "bucket_name": nil, "image_path": nil, "resource_id": nil, "resource_name": nil, "resource_type": nil, "created_at": nil, "sync_state": syncAdopted}
			}
			return nil
		}, nil), true},
		{"a backup whose key sorts first added", v.configAt([]int{0, 1, 2, 3}, nil, nil), v.stateAt([]int{1, 2, 3}, nil, nil), true},
		{"backup_id given for every entry", v.config(5, func(int) map[string]any { return map[string]any{"backup_id": nil} }, nil), v.state(5, nil, nil), true},
		{"destroy", null, v.state(50, unknownState, nil), true},
		// The framework plans these.
		{"unknown value", v.config(3, func(i int) map[string]any {
			if i == 1 {
				return map[string]any{"backup_name": tftypes.UnknownValue}
			}
			return nil
		}, nil), null, false},
		{"unknown triggers", v.config(3, nil, map[string]any{"triggers": tftypes.UnknownValue}), v.state(3, nil, nil), false},
		{"backup_id unknown", v.config(3, func(i int) map[string]any {
			if i == 1 {
				return map[string]any{"backup_id": tftypes.UnknownValue}
			}
			return nil
		}, nil), v.state(3, nil, nil), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			next := null
			if !c.config.IsNull() {
				next = proposed(t, c.config, c.prior)
			}
			req := &tfprotov6.PlanResourceChangeRequest{
				TypeName: "cbr_backup_sync", Config: mustDynamic(t, pair.typ, c.config),
				PriorState: mustDynamic(t, pair.typ, c.prior), ProposedNewState: mustDynamic(t, pair.typ, next),
			}
			if c.config.IsNull() {
				req.Config = mustDynamic(t, pair.typ, null)
			}
			_, before, _ := directCounts(t, pair.served)
			got, err := pair.served.PlanResourceChange(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			noDifference(t, got.Diagnostics)
			if _, after, _ := directCounts(t, pair.served); (after > before) != c.direct {
				t.Errorf("answered directly: %v, want %v", after > before, c.direct)
			}
			for _, d := range got.Diagnostics {
				if d.Severity == tfprotov6.DiagnosticSeverityError {
					t.Errorf("%s: %s", d.Summary, d.Detail)
				}
			}
		})
	}
}

func TestDirectBackupSyncValidate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pair := newServerPair(t, false, nil)
	v := newDirectValues(t, pair.typ)
	edit := func(at int, attrs map[string]any) func(int) map[string]any {
		return func(i int) map[string]any {
			if i == at {
				return attrs
			}
			return nil
		}
	}
	timeouts := func(d string) map[string]any {
		return map[string]any{"timeouts": map[string]tftypes.Value{"create": tftypes.NewValue(tftypes.String, d)}}
	}
	cases := []struct {
		name   string
		config tftypes.Value
		direct bool
		// warnings is the number of warnings of the answer.
		warnings int
	}{
		{"valid", v.config(50, nil, nil), true, 0},
		{"valid 5000", v.config(maxBackupsPerResource, nil, nil), true, 0},
		{"valid with every documented type, adoption and a timeout", v.config(len(resourceTypes)+1, func(i int) map[string]any {
			if i < len(resourceTypes) {
				return map[string]any{"resource_type": resourceTypes[i].name}
			}
			return map[string]any{"operation_log_id": "154f0a9d-ba53-4e91-a3e2-a918710a9e0d"}
		}, timeouts("2h45m")), true, 0},
		{"unknown values are not checked", v.config(3, edit(1, map[string]any{"backup_name": tftypes.UnknownValue, "created_at": tftypes.UnknownValue, "backup_id": tftypes.UnknownValue}),
			map[string]any{"triggers": tftypes.UnknownValue, "wait_for_completion": tftypes.UnknownValue}), true, 0},
		{"64-character name", v.config(2, edit(1, map[string]any{"backup_name": strings.Repeat("é", 64)}), nil), true, 0},
		{"backup_id equal to its key", v.config(3, func(int) map[string]any { return map[string]any{"backup_id": nil} }, nil), true, 0},
		// One warning for all the entries with an undocumented type.
		{"unknown resource type", v.config(2, edit(1, map[string]any{"resource_type": "OS::Nova::Servers"}), nil), true, 1},
		{"unknown resource types", v.config(4, func(i int) map[string]any {
			return map[string]any{"resource_type": []string{"OS::Nova::Servers", "OS::Native::Server", "VMware", "OS::Cinder::Volumes"}[i]}
		}, nil), true, 1},
		// The framework reports each of these.
		{"65-character name", v.config(2, edit(1, map[string]any{"backup_name": strings.Repeat("é", 65)}), nil), false, 0},
		{"blank name", v.config(2, edit(1, map[string]any{"bucket_name": " \t"}), nil), false, 0},
		{"empty key", v.config(2, edit(0, map[string]any{keyAttr: "", "backup_id": nil}), nil), false, 0},
		{"blank key", v.config(2, edit(1, map[string]any{keyAttr: " \t", "backup_id": nil}), nil), false, 0},
		{"backup_id differs from its key", v.config(3, edit(2, map[string]any{"backup_id": directID(0)}), nil), false, 0},
		{"empty backup_id", v.config(3, edit(1, map[string]any{"backup_id": ""}), nil), false, 0},
		{"milliseconds", v.config(2, edit(1, map[string]any{"created_at": big.NewFloat(1714521600000)}), nil), false, 0},
		{"fraction", v.config(2, edit(1, map[string]any{"created_at": big.NewFloat(1.5)}), nil), false, 0},
		{"zero", v.config(2, edit(1, map[string]any{"created_at": big.NewFloat(0)}), nil), false, 0},
		{"blank resource type", v.config(2, edit(1, map[string]any{"resource_type": ""}), nil), false, 0},
		{"bad operation log ID", v.config(2, edit(1, map[string]any{"operation_log_id": "a/b"}), nil), false, 0},
		{"blank operation log ID", v.config(2, edit(1, map[string]any{"operation_log_id": " "}), nil), false, 0},
		{"too many backups", v.config(maxBackupsPerResource+1, nil, nil), false, 0},
		{"no backups", v.config(0, nil, nil), false, 0},
		{"zero timeout", v.config(1, nil, timeouts("0s")), false, 0},
		{"bad timeout", v.config(1, nil, timeouts("30 minutes")), false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := &tfprotov6.ValidateResourceConfigRequest{TypeName: "cbr_backup_sync", Config: mustDynamic(t, pair.typ, c.config)}
			want, err := pair.framework.ValidateResourceConfig(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			before, _, _ := directCounts(t, pair.served)
			got, err := pair.served.ValidateResourceConfig(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			noDifference(t, got.Diagnostics)
			if after, _, _ := directCounts(t, pair.served); (after > before) != c.direct {
				t.Errorf("answered directly: %v, want %v", after > before, c.direct)
			}
			var errs, warnings int
			for _, d := range want.Diagnostics {
				switch d.Severity {
				case tfprotov6.DiagnosticSeverityError:
					errs++
				case tfprotov6.DiagnosticSeverityWarning:
					warnings++
				}
			}
			if c.direct == (errs > 0) || warnings != c.warnings {
				t.Errorf("the framework answers %d errors and %d warnings (want %d): %v", errs, warnings, c.warnings, want.Diagnostics)
			}
			if len(compareDiagnostics("ValidateResourceConfig", got.Diagnostics, want.Diagnostics)) > 0 {
				t.Errorf("diagnostics:\n got %v\nwant %v", got.Diagnostics, want.Diagnostics)
			}
		})
	}
}

// applyServer is one served server configured against a fake of its own.
func applyServer(t *testing.T, opts serverOptions) (tfprotov6.ProviderServer, *cbrfake.Server) {
	t.Helper()
	ctx := context.Background()
	fake, url := startFake(t, cbrfake.Options{})
	s, err := serverFor(func() provider.Provider {
		return &cbrProvider{version: "test", getenv: func(string) string { return "" }}
	}, opts)()
	if err != nil {
		t.Fatal(err)
	}
	schemas, err := s.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "1.11.4", Config: providerConfigValue(t, schemas, url)})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("ConfigureProvider: %v %v", err, resp.Diagnostics)
	}
	return s, fake
}

// TestDirectBackupSyncApply applies the same plans with the direct path and
// with the framework, each against its own fake API, and compares the new
// states (but the generated id) and the diagnostics, through a create that
// fails part way, an update that sends the rest, and a destroy.
func TestDirectBackupSyncApply(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	direct, directFake := applyServer(t, serverOptions{})
	fw, fwFake := applyServer(t, serverOptions{frameworkOnly: true})
	pair := newServerPair(t, false, nil)
	v := newDirectValues(t, pair.typ)
	null := tftypes.NewValue(pair.typ, nil)
	// The third request of each create fails before CBR applies it.
	for _, f := range []*cbrfake.Server{directFake, fwFake} {
		f.InjectFault(cbrfake.KindSync, cbrfake.Fault{}, cbrfake.Fault{}, cbrfake.Fault{Status: 400, ErrorCode: "BackupService.9900", ErrorMsg: "refused"})
	}

	steps := []struct {
		name   string
		config tftypes.Value
	}{
		{"create, failing at the third request", v.config(120, nil, map[string]any{"triggers": map[string]tftypes.Value{"run": tftypes.NewValue(tftypes.String, "1")}})},
		{"update sending the rest and new backups", v.config(130, nil, map[string]any{"triggers": map[string]tftypes.Value{"run": tftypes.NewValue(tftypes.String, "1")}})},
		{"update removing backups", v.config(20, nil, map[string]any{"triggers": map[string]tftypes.Value{"run": tftypes.NewValue(tftypes.String, "1")}})},
		{"destroy", null},
	}
	prior := map[tfprotov6.ProviderServer]*tfprotov6.DynamicValue{direct: mustDynamic(t, pair.typ, null), fw: mustDynamic(t, pair.typ, null)}
	for _, step := range steps {
		var states []tftypes.Value
		var diags [][]*tfprotov6.Diagnostic
		for _, s := range []tfprotov6.ProviderServer{direct, fw} {
			priorV, err := prior[s].Unmarshal(pair.typ)
			if err != nil {
				t.Fatal(err)
			}
			next := null
			if !step.config.IsNull() {
				next = proposed(t, step.config, priorV)
			}
			planReq := &tfprotov6.PlanResourceChangeRequest{TypeName: "cbr_backup_sync", Config: mustDynamic(t, pair.typ, step.config),
				PriorState: prior[s], ProposedNewState: mustDynamic(t, pair.typ, next)}
			plan, err := s.PlanResourceChange(ctx, planReq)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := s.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{TypeName: "cbr_backup_sync",
				Config: planReq.Config, PriorState: prior[s], PlannedState: plan.PlannedState})
			if err != nil {
				t.Fatal(err)
			}
			state, err := resp.NewState.Unmarshal(pair.typ)
			if err != nil {
				t.Fatal(err)
			}
			if !state.IsNull() {
				// The id and the operation log IDs are random: compare
				// whether they are there.
				state, err = tftypes.Transform(state, func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
					if name, ok := p.LastStep().(tftypes.AttributeName); ok && (name == "id" || name == "operation_log_id") && !v.IsNull() {
						return tftypes.NewValue(tftypes.String, "present"), nil
					}
					return v, nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			if state.IsNull() && !step.config.IsNull() {
				t.Fatalf("%s: no state: %v", step.name, resp.Diagnostics)
			}
			prior[s] = resp.NewState
			states = append(states, state)
			diags = append(diags, resp.Diagnostics)
		}
		if !states[0].Equal(states[1]) {
			d, _ := states[0].Diff(states[1])
			t.Errorf("%s: the new states differ: %v", step.name, d)
		}
		// Each fake has its own address and request IDs.
		for _, ds := range diags {
			for _, d := range ds {
				var keep []string
				for _, line := range strings.Split(d.Detail, "\n") {
					if !strings.HasPrefix(line, "request id: ") && !strings.HasPrefix(line, "request: ") {
						keep = append(keep, line)
					}
				}
				d.Detail = strings.Join(keep, "\n")
			}
		}
		if len(diags[0]) == 0 && strings.HasPrefix(step.name, "create") {
			t.Errorf("%s: no diagnostics", step.name)
		}
		if len(compareDiagnostics("ApplyResourceChange", diags[0], diags[1])) > 0 {
			t.Errorf("%s: diagnostics:\n direct    %v\n framework %v", step.name, diags[0], diags[1])
		}
	}
	if _, plans, applies := directCounts(t, direct); plans != int64(len(steps)) || applies != int64(len(steps)) {
		t.Errorf("the direct server answered %d plans and %d applies directly, want %d each", plans, applies, len(steps))
	}
	if _, plans, applies := directCounts(t, fw); plans+applies != 0 {
		t.Errorf("with frameworkOnly, %d plans and %d applies were answered directly", plans, applies)
	}
	if a, b := directFake.Stats().Requests[cbrfake.KindSync], fwFake.Stats().Requests[cbrfake.KindSync]; a != b || a != 4 {
		t.Errorf("sync requests: direct %d, framework %d, want 4 each (3 for the create, of which the third failed, 1 for the 30 backups the update sends)", a, b)
	}
}

// TestDirectCodec: encode writes what the framework's State.Set writes for
// the same model, and decode reads back the model Get reads (decodeData
// the map, decode the working model with each backup_id set to its key).
func TestDirectCodec(t *testing.T) {
	ctx := context.Background()
	r := newBackupSyncResource()
	var schemaResp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &schemaResp)
	typ, ok := schemaResp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatal("the schema's type is not an object")
	}
	d, err := newDirectBackupSync(ctx, func() *backupSyncResource { return as[*backupSyncResource](r) })
	if err != nil {
		t.Fatal(err)
	}
	v := newDirectValues(t, typ)
	values := map[string]tftypes.Value{
		"config":                            v.config(3, nil, nil),
		"config with every backup_id given": v.configAt([]int{1, 3, 5}, nil, nil),
		"state with triggers, timeouts and statuses": v.state(4, func(i int) map[string]any {
			return map[string]any{"status": []any{nil, "success", "failed", "running"}[i]}
		}, map[string]any{
			"triggers": map[string]tftypes.Value{"a": tftypes.NewValue(tftypes.String, "1"), "b": tftypes.NewValue(tftypes.String, "")},
			"timeouts": map[string]tftypes.Value{"create": tftypes.NewValue(tftypes.String, "1h")},
		}),
		"plan with unknowns": v.config(2, func(int) map[string]any {
			return map[string]any{"operation_log_id": tftypes.UnknownValue, "sync_state": tftypes.UnknownValue, "status": tftypes.UnknownValue}
		}, map[string]any{"id": tftypes.UnknownValue, "triggers": tftypes.UnknownValue, "timeouts": tftypes.UnknownValue}),
		"empty backups": v.config(0, nil, map[string]any{"triggers": map[string]tftypes.Value{}}),
		"large and fractional numbers": v.config(2, func(i int) map[string]any {
			f, _, _ := big.ParseFloat("123456789012345678901234567890.5", 10, 512, big.ToNearestEven)
			return map[string]any{"created_at": []*big.Float{f, big.NewFloat(-0.25)}[i]}
		}, nil),
	}
	// The values whose backup_ids are all given (equal to their keys):
	// decoding and encoding them gives them back.
	whole := map[string]bool{"config with every backup_id given": true, "state with triggers, timeouts and statuses": true, "empty backups": true}
	for name, val := range values {
		t.Run(name, func(t *testing.T) {
			data, err := d.decodeData(val)
			if err != nil {
				t.Fatal(err)
			}
			var want backupSyncData
			if diags := (tfsdk.State{Schema: schemaResp.Schema, Raw: val}).Get(ctx, &want); diags.HasError() {
				t.Fatal(diags)
			}
			if fmt.Sprint(*data) != fmt.Sprint(want) {
				t.Errorf("decodeData:\n got %v\nwant %v", *data, want)
			}
			m, err := d.decode(val)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(*m) != fmt.Sprint(*want.model()) {
				t.Errorf("decode:\n got %v\nwant %v", *m, *want.model())
			}
			for i, b := range m.Backups {
				if b.BackupID.IsNull() || b.BackupID.IsUnknown() || i > 0 && m.Backups[i-1].BackupID.ValueString() >= b.BackupID.ValueString() {
					t.Errorf("decode: backups[%d] has backup_id %v, not in key order", i, b.BackupID)
				}
			}
			got, err := d.encode(m)
			if err != nil {
				t.Fatal(err)
			}
			set := tfsdk.State{Schema: schemaResp.Schema, Raw: tftypes.NewValue(typ, nil)}
			if diags := set.Set(ctx, m.data()); diags.HasError() {
				t.Fatal(diags)
			}
			if !got.Equal(set.Raw) {
				diff, _ := got.Diff(set.Raw)
				t.Errorf("encode differs from Set: %v", diff)
			}
			if whole[name] != got.Equal(val) {
				diff, _ := got.Diff(val)
				t.Errorf("encode(decode(v)) equal to v: %v, want %v: %v", got.Equal(val), whole[name], diff)
			}
		})
	}
	// Values the direct path leaves to the framework.
	unknownMap := map[string]tftypes.Value{}
	for k, at := range typ.AttributeTypes {
		unknownMap[k] = tftypes.NewValue(at, nil)
	}
	unknownMap["backups"] = tftypes.NewValue(typ.AttributeTypes["backups"], tftypes.UnknownValue)
	for name, val := range map[string]tftypes.Value{
		"null":          tftypes.NewValue(typ, nil),
		"unknown":       tftypes.NewValue(typ, tftypes.UnknownValue),
		"unknown map":   tftypes.NewValue(typ, unknownMap),
		"unknown entry": v.resource(map[string]tftypes.Value{directID(0): tftypes.NewValue(v.entry, tftypes.UnknownValue)}, nil),
		"null entry":    v.resource(map[string]tftypes.Value{directID(0): tftypes.NewValue(v.entry, nil)}, nil),
	} {
		if _, err := d.decode(val); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

// TestDirectCheckFindsDifferences: the check of the acceptance tests does
// report a plan that differs from the framework's.
func TestDirectCheckFindsDifferences(t *testing.T) {
	ctx := context.Background()
	fw, err := providerserver.NewProtocol6WithError(&cbrProvider{version: "test", getenv: func(string) string { return "" }})()
	if err != nil {
		t.Fatal(err)
	}
	schemas, err := fw.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	typ, _ := schemas.ResourceSchemas["cbr_backup_sync"].ValueType().(tftypes.Object)
	v := newDirectValues(t, typ)
	a := &tfprotov6.PlanResourceChangeResponse{PlannedState: mustDynamic(t, typ, v.config(2, nil, nil))}
	b := &tfprotov6.PlanResourceChangeResponse{PlannedState: mustDynamic(t, typ, v.config(3, nil, nil))}
	if got := comparePlans(typ, a, a); len(got) != 0 {
		t.Errorf("equal plans reported: %v", got)
	}
	if got := comparePlans(typ, a, b); len(got) != 1 || !strings.Contains(got[0].Detail, "planned states differ") {
		t.Errorf("different plans: %v", got)
	}
	warn := []*tfprotov6.Diagnostic{{Severity: tfprotov6.DiagnosticSeverityWarning, Summary: "S", Detail: "D"}}
	if got := compareDiagnostics("x", warn, nil); len(got) != 1 {
		t.Errorf("a missing warning was not reported: %v", got)
	}
}

// TestAccDirectPathServed runs a create, an update that adds backups, a plan
// that must be empty and a destroy through the Terraform CLI with the served
// server, and checks that the direct path answered validations, plans and
// applies (so that the acceptance tests exercise it, compared with the
// framework by the check mode) and that each backup was imported once.
func TestAccDirectPathServed(t *testing.T) {
	if frameworkPathAsked(os.Getenv) {
		t.Skip(FrameworkPathVariable + " asks for the framework path")
	}
	fake, url := startFake(t, cbrfake.Options{})
	var servers []*directServer
	var mu sync.Mutex
	factories := map[string]func() (tfprotov6.ProviderServer, error){
		"cbr": func() (tfprotov6.ProviderServer, error) {
			s, err := providerFactories(nil)["cbr"]()
			if fs, ok := s.(*directServer); ok {
				mu.Lock()
				servers = append(servers, fs)
				mu.Unlock()
			}
			return s, err
		},
	}
	backups := makeBackups(60)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []tfresource.TestStep{
			{Config: providerConfig(url) + backupsConfig(backups[:40])},
			{Config: providerConfig(url) + backupsConfig(backups)},
			{Config: providerConfig(url) + backupsConfig(backups), PlanOnly: true},
		},
		CheckDestroy: func(*terraform.State) error {
			mu.Lock()
			defer mu.Unlock()
			var validate, plan, apply int64
			for _, s := range servers {
				validate += s.directCalls.validate.Load()
				plan += s.directCalls.plan.Load()
				apply += s.directCalls.apply.Load()
			}
			// Two applies and the destroy are applied directly.
			if validate == 0 || plan == 0 || apply < 3 {
				return fmt.Errorf("answered directly: %d validations, %d plans, %d applies", validate, plan, apply)
			}
			if st := fake.Stats(); st.SyncedEntries != 60 || st.Requests[cbrfake.KindSync] != 2 {
				return fmt.Errorf("the fake applied %d backups in %d requests, want 60 in 2", st.SyncedEntries, st.Requests[cbrfake.KindSync])
			}
			return nil
		},
	})
}

// TestDirectMatchesFrameworkRandom validates and plans random configurations
// and states, valid and not, through the served server in check mode: every
// answer the direct path gives is compared with the framework's.
func TestDirectMatchesFrameworkRandom(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pair := newServerPair(t, true, nil)
	v := newDirectValues(t, pair.typ)
	null := tftypes.NewValue(pair.typ, nil)
	rng := rand.New(rand.NewPCG(13, 2026))
	pick := func(options ...any) any { return options[rng.IntN(len(options))] }
	pickString := func(options ...string) string { return options[rng.IntN(len(options))] }
	str := func() any {
		return pick("vm-1", "vm-2", "", " \t", strings.Repeat("é", 64), strings.Repeat("x", 65), "日本語", "a\"b\\c")
	}
	var direct int
	for iter := range 400 {
		n := 1 + rng.IntN(8)
		edit := func() map[string]any {
			e := map[string]any{}
			if rng.IntN(4) == 0 {
				e[pickString("backup_name", "bucket_name", "image_path", "resource_id", "resource_name")] = str()
			}
			if rng.IntN(6) == 0 {
				e["created_at"] = pick(big.NewFloat(0), big.NewFloat(1.5), big.NewFloat(1714521600000), big.NewFloat(2147483648), big.NewFloat(-3), big.NewFloat(2147483647), big.NewFloat(1))
			}
			if rng.IntN(4) == 0 {
				e["resource_type"] = pick(nil, "OS::Native::Server", "OS::Nova::Server", "OS::Unknown", "")
			}
			if rng.IntN(6) == 0 {
				e["operation_log_id"] = pick(nil, "op-adopted", "a/b", " ")
			}
			switch rng.IntN(10) {
			case 0:
				e["backup_id"] = directID(rng.IntN(n))
			case 1:
				e["backup_id"] = nil
			case 2:
				if rng.IntN(3) == 0 {
					e[keyAttr] = pickString("", " ")
				}
			}
			return e
		}
		edits := make([]map[string]any, n)
		for i := range edits {
			edits[i] = edit()
		}
		top := map[string]any{}
		if rng.IntN(3) == 0 {
			top["triggers"] = map[string]tftypes.Value{"run": tftypes.NewValue(tftypes.String, pickString("1", "2"))}
		}
		if rng.IntN(4) == 0 {
			top["wait_for_completion"] = pick(true, false)
		}
		if rng.IntN(5) == 0 {
			top["timeouts"] = map[string]tftypes.Value{"create": tftypes.NewValue(tftypes.String, pick("30m", "0s", "bad", nil))}
		}
		config := v.config(n, func(i int) map[string]any { return edits[i] }, top)

		validate := &tfprotov6.ValidateResourceConfigRequest{TypeName: "cbr_backup_sync", Config: mustDynamic(t, pair.typ, config)}
		before, plansBefore, _ := directCounts(t, pair.served)
		got, err := pair.served.ValidateResourceConfig(ctx, validate)
		if err != nil {
			t.Fatal(err)
		}
		noDifference(t, got.Diagnostics)
		valid := true
		for _, d := range got.Diagnostics {
			valid = valid && d.Severity != tfprotov6.DiagnosticSeverityError
		}
		if !valid {
			continue
		}

		// A prior state: none, or one of a configuration close to this one.
		prior := null
		if rng.IntN(4) > 0 {
			m := n + rng.IntN(3) - 1
			prior = v.state(max(m, 1), func(i int) map[string]any {
				e := map[string]any{"sync_state": pick(syncAccepted, syncAccepted, syncUnknown, syncNotSent, syncAdopted)}
				switch e["sync_state"] {
				case syncUnknown, syncNotSent:
					e["operation_log_id"] = nil
				}
				if i < n && rng.IntN(3) > 0 {
					for k, val := range edits[i] {
						if k != "operation_log_id" && k != "backup_id" && k != keyAttr {
							e[k] = val
						}
					}
					if e["resource_type"] == nil {
						e["resource_type"] = "OS::Native::Server"
					}
				}
				return e
			}, map[string]any{"triggers": map[string]tftypes.Value{"run": tftypes.NewValue(tftypes.String, "1")}})
		}
		plan := &tfprotov6.PlanResourceChangeRequest{TypeName: "cbr_backup_sync", Config: mustDynamic(t, pair.typ, config),
			PriorState: mustDynamic(t, pair.typ, prior), ProposedNewState: mustDynamic(t, pair.typ, proposed(t, config, prior))}
		resp, err := pair.served.PlanResourceChange(ctx, plan)
		if err != nil {
			t.Fatal(err)
		}
		noDifference(t, resp.Diagnostics)
		if t.Failed() {
			t.Fatalf("iteration %d: config %v\nprior %v", iter, config, prior)
		}
		if after, plansAfter, _ := directCounts(t, pair.served); after > before && plansAfter > plansBefore {
			direct++
		}
	}
	if direct < 50 {
		t.Errorf("only %d of the random cases were validated and planned directly", direct)
	}
	t.Logf("%d random cases validated and planned directly, each compared with the framework", direct)
}

// TestBackupSyncPlanShowsWhatIsSent plans through the framework and the
// served server: the plan's diff says what the apply sends (operation_log_id,
// sync_state unknown for exactly the backups sent, the state's values for
// the others), with no routine warning: adding backups, inserting one whose
// key sorts first or giving backups known at apply only warns nothing;
// removing backups warns once, naming them; outcomes unknown warn once.
func TestBackupSyncPlanShowsWhatIsSent(t *testing.T) {
	ctx := context.Background()
	pair := newServerPair(t, true, nil)
	v := newDirectValues(t, pair.typ)
	null := tftypes.NewValue(pair.typ, nil)
	unknownBackups := map[string]tftypes.Value{}
	for k, at := range pair.typ.AttributeTypes {
		unknownBackups[k] = tftypes.NewValue(at, nil)
	}
	unknownBackups["backups"] = tftypes.NewValue(pair.typ.AttributeTypes["backups"], tftypes.UnknownValue)
	outcomeUnknown := func(i int) map[string]any {
		if i == 1 {
			return map[string]any{"operation_log_id": nil, "sync_state": syncUnknown}
		}
		return nil
	}
	cases := []struct {
		name          string
		config, prior tftypes.Value
		sent          []int  // the backups whose operation_log_id the plan leaves unknown
		kept          []int  // the backups whose state the plan keeps
		warning       string // the one warning's summary and detail, "" for none
	}{
		{"create", v.config(3, nil, nil), null, []int{0, 1, 2}, nil, ""},
		{"backups added", v.configAt([]int{0, 1, 2, 3, 4}, nil, nil), v.stateAt([]int{0, 1, 2}, nil, nil), []int{3, 4}, []int{0, 1, 2}, ""},
		{"a backup whose key sorts first added", v.configAt([]int{0, 1, 2, 3}, nil, nil), v.stateAt([]int{1, 2, 3}, nil, nil), []int{0}, []int{1, 2, 3}, ""},
		{"a field changed", v.config(3, func(i int) map[string]any {
			if i == 2 {
				return map[string]any{"bucket_name": "moved"}
			}
			return nil
		}, nil), v.state(3, nil, nil), []int{2}, []int{0, 1}, ""},
		{"backups known at apply only", tftypes.NewValue(pair.typ, unknownBackups), v.state(3, nil, nil), nil, nil, ""},
		{"one backup removed", v.configAt([]int{0, 2}, nil, nil), v.state(3, nil, nil), nil, []int{0, 2},
			"Backups Stay in CBR: 1 backup leaves this cbr_backup_sync and its Terraform state only: " + directID(1) + ". CBR keeps what it imported"},
		{"two backups removed", v.configAt([]int{0}, nil, nil), v.state(3, nil, nil), nil, []int{0},
			"Backups Stay in CBR: 2 backups leave this cbr_backup_sync and its Terraform state only: " + directID(1) + ", " + directID(2) + ". CBR keeps what it imported"},
		{"an outcome unknown", v.config(3, nil, nil), v.state(3, outcomeUnknown, nil), nil, []int{0, 1, 2}, directID(1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for name, s := range map[string]tfprotov6.ProviderServer{"framework": pair.framework, "served": pair.served} {
				resp, err := s.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{
					TypeName: "cbr_backup_sync", Config: mustDynamic(t, pair.typ, c.config),
					PriorState: mustDynamic(t, pair.typ, c.prior), ProposedNewState: mustDynamic(t, pair.typ, proposed(t, c.config, c.prior)),
				})
				if err != nil {
					t.Fatal(err)
				}
				noDifference(t, resp.Diagnostics)
				var warnings []string
				for _, d := range resp.Diagnostics {
					if d.Severity == tfprotov6.DiagnosticSeverityError {
						t.Fatalf("%s: %s: %s", name, d.Summary, d.Detail)
					}
					warnings = append(warnings, d.Summary+": "+d.Detail)
				}
				if c.warning == "" && len(warnings) > 0 || c.warning != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], c.warning)) {
					t.Errorf("%s: warnings %q, want %q", name, warnings, c.warning)
				}
				for _, w := range warnings {
					if strings.Contains(w, "Backups to Import") || strings.Contains(w, "Known at Apply") {
						t.Errorf("%s: a routine warning: %s", name, w)
					}
				}
				planned, err := resp.PlannedState.Unmarshal(pair.typ)
				if err != nil {
					t.Fatal(err)
				}
				var top, entries map[string]tftypes.Value
				if err := planned.As(&top); err != nil {
					t.Fatal(err)
				}
				if !top["backups"].IsKnown() {
					if c.sent != nil || c.kept != nil {
						t.Errorf("%s: backups unknown in the plan", name)
					}
					continue
				}
				if err := top["backups"].As(&entries); err != nil {
					t.Fatal(err)
				}
				if len(entries) != len(c.sent)+len(c.kept) {
					t.Errorf("%s: %d entries planned, want %d", name, len(entries), len(c.sent)+len(c.kept))
				}
				attr := func(i int, a string) tftypes.Value {
					var e map[string]tftypes.Value
					if err := entries[directID(i)].As(&e); err != nil || e == nil {
						t.Fatalf("%s: no entry %s planned: %v", name, directID(i), err)
					}
					return e[a]
				}
				for _, i := range c.sent {
					if attr(i, "operation_log_id").IsKnown() || attr(i, "sync_state").IsKnown() {
						t.Errorf("%s: backup %d is sent, but its operation_log_id (%v) or sync_state (%v) is known", name, i, attr(i, "operation_log_id"), attr(i, "sync_state"))
					}
					if id := attr(i, "backup_id"); !id.Equal(tftypes.NewValue(tftypes.String, directID(i))) {
						t.Errorf("%s: backup %d planned with backup_id %v, want its key", name, i, id)
					}
				}
				for _, i := range c.kept {
					var e map[string]tftypes.Value
					if err := c.prior.As(&top); err != nil {
						t.Fatal(err)
					}
					var prior map[string]tftypes.Value
					if err := top["backups"].As(&prior); err != nil {
						t.Fatal(err)
					}
					if err := prior[directID(i)].As(&e); err != nil {
						t.Fatal(err)
					}
					for _, a := range []string{"operation_log_id", "sync_state", "status", "backup_id"} {
						if got := attr(i, a); !got.Equal(e[a]) {
							t.Errorf("%s: backup %d planned with %s %v, the state has %v", name, i, a, got, e[a])
						}
					}
				}
			}
		})
	}
}
