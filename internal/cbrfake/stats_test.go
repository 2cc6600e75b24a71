package cbrfake

import (
	"bytes"
	"net/http"
	"reflect"
	"testing"
	"time"
)

func TestStats(t *testing.T) {
	s, base := newStarted(t, Options{})
	if st := s.Stats(); len(st.Requests) != 0 || st.SyncedEntries != 0 || st.MaxInFlight != 0 || len(st.Duplicates) != 0 {
		t.Fatalf("fresh server: %+v", st)
	}

	// Three slow requests at once, then a throttled one, a reset one and a
	// second sync of an already synced backup.
	s.InjectFault(KindSync, Fault{Delay: 300 * time.Millisecond}, Fault{Delay: 300 * time.Millisecond}, Fault{Delay: 300 * time.Millisecond})
	syncAtOnce(t, base, 3)
	s.InjectFault(KindSync, Fault{Status: 429, RetryAfter: "1"})
	if r := postSync(t, base, syncBody(entry(3))); r.status != 429 {
		t.Fatalf("throttled: %d", r.status)
	}
	s.InjectFault(KindSync, Fault{Reset: true, Apply: true})
	req, _ := http.NewRequest(http.MethodPost, base+syncPath(DefaultProjectID), bytes.NewReader(syncBody(entry(4))))
	req.Header.Set("X-Auth-Token", DefaultToken)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := (&http.Client{}).Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("the reset request got an answer")
	}
	if r := postSync(t, base, syncBody(entry(0), entry(5))); r.status != 200 {
		t.Fatalf("resync: %d %s", r.status, r.body)
	}
	do(t, http.MethodGet, base+"/nope", nil, nil)

	st := s.Stats()
	wantRequests := map[string]int{KindSync: 6, KindOther: 1}
	wantStatuses := map[string]map[string]int{KindSync: {"200": 4, "429": 1, "0": 1}, KindOther: {"404": 1}}
	if !reflect.DeepEqual(st.Requests, wantRequests) || !reflect.DeepEqual(st.Statuses, wantStatuses) {
		t.Errorf("requests %v statuses %v", st.Requests, st.Statuses)
	}
	if st.MaxInFlight != 3 {
		t.Errorf("MaxInFlight = %d, want 3", st.MaxInFlight)
	}
	if st.SyncedEntries != 6 || st.DistinctBackups != 5 || !reflect.DeepEqual(st.Duplicates, []string{as[string](t, entry(0)["backup_id"], "backup_id")}) {
		t.Errorf("synced %d distinct %d duplicates %v", st.SyncedEntries, st.DistinctBackups, st.Duplicates)
	}
	synced := s.Synced()
	if len(st.Synced) != len(synced) {
		t.Fatalf("%d stats entries, %d synced", len(st.Synced), len(synced))
	}
	for i, e := range st.Synced {
		if e.BackupID != synced[i].BackupID || e.OperationLogID != synced[i].OperationLogID || e.OperationLogID == "" {
			t.Errorf("entry %d: %+v vs %+v", i, e, synced[i])
		}
	}

	s.Reset()
	if st := s.Stats(); len(st.Requests) != 0 || st.MaxInFlight != 0 || st.SyncedEntries != 6 {
		t.Errorf("after Reset: %+v", st)
	}
}

func TestLatencyCountsAsInFlight(t *testing.T) {
	s, base := newStarted(t, Options{Latency: 200 * time.Millisecond})
	start := time.Now()
	syncAtOnce(t, base, 4)
	if elapsed := time.Since(start); elapsed < 200*time.Millisecond {
		t.Errorf("answered in %s despite a latency of 200ms", elapsed)
	}
	if st := s.Stats(); st.MaxInFlight != 4 || st.SyncedEntries != 4 {
		t.Errorf("max in flight %d, synced %d; want 4 and 4", st.MaxInFlight, st.SyncedEntries)
	}
}
