package cbr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1/model"
)

const testProject = "0b1d2f3e4a5c6d7e8f9a0b1c2d3e4f5a"

func testBackups(n int) []model.BackupSync {
	out := make([]model.BackupSync, n)
	for i := range out {
		id := string(rune('a'+i%26)) + strings.Repeat("0", i/26+1)
		out[i] = model.BackupSync{
			BackupId: "bk-" + id, BackupName: "name-" + id, BucketName: "bucket", ImagePath: "path/" + id,
			ResourceId: "vm-" + id, ResourceName: "vm " + id, ResourceType: DefaultResourceType, CreatedAt: 1548898428,
		}
	}
	return out
}

func newTestClient(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c := newClient(t, Config{Endpoint: srv.URL + "/", ProjectID: testProject, Auth: TokenAuth("tok-123"), UserAgent: "terraform-provider-cbr/test terraform/1.11.4"})
	return c
}

// echo answers every requested backup, in reverse order, so that matching by
// position would be wrong.
func echo(w http.ResponseWriter, body []byte) {
	var req model.BackupSyncReq
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	out := []map[string]string{}
	for i := len(req.Sync) - 1; i >= 0; i-- {
		out = append(out, map[string]string{"backup_id": req.Sync[i].BackupId, "operation_log_id": "op-" + req.Sync[i].BackupId})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"sync": out})
}

func TestSyncBackupsRequest(t *testing.T) {
	var gotBody []byte
	var gotReq *http.Request
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		gotReq = r
		gotBody, _ = io.ReadAll(r.Body)
		echo(w, gotBody)
	})
	backups := testBackups(3)
	ids, err := c.SyncBackups(context.Background(), backups)
	if err != nil {
		t.Fatal(err)
	}
	if gotReq.Method != http.MethodPost || gotReq.URL.Path != "/v3/"+testProject+"/backups/sync" {
		t.Errorf("request %s %s", gotReq.Method, gotReq.URL.Path)
	}
	for h, want := range map[string]string{
		"X-Auth-Token": "tok-123",
		"Content-Type": "application/json;charset=UTF-8",
		"User-Agent":   "terraform-provider-cbr/test terraform/1.11.4",
	} {
		if got := gotReq.Header.Get(h); got != want {
			t.Errorf("header %s = %q, want %q", h, got, want)
		}
	}
	want := `{"sync":[` +
		`{"backup_id":"bk-a0","backup_name":"name-a0","bucket_name":"bucket","image_path":"path/a0","resource_id":"vm-a0","resource_name":"vm a0","resource_type":"OS::Native::Server","created_at":1548898428},` +
		`{"backup_id":"bk-b0","backup_name":"name-b0","bucket_name":"bucket","image_path":"path/b0","resource_id":"vm-b0","resource_name":"vm b0","resource_type":"OS::Native::Server","created_at":1548898428},` +
		`{"backup_id":"bk-c0","backup_name":"name-c0","bucket_name":"bucket","image_path":"path/c0","resource_id":"vm-c0","resource_name":"vm c0","resource_type":"OS::Native::Server","created_at":1548898428}]}`
	if string(gotBody) != want {
		t.Errorf("body\n got %s\nwant %s", gotBody, want)
	}
	for _, b := range backups {
		if ids[b.BackupId] != "op-"+b.BackupId {
			t.Errorf("operation log of %s = %q", b.BackupId, ids[b.BackupId])
		}
	}
}

func TestSyncBackupsRejectsBadCounts(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { t.Error("no request expected") })
	for _, n := range []int{0, MaxSyncEntries + 1} {
		if _, err := c.SyncBackups(context.Background(), testBackups(n)); err == nil || !strings.Contains(err.Error(), "1 to 50") {
			t.Errorf("%d backups: err = %v", n, err)
		}
	}
}

func TestSyncBackupsAPIErrors(t *testing.T) {
	cases := []struct {
		name, body, header string
		status             int
		wantCode, wantMsg  string
		wantRID            string
		maybeApplied       bool
	}{
		{"cbr", `{"error_code":"BackupService.9900","error_msg":"Invalid parameter: sync[0].backup_name","request_id":"body-rid"}`, "hdr-rid", 400, "BackupService.9900", "Invalid parameter: sync[0].backup_name", "hdr-rid", false},
		{"rid from body", `{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information","request_id":"body-rid"}`, "", 401, "APIGW.0301", "Incorrect IAM authentication information", "body-rid", false},
		{"iam nested", `{"error":{"code":401,"message":"The token must be updated.","title":"Unauthorized"}}`, "r1", 401, "401", "The token must be updated.", "r1", false},
		{"throttled", `{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached"}`, "r2", 429, "APIGW.0308", "The throttling threshold has been reached", "r2", false},
		{"unavailable", `{"error_code":"BackupService.0001","error_msg":"busy"}`, "r3", 503, "BackupService.0001", "busy", "r3", false},
		{"internal", `{"error_code":"BackupService.9999","error_msg":"internal"}`, "r4", 500, "BackupService.9999", "internal", "r4", true},
		{"bad gateway html", `<html>502</html>`, "", 502, "", "", "", true},
		{"gateway timeout", ``, "r5", 504, "", "", "r5", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.header != "" {
					w.Header().Set("X-Request-Id", tc.header)
				}
				w.Header().Set("Retry-After", "7")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			})
			ids, err := c.SyncBackups(context.Background(), testBackups(1))
			if ids != nil {
				t.Errorf("ids = %v, want nil", ids)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %T %v, want *APIError", err, err)
			}
			if apiErr.StatusCode != tc.status || apiErr.Code != tc.wantCode || apiErr.Message != tc.wantMsg || apiErr.RequestID != tc.wantRID || apiErr.RetryAfter != "7" {
				t.Errorf("got %+v", apiErr)
			}
			if MaybeApplied(err) != tc.maybeApplied {
				t.Errorf("MaybeApplied = %v, want %v", !tc.maybeApplied, tc.maybeApplied)
			}
			msg := err.Error()
			for _, part := range []string{"POST ", "/backups/sync", fmt.Sprintf("HTTP %d %s", tc.status, http.StatusText(tc.status))} {
				if !strings.Contains(msg, part) {
					t.Errorf("message %q lacks %q", msg, part)
				}
			}
			if tc.wantCode != "" && !strings.Contains(msg, tc.wantCode) || tc.wantRID != "" && !strings.Contains(msg, tc.wantRID) {
				t.Errorf("message %q lacks code or request id", msg)
			}
			if tc.wantCode == "" && tc.body != "" && !strings.Contains(msg, tc.body) {
				t.Errorf("message %q lacks the raw body", msg)
			}
		})
	}
}

func TestSyncBackupsUnreadableAnswer(t *testing.T) {
	for name, body := range map[string]string{
		"broken":  `{"sync":[{"backup_id":"bk-a0",`,
		"no sync": `{"result":"ok"}`,
		"wrong":   `{"sync":"yes"}`,
	} {
		t.Run(name, func(t *testing.T) {
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Request-Id", "rid-broken")
				_, _ = io.WriteString(w, body)
			})
			_, err := c.SyncBackups(context.Background(), testBackups(2))
			var respErr *ResponseError
			if !errors.As(err, &respErr) {
				t.Fatalf("err = %T %v", err, err)
			}
			if !MaybeApplied(err) || !strings.Contains(err.Error(), "rid-broken") || !strings.Contains(err.Error(), "HTTP 200") {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestSyncBackupsIncompleteAnswer(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "rid-partial")
		_, _ = io.WriteString(w, `{"sync":[{"backup_id":"bk-c0","operation_log_id":"op-c"},{"backup_id":"bk-zz","operation_log_id":"op-z"},{"backup_id":"bk-b0","operation_log_id":""}]}`)
	})
	ids, err := c.SyncBackups(context.Background(), testBackups(3))
	var inc *IncompleteSyncError
	if !errors.As(err, &inc) {
		t.Fatalf("err = %T %v", err, err)
	}
	if len(ids) != 1 || ids["bk-c0"] != "op-c" {
		t.Errorf("ids = %v", ids)
	}
	if strings.Join(inc.Missing, ",") != "bk-a0,bk-b0" || strings.Join(inc.Unexpected, ",") != "bk-zz" {
		t.Errorf("missing %v unexpected %v", inc.Missing, inc.Unexpected)
	}
	if !MaybeApplied(err) || !strings.Contains(err.Error(), "covers 1 of 3") || !strings.Contains(err.Error(), "rid-partial") {
		t.Errorf("err = %v", err)
	}
}

func TestSyncBackupsTransportErrors(t *testing.T) {
	t.Run("never sent", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now: connection refused
		c := newClient(t, Config{Endpoint: "http://" + addr, ProjectID: testProject, Auth: TokenAuth("t")})
		_, err = c.SyncBackups(context.Background(), testBackups(1))
		var tErr *TransportError
		if !errors.As(err, &tErr) || tErr.Sent || MaybeApplied(err) {
			t.Fatalf("err = %T %v", err, err)
		}
	})
	t.Run("reset after the request was sent", func(t *testing.T) {
		c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		})
		_, err := c.SyncBackups(context.Background(), testBackups(1))
		var tErr *TransportError
		if !errors.As(err, &tErr) || !tErr.Sent || !MaybeApplied(err) {
			t.Fatalf("err = %T %v", err, err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			cancel()
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		})
		_, err := c.SyncBackups(ctx, testBackups(1))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestNewValidatesConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Endpoint: "cbr.example.com", ProjectID: "p", Auth: TokenAuth("t")},
		{Endpoint: "ftp://cbr.example.com", ProjectID: "p", Auth: TokenAuth("t")},
		{Endpoint: "https://cbr.example.com?x=1", ProjectID: "p", Auth: TokenAuth("t")},
		{Endpoint: "https://cbr.example.com", ProjectID: " ", Auth: TokenAuth("t")},
		{Endpoint: "https://cbr.example.com", ProjectID: "p"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}

// TestEndpointCredentialsRefused: an endpoint with credentials in it is
// refused, and no error message repeats the password, whatever else is wrong.
func TestEndpointCredentialsRefused(t *testing.T) {
	for _, e := range []string{
		"https://admin:s3cr3t-pw@cbr.example.com",
		"https://admin:s3cr3t-pw@cbr.example.com:8443/prefix",
		"https://admin:s3cr3t-pw@cbr.example .com",
		"https://admin:s3cr3t-pw@cbr.example.com/%zz",
		"ftp://admin:s3cr3t-pw@cbr.example.com",
	} {
		_, err := ParseEndpoint(e)
		if err == nil {
			t.Errorf("ParseEndpoint(%q) succeeded", e)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t-pw") {
			t.Errorf("ParseEndpoint(%q): the error shows the password: %v", e, err)
		}
	}
	if got := RedactEndpoint("https://admin:pw@host:1/p@x"); got != "https://***@host:1/p@x" {
		t.Errorf("RedactEndpoint = %q", got)
	}
	if got := RedactEndpoint("cbr.example.com/a@b"); got != "cbr.example.com/a@b" {
		t.Errorf("RedactEndpoint without scheme = %q", got)
	}
}

func TestEndpointPathPrefixIsKept(t *testing.T) {
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		body, _ := io.ReadAll(r.Body)
		echo(w, body)
	}))
	defer srv.Close()
	c := newClient(t, Config{Endpoint: srv.URL + "/gateway/", ProjectID: testProject, Auth: TokenAuth("t")})
	syncOne(t, c)
	if path != "/gateway/v3/"+testProject+"/backups/sync" {
		t.Errorf("path = %q", path)
	}
}

func TestSyncAnswerConflictsAndUnrequested(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "rid-lie")
		// bk-a0: twice, different IDs (conflict); bk-b0: twice, same ID (fine);
		// bk-c0: once; bk-zz: not requested.
		_, _ = io.WriteString(w, `{"sync":[{"backup_id":"bk-a0","operation_log_id":"op-1"},{"backup_id":"bk-b0","operation_log_id":"op-b"},`+
			`{"backup_id":"bk-a0","operation_log_id":"op-2"},{"backup_id":"bk-b0","operation_log_id":"op-b"},{"backup_id":"bk-c0","operation_log_id":"op-c"},`+
			`{"backup_id":"bk-zz","operation_log_id":"op-z"},{"backup_id":"bk-a0","operation_log_id":"op-1"}]}`)
	})
	answer, err := c.Sync(context.Background(), testBackups(3))
	var inc *IncompleteSyncError
	if !errors.As(err, &inc) || !MaybeApplied(err) {
		t.Fatalf("err = %T %v", err, err)
	}
	if len(answer.OperationLogIDs) != 2 || answer.OperationLogIDs["bk-b0"] != "op-b" || answer.OperationLogIDs["bk-c0"] != "op-c" {
		t.Errorf("ids = %v", answer.OperationLogIDs)
	}
	if strings.Join(inc.Missing, ",") != "bk-a0" || strings.Join(inc.Conflicting, ",") != "bk-a0" || strings.Join(answer.Unrequested, ",") != "bk-zz" {
		t.Errorf("missing %v conflicting %v unrequested %v", inc.Missing, inc.Conflicting, answer.Unrequested)
	}
	if !strings.Contains(err.Error(), "different operation log IDs: bk-a0") {
		t.Errorf("err = %v", err)
	}
}

func TestSyncAnswerUnrequestedOnly(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"sync":[{"backup_id":"bk-a0","operation_log_id":"op-a"},{"backup_id":"bk-other","operation_log_id":"op-x"},{"backup_id":"bk-other","operation_log_id":"op-y"}]}`)
	})
	answer, err := c.Sync(context.Background(), testBackups(1))
	if err != nil {
		t.Fatal(err)
	}
	if answer.OperationLogIDs["bk-a0"] != "op-a" || strings.Join(answer.Unrequested, ",") != "bk-other" {
		t.Errorf("answer = %+v", answer)
	}
}

func TestSyncAllBatches(t *testing.T) {
	var sizes []int
	fail := 0 // request number (1-based) that answers 400; 0: none
	var calls int
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls++
		var req struct {
			Sync []model.BackupSync `json:"sync"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(req.Sync))
		if calls == fail {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error_code":"BackupService.9900","error_msg":"Invalid parameter"}`)
			return
		}
		var out strings.Builder
		out.WriteString(`{"sync":[`)
		for i, b := range req.Sync {
			if i > 0 {
				out.WriteString(",")
			}
			fmt.Fprintf(&out, `{"backup_id":%q,"operation_log_id":"op-%s"}`, b.BackupId, b.BackupId)
		}
		out.WriteString(`]}`)
		_, _ = io.WriteString(w, out.String())
	})
	all := testBackups(120)

	var seen int
	batches, unsent := c.SyncAll(context.Background(), all, func(b Batch) { seen++ })
	if fmt.Sprint(sizes) != "[50 50 20]" || len(batches) != 3 || len(unsent) != 0 || seen != 3 {
		t.Fatalf("sizes %v, %d batches, %d unsent, %d callbacks", sizes, len(batches), len(unsent), seen)
	}
	for i, b := range batches {
		if b.Err != nil || len(b.Answer.OperationLogIDs) != len(b.Backups) || b.Backups[0].BackupId != all[i*50].BackupId {
			t.Errorf("batch %d: %v, %d ids", i, b.Err, len(b.Answer.OperationLogIDs))
		}
	}

	sizes, calls, fail = nil, 0, 2
	batches, unsent = c.SyncAll(context.Background(), all, nil)
	if fmt.Sprint(sizes) != "[50 50]" || len(batches) != 2 || batches[0].Err != nil || batches[1].Err == nil || MaybeApplied(batches[1].Err) {
		t.Fatalf("sizes %v, batches %+v", sizes, batches)
	}
	if len(unsent) != 20 || unsent[0].BackupId != all[100].BackupId {
		t.Errorf("unsent %d, first %q", len(unsent), unsent[0].BackupId)
	}
}
