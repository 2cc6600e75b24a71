package provider

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

const testLogsAddr = "data.cbr_operation_logs.test"

// opLogsConfig renders the provider and a cbr_operation_logs with args.
func opLogsConfig(url, args string) string {
	return providerConfig(url) + "data \"cbr_operation_logs\" \"test\" {\n" + args + "}\n"
}

// testClock is a settable clock for the fake.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func logsAttr(i int, name string) tfjsonpath.Path {
	return tfjsonpath.New("operation_logs").AtSliceIndex(i).AtMapKey(name)
}

// TestAccOperationLogsDataSource_paging reads 1,050 operation logs: two list
// requests per read, none by ID.
func TestAccOperationLogsDataSource_paging(t *testing.T) {
	const n = 1050
	fake, url := startFake(t, cbrfake.Options{})
	fake.SetDefaultScript(cbrfake.Step{Status: cbrfake.StatusSuccess})
	backups := makeBackups(n)
	for i := 0; i < n; i += cbr.MaxSyncEntries {
		fakeSync(t, url, backups[i:i+cbr.MaxSyncEntries])
	}
	synced := fake.Synced()
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{{
			Config: opLogsConfig(url, ""),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testLogsAddr, tfjsonpath.New("operation_type"), knownvalue.StringExact("sync")),
				statecheck.ExpectKnownValue(testLogsAddr, tfjsonpath.New("operation_logs"), knownvalue.ListSizeExact(n)),
				statecheck.ExpectKnownValue(testLogsAddr, logsAttr(0, "status"), knownvalue.StringExact("success")),
				statecheck.ExpectKnownValue(testLogsAddr, logsAttr(0, "sync_backup_num"), knownvalue.Int64Exact(1)),
				statecheck.ExpectKnownValue(testLogsAddr, logsAttr(0, "error_info"), knownvalue.ObjectExact(map[string]knownvalue.Check{
					"code": knownvalue.Null(), "message": knownvalue.Null(),
				})),
				statecheck.ExpectKnownValue(testLogsAddr, logsAttr(n-1, "vault_id"), knownvalue.StringExact(cbrfake.DefaultVaultID)),
				statecheck.ExpectKnownValue(testLogsAddr, logsAttr(n-1, "created_at"), knownvalue.NotNull()),
				checkFunc(func() error {
					lists, gets := fake.Count(cbrfake.KindOperationLogs), fake.Count(cbrfake.KindOperationLog)
					if lists == 0 || lists%2 != 0 || gets != 0 {
						return fmt.Errorf("%d list requests and %d reads by ID, want two list requests per read", lists, gets)
					}
					for _, s := range synced {
						if fake.OperationLogReads(s.OperationLogID) != lists/2 {
							return fmt.Errorf("operation log %s was read %d times in %d reads", s.OperationLogID, fake.OperationLogReads(s.OperationLogID), lists/2)
						}
					}
					return nil
				}),
			},
		}},
	})
}

// TestAccOperationLogsDataSource_filters: status and a time window given in
// another zone; ids with a log the list leaves out (read by ID) and one the
// window excludes.
func TestAccOperationLogsDataSource_filters(t *testing.T) {
	t0 := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	clk := &testClock{t: t0}
	fake, url := startFake(t, cbrfake.Options{Now: clk.Now})
	backups := makeBackups(5)
	fake.ScriptBackup(backups[1].BackupID, cbrfake.Step{Status: cbrfake.StatusFailed, ErrorCode: "BackupService.6302", ErrorMessage: "The backup chain in the bucket is incomplete"})
	fake.ScriptBackup(backups[3].BackupID, cbrfake.Step{Status: cbrfake.StatusFailed})
	fake.SetDefaultScript(cbrfake.Step{Status: cbrfake.StatusSuccess})
	fake.HideBackupsFromList(backups[4].BackupID)
	early := fakeSync(t, url, backups[:2]) // 09:00
	clk.Set(t0.Add(time.Hour))
	late := fakeSync(t, url, backups[2:]) // 10:00
	ids := func(list ...string) string { return `  ids = ["` + strings.Join(list, `", "`) + `"]` + "\n" }
	// Logs created at the same time come in the order of their IDs.
	sameTime := func(ids ...string) []string {
		sort.Strings(ids)
		return ids
	}
	onlyIDs := func(want ...string) statecheck.StateCheck {
		var checks []knownvalue.Check
		for _, w := range want {
			checks = append(checks, knownvalue.ObjectPartial(map[string]knownvalue.Check{"id": knownvalue.StringExact(w)}))
		}
		return statecheck.ExpectKnownValue(testLogsAddr, tfjsonpath.New("operation_logs"), knownvalue.ListExact(checks))
	}
	getsOf := func(want int) statecheck.StateCheck {
		return checkFunc(func() error {
			if n := fake.OperationLogGets(late[backups[4].BackupID]); n != want {
				return fmt.Errorf("the hidden log was read %d times by ID, want %d", n, want)
			}
			return nil
		})
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{
				Config: opLogsConfig(url, "  status = \"failed\"\n"),
				ConfigStateChecks: []statecheck.StateCheck{
					onlyIDs(late[backups[3].BackupID], early[backups[1].BackupID]),
					statecheck.ExpectKnownValue(testLogsAddr, logsAttr(1, "error_info"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"code": knownvalue.StringExact("BackupService.6302"), "message": knownvalue.StringExact("The backup chain in the bucket is incomplete"),
					})),
					getsOf(0),
				},
			},
			{
				// 10:30+01:00 is 09:30 UTC: the late sync only (without the hidden log).
				Config:            opLogsConfig(url, "  start_time = \"2026-03-14T10:30:00+01:00\"\n  end_time = \"2026-03-14T10:00:00.5Z\"\n"),
				ConfigStateChecks: []statecheck.StateCheck{onlyIDs(sameTime(late[backups[3].BackupID], late[backups[2].BackupID])...), getsOf(0)},
			},
			{
				Config:            opLogsConfig(url, "  ids = []\n"),
				ConfigStateChecks: []statecheck.StateCheck{onlyIDs()},
			},
			{
				Config:            opLogsConfig(url, "  end_time = \"2026-03-14T09:00:00Z\"\n  status = \"success\"\n"),
				ConfigStateChecks: []statecheck.StateCheck{onlyIDs(early[backups[0].BackupID])},
			},
			{
				// The hidden log is read by ID; the early one, outside the
				// window, is read by ID and left out.
				Config: opLogsConfig(url, "  start_time = \"2026-03-14T09:30:00Z\"\n"+ids(late[backups[4].BackupID], late[backups[2].BackupID], early[backups[0].BackupID])),
				ConfigStateChecks: []statecheck.StateCheck{
					onlyIDs(sameTime(late[backups[4].BackupID], late[backups[2].BackupID])...),
					checkFunc(func() error {
						if fake.OperationLogGets(late[backups[4].BackupID]) == 0 || fake.OperationLogGets(early[backups[0].BackupID]) == 0 ||
							fake.OperationLogGets(late[backups[2].BackupID]) != 0 {
							return fmt.Errorf("reads by ID: hidden %d, outside the window %d, listed %d", fake.OperationLogGets(late[backups[4].BackupID]),
								fake.OperationLogGets(early[backups[0].BackupID]), fake.OperationLogGets(late[backups[2].BackupID]))
						}
						return nil
					}),
				},
			},
		},
	})
}

// TestAccOperationLogsDataSource_errors: every argument is checked at plan
// time on its path; an unknown ID and a refused list are errors at read time.
func TestAccOperationLogsDataSource_errors(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	backups := makeBackups(1)
	ops := fakeSync(t, url, backups)
	const missing = "5a4f03d8-8a5b-4b1c-9d7e-000000000404"
	plan := func(args, want string) tfresource.TestStep {
		return tfresource.TestStep{Config: opLogsConfig(url, args), PlanOnly: true, ExpectError: errorLike(want)}
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			plan("  start_time = \"2026-03-14 09:00:00\"\n", `(?s)Invalid Time.*start_time must be an RFC 3339 time such as "2026-03-14T09:00:00Z".*got "2026-03-14 09:00:00"`),
			plan("  end_time = \"1710408413\"\n", `(?s)Invalid Time.*end_time must be an RFC 3339 time.*got "1710408413"`),
			plan("  start_time = \"2026-03-14T10:00:00Z\"\n  end_time = \"2026-03-14T10:30:00+01:00\"\n",
				`(?s)End Time Before Start Time.*end_time "2026-03-14T10:30:00\+01:00" is before start_time "2026-03-14T10:00:00Z"`),
			plan("  status = \"done\"\n", `(?s)Invalid Value.*status "done" is not an operation log status: want one of success, skipped, failed, running, timeout, waiting`),
			plan("  operation_type = \"SYNC\"\n", `(?s)Invalid Value.*operation_type "SYNC" is not an operation type: want one of backup, copy`),
			plan("  ids = [\"a/b\"]\n", `(?s)Invalid Operation Log ID.*ids\[Value\("a/b"\)\] "a/b" is not an operation log ID`),
			plan("  ids = [\" \"]\n", `(?s)Blank Value.*must not be empty`),
			{
				Config:      opLogsConfig(url, "  ids = [\""+ops[backups[0].BackupID]+"\", \""+missing+"\"]\n"),
				ExpectError: errorLike(`(?s)Operation Log Not Found.*CBR has no operation log "` + missing + `" in project ` + cbrfake.DefaultProjectID),
			},
			{
				PreConfig: func() {
					fake.InjectFault(cbrfake.KindOperationLogs, cbrfake.Fault{Status: 403, ErrorCode: "BackupService.0403", ErrorMsg: "no permission to list operation logs"})
				},
				Config:      opLogsConfig(url, ""),
				ExpectError: errorLike(`(?s)Unable to List CBR Operation Logs.*HTTP status: 403.*error_code: BackupService.0403.*error_msg: no permission to list operation logs.*request id: [0-9a-f]{32}`),
			},
		},
	})
}
