package cbrfake

import (
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1/model"
)

func getOpLog(t *testing.T, base, id string) (map[string]any, *model.OperationLog) {
	t.Helper()
	r, sdk := sdkGet[model.ShowOpLogResponse](t, base+opLogPath(DefaultProjectID, id))
	if sdk == nil {
		t.Fatalf("status %d %s", r.status, r.body)
	}
	m := as[map[string]any](t, r.json(t)["operation_log"], "operation_log")
	return m, sdk.OperationLog
}

// sdkGet reads url with the default token and decodes a 200 answer with the
// SDK's model T; nil for another status.
func sdkGet[T any](t *testing.T, url string) (result, *T) {
	t.Helper()
	r := do(t, http.MethodGet, url, nil, tokenHeaders())
	if r.status != http.StatusOK {
		return r, nil
	}
	var sdk T
	if err := json.Unmarshal(r.body, &sdk); err != nil {
		t.Fatalf("SDK model cannot decode %s: %v", r.body, err)
	}
	return r, &sdk
}

func TestOperationLogProgression(t *testing.T) {
	clk := newClock(fixedNow)
	s, base := newStarted(t, Options{Now: clk.Now})
	items := decodeSyncAnswer(t, postSync(t, base, syncBody(entry(0))))
	id := items[0].OperationLogID

	m, ol := getOpLog(t, base, id)
	// Field names as in the SDK model.
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := []string{"created_at", "error_info", "extra_info", "id", "operation_type", "project_id", "provider_id", "started_at", "status", "updated_at", "vault_id", "vault_name"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("fields %v, want %v", keys, want)
	}
	if ol.Status.Value() != "waiting" || ol.Id != id || ol.OperationType.Value() != "sync" || ol.ProjectId != DefaultProjectID ||
		ol.VaultId == nil || *ol.VaultId != DefaultVaultID || ol.VaultName == nil || *ol.VaultName != DefaultVaultName {
		t.Errorf("op log %+v", ol)
	}
	if ol.CreatedAt != "2026-03-14T09:26:53.589793" || ol.StartedAt != ol.CreatedAt {
		t.Errorf("created_at %q started_at %q", ol.CreatedAt, ol.StartedAt)
	}
	if _, err := time.Parse(OpLogTimeFormat, ol.UpdatedAt); err != nil {
		t.Error(err)
	}
	ei := ol.ExtraInfo
	if ei == nil || ei.Sync == nil || *ei.Sync.SyncBackupNum != 1 || *ei.Sync.ErrSyncBackupNum != 0 || *ei.Sync.DeleteBackupNum != 0 ||
		ei.Common == nil || ei.Common.Progress != 0 || ei.Common.RequestId != s.Requests()[0].RequestID ||
		ei.Resource == nil || ei.Resource.Id != "96f7512d-239d-3f31-80cf-d1ce041df9a6" || ei.Resource.Type != "OS::Native::Server" {
		t.Errorf("extra_info %+v", m["extra_info"])
	}
	if st, _ := s.OperationLog(id); st != "waiting" {
		t.Errorf("OperationLog = %q", st)
	}

	clk.Advance(time.Second)
	_, ol = getOpLog(t, base, id)
	if ol.Status.Value() != "running" || ol.ExtraInfo.Common.Progress != 50 || ol.EndedAt != nil || ol.UpdatedAt != "2026-03-14T09:26:54.589793" {
		t.Errorf("second read %+v", ol)
	}
	clk.Advance(time.Second)
	m, ol = getOpLog(t, base, id)
	if ol.Status.Value() != "success" || ol.ExtraInfo.Common.Progress != 100 || ol.EndedAt == nil || *ol.EndedAt != "2026-03-14T09:26:55.589793" {
		t.Errorf("third read %+v", m)
	}
	clk.Advance(time.Second)
	_, ol = getOpLog(t, base, id)
	if ol.Status.Value() != "success" || *ol.EndedAt != "2026-03-14T09:26:55.589793" || ol.UpdatedAt != "2026-03-14T09:26:55.589793" {
		t.Errorf("last step must stay: %+v", ol)
	}
	if st, ok := s.OperationLog(id); !ok || st != "success" {
		t.Errorf("OperationLog = %q %v", st, ok)
	}
	if n := s.OperationLogReads(id); n != 4 {
		t.Errorf("reads = %d", n)
	}
	if n := s.Count(KindOperationLog); n != 4 {
		t.Errorf("Count(operation_log) = %d", n)
	}
}

func TestOperationLogScripts(t *testing.T) {
	s, base := newStarted(t, Options{})
	e0, e1, e2 := entry(0), entry(1), entry(2)
	s.ScriptBackup(as[string](t, e0["backup_id"], "backup_id"), Step{Status: StatusRunning}, Step{Status: StatusFailed, ErrorCode: "BackupService.6302", ErrorMessage: "chain broken"})
	s.ScriptBackup(as[string](t, e1["backup_id"], "backup_id"), Step{Status: StatusTimeout})
	s.SetDefaultScript(Step{Status: StatusSkipped})
	items := decodeSyncAnswer(t, postSync(t, base, syncBody(e0, e1, e2)))

	_, ol := getOpLog(t, base, items[0].OperationLogID)
	if ol.Status.Value() != "running" || *ol.ErrorInfo.Code != "" {
		t.Errorf("first step %+v", ol)
	}
	_, ol = getOpLog(t, base, items[0].OperationLogID)
	if ol.Status.Value() != "failed" || *ol.ErrorInfo.Code != "BackupService.6302" || *ol.ErrorInfo.Message != "chain broken" ||
		*ol.ExtraInfo.Sync.ErrSyncBackupNum != 1 {
		t.Errorf("failed step %+v %+v", ol, ol.ErrorInfo)
	}
	_, ol = getOpLog(t, base, items[1].OperationLogID)
	if ol.Status.Value() != "timeout" || *ol.ErrorInfo.Code != "BackupService.9999" || *ol.ErrorInfo.Message == "" {
		t.Errorf("timeout %+v", ol.ErrorInfo)
	}
	_, ol = getOpLog(t, base, items[2].OperationLogID)
	if ol.Status.Value() != "skipped" {
		t.Errorf("default script: %s", ol.Status.Value())
	}

	// Restoring the defaults.
	s.SetDefaultScript()
	s.ScriptBackup(as[string](t, e0["backup_id"], "backup_id"))
	items = decodeSyncAnswer(t, postSync(t, base, syncBody(e0)))
	if _, ol = getOpLog(t, base, items[0].OperationLogID); ol.Status.Value() != "waiting" {
		t.Errorf("restored default: %s", ol.Status.Value())
	}

	defer func() {
		if recover() == nil {
			t.Error("invalid status accepted")
		}
	}()
	s.ScriptBackup("x", Step{Status: "done"})
}

func TestOperationLogShared(t *testing.T) {
	s, base := newStarted(t, Options{SharedOperationLog: true})
	e0, e1 := entry(0), entry(1)
	e1["resource_id"] = "another-resource"
	s.ScriptBackup(as[string](t, e1["backup_id"], "backup_id"), Step{Status: StatusFailed})
	items := decodeSyncAnswer(t, postSync(t, base, syncBody(e0, e1)))
	m, ol := getOpLog(t, base, items[0].OperationLogID)
	if ol.Status.Value() != "failed" || *ol.ExtraInfo.Sync.SyncBackupNum != 2 || *ol.ExtraInfo.Sync.ErrSyncBackupNum != 2 {
		t.Errorf("shared op log %+v", m)
	}
	if ei := as[map[string]any](t, m["extra_info"], "operation_log.extra_info"); ei["resource"] != nil {
		t.Errorf("resource of entries of different resources = %v", ei["resource"])
	}
}

func TestOperationLogErrors(t *testing.T) {
	s, base := newStarted(t, Options{})
	wantError(t, do(t, http.MethodGet, base+opLogPath(DefaultProjectID, "154f0a9d-ba53-4e91-a3e2-a918710a9e0d"), nil, map[string]string{"X-Auth-Token": DefaultToken}),
		404, "BackupService.0012", "operation log 154f0a9d-ba53-4e91-a3e2-a918710a9e0d not found")
	items := decodeSyncAnswer(t, postSync(t, base, syncBody(entry(0))))
	wantError(t, do(t, http.MethodGet, base+opLogPath("ffffffffffffffffffffffffffffffff", items[0].OperationLogID), nil, map[string]string{"X-Auth-Token": DefaultToken}),
		403, "BackupService.0006", "ffffffffffffffffffffffffffffffff")
	wantError(t, do(t, http.MethodGet, base+opLogPath(DefaultProjectID, items[0].OperationLogID), nil, nil),
		401, "APIGW.0301", "Authorization header or X-Auth-Token is required")
	if n := s.OperationLogReads(items[0].OperationLogID); n != 0 {
		t.Errorf("rejected reads advanced the script: %d", n)
	}
	if _, ok := s.OperationLog("nope"); ok {
		t.Error("OperationLog(nope) ok")
	}
}

func TestOperationLogVault(t *testing.T) {
	_, base := newStarted(t, Options{VaultID: "vault-1", VaultName: "on-prem imports"})
	items := decodeSyncAnswer(t, postSync(t, base, syncBody(entry(0))))
	m, _ := getOpLog(t, base, items[0].OperationLogID)
	if m["vault_id"] != "vault-1" || m["vault_name"] != "on-prem imports" {
		t.Errorf("vault %v %v", m["vault_id"], m["vault_name"])
	}
}
