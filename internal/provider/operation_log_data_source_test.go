package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

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

func opLogDataConfig(url, id string) string {
	return providerConfig(url) + fmt.Sprintf("data \"cbr_operation_log\" \"test\" {\n  id = %q\n}\n", id)
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
