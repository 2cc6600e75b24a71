package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func post(t *testing.T, url, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// startRun runs the command with args until the test ends, and returns its
// base URL, what it writes to stderr and stop, which ends it and checks
// that it returned no error.
func startRun(t *testing.T, args ...string) (base string, stderr *syncBuffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	stderr = &syncBuffer{}
	go func() { done <- run(ctx, args, stderr, ready) }()
	select {
	case base = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("run: %v", err)
	case <-time.After(5 * time.Second):
		cancel()
		t.Fatal("not ready")
	}
	stopped := false
	stop = func() {
		t.Helper()
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run returned %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("run did not stop")
		}
	}
	t.Cleanup(stop)
	return base, stderr, stop
}

// checkScript syncs body, a sync request of one backup, and checks the
// statuses its operation log goes through, one GET after another.
func checkScript(t *testing.T, base, body string, want ...string) {
	t.Helper()
	status, answer := post(t, base+"/v3/"+cbrfake.DefaultProjectID+"/backups/sync", cbrfake.DefaultToken, body)
	var synced struct {
		Sync []struct {
			OperationLogID string `json:"operation_log_id"`
		} `json:"sync"`
	}
	if err := json.Unmarshal([]byte(answer), &synced); status != 200 || err != nil || len(synced.Sync) != 1 {
		t.Fatalf("sync %s: %d %s", body, status, answer)
	}
	id := synced.Sync[0].OperationLogID
	for _, w := range want {
		req, _ := http.NewRequest(http.MethodGet, base+"/v3/"+cbrfake.DefaultProjectID+"/operation-logs/"+id, nil)
		req.Header.Set("X-Auth-Token", cbrfake.DefaultToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var ol struct {
			OperationLog struct {
				Status string `json:"status"`
			} `json:"operation_log"`
		}
		err = json.NewDecoder(resp.Body).Decode(&ol)
		resp.Body.Close()
		if err != nil || ol.OperationLog.Status != w {
			t.Errorf("operation log %s: status %q (%v), want %q", id, ol.OperationLog.Status, err, w)
		}
	}
}

const syncJSON = `{"sync":[{"backup_id":"b1","backup_name":"n","bucket_name":"bk","image_path":"p","resource_id":"r","resource_name":"rn","resource_type":"OS::Native::Server","created_at":1553587260}]}`

func TestRun(t *testing.T) {
	dir := t.TempDir()
	urlFile := filepath.Join(dir, "url")
	pid := "aaaabbbbccccddddeeeeffff00001111"
	base, stderr, stop := startRun(t,
		"-url-file", urlFile, "-project-id", pid, "-region", "eu-west-101", "-token", "tok-123",
		"-access-key", "AKCMD", "-secret-key", "SKCMD-secret", "-user", "alice", "-password", "pw-secret",
		"-shared-operation-log",
	)
	got, err := os.ReadFile(urlFile)
	if err != nil || string(got) != base || !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("url file %q (%v), base %q", got, err, base)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(matches) != 0 {
		t.Errorf("temporary files left: %v", matches)
	}

	status, body := post(t, base+"/v3/"+pid+"/backups/sync", "tok-123", syncJSON)
	if status != 200 || !strings.Contains(body, `"operation_log_id"`) {
		t.Fatalf("sync: %d %s", status, body)
	}
	if status, _ := post(t, base+"/v3/"+pid+"/backups/sync", cbrfake.DefaultToken, syncJSON); status != 401 {
		t.Errorf("default token accepted with -token: %d", status)
	}
	tokenBody := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"alice","password":"pw-secret","domain":{"name":"alice"}}}},"scope":{"project":{"name":"eu-west-101"}}}}`
	if status, body := post(t, base+"/v3/auth/tokens", "", tokenBody); status != 201 {
		t.Errorf("token: %d %s", status, body)
	}

	stop()
	logs := stderr.String()
	if !strings.Contains(logs, "POST /v3/"+pid+"/backups/sync status=200 request_id=") || !strings.Contains(logs, "duration=") {
		t.Errorf("request not logged:\n%s", logs)
	}
	for _, secret := range []string{"tok-123", "SKCMD-secret", "pw-secret"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains secret %q:\n%s", secret, logs)
		}
	}
}

func TestRunFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-access-key", "AK"},
		{"-secret-key", "SK"},
		{"-user", "alice"},
		{"-domain", "d"},
		{"-security-token", "st"},
		{"extra"},
		{"-no-such-flag"},
		{"-listen", "256.0.0.1:99999"},
		{"-script", "waiting,done"},
		{"-script", "running,,success"},
		{"-throttle", "-1"},
		{"-latency", "-1s"},
		{"-idp-id", "tfc"},
		{"-id-token", "jwt"},
	} {
		var stderr syncBuffer
		if err := run(context.Background(), args, &stderr, nil); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}

func TestRunSecretsFromEnvironment(t *testing.T) {
	t.Setenv("CBRFAKE_SECRET_KEY", "env-sk")
	t.Setenv("CBRFAKE_PASSWORD", "env-pw")
	base, _, stop := startRun(t, "-access-key", "AK", "-user", "bob", "-domain", "acme")
	tokenBody := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"bob","password":"env-pw","domain":{"name":"acme"}}}},"scope":{"project":{"name":"cn-north-4"}}}}`
	if status, body := post(t, base+"/v3/auth/tokens", "", tokenBody); status != 201 {
		t.Errorf("token: %d %s", status, body)
	}
	stop()
}

// TestRunTemporaryCredentials: the flags of agencies, ID tokens and the
// metadata service.
func TestRunTemporaryCredentials(t *testing.T) {
	t.Setenv("CBRFAKE_ID_TOKEN", "env-jwt")
	base, _, stop := startRun(t, "-agencies", "a1, cbr_import", "-caller-domain", "central", "-metadata", "-idp-id", "tfc")
	assume := `{"auth":{"identity":{"methods":["assume_role"],"assume_role":{"agency_name":"cbr_import","domain_name":"fake-domain"}}}}`
	if status, body := post(t, base+"/v3.0/OS-CREDENTIAL/securitytokens", cbrfake.DefaultToken, assume); status != 201 {
		t.Errorf("assume_role: %d %s", status, body)
	}
	// The static token is of another account: CBR refuses it.
	if status, body := post(t, base+"/v3/"+cbrfake.DefaultProjectID+"/backups/sync", cbrfake.DefaultToken, syncJSON); status != 403 {
		t.Errorf("sync with the caller's token: %d %s", status, body)
	}
	resp, err := http.Get(base + "/openstack/latest/securitykey")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("metadata: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/v3.0/OS-AUTH/id-token/tokens", strings.NewReader(`{"auth":{"id_token":{"id":"env-jwt"}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Idp-Id", "tfc")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Errorf("ID token: %d", resp.StatusCode)
	}
	stop()
}

func TestRunScript(t *testing.T) {
	base, _, stop := startRun(t, "-script", "running, failed")
	checkScript(t, base, syncJSON, "running", "failed", "failed")
	stop()
}

func TestRunStatsThrottleLatency(t *testing.T) {
	base, _, stop := startRun(t, "-throttle", "1", "-latency", "50ms")
	url := base + "/v3/" + cbrfake.DefaultProjectID + "/backups/sync"
	start := time.Now()
	if status, body := post(t, url, cbrfake.DefaultToken, syncJSON); status != 429 {
		t.Fatalf("first sync: %d %s, want 429", status, body)
	}
	if time.Since(start) < 50*time.Millisecond {
		t.Errorf("answered in %s despite -latency 50ms", time.Since(start))
	}
	if status, body := post(t, url, cbrfake.DefaultToken, syncJSON); status != 200 {
		t.Fatalf("second sync: %d %s", status, body)
	}
	if status, _ := post(t, base+"/_fake/stats", "", "{}"); status != 405 {
		t.Errorf("POST stats: %d", status)
	}

	resp, err := http.Get(base + "/_fake/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st cbrfake.Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if st.Requests[cbrfake.KindSync] != 2 || st.Statuses[cbrfake.KindSync]["429"] != 1 || st.Statuses[cbrfake.KindSync]["200"] != 1 ||
		st.SyncedEntries != 1 || len(st.Synced) != 1 || st.Synced[0].BackupID != "b1" || st.Synced[0].OperationLogID == "" || len(st.Duplicates) != 0 {
		t.Errorf("stats %+v", st)
	}
	stop()
}

func TestRunStats(t *testing.T) {
	dir := t.TempDir()
	statsFile := filepath.Join(dir, "stats.json")
	base, _, stop := startRun(t, "-stats-file", statsFile, "-user", "alice", "-password", "pw")
	if st := getStats(t, base); len(st.Requests) != 0 || st.SyncedEntries != 0 || st.IssuedTokens != 0 {
		t.Fatalf("stats of a new server: %+v", st)
	}

	syncURL := base + "/v3/" + cbrfake.DefaultProjectID + "/backups/sync"
	two := `{"sync":[` +
		`{"backup_id":"b1","backup_name":"n","bucket_name":"bk","image_path":"p","resource_id":"r","resource_name":"rn","resource_type":"OS::Native::Server","created_at":1553587260},` +
		`{"backup_id":"b2","backup_name":"n","bucket_name":"bk","image_path":"p","resource_id":"r","resource_name":"rn","resource_type":"OS::Native::Server","created_at":1553587260}]}`
	for _, c := range []struct {
		token, body string
		status      int
	}{
		{cbrfake.DefaultToken, two, 200},
		{cbrfake.DefaultToken, syncJSON, 200}, // b1 a second time
		{"wrong-token", syncJSON, 401},        // rejected: nothing applied
	} {
		if status, body := post(t, syncURL, c.token, c.body); status != c.status {
			t.Fatalf("sync: %d %s, want %d", status, body, c.status)
		}
	}
	tokenBody := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"alice","password":"pw","domain":{"name":"alice"}}}},"scope":{"project":{"name":"cn-north-4"}}}}`
	if status, body := post(t, base+"/v3/auth/tokens", "", tokenBody); status != 201 {
		t.Fatalf("token: %d %s", status, body)
	}
	// Only GET is served on the stats path, and it never counts as a request.
	if status, _ := post(t, base+statsPath, "", "{}"); status != http.StatusMethodNotAllowed {
		t.Errorf("POST %s: %d, want 405", statsPath, status)
	}

	check := func(what string, got cbrfake.Stats) {
		t.Helper()
		wantRequests := map[string]int{cbrfake.KindSync: 3, cbrfake.KindIAMToken: 1}
		wantStatuses := map[string]map[string]int{cbrfake.KindSync: {"200": 2, "401": 1}, cbrfake.KindIAMToken: {"201": 1}}
		if !reflect.DeepEqual(got.Requests, wantRequests) || !reflect.DeepEqual(got.Statuses, wantStatuses) ||
			got.SyncedEntries != 3 || got.DistinctBackups != 2 || !reflect.DeepEqual(got.Duplicates, []string{"b1"}) ||
			!reflect.DeepEqual(got.SyncedPerBackupID, map[string]int{"b1": 2, "b2": 1}) || got.IssuedTokens != 1 || len(got.Synced) != 3 {
			t.Errorf("%s: %+v", what, got)
		}
	}
	check("GET "+statsPath, getStats(t, base))

	stop()
	data, err := os.ReadFile(statsFile)
	if err != nil {
		t.Fatal(err)
	}
	var fromFile cbrfake.Stats
	if err := json.Unmarshal(data, &fromFile); err != nil {
		t.Fatal(err)
	}
	check("stats file", fromFile)
}

func getStats(t *testing.T, base string) cbrfake.Stats {
	t.Helper()
	resp, err := http.Get(base + statsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %d %s", statsPath, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var st cbrfake.Stats
	dec := json.NewDecoder(resp.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestRunFaults(t *testing.T) {
	base, _, stop := startRun(t)
	for _, bad := range []string{`{}`, `{"kind":"sync","after":-1}`, `{"kind":"sync","fault":{"Nope":1}}`, `not json`} {
		if status, _ := post(t, base+faultsPath, "", bad); status != http.StatusBadRequest {
			t.Errorf("POST %s %s: %d, want 400", faultsPath, bad, status)
		}
	}
	// The second sync request from now is refused.
	if status, body := post(t, base+faultsPath, "", `{"kind":"sync","after":1,"fault":{"Status":400,"ErrorMsg":"refused"}}`); status != http.StatusNoContent {
		t.Fatalf("POST %s: %d %s", faultsPath, status, body)
	}
	syncURL := base + "/v3/" + cbrfake.DefaultProjectID + "/backups/sync"
	for i, want := range []int{200, 400, 200} {
		body := strings.Replace(syncJSON, `"b1"`, fmt.Sprintf(`"b%d"`, i+10), 1)
		if status, answer := post(t, syncURL, cbrfake.DefaultToken, body); status != want {
			t.Errorf("sync %d: %d %s, want %d", i+1, status, answer, want)
		}
	}
	if st := getStats(t, base); st.SyncedEntries != 2 || len(st.Duplicates) != 0 {
		t.Errorf("stats %+v", st)
	}
	stop()
}
