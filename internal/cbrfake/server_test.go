package cbrfake

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func TestStartLoopback(t *testing.T) {
	_, base := newStarted(t, Options{})
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" {
		t.Errorf("base URL %q", base)
	}
}

func TestRecordingCopiesAndReset(t *testing.T) {
	s, base := newStarted(t, Options{})
	postSync(t, base, syncBody(entry(0)))
	do(t, http.MethodGet, base+"/nope?x=1", nil, nil)

	reqs := s.Requests()
	if len(reqs) != 2 || reqs[1].Kind != KindOther || reqs[1].Status != 404 || reqs[1].RawQuery != "x=1" || reqs[1].Path != "/nope" {
		t.Fatalf("Requests() = %+v", reqs)
	}
	if reqs[0].Header.Get("X-Auth-Token") != DefaultToken {
		t.Error("header not recorded")
	}
	reqs[0].Header.Set("X-Auth-Token", "changed")
	reqs[0].Body[0] = 'X'
	again := s.Requests()
	if again[0].Header.Get("X-Auth-Token") != DefaultToken || again[0].Body[0] != '{' {
		t.Error("Requests() does not return copies")
	}
	synced := s.Synced()
	synced[0].BackupID = "changed"
	if s.Synced()[0].BackupID == "changed" {
		t.Error("Synced() does not return a copy")
	}

	s.Reset()
	if len(s.Requests()) != 0 || s.Count(KindSync) != 0 {
		t.Error("Reset kept requests")
	}
	if len(s.Synced()) != 1 {
		t.Error("Reset dropped synced backups")
	}
	if _, ok := s.OperationLog(s.Synced()[0].OperationLogID); !ok {
		t.Error("Reset dropped operation logs")
	}
	postSync(t, base, syncBody(entry(1)))
	if s.Count(KindSync) != 1 {
		t.Error("recording after Reset")
	}
}

func TestConcurrentUse(t *testing.T) {
	s, base := newStarted(t, Options{AccessKeys: map[string]string{testAK: testSK}})
	const workers, perWorker = 12, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker*3)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				e := entry(w*100 + i)
				req, _ := http.NewRequest(http.MethodPost, base+syncPath(DefaultProjectID), strings.NewReader(string(syncBody(e))))
				req.Header.Set("X-Auth-Token", DefaultToken)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("status %d", resp.StatusCode)
				}
				// Readers and fault injection in parallel.
				_ = s.Requests()
				_ = s.Synced()
				_ = s.Count(KindSync)
				s.InjectFault(KindOther, Fault{Status: 500})
				req, _ = http.NewRequest(http.MethodGet, base+"/other", nil)
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	synced := s.Synced()
	if len(synced) != workers*perWorker {
		t.Fatalf("Synced() = %d", len(synced))
	}
	ids := map[string]bool{}
	for _, b := range synced {
		if ids[b.OperationLogID] {
			t.Errorf("duplicate operation log id %s", b.OperationLogID)
		}
		ids[b.OperationLogID] = true
	}
	if s.Count(KindSync) != workers*perWorker || s.Count(KindOther) != workers*perWorker {
		t.Errorf("counts %d %d", s.Count(KindSync), s.Count(KindOther))
	}
	var rids = map[string]bool{}
	for _, r := range s.Requests() {
		if rids[r.RequestID] {
			t.Errorf("duplicate request id %s", r.RequestID)
		}
		rids[r.RequestID] = true
	}
}

func TestLogNeverContainsSecrets(t *testing.T) {
	logs := newLogSink()
	s, base := newStarted(t, Options{
		Users:      []User{testUser},
		AccessKeys: map[string]string{testAK: testSK},
		Logf:       logs.Logf,
		Now:        newClock(fixedNow).Now,
	})
	r := postToken(t, base, tokenRequestBody("alice", testUser.Password, "acme", map[string]any{"name": DefaultRegion}))
	tok := r.header.Get("X-Subject-Token")
	do(t, http.MethodPost, base+syncPath(DefaultProjectID), syncBody(entry(0)), map[string]string{"X-Auth-Token": tok, "Content-Type": "application/json"})
	send(t, http.DefaultClient, signedRequest(t, base, signedSyncSpec(string(syncBody(entry(1))))))
	postSync(t, base, syncBody(entry(2)))

	lines := logs.all()
	if len(lines) != 4 {
		t.Fatalf("%d log lines: %q", len(lines), lines)
	}
	reqs := s.Requests()
	for i, l := range lines {
		for _, secret := range []string{tok, testUser.Password, testSK, DefaultToken, "alice", "backup-"} {
			if strings.Contains(l, secret) {
				t.Errorf("log line %q contains %q", l, secret)
			}
		}
		if !strings.Contains(l, reqs[i].RequestID) || !strings.Contains(l, fmt.Sprintf("status=%d", reqs[i].Status)) || !strings.Contains(l, reqs[i].Method+" "+reqs[i].Path) {
			t.Errorf("log line %q lacks method, path, status or request id", l)
		}
	}
}
