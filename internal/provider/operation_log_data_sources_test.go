package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

const testDataAddr = "data.cbr_operation_log.test"

// fakeSync sends one sync request straight to the fake API (not through the
// provider) and returns the operation log ID of each backup.
func fakeSync(t *testing.T, url string, backups []testBackup) map[string]string {
	t.Helper()
	body, err := json.Marshal(map[string]any{"sync": backups})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, url+"/v3/"+cbrfake.DefaultProjectID+"/backups/sync", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", cbrfake.DefaultToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct {
		Sync []struct {
			BackupID       string `json:"backup_id"`
			OperationLogID string `json:"operation_log_id"`
		} `json:"sync"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || resp.StatusCode != 200 {
		t.Fatalf("sync: HTTP %d, %v", resp.StatusCode, err)
	}
	ids := map[string]string{}
	for _, s := range answer.Sync {
		ids[s.BackupID] = s.OperationLogID
	}
	return ids
}

// fakeOpLog reads an operation log straight from the fake API, as raw JSON.
func fakeOpLog(url, id string) (map[string]any, error) {
	req, _ := http.NewRequest(http.MethodGet, url+"/v3/"+cbrfake.DefaultProjectID+"/operation-logs/"+id, nil)
	req.Header.Set("X-Auth-Token", cbrfake.DefaultToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var answer struct {
		OperationLog map[string]any `json:"operation_log"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET operation log %s: HTTP %d, %v", id, resp.StatusCode, err)
	}
	return answer.OperationLog, nil
}

// opLogDataMatchesFake compares every attribute of the data source in the
// state with the fake API's own answer for that operation log, read after
// the apply. The scripts used keep an operation log's answer stable once it
// has been read.
type opLogDataMatchesFake struct{ url string }

func (c opLogDataMatchesFake) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	var got map[string]any
	for _, r := range req.State.Values.RootModule.Resources {
		if r.Address == testDataAddr {
			got = r.AttributeValues
		}
	}
	if got == nil {
		resp.Error = fmt.Errorf("%s not in state", testDataAddr)
		return
	}
	id, _ := got["id"].(string)
	raw, err := c.fakeAnswer(id)
	if err != nil {
		resp.Error = err
		return
	}
	// "" and absent both mean "not set": null in the state.
	str := func(v any) any {
		if s, ok := v.(string); ok && s != "" {
			return s
		}
		return nil
	}
	num := func(v any) any {
		if f, ok := v.(float64); ok {
			return json.Number(fmt.Sprint(int64(f)))
		}
		return nil
	}
	ei, _ := raw["error_info"].(map[string]any)
	extra, _ := raw["extra_info"].(map[string]any)
	sync, _ := extra["sync"].(map[string]any)
	want := map[string]any{
		"id": raw["id"], "status": raw["status"], "operation_type": raw["operation_type"],
		"started_at": str(raw["started_at"]), "ended_at": str(raw["ended_at"]), "updated_at": str(raw["updated_at"]),
		"vault_id": str(raw["vault_id"]), "vault_name": str(raw["vault_name"]),
		"error_info":      map[string]any{"code": str(ei["code"]), "message": str(ei["message"])},
		"sync_backup_num": num(sync["sync_backup_num"]), "delete_backup_num": num(sync["delete_backup_num"]), "err_sync_backup_num": num(sync["err_sync_backup_num"]),
	}
	if len(got) != len(want) {
		resp.Error = fmt.Errorf("state has %d attributes, want %d: %v", len(got), len(want), got)
		return
	}
	for k, w := range want {
		if fmt.Sprint(got[k]) != fmt.Sprint(w) {
			resp.Error = fmt.Errorf("%s.%s = %v, the fake answered %v", testDataAddr, k, got[k], w)
			return
		}
	}
}

func (c opLogDataMatchesFake) fakeAnswer(id string) (map[string]any, error) {
	return fakeOpLog(c.url, id)
}

// opLogDataConfig renders the provider and a cbr_operation_log of the ID id.
func opLogDataConfig(url, id string) string {
	return opLogDataSourceConfig(url, "cbr_operation_log", fmt.Sprintf("  id = %q\n", id))
}

// opLogsConfig renders the provider and a cbr_operation_logs with args.
func opLogsConfig(url, args string) string {
	return opLogDataSourceConfig(url, "cbr_operation_logs", args)
}

// opLogDataSourceConfig renders the provider and a data source of type typ
// named test, with args.
func opLogDataSourceConfig(url, typ, args string) string {
	return providerConfig(url) + "data \"" + typ + "\" \"test\" {\n" + args + "}\n"
}

// TestAccOperationLogDataSource reads a failed and a running sync task, an
// unknown ID and invalid IDs.
func TestAccOperationLogDataSource(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	backups := makeBackups(2)
	fake.ScriptBackup(backups[0].BackupID, cbrfake.Step{Status: cbrfake.StatusFailed, ErrorCode: "BackupService.6302", ErrorMessage: "The backup chain in the bucket is incomplete"})
	fake.ScriptBackup(backups[1].BackupID, cbrfake.Step{Status: cbrfake.StatusRunning})
	ops := fakeSync(t, url, backups)
	failed, running := ops[backups[0].BackupID], ops[backups[1].BackupID]
	const missing = "5a4f03d8-8a5b-4b1c-9d7e-000000000404"
	attr := func(name string) tfjsonpath.Path { return tfjsonpath.New(name) }

	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			// Errors first: the destroy at the end uses the last configuration.
			{
				Config: opLogDataConfig(url, missing),
				ExpectError: errorLike(`(?s)Operation Log Not Found.*CBR has no operation log "` + missing + `" in project ` + cbrfake.DefaultProjectID +
					`.*HTTP status: 404.*error_code: BackupService.0012.*error_msg: The operation log does not exist.*request id: [0-9a-f]{32}`),
			},
			{Config: opLogDataConfig(url, "a/b"), PlanOnly: true, ExpectError: errorLike(`(?s)Invalid Operation Log ID.*id "a/b" is not an operation log ID`)},
			{Config: opLogDataConfig(url, " "), PlanOnly: true, ExpectError: errorLike(`(?s)Blank Value.*id must not be empty`)},
			{
				Config: opLogDataConfig(url, failed),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testDataAddr, attr("status"), knownvalue.StringExact("failed")),
					statecheck.ExpectKnownValue(testDataAddr, attr("operation_type"), knownvalue.StringExact("sync")),
					statecheck.ExpectKnownValue(testDataAddr, attr("error_info"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"code":    knownvalue.StringExact("BackupService.6302"),
						"message": knownvalue.StringExact("The backup chain in the bucket is incomplete"),
					})),
					statecheck.ExpectKnownValue(testDataAddr, attr("vault_id"), knownvalue.StringExact(cbrfake.DefaultVaultID)),
					statecheck.ExpectKnownValue(testDataAddr, attr("vault_name"), knownvalue.StringExact(cbrfake.DefaultVaultName)),
					statecheck.ExpectKnownValue(testDataAddr, attr("ended_at"), knownvalue.NotNull()),
					statecheck.ExpectKnownValue(testDataAddr, attr("sync_backup_num"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(testDataAddr, attr("delete_backup_num"), knownvalue.Int64Exact(0)),
					statecheck.ExpectKnownValue(testDataAddr, attr("err_sync_backup_num"), knownvalue.Int64Exact(1)),
					opLogDataMatchesFake{url: url},
				},
			},
			{
				Config: opLogDataConfig(url, running),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testDataAddr, attr("status"), knownvalue.StringExact("running")),
					statecheck.ExpectKnownValue(testDataAddr, attr("ended_at"), knownvalue.Null()),
					statecheck.ExpectKnownValue(testDataAddr, attr("error_info"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"code": knownvalue.Null(), "message": knownvalue.Null(),
					})),
					statecheck.ExpectKnownValue(testDataAddr, attr("err_sync_backup_num"), knownvalue.Int64Exact(0)),
					opLogDataMatchesFake{url: url},
				},
			},
		},
	})
}

// TestAccOperationLogDataSource_fromResource reads the operation logs of a
// cbr_backup_sync created in the same apply: the IDs are only known then.
func TestAccOperationLogDataSource_fromResource(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	// A task that has ended stays as it is, so later plans show no change.
	fake.SetDefaultScript(cbrfake.Step{Status: cbrfake.StatusSuccess})
	backups := makeBackups(3)
	cfg := providerConfig(url) + backupsConfig(backups) + `
data "cbr_operation_log" "each" {
  count = length(cbr_backup_sync.test.backups)
  id    = values(cbr_backup_sync.test.backups)[count.index].operation_log_id
}

output "statuses" {
  value = data.cbr_operation_log.each[*].status
}
`
	// (count rather than for_each: the test framework's state shim does not
	// support for_each keys.)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{{
			Config: cfg,
			ConfigStateChecks: append(stateMatchesFake(fake, 3),
				statecheck.ExpectKnownOutputValue("statuses", knownvalue.ListExact([]knownvalue.Check{
					knownvalue.StringExact("success"), knownvalue.StringExact("success"), knownvalue.StringExact("success"),
				})),
				// The IDs are unknown at plan time: each operation log is read in the apply.
				checkFunc(func() error {
					for _, s := range fake.Synced() {
						if n := fake.OperationLogReads(s.OperationLogID); n != 1 {
							return fmt.Errorf("operation log %s of %s was read %d times, want 1", s.OperationLogID, s.BackupID, n)
						}
					}
					return nil
				}),
			),
		}},
	})
}

// checkFunc is a state check that looks at something else than the state,
// such as the fake API's records.
type checkFunc func() error

func (f checkFunc) CheckState(_ context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = f()
}

const testLogsAddr = "data.cbr_operation_logs.test"

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
	clk := cbrfake.NewClock(t0)
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
