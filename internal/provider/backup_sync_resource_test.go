package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// opLogCheck compares backups[backupID].operation_log_id with the fake's
// record of the latest sync of that backup.
type opLogCheck struct {
	fake     *cbrfake.Server
	backupID string
}

func (c opLogCheck) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	entries, err := resourceEntries(req)
	if err != nil {
		resp.Error = err
		return
	}
	entry, ok := entries[c.backupID]
	if !ok {
		resp.Error = fmt.Errorf("no backups[%q] in state", c.backupID)
		return
	}
	got, _ := entry["operation_log_id"].(string)
	if want := latestOpLog(c.fake, c.backupID); want == "" || got != want {
		resp.Error = fmt.Errorf("backups[%q].operation_log_id = %q, the fake answered %q", c.backupID, got, want)
	}
}

func TestAccBackupSync_basic(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	backups := makeBackups(1)
	cfg := providerConfig(url) + backupsConfig(backups)

	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{
				Config: cfg,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionCreate),
						plancheck.ExpectUnknownValue(testAddr, tfjsonpath.New("id")),
						plancheck.ExpectUnknownValue(testAddr, opPath(backups[0].BackupID)),
						plancheck.ExpectKnownValue(testAddr, backupPath(backups[0].BackupID, "resource_type"), knownvalue.StringExact("OS::Native::Server")),
						// backup_id, left out of the configuration, is planned as the key.
						plancheck.ExpectKnownValue(testAddr, backupPath(backups[0].BackupID, "backup_id"), knownvalue.StringExact(backups[0].BackupID)),
					},
				},
				ConfigStateChecks: stateMatchesFake(fake, 1),
				Check: tfresource.ComposeAggregateTestCheckFunc(
					func(*terraform.State) error { return expectCalls(fake, cbrfake.KindSync, 1)() },
					func(*terraform.State) error { return expectSyncBody(fake, backups)() },
				),
			},
			{
				// A second plan and apply of the same configuration: nothing to do, no call.
				Config: cfg,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(*terraform.State) error { return expectCalls(fake, cbrfake.KindSync, 1)() },
			},
			{
				// backup_id given, equal to its key: the same plan, empty.
				Config:             providerConfig(url) + backupsConfig(withOwnID(backups)),
				PlanOnly:           true,
				ExpectNonEmptyPlan: false,
			},
		},
		// Destroy only forgets the resource: still exactly one call in total.
		CheckDestroy: expectRequests(fake, 1),
	})
}

func TestAccBackupSync_fifty(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	backups := makeBackups(50)
	backups[7].ResourceType = "OS::Cinder::Volume"
	backups[49].BackupName = strings.Repeat("备", 64) // 64 characters, 192 bytes
	cfg := providerConfig(url) + backupsConfig(backups)

	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{
				Config:            cfg,
				ConfigStateChecks: stateMatchesFake(fake, 50),
				Check: tfresource.ComposeAggregateTestCheckFunc(
					func(*terraform.State) error { return expectCalls(fake, cbrfake.KindSync, 1)() },
					func(*terraform.State) error { return expectSyncBody(fake, backups)() },
				),
			},
			{
				Config:           cfg,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check:            func(*terraform.State) error { return expectCalls(fake, cbrfake.KindSync, 1)() },
			},
		},
		CheckDestroy: func(*terraform.State) error { return expectCalls(fake, cbrfake.KindSync, 1)() },
	})
}

// TestAccBackupSync_validation shows each plan-time error through terraform
// plan, with the fake API never called.
func TestAccBackupSync_validation(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	with := func(f func([]testBackup) []testBackup) string {
		return providerConfig(url) + backupsConfig(f(makeBackups(3)))
	}
	cases := []struct {
		name   string
		config string
		want   string
	}{
		{"no backups", providerConfig(url) + `resource "cbr_backup_sync" "test" { backups = {} }`, `(?s)No Backups.*backups is empty: give at least one backup`},
		{"5001 backups", providerConfig(url) + backupsConfig(makeBackups(5001)),
			`(?s)Too Many Backups.*backups holds 5001 backups; one cbr_backup_sync holds at most 5000.*Split the inventory into several cbr_backup_sync resources`},
		{"backup_id differs from its key", with(func(b []testBackup) []testBackup { b[2].Key, b[2].BackupID = b[2].BackupID, b[0].BackupID; return b }),
			`(?s)Backup ID Differs From Its Key.*backups\["1f9e6b47-7655-4a19-b563-000000000002"\].backup_id is "1f9e6b47-7655-4a19-b563-000000000000", but the entry's key is "1f9e6b47-7655-4a19-b563-000000000002"`},
		{"blank key", with(func(b []testBackup) []testBackup { b[1].BackupID = "  "; return b }), `(?s)Blank Backup ID.*backups has an entry whose key, its backup_id, is "  "`},
		{"empty bucket_name", with(func(b []testBackup) []testBackup { b[0].BucketName = ""; return b }), `(?s)backups\["1f9e6b47-7655-4a19-b563-000000000000"\].bucket_name must not be empty`},
		{"blank image_path", with(func(b []testBackup) []testBackup { b[2].ImagePath = "\t"; return b }), `(?s)backups\["1f9e6b47-7655-4a19-b563-000000000002"\].image_path must not be empty`},
		{"blank resource_id", with(func(b []testBackup) []testBackup { b[0].ResourceID = " "; return b }), `(?s)backups\["1f9e6b47-7655-4a19-b563-000000000000"\].resource_id must not be empty`},
		{"blank resource_name", with(func(b []testBackup) []testBackup { b[0].ResourceName = ""; return b }), `(?s)backups\["1f9e6b47-7655-4a19-b563-000000000000"\].resource_name must not be empty`},
		{"blank resource_type", with(func(b []testBackup) []testBackup { b[0].ResourceType = " "; return b }), `(?s)backups\["1f9e6b47-7655-4a19-b563-000000000000"\].resource_type must not be empty`},
		{"empty backup_name", with(func(b []testBackup) []testBackup { b[1].BackupName = ""; return b }), `(?s)backups\["1f9e6b47-7655-4a19-b563-000000000001"\].backup_name must not be empty`},
		{"blank backup_name", with(func(b []testBackup) []testBackup { b[1].BackupName = "   "; return b }), `(?s)backups\["1f9e6b47-7655-4a19-b563-000000000001"\].backup_name must not be empty`},
		{"long backup_name", with(func(b []testBackup) []testBackup { b[1].BackupName = strings.Repeat("x", 65); return b }), `(?s)backups\["1f9e6b47-7655-4a19-b563-000000000001"\].backup_name is 65 characters long, more than the 64 CBR accepts: "x{32}…"`},
		{"created_at zero", with(func(b []testBackup) []testBackup { b[0].CreatedAt = 0; return b }), `(?s)backups\["1f9e6b47-7655-4a19-b563-000000000000"\].created_at value must be between 1 and 2147483647, got: 0`},
		{"created_at past int32", with(func(b []testBackup) []testBackup { b[2].CreatedAt = 2147483648; return b }), `(?s)backups\["1f9e6b47-7655-4a19-b563-000000000002"\].created_at value must be between 1 and 2147483647, got:.*2147483648`},
	}
	steps := make([]tfresource.TestStep, 0, len(cases))
	for _, c := range cases {
		steps = append(steps, tfresource.TestStep{Config: c.config, PlanOnly: true, ExpectError: errorLike(c.want)})
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps:                    steps,
		// Validation errors must not call the API.
		CheckDestroy: expectRequests(fake, 0),
	})
}

// TestAccBackupSync_apiErrors shows API errors with status, error_code,
// error_msg and request id, and checks nothing was saved: the next plan
// creates the resource again.
func TestAccBackupSync_apiErrors(t *testing.T) {
	rid := `request id: [0-9a-f]{32}`
	cases := []struct {
		name   string
		opts   cbrfake.Options
		config func(url string) string
		fault  *cbrfake.Fault
		want   string
	}{
		{
			name: "wrong token",
			config: func(url string) string {
				return strings.Replace(providerConfig(url), cbrfake.DefaultToken, "stale-token", 1)
			},
			want: `(?s)Unable to Synchronize CBR Backups.*HTTP status: 401.*error_code: APIGW.0301.*error_msg: Incorrect IAM authentication information: verify token failed.*` + rid,
		},
		{
			name: "wrong project",
			config: func(url string) string {
				return strings.Replace(providerConfig(url), cbrfake.DefaultProjectID, "ffffffffffffffffffffffffffffffff", 1)
			},
			want: `(?s)HTTP status: 403.*error_code: BackupService.0006.*error_msg: Forbidden: project_id ffffffffffffffffffffffffffffffff.*` + rid,
		},
		{
			name:   "refused by the service",
			config: providerConfig,
			fault:  &cbrfake.Fault{Status: 400, ErrorCode: "BackupService.9900", ErrorMsg: "Invalid parameter: the image path does not exist in the bucket"},
			want:   `(?s)Nothing was synchronized and nothing was saved in the state.*HTTP status: 400.*error_code: BackupService.9900.*error_msg: Invalid parameter: the image path does not exist in the bucket.*` + rid,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake, url := startFake(t, c.opts)
			if c.fault != nil {
				fake.InjectFault(cbrfake.KindSync, *c.fault)
			}
			res := backupsConfig(makeBackups(2))
			tfresource.ParallelTest(t, tfresource.TestCase{
				ProtoV6ProviderFactories: providerFactories(nil),
				Steps: []tfresource.TestStep{
					{Config: c.config(url) + res, ExpectError: errorLike(c.want)},
					{
						Config: providerConfig(url) + res,
						ConfigPlanChecks: tfresource.ConfigPlanChecks{
							PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionCreate)},
						},
						ConfigStateChecks: stateMatchesFake(fake, 2),
					},
				},
			})
		})
	}
}

// TestAccBackupSync_incompleteAnswer: CBR applies the request but its answer
// lacks an entry. The apply fails, and the state keeps what was synced.
func TestAccBackupSync_incompleteAnswer(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{DropItems: 1})
	backups := makeBackups(3)
	cfg := providerConfig(url) + backupsConfig(backups)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{
				Config:      cfg,
				ExpectError: errorLike(`(?s)Incomplete CBR Backup Sync Answer.*no operation log ID for 1 of them:.*1f9e6b47-7655-4a19-b563-000000000002.*The next apply sends only the backups never sent`),
			},
			{
				// The failed apply left a tainted record with the two known
				// IDs and one unknown outcome: the replacement sends none of
				// them.
				Config: cfg,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: append([]plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionReplace),
					priorState{address: testAddr, check: func(v map[string]any) error {
						entries, err := stateEntries(v)
						if err != nil {
							return err
						}
						synced := fake.Synced()
						if len(entries) != 3 || len(synced) != 3 {
							return fmt.Errorf("state has %d backups, fake synced %d", len(entries), len(synced))
						}
						for i, want := range []any{synced[0].OperationLogID, synced[1].OperationLogID, nil} {
							b, ok := entries[backups[i].BackupID]
							if !ok {
								return fmt.Errorf("no backups[%q] in the prior state", backups[i].BackupID)
							}
							if got := b["operation_log_id"]; got != want {
								return fmt.Errorf("backups[%q].operation_log_id = %v, want %v", backups[i].BackupID, got, want)
							}
						}
						return nil
					}},
					plancheck.ExpectKnownValue(testAddr, syncStatePath(backups[2].BackupID), knownvalue.StringExact(syncUnknown)),
				}, planOps(backups[:2], nil)...)},
				ConfigStateChecks: []statecheck.StateCheck{
					opLogCheck{fake: fake, backupID: backups[0].BackupID}, opLogCheck{fake: fake, backupID: backups[1].BackupID},
					statecheck.ExpectKnownValue(testAddr, opPath(backups[2].BackupID), knownvalue.Null()),
					checkFunc(expectCalls(fake, cbrfake.KindSync, 1)),
				},
			},
		},
	})
}

// TestBackupSyncDestroyWarning: planning a destroy warns once that the
// backups stay in CBR, naming how many and which, in the order of their
// keys; Delete adds nothing.
func TestBackupSyncDestroyWarning(t *testing.T) {
	ctx := context.Background()
	r := &backupSyncResource{}
	sr, null := resourceSchema(ctx, r)
	backups := makeBackups(7)
	slices.Reverse(backups)
	m := resourceModel(types.StringValue("id"), false, backups, func(e *backupModel) {
		e.OperationLogID, e.Status, e.SyncState = types.StringValue("op"), types.StringNull(), types.StringValue(syncAccepted)
	})
	state := tfsdk.State{Schema: sr.Schema, Raw: null}
	if diags := state.Set(ctx, m.data()); diags.HasError() {
		t.Fatal(diags)
	}
	resp := resource.ModifyPlanResponse{Plan: tfsdk.Plan{Schema: sr.Schema, Raw: null}}
	r.ModifyPlan(ctx, resource.ModifyPlanRequest{State: state, Plan: tfsdk.Plan{Schema: sr.Schema, Raw: null}, Config: tfsdk.Config{Schema: sr.Schema, Raw: null}}, &resp)
	if resp.Diagnostics.HasError() || resp.Diagnostics.WarningsCount() != 1 {
		t.Fatalf("diagnostics: %v", resp.Diagnostics)
	}
	w := resp.Diagnostics.Warnings()[0]
	if w.Summary() != "Backups Stay in CBR" || !strings.Contains(w.Detail(), "only removes its record of 7 backups from the Terraform state: 1f9e6b47-7655-4a19-b563-000000000000") ||
		!strings.Contains(w.Detail(), "000000000004 and 2 more. The backups stay in CBR") {
		t.Errorf("warning %q: %q", w.Summary(), w.Detail())
	}
	var dresp resource.DeleteResponse
	r.Delete(ctx, resource.DeleteRequest{State: state}, &dresp)
	if len(dresp.Diagnostics) != 0 {
		t.Errorf("Delete: %v", dresp.Diagnostics)
	}
}
