package cbrfake

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFaultThrottled(t *testing.T) {
	s, base := newStarted(t, Options{})
	s.InjectFault(KindSync, Fault{Status: 429, RetryAfter: "2"})
	if s.PendingFaults(KindSync) != 1 {
		t.Fatal("fault not queued")
	}
	r := postSync(t, base, syncBody(entry(0)))
	wantError(t, r, 429, "APIGW.0308", "throttling threshold")
	if ra := r.header.Get("Retry-After"); ra != "2" {
		t.Errorf("Retry-After = %q", ra)
	}
	if len(s.Synced()) != 0 {
		t.Error("throttled request applied")
	}
	if s.PendingFaults(KindSync) != 0 {
		t.Error("fault not consumed")
	}
	r = postSync(t, base, syncBody(entry(0)))
	decodeSyncAnswer(t, r)
	if r.header.Get("Retry-After") != "" {
		t.Error("Retry-After on a normal answer")
	}
	if reqs := s.Requests(); reqs[0].Status != 429 || reqs[1].Status != 200 {
		t.Errorf("recorded statuses %d %d", reqs[0].Status, reqs[1].Status)
	}
}

func TestFaultServerErrors(t *testing.T) {
	codes := map[int]string{500: "BackupService.9999", 502: "APIGW.0202", 503: "APIGW.0202", 504: "APIGW.0203"}
	for status, code := range codes {
		for _, apply := range []bool{false, true} {
			s, base := newStarted(t, Options{})
			s.InjectFault(KindSync, Fault{Status: status, Apply: apply})
			wantError(t, postSync(t, base, syncBody(entry(0), entry(1))), status, code, "")
			synced := s.Synced()
			if apply {
				if len(synced) != 2 {
					t.Fatalf("%d with Apply: Synced() = %d", status, len(synced))
				}
				if _, ok := s.OperationLog(synced[1].OperationLogID); !ok {
					t.Errorf("%d with Apply: operation log not created", status)
				}
			} else if len(synced) != 0 {
				t.Errorf("%d without Apply: applied", status)
			}
		}
	}
	s, base := newStarted(t, Options{})
	s.InjectFault(KindSync, Fault{Status: 500, ErrorCode: "BackupService.6001", ErrorMsg: "database is down"})
	wantError(t, postSync(t, base, syncBody(entry(0))), 500, "BackupService.6001", "database is down")
}

func TestFaultQueuePerKindFIFO(t *testing.T) {
	s, base := newStarted(t, Options{})
	s.InjectFault(KindSync, Fault{Status: 503}, Fault{Status: 500})
	s.InjectFault(KindOperationLog, Fault{Status: 502})
	wantError(t, postSync(t, base, syncBody(entry(0))), 503, "APIGW.0202", "")
	wantError(t, postSync(t, base, syncBody(entry(0))), 500, "BackupService.9999", "")
	items := decodeSyncAnswer(t, postSync(t, base, syncBody(entry(0))))
	h := map[string]string{"X-Auth-Token": DefaultToken}
	wantError(t, do(t, http.MethodGet, base+opLogPath(DefaultProjectID, items[0].OperationLogID), nil, h), 502, "APIGW.0202", "")
	if n := s.OperationLogReads(items[0].OperationLogID); n != 0 {
		t.Errorf("faulted read advanced the script: %d", n)
	}
	if r := do(t, http.MethodGet, base+opLogPath(DefaultProjectID, items[0].OperationLogID), nil, h); r.status != 200 {
		t.Errorf("second read %d", r.status)
	}
	// A fault is consumed even by an invalid request of its kind.
	s.InjectFault(KindSync, Fault{Status: 503})
	wantError(t, postSync(t, base, []byte(`{}`)), 503, "APIGW.0202", "")
	if s.Count(KindSync) != 4 || s.Count(KindOperationLog) != 2 {
		t.Errorf("counts %d %d", s.Count(KindSync), s.Count(KindOperationLog))
	}
}

func TestFaultIAMKinds(t *testing.T) {
	s, base := newStarted(t, Options{Users: []User{testUser}, ListProjects: true})
	s.InjectFault(KindIAMToken, Fault{Status: 503, RetryAfter: "1"})
	s.InjectFault(KindIAMProjects, Fault{BrokenJSON: true})
	body := tokenRequestBody("alice", testUser.Password, "acme", map[string]any{"name": DefaultRegion})
	wantError(t, postToken(t, base, body), 503, "APIGW.0202", "")
	if s.IssuedTokens() != 0 {
		t.Error("token issued")
	}
	if r := postToken(t, base, body); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	r := do(t, http.MethodGet, base+"/v3/projects?name="+DefaultRegion, nil, map[string]string{"X-Auth-Token": DefaultToken})
	if r.status != 200 || json.Valid(r.body) {
		t.Errorf("broken projects answer: %d %s", r.status, r.body)
	}
}

func TestFaultDelay(t *testing.T) {
	s, base := newStarted(t, Options{})
	s.InjectFault(KindSync, Fault{Delay: 150 * time.Millisecond})
	start := time.Now()
	decodeSyncAnswer(t, postSync(t, base, syncBody(entry(0))))
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("answered after %s", d)
	}
	// Delay before a fault status.
	s.InjectFault(KindSync, Fault{Delay: 100 * time.Millisecond, Status: 504})
	start = time.Now()
	wantError(t, postSync(t, base, syncBody(entry(1))), 504, "APIGW.0203", "Backend timeout")
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("answered after %s", d)
	}
	if n := len(s.Synced()); n != 1 {
		t.Errorf("Synced() = %d", n)
	}
}

func TestFaultDelayClientGivesUp(t *testing.T) {
	for _, apply := range []bool{false, true} {
		logs := newLogSink()
		s, base := newStarted(t, Options{Logf: logs.Logf})
		s.InjectFault(KindSync, Fault{Delay: 5 * time.Second, Apply: apply})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+syncPath(DefaultProjectID), bytes.NewReader(syncBody(entry(0))))
		req.Header.Set("X-Auth-Token", DefaultToken)
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		_, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			t.Fatal("request did not time out")
		}
		line := logs.wait(t) // the handler finished
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("handler kept waiting for %s after the client left", d)
		}
		if !strings.Contains(line, "status=0") {
			t.Errorf("log line %q", line)
		}
		if reqs := s.Requests(); len(reqs) != 1 || reqs[0].Status != 0 {
			t.Errorf("recorded %+v", reqs)
		}
		if n := len(s.Synced()); (n == 1) != apply {
			t.Errorf("Apply=%v: Synced() = %d", apply, n)
		}
	}
}

func TestFaultCloseCancelsDelay(t *testing.T) {
	s := New(Options{})
	base, closeFn := s.Start()
	s.InjectFault(KindSync, Fault{Delay: 10 * time.Second})
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequest(http.MethodPost, base+syncPath(DefaultProjectID), bytes.NewReader(syncBody(entry(0))))
		req.Header.Set("X-Auth-Token", DefaultToken)
		req.Header.Set("Content-Type", "application/json")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	for s.Count(KindSync) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	closeFn()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("close took %s", d)
	}
	<-done
	closeFn() // idempotent
}

func TestFaultBrokenJSON(t *testing.T) {
	s, base := newStarted(t, Options{})
	s.InjectFault(KindSync, Fault{BrokenJSON: true})
	r := postSync(t, base, syncBody(entry(0), entry(1)))
	if r.status != 200 || json.Valid(r.body) || len(r.body) == 0 {
		t.Fatalf("answer %d %q", r.status, r.body)
	}
	if r.header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id")
	}
	if n := len(s.Synced()); n != 2 {
		t.Errorf("Synced() = %d (BrokenJSON applies)", n)
	}
	// On an invalid request the real error is answered.
	s.InjectFault(KindSync, Fault{BrokenJSON: true})
	wantError(t, postSync(t, base, []byte(`{}`)), 400, "BackupService.9900", "sync is required")

	// Operation logs too (and the read counts).
	id := s.Synced()[0].OperationLogID
	s.InjectFault(KindOperationLog, Fault{BrokenJSON: true})
	r = do(t, http.MethodGet, base+opLogPath(DefaultProjectID, id), nil, map[string]string{"X-Auth-Token": DefaultToken})
	if r.status != 200 || json.Valid(r.body) {
		t.Errorf("op log answer %d %q", r.status, r.body)
	}
	if s.OperationLogReads(id) != 1 {
		t.Error("broken read did not advance the script")
	}
}

func TestFaultDropItems(t *testing.T) {
	s, base := newStarted(t, Options{})
	s.InjectFault(KindSync, Fault{DropItems: 1}, Fault{DropItems: 10})
	items := decodeSyncAnswer(t, postSync(t, base, syncBody(entry(0), entry(1), entry(2))))
	if len(items) != 2 || items[0].BackupID != entry(0)["backup_id"] || items[1].BackupID != entry(1)["backup_id"] {
		t.Errorf("items %+v", items)
	}
	items = decodeSyncAnswer(t, postSync(t, base, syncBody(entry(3), entry(4))))
	if len(items) != 0 {
		t.Errorf("items %+v", items)
	}
	synced := s.Synced()
	if len(synced) != 5 {
		t.Fatalf("Synced() = %d, want all 5 applied", len(synced))
	}
	if _, ok := s.OperationLog(synced[2].OperationLogID); !ok {
		t.Error("operation log of a dropped item missing")
	}
}

func TestFaultReset(t *testing.T) {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for _, apply := range []bool{false, true} {
		logs := newLogSink()
		s, base := newStarted(t, Options{Logf: logs.Logf})
		s.InjectFault(KindSync, Fault{Reset: true, Apply: apply})
		req, _ := http.NewRequest(http.MethodPost, base+syncPath(DefaultProjectID), bytes.NewReader(syncBody(entry(0))))
		req.Header.Set("X-Auth-Token", DefaultToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("Apply=%v: got an answer %d", apply, resp.StatusCode)
		}
		logs.wait(t)
		if reqs := s.Requests(); len(reqs) != 1 || reqs[0].Status != 0 {
			t.Errorf("recorded %+v", reqs)
		}
		if n := len(s.Synced()); (n == 1) != apply {
			t.Errorf("Apply=%v: Synced() = %d", apply, n)
		}
		// The server keeps working.
		decodeSyncAnswer(t, postSync(t, base, syncBody(entry(1))))
	}
}

func TestFaultLies(t *testing.T) {
	s, base := newStarted(t, Options{})
	s.InjectFault(KindSync, Fault{}, Fault{ConflictingItem: true, UnrequestedItem: "not-requested"})
	if items := decodeSyncAnswer(t, postSync(t, base, syncBody(entry(0)))); len(items) != 1 {
		t.Fatalf("a zero Fault answers normally: %+v", items)
	}
	items := decodeSyncAnswer(t, postSync(t, base, syncBody(entry(1), entry(2))))
	if len(items) != 4 || items[2].BackupID != entry(1)["backup_id"] || items[2].OperationLogID == items[0].OperationLogID ||
		items[3].BackupID != "not-requested" {
		t.Fatalf("items %+v", items)
	}
	synced := s.Synced()
	if len(synced) != 3 || synced[1].OperationLogID != items[0].OperationLogID {
		t.Fatalf("synced %+v", synced)
	}
	for _, lie := range items[2:] {
		if _, ok := s.OperationLog(lie.OperationLogID); ok {
			t.Errorf("the made-up operation log %s exists", lie.OperationLogID)
		}
	}
}
