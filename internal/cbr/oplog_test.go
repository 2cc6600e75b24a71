package cbr

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// docAnswer is shaped like the example answer of CBR's "Querying a Task"
// API page, with a sync task's extra_info.
const docAnswer = `{
  "operation_log" : {
    "status" : "failed",
    "provider_id" : "0daac4c5-6707-4851-97ba-169e36266b66",
    "checkpoint_id" : "b432511f-d889-428f-8b0e-5f47c524c6b6",
    "updated_at" : "2019-05-23T14:35:23.584418",
    "error_info" : { "message" : "OBS bucket not found", "code" : "BackupService.6302" },
    "started_at" : "2019-05-23T14:31:36.007230",
    "id" : "154f0a9d-ba53-4e91-a3e2-a918710a9e0d",
    "extra_info" : {
      "resource" : { "type" : "OS::Native::Server", "id" : "96f7512d-239d-3f31-80cf-d1ce041df9a6", "name" : "vm-01" },
      "common" : { "progress" : 100, "request_id" : "req-cdb98cc4-e87b-4f40-9b4a-57ec036620bc" },
      "sync" : { "sync_backup_num" : 3, "delete_backup_num" : 0, "err_sync_backup_num" : 2 }
    },
    "ended_at" : "2019-05-23T14:35:23.511155",
    "created_at" : "2019-05-23T14:31:36.039365",
    "operation_type" : "sync",
    "project_id" : "0b1d2f3e4a5c6d7e8f9a0b1c2d3e4f5a",
    "vault_id" : "3b5816b5-f29c-4172-9d9a-76c719a659ce",
    "vault_name" : "vault-hybrid"
  }
}`

const testOpID = "154f0a9d-ba53-4e91-a3e2-a918710a9e0d"

func int64p(n int64) *int64 { return &n }
func strp(s string) *string { return &s }

func answerWith(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "rid-op")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestGetOperationLogRequestAndDecoding(t *testing.T) {
	var got *http.Request
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		got = r
		answerWith(200, docAnswer)(w, r)
	})
	ol, err := c.GetOperationLog(context.Background(), testOpID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Method != http.MethodGet || got.URL.Path != "/v3/"+testProject+"/operation-logs/"+testOpID || got.ContentLength != 0 {
		t.Errorf("request %s %s (%d bytes)", got.Method, got.URL.Path, got.ContentLength)
	}
	if got.Header.Get("X-Auth-Token") != "tok-123" || got.Header.Get("Content-Type") != "" {
		t.Errorf("headers %v", got.Header)
	}
	want := &OperationLog{
		ID: testOpID, Status: "failed", OperationType: "sync",
		CreatedAt: "2019-05-23T14:31:36.039365", StartedAt: "2019-05-23T14:31:36.007230", UpdatedAt: "2019-05-23T14:35:23.584418",
		EndedAt: strp("2019-05-23T14:35:23.511155"), VaultID: strp("3b5816b5-f29c-4172-9d9a-76c719a659ce"), VaultName: strp("vault-hybrid"),
		ErrorCode: "BackupService.6302", ErrorMessage: "OBS bucket not found",
		Sync:      &OpSyncInfo{SyncBackupNum: int64p(3), DeleteBackupNum: int64p(0), ErrSyncBackupNum: int64p(2)},
		RequestID: "rid-op",
	}
	if !reflect.DeepEqual(ol, want) {
		t.Errorf("got  %+v\nwant %+v", ol, want)
	}
}

// TestGetOperationLogTolerance: answers that the SDK's model cannot decode,
// or decodes wrongly, but that carry everything the provider needs.
func TestGetOperationLogTolerance(t *testing.T) {
	cases := []struct {
		name string
		body string
		want func(*OperationLog) bool
	}{
		{"running: no ended_at, empty error_info, no vault", `{"operation_log":{"id":"` + testOpID + `","status":"running","error_info":{"code":"","message":""},"extra_info":{"common":{"progress":50,"request_id":"r"},"sync":{"sync_backup_num":1}}}}`,
			func(o *OperationLog) bool {
				return o.Status == "running" && o.EndedAt == nil && o.VaultID == nil && o.ErrorCode == "" && o.ErrorMessage == "" &&
					*o.Sync.SyncBackupNum == 1 && o.Sync.DeleteBackupNum == nil && o.Sync.ErrSyncBackupNum == nil
			}},
		{"empty strings are absent", `{"operation_log":{"status":"success","ended_at":"","vault_id":"","vault_name":""}}`,
			func(o *OperationLog) bool {
				return o.EndedAt == nil && o.VaultID == nil && o.VaultName == nil && o.ID == testOpID
			}},
		{"float progress and unused sections of other types", `{"operation_log":{"status":"success","extra_info":{"common":{"progress":100.0},"backup":{"incremental":true},"restore":{"fail_count":"0"}}}}`,
			func(o *OperationLog) bool { return o.Status == "success" && o.Sync == nil }},
		{"numeric error code", `{"operation_log":{"status":"failed","error_info":{"code":1234,"message":"boom"}}}`,
			func(o *OperationLog) bool { return o.ErrorCode == "1234" && o.ErrorMessage == "boom" }},
		{"counts as strings and integral floats", `{"operation_log":{"status":"success","extra_info":{"sync":{"sync_backup_num":"4","delete_backup_num":1.0,"err_sync_backup_num":null}}}}`,
			func(o *OperationLog) bool {
				return *o.Sync.SyncBackupNum == 4 && *o.Sync.DeleteBackupNum == 1 && o.Sync.ErrSyncBackupNum == nil
			}},
		{"unknown status kept as is", `{"operation_log":{"status":"partial_success"}}`,
			func(o *OperationLog) bool { return o.Status == "partial_success" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClient(t, answerWith(200, tc.body))
			ol, err := c.GetOperationLog(context.Background(), testOpID)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.want(ol) {
				t.Errorf("decoded %+v (sync %+v)", ol, ol.Sync)
			}
		})
	}
}

func TestGetOperationLogUnreadableAnswers(t *testing.T) {
	cases := map[string]struct{ body, want string }{
		"broken json":        {`{"operation_log":{"status":"succ`, "unexpected end of JSON input"},
		"no operation_log":   {`{"operation_logs":[]}`, `no "operation_log" object`},
		"no status":          {`{"operation_log":{"id":"` + testOpID + `"}}`, "no operation_log.status"},
		"null status":        {`{"operation_log":{"status":null}}`, "no operation_log.status"},
		"another log":        {`{"operation_log":{"id":"other","status":"success"}}`, `about operation log "other"`},
		"status not string":  {`{"operation_log":{"status":3}}`, "cannot unmarshal number"},
		"negative count":     {`{"operation_log":{"status":"success","extra_info":{"sync":{"sync_backup_num":-1}}}}`, "sync_backup_num: negative count -1"},
		"fractional count":   {`{"operation_log":{"status":"success","extra_info":{"sync":{"err_sync_backup_num":1.5}}}}`, "err_sync_backup_num: not an integer: 1.5"},
		"non-numeric string": {`{"operation_log":{"status":"success","extra_info":{"sync":{"delete_backup_num":"many"}}}}`, "delete_backup_num: not an integer"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := newTestClient(t, answerWith(200, tc.body))
			_, err := c.GetOperationLog(context.Background(), testOpID)
			var respErr *ResponseError
			if !errors.As(err, &respErr) {
				t.Fatalf("err = %T %v", err, err)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.want) || !strings.Contains(msg, "rid-op") || !strings.Contains(msg, "GET ") {
				t.Errorf("err = %v, want it to contain %q, the method and the request id", err, tc.want)
			}
		})
	}
}

func TestGetOperationLogNotFound(t *testing.T) {
	c := newTestClient(t, answerWith(404, `{"error_code":"BackupService.0012","error_msg":"The operation log does not exist"}`))
	_, err := c.GetOperationLog(context.Background(), testOpID)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || !IsNotFound(err) {
		t.Fatalf("err = %T %v", err, err)
	}
	if apiErr.Code != "BackupService.0012" || apiErr.RequestID != "rid-op" || !strings.Contains(apiErr.URL, testOpID) {
		t.Errorf("got %+v", apiErr)
	}
	if IsNotFound(&APIError{StatusCode: 403}) || IsNotFound(errors.New("404")) {
		t.Error("IsNotFound is true for other errors")
	}
}

func TestGetOperationLogRejectsUnsafeIDs(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { t.Errorf("no request expected, got %s", r.URL) })
	for _, id := range []string{"", " ", "a/b", "../backups/sync", "a b", "a%2Fb", "a?b", "日志"} {
		if _, err := c.GetOperationLog(context.Background(), id); err == nil || !strings.Contains(err.Error(), "invalid operation log ID") {
			t.Errorf("%q: err = %v", id, err)
		}
	}
}
