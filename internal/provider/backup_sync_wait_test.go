package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

func init() {
	// Tests read operation logs every few milliseconds, not seconds.
	opLogPolling = pollPolicy{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond}
}

// syncConfig renders a cbr_backup_sync resource with extra arguments.
func syncConfig(backups []testBackup, extra string) string {
	return strings.TrimSuffix(backupsConfig(backups), "}\n") + extra + "\n}\n"
}

func statusPath(backupID string) tfjsonpath.Path { return backupPath(backupID, "status") }

// statusesAre checks backups[*].status in the state, want[i] for
// backups[i]; "" means null.
func statusesAre(backups []testBackup, want ...string) []statecheck.StateCheck {
	var out []statecheck.StateCheck
	for i, w := range want {
		var check knownvalue.Check = knownvalue.StringExact(w)
		if w == "" {
			check = knownvalue.Null()
		}
		out = append(out, statecheck.ExpectKnownValue(testAddr, statusPath(backups[i].BackupID), check))
	}
	return out
}

// priorStatuses checks backups[*].status and operation_log_id in the state
// a plan starts from (a tainted record after a failed apply), want[i] for
// backups[i], sent in this order by the last sync; "" means null.
func priorStatuses(fake *cbrfake.Server, backups []testBackup, want ...string) priorState {
	return priorState{address: testAddr, check: func(v map[string]any) error {
		entries, err := stateEntries(v)
		if err != nil {
			return err
		}
		synced := fake.Synced()
		if len(entries) != len(want) || len(synced) < len(want) {
			return fmt.Errorf("state has %d backups, the fake synced %d, want %d", len(entries), len(synced), len(want))
		}
		for i, w := range want {
			id := backups[i].BackupID
			item, ok := entries[id]
			if !ok {
				return fmt.Errorf("no backups[%q] in the prior state", id)
			}
			var wantStatus any
			if w != "" {
				wantStatus = w
			}
			if item["status"] != wantStatus {
				return fmt.Errorf("backups[%q].status = %v, want %v", id, item["status"], wantStatus)
			}
			s := synced[len(synced)-len(want)+i]
			if s.BackupID != id || item["operation_log_id"] != s.OperationLogID {
				return fmt.Errorf("backups[%q].operation_log_id = %v, the fake answered %s for %s", id, item["operation_log_id"], s.OperationLogID, s.BackupID)
			}
		}
		return nil
	}}
}

// distinctReads checks that every distinct operation log of the last sync
// was read exactly n times, and that there are want of them.
func distinctReads(fake *cbrfake.Server, backups, want, n int) checkFunc {
	return func() error {
		synced := fake.Synced()
		seen := map[string]bool{}
		for _, s := range synced[len(synced)-backups:] {
			if seen[s.OperationLogID] {
				continue
			}
			seen[s.OperationLogID] = true
			if got := fake.OperationLogReads(s.OperationLogID); got != n {
				return fmt.Errorf("operation log %s was read %d times, want %d", s.OperationLogID, got, n)
			}
		}
		if len(seen) != want {
			return fmt.Errorf("%d distinct operation logs, want %d", len(seen), want)
		}
		return nil
	}
}

// TestAccBackupSync_waitSuccess waits for every distinct operation log to go
// through waiting and running to success, with one operation log per backup
// and with one shared by all.
func TestAccBackupSync_waitSuccess(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
			fake, url := startFake(t, cbrfake.Options{SharedOperationLog: shared})
			backups := makeBackups(3)
			distinct := 3
			if shared {
				distinct = 1
			}
			// The default script answers waiting, running, then success:
			// three rounds, each one list request whatever the number of
			// operation logs, and no read by ID.
			reads := 3
			cfg := providerConfig(url) + syncConfig(backups, "  wait_for_completion = true")
			tfresource.ParallelTest(t, tfresource.TestCase{
				ProtoV6ProviderFactories: providerFactories(nil),
				Steps: []tfresource.TestStep{
					{
						Config: cfg,
						ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
							plancheck.ExpectUnknownValue(testAddr, statusPath(backups[0].BackupID)),
							plancheck.ExpectUnknownValue(testAddr, statusPath(backups[2].BackupID)),
						}},
						ConfigStateChecks: append(append(stateMatchesFake(fake, 3), statusesAre(backups, "success", "success", "success")...),
							checkFunc(expectCalls(fake, cbrfake.KindSync, 1)),
							checkFunc(expectCalls(fake, cbrfake.KindOperationLogs, reads)),
							checkFunc(expectCalls(fake, cbrfake.KindOperationLog, 0)),
							distinctReads(fake, 3, distinct, 3),
						),
					},
					{
						// Nothing to do, and no more reads.
						Config:           cfg,
						ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
						ConfigStateChecks: []statecheck.StateCheck{
							checkFunc(expectCalls(fake, cbrfake.KindOperationLogs, reads)),
						},
					},
				},
				CheckDestroy: func(*terraform.State) error { return expectTotals(fake, 1, reads)() },
			})
		})
	}
}

// expectTotals checks the numbers of sync requests and operation log reads:
// list requests and reads by ID together.
func expectTotals(fake *cbrfake.Server, syncs, reads int) func() error {
	return func() error {
		if err := expectCalls(fake, cbrfake.KindSync, syncs)(); err != nil {
			return err
		}
		if got := fake.Count(cbrfake.KindOperationLogs) + fake.Count(cbrfake.KindOperationLog); got != reads {
			return fmt.Errorf("the fake API saw %d operation log requests (%d lists, %d reads by ID), want %d",
				got, fake.Count(cbrfake.KindOperationLogs), fake.Count(cbrfake.KindOperationLog), reads)
		}
		return nil
	}
}

// TestAccBackupSync_waitFailed: an import fails. The apply fails with CBR's
// error_info, the resource stays in the state as tainted with each
// backup's status, and the next apply replaces it.
func TestAccBackupSync_waitFailed(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
			fake, url := startFake(t, cbrfake.Options{SharedOperationLog: shared})
			backups := makeBackups(3)
			fake.ScriptBackup(backups[1].BackupID, cbrfake.Step{Status: cbrfake.StatusRunning},
				cbrfake.Step{Status: cbrfake.StatusFailed, ErrorCode: "BackupService.6302", ErrorMessage: "The backup chain in the bucket is incomplete"})
			cfg := providerConfig(url) + syncConfig(backups, "  wait_for_completion = true")

			want := `(?s)CBR Backup Sync Failed.*CBR accepted the request to synchronize 3 backups.*Imported \(status success or skipped\): 2 of 3\..*Failed:.*` +
				`- operation log [0-9a-f-]{36} \(backup ` + backups[1].BackupID + `\): status failed, error_code BackupService.6302, error_msg "The backup chain in the bucket is incomplete".*` +
				`none of them is sent again by the next apply.*not even when Terraform replaces the resource.*remove its entry, apply, and add it back.*The next apply sends only the backups never sent`
			prior := []string{"success", "failed", "success"}
			if shared {
				want = `(?s)CBR Backup Sync Failed.*Imported \(status success or skipped\): 0 of 3\..*\(backups ` + backups[0].BackupID + `, ` + backups[1].BackupID + `, ` + backups[2].BackupID +
					`\): status failed, error_code BackupService.6302.*none of them is sent again by the next apply.*The next apply sends only the backups never sent`
				prior = []string{"failed", "failed", "failed"}
			}
			tfresource.ParallelTest(t, tfresource.TestCase{
				ProtoV6ProviderFactories: providerFactories(nil),
				Steps: []tfresource.TestStep{
					{Config: cfg, ExpectError: errorLike(want)},
					{
						// The next apply replaces the tainted resource and sends
						// nothing: the failed import is not sent again by itself,
						// and each backup keeps its operation_log_id and status.
						Config: cfg,
						ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: append([]plancheck.PlanCheck{
							plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionReplace),
							priorStatuses(fake, backups, prior...),
						}, planOps(backups, nil)...)},
						ConfigStateChecks: append(append(stateMatchesFake(fake, 3), statusesAre(backups, prior...)...),
							checkFunc(expectCalls(fake, cbrfake.KindSync, 1))),
					},
				},
			})
		})
	}
}

// TestAccBackupSync_waitTimeout: an import is still running when the create
// timeout runs out. The apply fails saying what to check, and the record is
// kept with the last statuses seen.
func TestAccBackupSync_waitTimeout(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	backups := makeBackups(2)
	fake.ScriptBackup(backups[0].BackupID, cbrfake.Step{Status: cbrfake.StatusRunning})
	cfg := providerConfig(url) + syncConfig(backups, "  wait_for_completion = true\n  timeouts = { create = \"2s\" }")
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{
				Config: cfg,
				ExpectError: errorLike(`(?s)Timed Out Waiting for CBR Backup Sync.*CBR accepted the request to synchronize 2 backups.*create timeout ran out.*` +
					`Imported \(status success or skipped\): 1 of 2\..*Still in progress:.*\(backup ` + backups[0].BackupID + `\): last status running.*` +
					`data "cbr_operation_logs" "check" \{ ids = \["[0-9a-f-]{36}"\] \}`),
			},
			{
				// The replacement sends nothing: both backups were accepted.
				Config: cfg,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionReplace),
					priorStatuses(fake, backups, "running", "success"),
					// The running task was read again and again until the timeout.
					plancheckFunc(func() error {
						if n := fake.OperationLogReads(fake.Synced()[0].OperationLogID); n < 5 {
							return fmt.Errorf("the running operation log was read %d times", n)
						}
						return nil
					}),
				}},
				ConfigStateChecks: append(append(stateMatchesFake(fake, 2), statusesAre(backups, "running", "success")...), checkFunc(expectCalls(fake, cbrfake.KindSync, 1))),
			},
		},
	})
}

// TestAccBackupSync_waitReadErrors: a read of an operation log that fails
// for good stops the wait with the error and keeps a tainted record; reads
// that may succeed later are tried again.
func TestAccBackupSync_waitReadErrors(t *testing.T) {
	t.Run("not found", func(t *testing.T) {
		fake, url := startFake(t, cbrfake.Options{})
		// The list leaves the operation log out, and reading it by ID
		// answers that it does not exist.
		backups := makeBackups(1)
		fake.HideBackupsFromList(backups[0].BackupID)
		fake.InjectFault(cbrfake.KindOperationLog, cbrfake.Fault{Status: 404, ErrorCode: "BackupService.0012", ErrorMsg: "The operation log does not exist"})
		cfg := providerConfig(url) + syncConfig(backups, "  wait_for_completion = true")
		tfresource.ParallelTest(t, tfresource.TestCase{
			ProtoV6ProviderFactories: providerFactories(nil),
			Steps: []tfresource.TestStep{
				{
					Config: cfg,
					ExpectError: errorLike(`(?s)Unable to Check CBR Backup Sync.*CBR accepted the request to synchronize 1 backup;.*Imported \(status success or skipped\): 0 of 1\..*Could not be read:.*\(backup ` + backups[0].BackupID +
						`\): CBR has no such operation log: GET .*/operation-logs/[0-9a-f-]{36}: HTTP 404 Not Found, error_code BackupService.0012, error_msg "The operation log does not exist", request id [0-9a-f]{32}`),
				},
				{
					// The replacement sends nothing: the backup was accepted.
					Config: cfg,
					ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionReplace),
						priorStatuses(fake, backups, ""),
					}},
					ConfigStateChecks: append(append(stateMatchesFake(fake, 1), statusesAre(backups, "")...), checkFunc(expectCalls(fake, cbrfake.KindSync, 1))),
				},
			},
		})
	})
	t.Run("transient", func(t *testing.T) {
		fake, url := startFake(t, cbrfake.Options{})
		fake.InjectFault(cbrfake.KindOperationLogs,
			cbrfake.Fault{Status: 503},
			cbrfake.Fault{Reset: true},
			cbrfake.Fault{Status: 429, RetryAfter: "0"},
			cbrfake.Fault{BrokenJSON: true},
		)
		backups := makeBackups(1)
		tfresource.ParallelTest(t, tfresource.TestCase{
			ProtoV6ProviderFactories: providerFactories(nil),
			Steps: []tfresource.TestStep{{
				Config: providerConfig(url) + syncConfig(backups, "  wait_for_completion = true"),
				ConfigStateChecks: append(append(stateMatchesFake(fake, 1), statusesAre(backups, "success")...),
					checkFunc(func() error {
						if n := fake.PendingFaults(cbrfake.KindOperationLogs); n != 0 {
							return fmt.Errorf("%d faults were not reached", n)
						}
						// Three failed lists, retried by the client within the
						// first round, and a broken answer (which consumed the
						// first step of the script) that makes the round list
						// again next time, not read by ID; then running and
						// success.
						if err := expectCalls(fake, cbrfake.KindOperationLog, 0)(); err != nil {
							return err
						}
						return expectTotals(fake, 1, 6)()
					}),
				),
			}},
		})
	})
}

// TestAccBackupSync_noWait: by default nothing is waited for: the status is
// null from the plan on and no operation log is read.
func TestAccBackupSync_noWait(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	backups := makeBackups(2)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{{
			Config: providerConfig(url) + syncConfig(backups, ""),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(testAddr, statusPath(backups[0].BackupID), knownvalue.Null()),
				plancheck.ExpectKnownValue(testAddr, statusPath(backups[1].BackupID), knownvalue.Null()),
				plancheck.ExpectKnownValue(testAddr, tfjsonpath.New("wait_for_completion"), knownvalue.Bool(false)),
			}},
			ConfigStateChecks: append(append(stateMatchesFake(fake, 2), statusesAre(backups, "", "")...),
				checkFunc(expectTotals(fake, 1, 0))),
		}},
	})
}

// TestAccBackupSync_inPlaceUpdates: changing timeouts or wait_for_completion
// updates the state only: no API call, same id and operation log IDs.
func TestAccBackupSync_inPlaceUpdates(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	backups := makeBackups(2)
	sameID := statecheck.CompareValue(compare.ValuesSame())
	step := func(extra string, action plancheck.ResourceActionType, checks ...statecheck.StateCheck) tfresource.TestStep {
		return tfresource.TestStep{
			Config: providerConfig(url) + syncConfig(backups, extra),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(testAddr, action),
				plancheck.ExpectKnownValue(testAddr, opPath(backups[1].BackupID), knownvalue.NotNull()),
			}},
			ConfigStateChecks: append(append(append(stateMatchesFake(fake, 2), statusesAre(backups, "", "")...),
				sameID.AddStateValue(testAddr, tfjsonpath.New("id")),
				checkFunc(expectTotals(fake, 1, 0))), checks...),
		}
	}
	first := step("", plancheck.ResourceActionCreate)
	first.ConfigPlanChecks.PreApply = first.ConfigPlanChecks.PreApply[:1]
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			first,
			step(`  timeouts = { create = "30m" }`, plancheck.ResourceActionUpdate,
				statecheck.ExpectKnownValue(testAddr, tfjsonpath.New("timeouts").AtMapKey("create"), knownvalue.StringExact("30m"))),
			step(`  timeouts = { create = "30m" }`+"\n  wait_for_completion = true", plancheck.ResourceActionUpdate,
				statecheck.ExpectKnownValue(testAddr, tfjsonpath.New("wait_for_completion"), knownvalue.Bool(true))),
			step("", plancheck.ResourceActionUpdate,
				statecheck.ExpectKnownValue(testAddr, tfjsonpath.New("timeouts"), knownvalue.Null()),
				statecheck.ExpectKnownValue(testAddr, tfjsonpath.New("wait_for_completion"), knownvalue.Bool(false))),
			{Config: providerConfig(url) + syncConfig(backups, ""), PlanOnly: true},
		},
		CheckDestroy: func(*terraform.State) error { return expectTotals(fake, 1, 0)() },
	})
}

// TestAccBackupSync_triggers: changing triggers sends every backup again,
// in place, exactly once per change.
func TestAccBackupSync_triggers(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	backups := makeBackups(2)
	allowImports(fake, 4, backups[0].BackupID, backups[1].BackupID)
	sameID := statecheck.CompareValue(compare.ValuesSame())
	step := func(triggers string, action plancheck.ResourceActionType, syncs int) tfresource.TestStep {
		checks := []plancheck.PlanCheck{plancheck.ExpectResourceAction(testAddr, action)}
		if action != plancheck.ResourceActionCreate {
			checks = append(checks,
				plancheck.ExpectUnknownValue(testAddr, opPath(backups[0].BackupID)),
				plancheck.ExpectUnknownValue(testAddr, syncStatePath(backups[1].BackupID)))
		}
		return tfresource.TestStep{
			Config:           providerConfig(url) + syncConfig(backups, triggers),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: checks},
			ConfigStateChecks: append(stateMatchesFake(fake, 2),
				sameID.AddStateValue(testAddr, tfjsonpath.New("id")),
				checkFunc(expectCalls(fake, cbrfake.KindSync, syncs)),
				checkFunc(func() error { return expectSynced(fake, 2*syncs)(nil) })),
		}
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			step(`  triggers = { run = "1" }`, plancheck.ResourceActionCreate, 1),
			step(`  triggers = { run = "2" }`, plancheck.ResourceActionUpdate, 2),
			step(`  triggers = { run = "2", ticket = "CHG-1234" }`, plancheck.ResourceActionUpdate, 3),
			step("", plancheck.ResourceActionUpdate, 4),
			{Config: providerConfig(url) + syncConfig(backups, ""), PlanOnly: true},
		},
	})
}

// TestAccBackupSync_timeoutValidation: bad timeouts are reported at plan time.
func TestAccBackupSync_timeoutValidation(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	backups := makeBackups(1)
	cases := map[string]string{
		`"0s"`:   `(?s)Invalid Timeout.*timeouts.create must be a positive duration such as "30m", got "0s"`,
		`"-10m"`: `(?s)Invalid Timeout.*timeouts.create must be a positive duration such as "30m", got "-10m"`,
		`"soon"`: `(?s)Invalid Attribute Value Time Duration.*"soon" must be a string containing a sequence of decimal numbers`,
	}
	var steps []tfresource.TestStep
	for value, want := range cases {
		steps = append(steps, tfresource.TestStep{
			Config:      providerConfig(url) + syncConfig(backups, "  timeouts = { create = "+value+" }"),
			PlanOnly:    true,
			ExpectError: errorLike(want),
		})
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps:                    steps,
		CheckDestroy:             func(*terraform.State) error { return expectTotals(fake, 0, 0)() },
	})
}

// plancheckFunc is a plan check that looks at something else than the plan.
type plancheckFunc func() error

func (f plancheckFunc) CheckPlan(_ context.Context, _ plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	resp.Error = f()
}

// TestWaitBackoff: the pause between rounds starts at Initial and doubles up
// to Max; finished operation logs are not read again.
func TestWaitBackoff(t *testing.T) {
	var mu sync.Mutex
	reads := map[string]int{}
	get := func(_ context.Context, id string) (*cbr.OperationLog, error) {
		mu.Lock()
		defer mu.Unlock()
		reads[id]++
		status := cbr.OpStatusRunning
		if id == "op-quick" && reads[id] >= 2 || reads[id] >= 7 {
			status = cbr.OpStatusSuccess
		}
		return &cbr.OperationLog{ID: id, Status: status}, nil
	}
	var slept []time.Duration
	p := pollPolicy{Initial: 2 * time.Second, Max: 30 * time.Second, sleep: func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		return nil
	}}
	waits := distinctOperationLogs([]string{"b1", "b2", "b3"}, map[string]string{"b1": "op-slow", "b2": "op-quick", "b3": "op-slow"})
	if len(waits) != 2 || !reflect.DeepEqual(waits[0].BackupIDs, []string{"b1", "b3"}) {
		t.Fatalf("distinct operation logs %+v", waits)
	}
	if err := waitForOperationLogs(context.Background(), opLogReader{Get: get}, waits, p); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	if !reflect.DeepEqual(slept, want) {
		t.Errorf("pauses %v, want %v", slept, want)
	}
	if reads["op-slow"] != 7 || reads["op-quick"] != 2 {
		t.Errorf("reads %v", reads)
	}
	if d := waitDiagnostic(nil, waits, 3); d != nil {
		t.Errorf("diagnostic for a success: %v", d)
	}
}

// TestWaitStopsAtOnceWhenInterrupted: cancelling the context (Ctrl-C) ends a
// pause of an hour at once.
func TestWaitStopsAtOnceWhenInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	waits := []*opLogWait{{ID: "op", BackupIDs: []string{"b"}}}
	go func() {
		// The first read answers "running" and cancels the context: the
		// wait must end then instead of pausing for an hour.
		done <- waitForOperationLogs(ctx, opLogReader{Get: func(context.Context, string) (*cbr.OperationLog, error) {
			go cancel()
			return &cbr.OperationLog{Status: cbr.OpStatusRunning}, nil
		}}, waits, pollPolicy{Initial: time.Hour, Max: time.Hour})
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("waiting did not stop when the context was cancelled")
	}
	d := waitDiagnostic(context.Canceled, waits, 1)
	if d == nil || d.Summary() != "Waiting for CBR Backup Sync Interrupted" || !strings.Contains(d.Detail(), "- operation log op (backup b): last status running") {
		t.Errorf("diagnostic %v", d)
	}
}

func TestTransientPollError(t *testing.T) {
	var syntax error
	if err := json.Unmarshal([]byte("{"), &struct{}{}); err != nil {
		syntax = err
	}
	cases := []struct {
		err  error
		want bool
	}{
		{&cbr.APIError{StatusCode: http.StatusTooManyRequests}, true},
		{&cbr.APIError{StatusCode: http.StatusInternalServerError}, true},
		{&cbr.APIError{StatusCode: http.StatusServiceUnavailable}, true},
		{&cbr.APIError{StatusCode: http.StatusNotFound}, false},
		{&cbr.APIError{StatusCode: http.StatusForbidden}, false},
		{&cbr.APIError{StatusCode: http.StatusUnauthorized}, false},
		{&cbr.TransportError{Err: errors.New("connection reset"), Sent: true}, true},
		{&cbr.ResponseError{Err: syntax}, true},
		{&cbr.ResponseError{Err: errors.New(`the answer has no operation_log.status`)}, false},
		{errors.New("invalid operation log ID"), false},
	}
	for _, c := range cases {
		if got := transientPollError(c.err); got != c.want {
			t.Errorf("transientPollError(%T %v) = %v, want %v", c.err, c.err, got, c.want)
		}
	}
}

// TestBackupSyncCreateInterrupted calls Create directly with a context that
// is cancelled while it waits, as Terraform does on Ctrl-C: Create returns at
// once with the record saved and an error saying what happened.
func TestBackupSyncCreateInterrupted(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	backups := makeBackups(2)
	fake.ScriptBackup(backups[1].BackupID, cbrfake.Step{Status: cbrfake.StatusRunning})
	client, err := cbr.New(cbr.Config{Endpoint: url, ProjectID: cbrfake.DefaultProjectID, Auth: cbr.TokenAuth(cbrfake.DefaultToken)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Interrupt at the start of the first pause of an hour, once both
	// operation logs have been read.
	r := &backupSyncResource{client: client, poll: pollPolicy{Initial: time.Hour, Max: time.Hour, sleep: func(ctx context.Context, d time.Duration) error {
		cancel()
		return pollPolicy{}.wait(ctx, d)
	}}}
	sr, null := resourceSchema(ctx, r)
	plan := tfsdk.Plan{Schema: sr.Schema, Raw: null}
	m := resourceModel(types.StringUnknown(), true, backups, func(e *backupModel) {
		e.OperationLogID, e.Status = types.StringUnknown(), types.StringUnknown()
	})
	if diags := plan.Set(ctx, m.data()); diags.HasError() {
		t.Fatal(diags)
	}
	config := tfsdk.Config{Schema: sr.Schema, Raw: configOf(t, ctx, sr, m)}

	resp := resource.CreateResponse{State: tfsdk.State{Schema: sr.Schema, Raw: null}}
	done := make(chan struct{})
	go func() {
		r.Create(ctx, resource.CreateRequest{Plan: plan, Config: config}, &resp)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Create did not return when the context was cancelled")
	}

	if resp.Diagnostics.ErrorsCount() != 1 {
		t.Fatalf("diagnostics %v", resp.Diagnostics)
	}
	d := resp.Diagnostics.Errors()[0]
	if d.Summary() != "Waiting for CBR Backup Sync Interrupted" || !strings.Contains(d.Detail(), "(backup "+backups[1].BackupID+"): last status running") ||
		!strings.Contains(d.Detail(), "the tasks go on in CBR") {
		t.Errorf("diagnostic %q: %s", d.Summary(), d.Detail())
	}
	var got backupSyncData
	if diags := resp.State.Get(ctx, &got); diags.HasError() {
		t.Fatal(diags)
	}
	synced := fake.Synced()
	if got.ID.IsNull() || len(got.Backups) != 2 || len(synced) != 2 {
		t.Fatalf("state %+v", got)
	}
	for i, want := range []string{"waiting", "running"} {
		id := backups[i].BackupID
		b := got.Backups[id]
		if synced[i].BackupID != id || b.Status.ValueString() != want || b.OperationLogID.ValueString() != synced[i].OperationLogID {
			t.Errorf("backups[%q]: status %s, operation_log_id %s (want %s, %s)", id, b.Status, b.OperationLogID, want, synced[i].OperationLogID)
		}
	}
	if lists, gets := fake.Count(cbrfake.KindOperationLogs), fake.Count(cbrfake.KindOperationLog); lists != 1 || gets != 0 {
		t.Errorf("%d list requests and %d reads by ID, want one list", lists, gets)
	}
}

// TestWaitDiagnostic covers outcomes the acceptance tests do not reach: a
// status the provider does not know, and several kinds of trouble at once.
func TestWaitDiagnostic(t *testing.T) {
	done := func(id, status string, backups ...string) *opLogWait {
		return &opLogWait{ID: id, BackupIDs: backups, Last: &cbr.OperationLog{ID: id, Status: status}}
	}
	t.Run("unknown status", func(t *testing.T) {
		d := waitDiagnostic(nil, []*opLogWait{done("op1", "success", "b1"), done("op2", "partial_success", "b2", "b3")}, 3)
		if d == nil || d.Summary() != "CBR Backup Sync Failed" {
			t.Fatalf("diagnostic %v", d)
		}
		for _, want := range []string{
			"Imported (status success or skipped): 1 of 3.",
			"Ended with a status the provider does not know:\n- operation log op2 (backups b2, b3): status \"partial_success\"",
			"none of them is sent again by the next apply",
		} {
			if !strings.Contains(d.Detail(), want) {
				t.Errorf("detail lacks %q:\n%s", want, d.Detail())
			}
		}
	})
	t.Run("skipped is fine", func(t *testing.T) {
		if d := waitDiagnostic(nil, []*opLogWait{done("op1", "skipped", "b1"), done("op2", "success", "b2")}, 2); d != nil {
			t.Errorf("diagnostic %v", d)
		}
	})
	t.Run("timeout with failures and read errors", func(t *testing.T) {
		failed := done("op1", "timeout", "b1")
		failed.Last.ErrorCode, failed.Last.ErrorMessage = "BackupService.1234", "took too long"
		stuck := &opLogWait{ID: "op2", BackupIDs: []string{"b2"}, Err: &cbr.APIError{Method: "GET", URL: "https://cbr/x", StatusCode: 503, RequestID: "r1"}}
		gone := &opLogWait{ID: "op3", BackupIDs: []string{"b3"}, Stopped: true, Err: &cbr.APIError{Method: "GET", URL: "https://cbr/y", StatusCode: 404, Code: "BackupService.0012", RequestID: "r2"}}
		d := waitDiagnostic(context.DeadlineExceeded, []*opLogWait{failed, stuck, gone}, 3)
		if d == nil || d.Summary() != "Timed Out Waiting for CBR Backup Sync" {
			t.Fatalf("diagnostic %v", d)
		}
		for _, want := range []string{
			"Imported (status success or skipped): 0 of 3.",
			"Failed:\n- operation log op1 (backup b1): status timeout, error_code BackupService.1234, error_msg \"took too long\"",
			"Still in progress:\n- operation log op2 (backup b2): not read yet; last read failed: GET https://cbr/x: HTTP 503 Service Unavailable, request id r1",
			"Could not be read:\n- operation log op3 (backup b3): CBR has no such operation log: GET https://cbr/y: HTTP 404 Not Found, error_code BackupService.0012",
			`data "cbr_operation_logs" "check" { ids = ["op2"] }`,
		} {
			if !strings.Contains(d.Detail(), want) {
				t.Errorf("detail lacks %q:\n%s", want, d.Detail())
			}
		}
	})
	t.Run("read errors only", func(t *testing.T) {
		denied := &opLogWait{ID: "op2", BackupIDs: []string{"b2"}, Stopped: true, Err: &cbr.APIError{Method: "GET", URL: "https://cbr/x", StatusCode: 403, RequestID: "r1"}}
		d := waitDiagnostic(nil, []*opLogWait{done("op1", "success", "b1"), denied}, 2)
		if d == nil || d.Summary() != "Unable to Check CBR Backup Sync" {
			t.Fatalf("diagnostic %v", d)
		}
		for _, want := range []string{
			"Imported (status success or skipped): 1 of 2.",
			"Could not be read:\n- operation log op2 (backup b2): GET https://cbr/x: HTTP 403 Forbidden, request id r1",
			`data "cbr_operation_logs" "check" { ids = ["op2"] }`,
		} {
			if !strings.Contains(d.Detail(), want) {
				t.Errorf("detail lacks %q:\n%s", want, d.Detail())
			}
		}
	})
}

// configOf is the configuration a plan model comes from: the backups keyed
// by backup_id, which is left out, and computed attributes null.
func configOf(t *testing.T, ctx context.Context, sr resource.SchemaResponse, m backupSyncModel) tftypes.Value {
	t.Helper()
	d := m.data()
	d.ID = types.StringNull()
	for k, b := range d.Backups {
		b.BackupID, b.OperationLogID, b.Status, b.SyncState = types.StringNull(), types.StringNull(), types.StringNull(), types.StringNull()
		d.Backups[k] = b
	}
	st := tfsdk.State{Schema: sr.Schema, Raw: tftypes.NewValue(sr.Schema.Type().TerraformType(ctx), nil)}
	if diags := st.Set(ctx, d); diags.HasError() {
		t.Fatal(diags)
	}
	return st.Raw
}

// TestWaitDiagnosticLongLists: each section lists the first operation logs
// and counts the others.
func TestWaitDiagnosticLongLists(t *testing.T) {
	var waits []*opLogWait
	for i := 0; i < waitListLimit+5; i++ {
		waits = append(waits, &opLogWait{ID: fmt.Sprintf("op-%02d", i), BackupIDs: []string{fmt.Sprintf("b-%02d", i)}, Last: &cbr.OperationLog{Status: cbr.OpStatusFailed}})
	}
	f, bad := findWaitProblems(nil, waits, len(waits))
	if !bad || !strings.Contains(f.Detail, "- operation log op-19 (backup b-19)") || strings.Contains(f.Detail, "op-20") ||
		!strings.Contains(f.Detail, "- and 5 more operation logs") {
		t.Errorf("%s", f.Detail)
	}
}

// TestAccBackupSync_waitFailedAsWarning: with fail_on_import_failure = false
// a failed import is a warning: the apply succeeds, nothing is tainted, the
// statuses are in the state, and an output listing the failed backups is
// evaluated. The next plan sends nothing.
func TestAccBackupSync_waitFailedAsWarning(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	backups := makeBackups(3)
	fake.ScriptBackup(backups[1].BackupID, cbrfake.Step{Status: cbrfake.StatusRunning},
		cbrfake.Step{Status: cbrfake.StatusFailed, ErrorCode: "BackupService.6302", ErrorMessage: "The backup chain in the bucket is incomplete"})
	cfg := providerConfig(url) + syncConfig(backups, "  wait_for_completion = true\n  fail_on_import_failure = false") + `
output "failed_backups" {
  value = [for b in cbr_backup_sync.test.backups : b.backup_id if contains(["failed", "timeout"], coalesce(b.status, "none"))]
}
`
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{
				Config: cfg,
				ConfigStateChecks: append(append(stateMatchesFake(fake, 3), statusesAre(backups, "success", "failed", "success")...),
					checkFunc(expectCalls(fake, cbrfake.KindSync, 1)),
					statecheck.ExpectKnownOutputValue("failed_backups", knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact(backups[1].BackupID)})),
				),
			},
			{
				// Not tainted: nothing to replace, nothing sent again.
				Config:           cfg,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: []statecheck.StateCheck{
					checkFunc(expectCalls(fake, cbrfake.KindSync, 1)),
				},
			},
		},
	})
}

// waitDiagnostic is the error the resource reports after waiting found
// problems in a create: what findWaitProblems found, and waitAdvice. It is
// nil when every import succeeded (or was skipped).
func waitDiagnostic(waitErr error, waits []*opLogWait, requested int) diag.Diagnostic {
	f, bad := findWaitProblems(waitErr, waits, requested)
	if !bad {
		return nil
	}
	return diag.NewErrorDiagnostic(f.Summary, f.Detail+waitAdvice(true, f))
}
