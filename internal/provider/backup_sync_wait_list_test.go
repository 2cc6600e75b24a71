package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// fastClient is a client of the fake with quick retries.
func fastClient(t *testing.T, url string, retries int) *cbr.Client {
	t.Helper()
	c, err := cbr.New(cbr.Config{Endpoint: url, ProjectID: cbrfake.DefaultProjectID, Auth: cbr.TokenAuth(cbrfake.DefaultToken),
		MaxRetries: retries, RetryBaseDelay: time.Millisecond, RetryMaxDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// syncThrough sends backups to the fake with client and returns the waits
// for their operation logs.
func syncThrough(t *testing.T, client *cbr.Client, backups []testBackup) []*opLogWait {
	t.Helper()
	entries := syncEntries(backups)
	ids := make([]string, len(backups))
	for i, b := range backups {
		ids[i] = b.BackupID
	}
	opIDs := map[string]string{}
	batches, _ := client.SyncAll(context.Background(), entries, nil)
	for _, b := range batches {
		if b.Err != nil {
			t.Fatal(b.Err)
		}
		for k, v := range b.Answer.OperationLogIDs {
			opIDs[k] = v
		}
	}
	return distinctOperationLogs(ids, opIDs)
}

// rounds is a poll policy that does not sleep and counts the pauses.
func rounds(n *int) pollPolicy {
	return pollPolicy{Initial: time.Millisecond, Max: time.Millisecond, sleep: func(ctx context.Context, _ time.Duration) error {
		*n++
		return ctx.Err()
	}}
}

// TestWaitListsInRounds: each round of waiting for N operation logs costs
// ⌈N/1000⌉ list requests, plus one read by ID for each log the list leaves
// out; nothing else.
func TestWaitListsInRounds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n, hidden, wantPages int
	}{
		{1, 0, 1},
		{50, 0, 1},
		{1000, 0, 1},
		{2000, 0, 2},
		{2000, 3, 2},
	} {
		fake, url := startFake(t, cbrfake.Options{})
		client := fastClient(t, url, 2)
		sentAt := time.Now()
		waits := syncThrough(t, client, makeBackups(tc.n))
		for _, w := range waits[:tc.hidden] {
			fake.HideFromList(w.ID)
		}
		pauses := 0
		if err := waitForOperationLogs(context.Background(), syncLogReader(client, sentAt), waits, rounds(&pauses)); err != nil {
			t.Fatal(err)
		}
		// The default script: waiting, running, success.
		const roundsWanted = 3
		lists, gets := fake.Count(cbrfake.KindOperationLogs), fake.Count(cbrfake.KindOperationLog)
		t.Logf("N=%d, %d hidden from the list: %d rounds, %d list requests, %d reads by ID: %.2f requests per round",
			tc.n, tc.hidden, pauses+1, lists, gets, float64(lists+gets)/float64(pauses+1))
		if pauses+1 != roundsWanted || lists != roundsWanted*tc.wantPages || gets != roundsWanted*tc.hidden {
			t.Errorf("N=%d: %d rounds, %d lists, %d gets; want %d rounds of %d lists and %d gets", tc.n, pauses+1, lists, gets, roundsWanted, tc.wantPages, tc.hidden)
		}
		for _, w := range waits {
			if w.Last == nil || w.Last.Status != cbr.OpStatusSuccess || w.Err != nil {
				t.Fatalf("N=%d: %s: %+v, %v", tc.n, w.ID, w.Last, w.Err)
			}
		}
		for _, r := range fake.Requests() {
			if r.Kind == cbrfake.KindOperationLogs && !strings.Contains(r.RawQuery, "operation_type=sync") || strings.Contains(r.RawQuery, "start_time=") &&
				!strings.Contains(r.RawQuery, "start_time="+strings.ReplaceAll(cbr.FormatOpLogQueryTime(sentAt.Add(-opLogWindowMargin)), ":", "%3A")) {
				t.Fatalf("list query %s", r.RawQuery)
			}
		}
	}
}

// TestWaitListRefused: a list the API refuses for good (here 403, as for a
// policy without the list permission) is not asked again: the logs are read
// one by one, as before the list existed. A broken list answer is not a
// refusal.
func TestWaitListRefused(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	client := fastClient(t, url, 2)
	waits := syncThrough(t, client, makeBackups(3))
	fake.InjectFault(cbrfake.KindOperationLogs, cbrfake.Fault{Status: http.StatusForbidden, ErrorCode: "BackupService.0403", ErrorMsg: "no permission to list"})
	pauses := 0
	if err := waitForOperationLogs(context.Background(), syncLogReader(client, time.Now()), waits, rounds(&pauses)); err != nil {
		t.Fatal(err)
	}
	if lists, gets := fake.Count(cbrfake.KindOperationLogs), fake.Count(cbrfake.KindOperationLog); lists != 1 || gets != 9 || pauses != 2 {
		t.Errorf("%d lists, %d gets, %d pauses", lists, gets, pauses)
	}
	if _, bad := findWaitProblems(nil, waits, 3); bad {
		t.Error("problems after a success")
	}

	// A list answer cut short is listed again in the next round, not read
	// by ID (it consumed the first step of each script).
	fake2, url2 := startFake(t, cbrfake.Options{})
	client2 := fastClient(t, url2, 2)
	waits2 := syncThrough(t, client2, makeBackups(3))
	fake2.InjectFault(cbrfake.KindOperationLogs, cbrfake.Fault{BrokenJSON: true})
	pauses = 0
	if err := waitForOperationLogs(context.Background(), syncLogReader(client2, time.Now()), waits2, rounds(&pauses)); err != nil {
		t.Fatal(err)
	}
	if lists, gets := fake2.Count(cbrfake.KindOperationLogs), fake2.Count(cbrfake.KindOperationLog); lists != 3 || gets != 0 || pauses != 2 {
		t.Errorf("after a broken answer: %d lists, %d gets, %d pauses", lists, gets, pauses)
	}
}

// TestWaitStopsWhenAPIGone: once a read failed for the whole retry budget
// of the client, waiting stops at once (not at the timeout), every pending
// log keeps its last status and the error, and the diagnostic is one short
// paragraph, not a line per operation log.
func TestWaitStopsWhenAPIGone(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	client := fastClient(t, url, 2)
	waits := syncThrough(t, client, makeBackups(120))
	pauses := 0
	p := rounds(&pauses)
	p.sleep = func(ctx context.Context, _ time.Duration) error {
		pauses++
		// After the first round (every log waiting), the API fails for good.
		fake.InjectFault(cbrfake.KindOperationLogs, cbrfake.Fault{Status: 503}, cbrfake.Fault{Status: 504}, cbrfake.Fault{Status: 502})
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	err := waitForOperationLogs(ctx, syncLogReader(client, time.Now()), waits, p)
	var gone *apiGoneError
	var retryErr *cbr.RetryError
	if !errors.As(err, &gone) || !errors.As(err, &retryErr) || retryErr.Attempts != 3 {
		t.Fatalf("err %v; %d lists, %d pauses, %v", err, fake.Count(cbrfake.KindOperationLogs), pauses, fake.Stats().Statuses)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s", d)
	}
	if lists, gets := fake.Count(cbrfake.KindOperationLogs), fake.Count(cbrfake.KindOperationLog); lists != 4 || gets != 0 || pauses != 1 {
		t.Errorf("%d lists, %d gets, %d pauses", lists, gets, pauses)
	}
	for _, w := range waits {
		if w.Last == nil || w.Last.Status != cbr.OpStatusWaiting || w.Err == nil || w.Stopped {
			t.Fatalf("%s: %+v, %v", w.ID, w.Last, w.Err)
		}
	}
	d := waitDiagnostic(err, waits, 120)
	if d == nil || d.Summary() != "CBR Unreachable While Waiting for Backup Sync" {
		t.Fatalf("diagnostic %v", d)
	}
	for _, want := range []string{
		"CBR accepted the request to synchronize 120 backups; the operation log IDs are saved in the state.",
		"failed even after the provider's retries, so it stopped waiting: GET ",
		"HTTP 502 Bad Gateway",
		"(gave up after 3 attempts: max_retries (2) reached)",
		"Imported (status success or skipped): 0 of 120; failed: 0; not finished or not read: 120.",
		"cbr_operation_logs data source",
	} {
		if !strings.Contains(d.Detail(), want) {
			t.Errorf("detail lacks %q:\n%s", want, d.Detail())
		}
	}
	if n := strings.Count(d.Detail(), "\n"); n > 3 {
		t.Errorf("%d lines:\n%s", n, d.Detail())
	}

	// The same when the fallback read by ID is what fails.
	fake2, url2 := startFake(t, cbrfake.Options{})
	client2 := fastClient(t, url2, 1)
	waits2 := syncThrough(t, client2, makeBackups(2))
	fake2.HideFromList(waits2[1].ID)
	fake2.InjectFault(cbrfake.KindOperationLog, cbrfake.Fault{Status: 504}, cbrfake.Fault{Status: 504})
	err = waitForOperationLogs(ctx, syncLogReader(client2, time.Now()), waits2, rounds(new(int)))
	if !errors.As(err, &gone) || fake2.Count(cbrfake.KindOperationLogs) != 1 || fake2.Count(cbrfake.KindOperationLog) != 2 {
		t.Fatalf("err %v, %d lists, %d gets", err, fake2.Count(cbrfake.KindOperationLogs), fake2.Count(cbrfake.KindOperationLog))
	}
	if waits2[0].Last == nil || waits2[0].Err == nil || waits2[1].Last != nil || waits2[1].Err == nil {
		t.Errorf("waits %+v %+v", waits2[0], waits2[1])
	}
}

// TestAccBackupSync_waitManyBackups: waiting for 250 backups through the CLI,
// with 1,000 older sync operation logs in the window, costs two list requests
// a round (1,250 logs in pages of 1,000) instead of 250 reads; the three
// backups the list leaves out are read by ID. (TestWaitListsInRounds counts
// the requests for 2,000 backups without the CLI, whose conversion of a list
// of 2,000 backups takes minutes.)
func TestAccBackupSync_waitManyBackups(t *testing.T) {
	const older, n, hidden, pages, rounds = 1000, 250, 3, 2, 3
	fake, url := startFake(t, cbrfake.Options{})
	all := makeBackups(older + n)
	for i := 0; i < older; i += cbr.MaxSyncEntries {
		fakeSync(t, url, all[i:i+cbr.MaxSyncEntries])
	}
	backups := all[older:]
	for _, b := range backups[:hidden] {
		fake.HideBackupsFromList(b.BackupID)
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{{
			Config: providerConfig(url) + syncConfig(backups, "  wait_for_completion = true"),
			ConfigStateChecks: append(stateMatchesFake(fake, n),
				statecheck.ExpectKnownValue(testAddr, statusPath(backups[0].BackupID), knownvalue.StringExact("success")),
				statecheck.ExpectKnownValue(testAddr, statusPath(backups[n-1].BackupID), knownvalue.StringExact("success")),
				checkFunc(expectCalls(fake, cbrfake.KindSync, (older+n)/cbr.MaxSyncEntries)),
				checkFunc(func() error {
					lists, gets := fake.Count(cbrfake.KindOperationLogs), fake.Count(cbrfake.KindOperationLog)
					t.Logf("%d backups, %d logs in the window: %d list requests and %d reads by ID in %d rounds", n, older+n, lists, gets, rounds)
					if lists != rounds*pages || gets != rounds*hidden {
						return fmt.Errorf("%d list requests and %d reads by ID, want %d and %d", lists, gets, rounds*pages, rounds*hidden)
					}
					return nil
				}),
				checkFunc(func() error {
					for _, s := range fake.Synced()[older:] {
						if st, _ := fake.OperationLog(s.OperationLogID); st != cbrfake.StatusSuccess {
							return fmt.Errorf("operation log %s is %s", s.OperationLogID, st)
						}
					}
					return nil
				}),
			),
		}},
	})
}

// startDyingFake serves a fake that goes away right after its first sync
// answer: later requests on open connections are cut, and new connections
// are refused.
func startDyingFake(t *testing.T, opts cbrfake.Options) (*cbrfake.Server, string) {
	t.Helper()
	fake := cbrfake.New(opts)
	var dead atomic.Bool
	var ts *httptest.Server
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if dead.Load() {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		fake.ServeHTTP(w, r)
		if strings.HasSuffix(r.URL.Path, "/backups/sync") && dead.CompareAndSwap(false, true) {
			_ = ts.Listener.Close()
		}
	}))
	t.Cleanup(ts.Close)
	guardImports(t, fake)
	return fake, ts.URL
}

// TestAccBackupSync_waitAPIGone: the API goes away right after answering the
// sync. The apply stops waiting once the reads failed for the retry budget,
// long before the create timeout, with one short diagnostic; the state keeps
// every operation_log_id.
func TestAccBackupSync_waitAPIGone(t *testing.T) {
	const n = 50
	backups := makeBackups(n)
	t.Run("error", func(t *testing.T) {
		_, url := startDyingFake(t, cbrfake.Options{})
		tfresource.ParallelTest(t, tfresource.TestCase{
			ProtoV6ProviderFactories: providerFactories(nil),
			Steps: []tfresource.TestStep{{
				Config: providerConfig(url) + syncConfig(backups, "  wait_for_completion = true"),
				ExpectError: errorLike(`(?s)CBR Unreachable While Waiting for Backup Sync.*CBR accepted the request to synchronize 50 backups; the operation log IDs are saved in the state\. ` +
					`Then reading the operation logs failed even after the provider's retries, so it stopped waiting: GET .*/operation-logs\?.*\(gave up after 6 attempts: max_retries \(5\) reached\)\. ` +
					`Imported \(status success or skipped\): 0 of 50; failed: 0; not finished or not read: 50\. .*cbr_operation_logs data source`),
			}},
		})
	})
	t.Run("warning", func(t *testing.T) {
		fake, url := startDyingFake(t, cbrfake.Options{})
		var started time.Time
		tfresource.ParallelTest(t, tfresource.TestCase{
			ProtoV6ProviderFactories: providerFactories(nil),
			Steps: []tfresource.TestStep{{
				PreConfig: func() { started = time.Now() },
				Config:    providerConfig(url) + syncConfig(backups, "  wait_for_completion = true\n  fail_on_import_failure = false"),
				ConfigStateChecks: append(append(stateMatchesFake(fake, n), statusesAre(backups, make([]string, n)...)...),
					checkFunc(func() error {
						if d := time.Since(started); d > time.Minute {
							return fmt.Errorf("the apply took %s", d)
						}
						lists, gets := fake.Count(cbrfake.KindOperationLogs), fake.Count(cbrfake.KindOperationLog)
						if lists > 6 || gets != 0 {
							return fmt.Errorf("%d list requests and %d reads by ID reached the fake", lists, gets)
						}
						return expectCalls(fake, cbrfake.KindSync, 1)()
					})),
			}},
		})
	})
}

// TestActionWaitDiagnosticAPIGone: the action, which records nothing in the
// state, names the operation logs of the backups not imported in its one
// short diagnostic.
func TestActionWaitDiagnosticAPIGone(t *testing.T) {
	err := &cbr.RetryError{Attempts: 6, Reason: "max_retries (5) reached", Err: &cbr.TransportError{Method: "GET", URL: "https://cbr/v3/p/operation-logs", Err: errors.New("connection refused")}}
	waits := []*opLogWait{
		{ID: "op1", BackupIDs: []string{"b1"}, Last: &cbr.OperationLog{ID: "op1", Status: cbr.OpStatusSuccess}},
		{ID: "op2", BackupIDs: []string{"b2"}, Last: &cbr.OperationLog{ID: "op2", Status: cbr.OpStatusRunning}, Err: err},
		{ID: "op3", BackupIDs: []string{"b3"}, Err: err},
	}
	d := actionWaitDiagnostic(&apiGoneError{Err: err}, waits, 3, 1)
	if d == nil || d.Summary() != "CBR Unreachable While Waiting for Backup Sync" {
		t.Fatalf("diagnostic %v", d)
	}
	for _, want := range []string{
		"CBR accepted 3 backups (1 request). Then reading the operation logs failed even after the provider's retries, so the action stopped waiting: GET https://cbr/v3/p/operation-logs",
		"Imported (status success or skipped): 1 of 3; failed: 0; not finished or not read: 2.",
		"The operation log IDs of the backups not imported: op2, op3.",
	} {
		if !strings.Contains(d.Detail(), want) {
			t.Errorf("detail lacks %q:\n%s", want, d.Detail())
		}
	}
}
