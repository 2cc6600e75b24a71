package provider

import (
	"context"
	"encoding/json"
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

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// sent is the backup IDs of each sync request the fake received, in order.
func sent(fake *cbrfake.Server) ([][]string, error) {
	var out [][]string
	for _, r := range fake.Requests() {
		if r.Kind != cbrfake.KindSync {
			continue
		}
		var body struct {
			Sync []struct {
				BackupID string `json:"backup_id"`
			} `json:"sync"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil {
			return nil, err
		}
		ids := make([]string, len(body.Sync))
		for i, b := range body.Sync {
			ids[i] = b.BackupID
		}
		out = append(out, ids)
	}
	return out, nil
}

// expectSent checks that the sync requests the fake received, from the
// (from+1)th on, carried exactly these backups, request by request.
func expectSent(fake *cbrfake.Server, from int, want ...[]testBackup) checkFunc {
	return func() error {
		got, err := sent(fake)
		if err != nil {
			return err
		}
		if len(got) < from {
			return fmt.Errorf("the fake received %d sync requests, fewer than %d", len(got), from)
		}
		got = got[from:]
		var wantIDs [][]string
		for _, w := range want {
			var ids []string
			for _, b := range w {
				ids = append(ids, b.BackupID)
			}
			wantIDs = append(wantIDs, ids)
		}
		if len(got) != len(wantIDs) {
			return fmt.Errorf("%d new sync requests carrying %v, want %d carrying %v", len(got), got, len(wantIDs), wantIDs)
		}
		for i := range got {
			if !slices.Equal(got[i], wantIDs[i]) {
				return fmt.Errorf("sync request %d carried %v, want %v", from+i+1, got[i], wantIDs[i])
			}
		}
		return nil
	}
}

func pick(all []testBackup, idx ...int) []testBackup {
	out := make([]testBackup, len(idx))
	for i, j := range idx {
		out[i] = all[j]
	}
	return out
}

func ids(bs []testBackup) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.BackupID
	}
	return out
}

// planOps are plan checks on the entries of backups: the known ones keep a
// known operation_log_id (they are not sent), the unknown ones are sent.
func planOps(known []testBackup, unknown []testBackup) []plancheck.PlanCheck {
	var out []plancheck.PlanCheck
	for _, b := range known {
		out = append(out, plancheck.ExpectKnownValue(testAddr, opPath(b.BackupID), knownvalue.NotNull()))
	}
	for _, b := range unknown {
		out = append(out, plancheck.ExpectUnknownValue(testAddr, opPath(b.BackupID)), plancheck.ExpectUnknownValue(testAddr, syncStatePath(b.BackupID)))
	}
	return out
}

// TestAccBackupSync_converge walks the table of the resource page: reorder,
// add, remove and change entries, each an in-place update that sends only
// what the table says.
func TestAccBackupSync_converge(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	all := makeBackups(5)
	changed := all[1]
	changed.BackupName = "renamed"
	allowImports(fake, 2, all[1].BackupID)
	cfg := func(bs []testBackup) string { return providerConfig(url) + backupsConfig(bs) }
	update := func(bs []testBackup, known, unknown []testBackup, from int, sends ...[]testBackup) tfresource.TestStep {
		return tfresource.TestStep{
			Config: cfg(bs),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: append([]plancheck.PlanCheck{
				plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(testAddr, tfjsonpath.New("id"), knownvalue.NotNull()),
			}, planOps(known, unknown)...)},
			ConfigStateChecks: append(stateMatchesFake(fake, len(bs)), expectSent(fake, from, sends...)),
		}
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{
				Config:            cfg(pick(all, 0, 1, 2)),
				ConfigStateChecks: append(stateMatchesFake(fake, 3), expectSent(fake, 0, pick(all, 0, 1, 2))),
			},
			// Reorder: the map is the same: an empty plan, no call.
			{
				Config:            cfg(pick(all, 2, 0, 1)),
				ConfigPlanChecks:  tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: append(stateMatchesFake(fake, 3), expectSent(fake, 1)),
			},
			// Add one in the middle of the configuration and one at the end:
			// only they are sent, in the order of their keys.
			update(pick(all, 2, 4, 0, 1, 3), pick(all, 0, 1, 2), pick(all, 3, 4), 1, pick(all, 3, 4)),
			// Remove one: no call.
			update(pick(all, 2, 3, 1, 4), pick(all, 1, 2, 3, 4), nil, 2),
			// Change a field of one: only that one is sent again.
			update([]testBackup{all[2], all[3], changed, all[4]}, pick(all, 2, 3, 4), []testBackup{changed}, 2, []testBackup{changed}),
			{Config: cfg([]testBackup{all[2], all[3], changed, all[4]}), PlanOnly: true},
		},
		CheckDestroy: func(*terraform.State) error { return expectCalls(fake, cbrfake.KindSync, 3)() },
	})
}

// TestAccBackupSync_changeFields: changing any field of an entry sends that
// entry again, and only it; a new backup_id is a new backup.
func TestAccBackupSync_changeFields(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	base := makeBackups(2)
	changes := []struct {
		name   string
		change func(*testBackup)
	}{
		{"backup_id", func(b *testBackup) { b.BackupID = "changed-id" }},
		{"backup_name", func(b *testBackup) { b.BackupName = "changed-name" }},
		{"bucket_name", func(b *testBackup) { b.BucketName = "changed-bucket" }},
		{"image_path", func(b *testBackup) { b.ImagePath = "changed/path" }},
		{"resource_id", func(b *testBackup) { b.ResourceID = "changed-vm" }},
		{"resource_name", func(b *testBackup) { b.ResourceName = "changed vm" }},
		{"resource_type", func(b *testBackup) { b.ResourceType = "OS::Cinder::Volume" }},
		{"created_at", func(b *testBackup) { b.CreatedAt++ }},
	}
	allowImports(fake, len(changes), "changed-id")
	steps := []tfresource.TestStep{{Config: providerConfig(url) + backupsConfig(base)}}
	current := base
	for i, c := range changes {
		next := append([]testBackup(nil), current...)
		c.change(&next[1])
		steps = append(steps, tfresource.TestStep{
			Config: providerConfig(url) + backupsConfig(next),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{
				PreApply: append([]plancheck.PlanCheck{plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionUpdate)}, planOps(next[:1], next[1:])...),
			},
			ConfigStateChecks: append(stateMatchesFake(fake, 2), expectSent(fake, i+1, next[1:])),
			Check:             func(*terraform.State) error { return expectSyncBody(fake, next[1:])() },
		})
		current = next
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps:                    steps,
	})
}

// TestAccBackupSync_manyBackups: more than 50 backups go in requests of at
// most 50, in the order of their keys; growing the map sends only the new
// ones.
func TestAccBackupSync_manyBackups(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	all := makeBackups(180)
	// The configuration lists them last first: the order of the keys
	// decides.
	backward := func(bs []testBackup) []testBackup {
		out := slices.Clone(bs)
		slices.Reverse(out)
		return out
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{
				Config:            providerConfig(url) + backupsConfig(backward(all[:120])),
				ConfigStateChecks: append(stateMatchesFake(fake, 120), expectSent(fake, 0, all[:50], all[50:100], all[100:120])),
			},
			{
				Config: providerConfig(url) + backupsConfig(backward(all)),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: append([]plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionUpdate)}, planOps(pick(all, 0, 119), pick(all, 120, 179))...)},
				ConfigStateChecks: append(stateMatchesFake(fake, 180), expectSent(fake, 3, all[120:170], all[170:])),
			},
			{Config: providerConfig(url) + backupsConfig(all), PlanOnly: true},
		},
	})
}

// priorSyncStates checks backups[id].sync_state and whether operation_log_id
// is set, in the state the plan starts from.
func priorSyncStates(want map[string]string) priorState {
	return priorState{address: testAddr, check: func(v map[string]any) error {
		entries, err := stateEntries(v)
		if err != nil {
			return err
		}
		for id, w := range want {
			b, ok := entries[id]
			if !ok {
				return fmt.Errorf("no backups[%q] in the prior state", id)
			}
			if b["sync_state"] != w {
				return fmt.Errorf("backups[%q].sync_state = %v, want %s", id, b["sync_state"], w)
			}
			if op := b["operation_log_id"]; (op != nil) != (w == syncAccepted || w == syncAdopted) {
				return fmt.Errorf("backups[%q] (sync_state %s) has operation_log_id %v", id, w, op)
			}
		}
		return nil
	}}
}

// syncStates keys sync states of the backups of all, given by index, by
// backup_id, for priorSyncStates: syncStates(all, map[int]string{0: syncAccepted}).
func syncStates(all []testBackup, byIndex map[int]string) map[string]string {
	out := make(map[string]string, len(byIndex))
	for i, s := range byIndex {
		out[all[i].BackupID] = s
	}
	return out
}

// TestAccBackupSync_partialUpdate: the second of three requests is refused.
// The apply records the first, keeps the others as not sent and fails
// naming them; the next apply sends only those.
func TestAccBackupSync_partialUpdate(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	all := makeBackups(130)
	cfg := providerConfig(url) + backupsConfig(all)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{Config: providerConfig(url) + backupsConfig(all[:10])},
			{
				PreConfig: func() {
					fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{}, cbrfake.Fault{Status: 400, ErrorCode: "BackupService.9900", ErrorMsg: "Invalid parameter: the image path does not exist"})
				},
				Config: cfg,
				ExpectError: errorLike(`(?s)Unable to Synchronize CBR Backups.*Request 2 of 3 failed. CBR did not accept the request to synchronize 50 backups\..*HTTP status: 400.*` +
					`Imported: 50 backups, recorded in the state.*1f9e6b47-7655-4a19-b563-000000000010.*` +
					`Not sent: 70 backups \(sync_state "not_sent"\): 1f9e6b47-7655-4a19-b563-000000000060.*and 50 more. The next apply sends them, and only them.`),
			},
			{
				Config: cfg,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: append([]plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionUpdate),
					priorSyncStates(syncStates(all, map[int]string{0: syncAccepted, 10: syncAccepted, 59: syncAccepted, 60: syncNotSent, 109: syncNotSent, 110: syncNotSent, 129: syncNotSent})),
				}, planOps(pick(all, 0, 10, 59), pick(all, 60, 129))...)},
				ConfigStateChecks: append(stateMatchesFake(fake, 130), expectSent(fake, 0, all[:10], all[10:60], all[60:110], all[60:110], all[110:130])),
			},
			{Config: cfg, PlanOnly: true},
		},
	})
}

// TestAccBackupSync_unknownNotResent: a request whose outcome is unknown
// (502) is recorded as such and never sent again by a plan, whatever
// changes, until the user removes and adds the entry back (an explicit
// re-send) or adopts it with its operation_log_id.
func TestAccBackupSync_unknownNotResent(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	all := makeBackups(4)
	renamed := all[3]
	renamed.BackupName = "renamed"
	// backups[2] is imported in CBR by the console, as if CBR had applied the
	// request it answered with 502 (which the fake does not apply here).
	adopted := all[2]
	adopted.OperationLogID = fakeSync(t, url, all[2:3])[all[2].BackupID]
	cfg := func(bs ...testBackup) string { return providerConfig(url) + backupsConfig(bs) }
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{Config: cfg(all[:2]...)},
			{
				PreConfig:   func() { fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{Status: 502}) },
				Config:      cfg(all...),
				ExpectError: errorLike(`(?s)CBR Backup Sync Outcome Unknown.*with HTTP 502 Bad Gateway.*Imported: 0 backups.*Outcome unknown: 2 backups \(sync_state "unknown", operation_log_id null\).*000000000002, 1f9e6b47-7655-4a19-b563-000000000003.*does not send them again by itself`),
			},
			{
				// Not sent again: the plan is empty (the failed apply was an
				// update: nothing is tainted).
				Config: cfg(all...),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
					priorSyncStates(syncStates(all, map[int]string{0: syncAccepted, 1: syncAccepted, 2: syncUnknown, 3: syncUnknown})),
				}},
			},
			{
				// Changing a field does not send it either.
				Config: cfg(all[0], all[1], all[2], renamed),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(testAddr, opPath(all[3].BackupID), knownvalue.Null()),
					plancheck.ExpectKnownValue(testAddr, syncStatePath(all[3].BackupID), knownvalue.StringExact(syncUnknown)),
				}},
				Check: func(*terraform.State) error { return expectCalls(fake, cbrfake.KindSync, 3)() },
			},
			// The explicit re-send: remove the entry, apply, add it back.
			{
				Config: cfg(all[:3]...),
				Check:  func(*terraform.State) error { return expectCalls(fake, cbrfake.KindSync, 3)() },
			},
			{
				Config: cfg(all[0], all[1], all[2], renamed),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: append([]plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionUpdate)}, planOps(all[:2], []testBackup{renamed})...)},
				ConfigStateChecks: []statecheck.StateCheck{
					opLogCheck{fake: fake, backupID: renamed.BackupID},
					expectSent(fake, 3, []testBackup{renamed}),
					statecheck.ExpectKnownValue(testAddr, syncStatePath(all[2].BackupID), knownvalue.StringExact(syncUnknown)),
				},
			},
			// Adoption: backups[2] was found in CBR; giving its
			// operation_log_id records it without sending it.
			{
				Config: cfg(all[0], all[1], adopted, renamed),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(testAddr, opPath(adopted.BackupID), knownvalue.StringExact(adopted.OperationLogID)),
					plancheck.ExpectKnownValue(testAddr, syncStatePath(adopted.BackupID), knownvalue.StringExact(syncAdopted)),
				}},
				ConfigStateChecks: append(stateMatchesFake(fake, 4), checkFunc(expectCalls(fake, cbrfake.KindSync, 4))),
			},
			{Config: cfg(all[0], all[1], adopted, renamed), PlanOnly: true},
		},
	})
}

// TestAccBackupSync_partialCreate: the second of three requests of a create
// gets a 500. The error says what was imported, what is unknown and what was
// not sent, and that the next apply sends only what was never sent; the
// record is kept (tainted), and the replacement the next plan makes sends
// only the 20 backups never sent.
func TestAccBackupSync_partialCreate(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	all := makeBackups(120)
	fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{}, cbrfake.Fault{Status: 500})
	cfg := providerConfig(url) + backupsConfig(all)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{
				Config: cfg,
				ExpectError: errorLike(`(?s)CBR Backup Sync Outcome Unknown.*Request 2 of 3 failed. CBR answered the request to synchronize 50 backups with HTTP 500.*` +
					`Imported: 50 backups.*Outcome unknown: 50 backups.*000000000050.*Not sent: 20 backups \(sync_state "not_sent"\): 1f9e6b47-7655-4a19-b563-000000000100.*` +
					`Terraform marks a resource whose creation failed as tainted and plans to replace it on the next apply; nothing needs to be done by hand \(no .terraform untaint.\). ` +
					`The next apply sends only the backups never sent \(sync_state "not_sent"\): the replacement Terraform plans sends nothing already recorded`),
			},
			{
				Config: cfg,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: append([]plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionDestroyBeforeCreate),
					taintedInPriorState{address: testAddr, someOps: true},
					priorSyncStates(syncStates(all, map[int]string{0: syncAccepted, 49: syncAccepted, 50: syncUnknown, 99: syncUnknown, 100: syncNotSent, 119: syncNotSent})),
					plancheck.ExpectKnownValue(testAddr, syncStatePath(all[50].BackupID), knownvalue.StringExact(syncUnknown)),
				}, planOps(pick(all, 0, 49), pick(all, 100, 119))...)},
				ConfigStateChecks: []statecheck.StateCheck{
					opLogCheck{fake: fake, backupID: all[0].BackupID}, opLogCheck{fake: fake, backupID: all[49].BackupID},
					opLogCheck{fake: fake, backupID: all[100].BackupID}, opLogCheck{fake: fake, backupID: all[119].BackupID},
					statecheck.ExpectKnownValue(testAddr, syncStatePath(all[99].BackupID), knownvalue.StringExact(syncUnknown)),
					expectSent(fake, 2, all[100:]),
				},
			},
			{Config: cfg, PlanOnly: true},
		},
	})
}

// TestAccBackupSync_answersThatLie: an answer that gives one backup two
// operation log IDs leaves its operation_log_id null (outcome unknown) and
// fails the apply; an answer naming a backup that was not requested is
// ignored (with a warning).
func TestAccBackupSync_answersThatLie(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	all := makeBackups(4)
	cfg := func(bs ...testBackup) string { return providerConfig(url) + backupsConfig(bs) }
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{
				PreConfig:         func() { fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{UnrequestedItem: "not-requested-backup"}) },
				Config:            cfg(all[:2]...),
				ConfigStateChecks: append(stateMatchesFake(fake, 2), statecheck.ExpectKnownValue(testAddr, syncStatePath(all[1].BackupID), knownvalue.StringExact(syncAccepted))),
			},
			{
				PreConfig: func() { fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{ConflictingItem: true}) },
				Config:    cfg(all...),
				ExpectError: errorLike(`(?s)Incomplete CBR Backup Sync Answer.*CBR accepted the request to synchronize 2 backups, but its answer gives no operation log ID for 1 of them \(it names 1 backup more than once with different operation log IDs.*` +
					`1f9e6b47-7655-4a19-b563-000000000002\).*Imported: 1 backup.*000000000003.*Outcome unknown: 1 backup.*000000000002`),
			},
			{
				Config: cfg(all...),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
					priorSyncStates(syncStates(all, map[int]string{2: syncUnknown, 3: syncAccepted})),
				}},
				Check: func(*terraform.State) error { return expectCalls(fake, cbrfake.KindSync, 2)() },
			},
		},
	})
}

// TestAccBackupSync_adopt: terraform import takes backup_id=operation_log_id
// pairs and sends nothing; the next plan fills in the adopted entries without
// sending them, sends the others, and is followed by an empty plan.
func TestAccBackupSync_adopt(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	all := makeBackups(3)
	ops := fakeSync(t, url, all[:2]) // imported in the console
	importID := fmt.Sprintf("%s=%s, %s=%s", all[0].BackupID, ops[all[0].BackupID], all[1].BackupID, ops[all[1].BackupID])
	cfg := providerConfig(url) + backupsConfig(all)
	badID := func(id, want string) tfresource.TestStep {
		return tfresource.TestStep{Config: cfg, ResourceName: testAddr, ImportState: true, ImportStateId: id, ExpectError: errorLike(want)}
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			badID("just-a-backup-id", `(?s)Invalid Import ID.*entry 1 of the import ID, "just-a-backup-id", is not backup_id=operation_log_id. Give the backups to adopt as backup_id=operation_log_id\[,backup_id=operation_log_id...\]`),
			badID("a=op-1,a=op-2", `(?s)Invalid Import ID.*entries 1 and 2 of the import ID both name backup "a"`),
			badID("a=op/1", `(?s)Invalid Import ID.*gives backup "a" the operation log ID "op/1", which is not one`),
			{
				Config: cfg, ResourceName: testAddr, ImportState: true, ImportStateId: importID, ImportStatePersist: true,
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					if len(states) != 1 {
						return fmt.Errorf("%d states", len(states))
					}
					a := states[0].Attributes
					for _, b := range all[:2] {
						p := fmt.Sprintf("backups.%s.", b.BackupID)
						if a[p+"backup_id"] != b.BackupID || a[p+"operation_log_id"] != ops[b.BackupID] || a[p+"sync_state"] != syncAdopted {
							return fmt.Errorf("imported %v", a)
						}
					}
					if a["backups.%"] != "2" {
						return fmt.Errorf("imported %s backups", a["backups.%"])
					}
					return expectCalls(fake, cbrfake.KindSync, 1)()
				},
			},
			{
				Config: cfg,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: append([]plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(testAddr, opPath(all[0].BackupID), knownvalue.StringExact(ops[all[0].BackupID])),
					plancheck.ExpectKnownValue(testAddr, opPath(all[1].BackupID), knownvalue.StringExact(ops[all[1].BackupID])),
					plancheck.ExpectKnownValue(testAddr, syncStatePath(all[1].BackupID), knownvalue.StringExact(syncAdopted)),
				}, planOps(nil, all[2:])...)},
				ConfigStateChecks: append(stateMatchesFake(fake, 3), expectSent(fake, 1, all[2:])),
			},
			{Config: cfg, PlanOnly: true},
		},
	})
}

// TestAccBackupSync_adoptImportBlock: the same through an import block, in
// one plan and apply.
func TestAccBackupSync_adoptImportBlock(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	all := makeBackups(3)
	ops := fakeSync(t, url, all[1:3])
	cfg := providerConfig(url) + backupsConfig(all) + fmt.Sprintf(`
import {
  to = cbr_backup_sync.test
  id = "%s=%s,%s=%s"
}
`, all[2].BackupID, ops[all[2].BackupID], all[1].BackupID, ops[all[1].BackupID])
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{
				Config: cfg,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: append([]plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(testAddr, opPath(all[2].BackupID), knownvalue.StringExact(ops[all[2].BackupID])),
				}, planOps(all[1:2], all[:1])...)},
				ConfigStateChecks: append(stateMatchesFake(fake, 3), expectSent(fake, 1, all[:1])),
			},
			{Config: cfg, PlanOnly: true},
		},
	})
}

// TestBackupSyncUnrequestedWarning calls Create directly, since
// plugin-testing cannot see warnings: an answer that also names a backup
// that was not requested is accepted for the requested ones, and a warning
// names the stranger, which is recorded nowhere.
func TestBackupSyncUnrequestedWarning(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{UnrequestedItem: "not-requested-backup"})
	client, err := cbr.New(cbr.Config{Endpoint: url, ProjectID: cbrfake.DefaultProjectID, Auth: cbr.TokenAuth(cbrfake.DefaultToken)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := &backupSyncResource{client: client, poll: opLogPolling}
	sr, null := resourceSchema(ctx, r)
	m := resourceModel(types.StringUnknown(), false, makeBackups(2), func(e *backupModel) {
		e.OperationLogID, e.Status, e.SyncState = types.StringUnknown(), types.StringNull(), types.StringUnknown()
	})
	plan := tfsdk.Plan{Schema: sr.Schema, Raw: null}
	if diags := plan.Set(ctx, m.data()); diags.HasError() {
		t.Fatal(diags)
	}
	resp := resource.CreateResponse{State: tfsdk.State{Schema: sr.Schema, Raw: null}}
	r.Create(ctx, resource.CreateRequest{Plan: plan, Config: tfsdk.Config{Schema: sr.Schema, Raw: configOf(t, ctx, sr, m)}}, &resp)
	if resp.Diagnostics.HasError() || resp.Diagnostics.WarningsCount() != 1 {
		t.Fatalf("diagnostics %v", resp.Diagnostics)
	}
	w := resp.Diagnostics.Warnings()[0]
	if w.Summary() != "CBR Answered for Backups Not Requested" || !strings.Contains(w.Detail(), "named 1 backup that the request did not carry: not-requested-backup.") {
		t.Errorf("warning %q: %s", w.Summary(), w.Detail())
	}
	var got backupSyncData
	if diags := resp.State.Get(ctx, &got); diags.HasError() {
		t.Fatal(diags)
	}
	synced := fake.Synced()
	if len(got.Backups) != 2 || len(synced) != 2 {
		t.Fatalf("state %+v", got)
	}
	for _, s := range synced {
		b, ok := got.Backups[s.BackupID]
		if !ok || b.BackupID.ValueString() != s.BackupID || b.OperationLogID.ValueString() != s.OperationLogID || b.SyncState.ValueString() != syncAccepted {
			t.Errorf("backups[%q] = %+v", s.BackupID, b)
		}
	}
}

// TestAccBackupSync_insertFirst: a backup whose key sorts before every other
// one, added to an applied resource of 10 backups, is planned as the one
// entry sent (its operation_log_id unknown, the 10 others keeping theirs),
// and the apply sends it alone, in one request; reordering the entries in the
// configuration then plans nothing and sends nothing.
func TestAccBackupSync_insertFirst(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	ten := makeBackups(10)
	first := ten[0]
	first.BackupID = "0a6e3c1d-7655-4a19-b563-000000000000" // sorts before 1f9e6b47-…
	first.BackupName, first.ImagePath = "vm-new-backup", "6abec15e/new/chain"
	eleven := append([]testBackup{first}, ten...)
	reordered := append(append([]testBackup(nil), ten[5:]...), ten[:5]...)
	reordered = append(reordered[:3], append([]testBackup{first}, reordered[3:]...)...)
	cfg := func(bs []testBackup) string { return providerConfig(url) + backupsConfig(bs) }
	// opLogOf checks a planned operation_log_id against the one the fake
	// issued for that backup at the first apply.
	opLogOf := func(backupID string) knownvalue.Check {
		return knownvalue.StringFunc(func(v string) error {
			if want := latestOpLog(fake, backupID); want == "" || v != want {
				return fmt.Errorf("operation_log_id %q, the fake issued %q", v, want)
			}
			return nil
		})
	}
	insertChecks := []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionUpdate),
		plancheck.ExpectUnknownValue(testAddr, opPath(first.BackupID)),
		plancheck.ExpectUnknownValue(testAddr, syncStatePath(first.BackupID)),
		plancheck.ExpectKnownValue(testAddr, backupPath(first.BackupID, "backup_id"), knownvalue.StringExact(first.BackupID)),
		plancheck.ExpectKnownValue(testAddr, tfjsonpath.New("backups"), knownvalue.MapSizeExact(11)),
	}
	for _, b := range ten {
		insertChecks = append(insertChecks,
			plancheck.ExpectKnownValue(testAddr, opPath(b.BackupID), opLogOf(b.BackupID)),
			plancheck.ExpectKnownValue(testAddr, syncStatePath(b.BackupID), knownvalue.StringExact(syncAccepted)))
	}
	// importsOnce checks that the fake imported each backup exactly once.
	importsOnce := func(bs []testBackup) checkFunc {
		return func() error {
			count := map[string]int{}
			for _, s := range fake.Synced() {
				count[s.BackupID]++
			}
			for _, b := range bs {
				if count[b.BackupID] != 1 {
					return fmt.Errorf("backup %s was imported %d times, want once", b.BackupID, count[b.BackupID])
				}
			}
			if len(count) != len(bs) {
				return fmt.Errorf("the fake imported %d distinct backups, want %d: %v", len(count), len(bs), count)
			}
			return nil
		}
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{
				Config:            cfg(ten),
				ConfigStateChecks: append(stateMatchesFake(fake, 10), expectSent(fake, 0, ten), importsOnce(ten)),
			},
			{
				Config:            cfg(eleven),
				ConfigPlanChecks:  tfresource.ConfigPlanChecks{PreApply: insertChecks},
				ConfigStateChecks: append(stateMatchesFake(fake, 11), expectSent(fake, 1, []testBackup{first}), importsOnce(eleven)),
				Check:             func(*terraform.State) error { return expectSyncBody(fake, []testBackup{first})() },
			},
			{
				// The same backups in another order: the same map.
				Config:            cfg(reordered),
				ConfigPlanChecks:  tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: append(stateMatchesFake(fake, 11), expectSent(fake, 2), importsOnce(eleven)),
			},
			{Config: cfg(reordered), PlanOnly: true},
		},
		CheckDestroy: func(*terraform.State) error { return expectCalls(fake, cbrfake.KindSync, 2)() },
	})
}

// TestAccBackupSync_backupIDKnownAtApplyOnly: an entry whose backup_id is
// given but known only at apply (here from another resource created in the
// same apply), its key known: Terraform requires the plan to leave a
// configured value that is unknown unknown, so the plan shows backup_id
// unknown; the apply sends the backup once and records backup_id as its key,
// and the next plan is empty.
func TestAccBackupSync_backupIDKnownAtApplyOnly(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	backups := makeBackups(2)
	cfg := providerConfig(url) + fmt.Sprintf(`
resource "terraform_data" "id" {
  input = %q
}
`, backups[1].BackupID) + strings.Replace(backupsConfig(backups),
		fmt.Sprintf("    %q = {\n", backups[1].BackupID), fmt.Sprintf("    %q = {\n      backup_id     = terraform_data.id.output\n", backups[1].BackupID), 1)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{
				Config: cfg,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectUnknownValue(testAddr, backupPath(backups[1].BackupID, "backup_id")),
					plancheck.ExpectKnownValue(testAddr, backupPath(backups[0].BackupID, "backup_id"), knownvalue.StringExact(backups[0].BackupID)),
				}},
				ConfigStateChecks: append(stateMatchesFake(fake, 2), expectSent(fake, 0, backups)),
			},
			{Config: cfg, PlanOnly: true},
		},
	})
}

// TestAccBackupSync_backupIDDiffersAtApply: a backup_id known at apply only
// that turns out to differ from its key fails the apply before anything is
// sent (Terraform validates the configuration again once it is known; the
// apply checks it too).
func TestAccBackupSync_backupIDDiffersAtApply(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	backups := makeBackups(2)
	cfg := providerConfig(url) + `
resource "terraform_data" "id" {
  input = "another-backup"
}
` + strings.Replace(backupsConfig(backups),
		fmt.Sprintf("    %q = {\n", backups[1].BackupID), fmt.Sprintf("    %q = {\n      backup_id     = terraform_data.id.output\n", backups[1].BackupID), 1)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{{
			Config:      cfg,
			ExpectError: errorLike(`(?s)Backup ID Differs From Its Key.*is "another-backup", but the entry's key is "` + backups[1].BackupID + `"`),
		}},
		CheckDestroy: func(*terraform.State) error { return expectCalls(fake, cbrfake.KindSync, 0)() },
	})
}
