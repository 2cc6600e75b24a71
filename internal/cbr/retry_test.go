package cbr

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recordedSleeps replaces a client's sleep: it records the waits and returns
// at once (or with ctx's error), so tests do not wait for real.
type recordedSleeps struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (r *recordedSleeps) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.delays = append(r.delays, d)
	r.mu.Unlock()
	return ctx.Err()
}

func (r *recordedSleeps) get() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.delays...)
}

// scripted serves the given handlers in turn, one per request; the last one
// serves all further requests. It counts requests and keeps their bodies.
type scripted struct {
	mu       sync.Mutex
	handlers []http.HandlerFunc
	bodies   []string
	tokens   []string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	s.mu.Lock()
	n := len(s.bodies)
	s.bodies = append(s.bodies, string(body))
	s.tokens = append(s.tokens, r.Header.Get("X-Auth-Token"))
	h := s.handlers[min(n, len(s.handlers)-1)]
	s.mu.Unlock()
	h(w, r)
}

func (s *scripted) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bodies)
}

func status(code int, retryAfter string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.Header().Set("X-Request-Id", "rid-"+http.StatusText(code))
		w.WriteHeader(code)
		_, _ = io.WriteString(w, `{"error_code":"APIGW.0000","error_msg":"`+http.StatusText(code)+`"}`)
	}
}

func ok(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	echo(w, body)
}

func reset(w http.ResponseWriter, r *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

// retryClient returns a client with maxRetries against srv whose waits are
// recorded instead of slept and whose jitter is fixed at half the ceiling.
func retryClient(t *testing.T, srv *scripted, maxRetries int) (*Client, *recordedSleeps) {
	t.Helper()
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	c := newClient(t, Config{Endpoint: ts.URL, ProjectID: testProject, Auth: TokenAuth("tok-123"), MaxRetries: maxRetries})
	sleeps := &recordedSleeps{}
	c.sleep = sleeps.sleep
	c.randFloat = func() float64 { return 0.5 }
	return c, sleeps
}

func TestRetryThrottledThenSuccess(t *testing.T) {
	srv := &scripted{handlers: []http.HandlerFunc{status(429, "2"), status(503, ""), ok}}
	c, sleeps := retryClient(t, srv, 5)
	backups := testBackups(2)
	ids, err := c.SyncBackups(context.Background(), backups)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || srv.count() != 3 {
		t.Fatalf("ids %v after %d requests, want 2 ids after 3", ids, srv.count())
	}
	// Every attempt carries the same body and is authenticated again.
	for i := range srv.bodies {
		if srv.bodies[i] != srv.bodies[0] || srv.tokens[i] != "tok-123" {
			t.Errorf("attempt %d: body %q token %q", i+1, srv.bodies[i], srv.tokens[i])
		}
	}
	// Retry-After: 2 is honoured as is; the 503 without it waits half (the
	// fixed jitter) of base·2^1.
	if got := sleeps.get(); len(got) != 2 || got[0] != 2*time.Second || got[1] != time.Second {
		t.Errorf("waits %v, want [2s 1s]", got)
	}
}

func TestRetryBudget(t *testing.T) {
	for _, tc := range []struct {
		max        int
		wantReason string
	}{
		{0, "retries are disabled (max_retries = 0)"},
		{2, "max_retries (2) reached"},
		{MaxRetriesLimit, "max_retries (10) reached"},
	} {
		srv := &scripted{handlers: []http.HandlerFunc{status(503, "")}}
		c, sleeps := retryClient(t, srv, tc.max)
		_, err := c.SyncBackups(context.Background(), testBackups(1))
		var rErr *RetryError
		var apiErr *APIError
		if !errors.As(err, &rErr) || !errors.As(err, &apiErr) || apiErr.StatusCode != 503 {
			t.Fatalf("max %d: err = %T %v", tc.max, err, err)
		}
		if srv.count() != tc.max+1 || rErr.Attempts != tc.max+1 || len(sleeps.get()) != tc.max {
			t.Errorf("max %d: %d requests, %d attempts, %d waits", tc.max, srv.count(), rErr.Attempts, len(sleeps.get()))
		}
		if rErr.Reason != tc.wantReason || !strings.Contains(err.Error(), tc.wantReason) || !strings.Contains(err.Error(), "HTTP 503") {
			t.Errorf("max %d: %v", tc.max, err)
		}
		if MaybeApplied(err) {
			t.Errorf("max %d: a 503 must not count as maybe applied", tc.max)
		}
	}
}

// TestNoRetryWhenMaybeApplied: a sync POST is never sent twice after an
// answer that may mean it was applied.
func TestNoRetryWhenMaybeApplied(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"500":         status(500, "1"),
		"502":         status(502, ""),
		"504":         status(504, ""),
		"reset":       reset,
		"broken json": func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{"sync":[`) },
	} {
		t.Run(name, func(t *testing.T) {
			srv := &scripted{handlers: []http.HandlerFunc{h, ok}}
			c, sleeps := retryClient(t, srv, 5)
			_, err := c.SyncBackups(context.Background(), testBackups(1))
			if err == nil || !MaybeApplied(err) {
				t.Fatalf("err = %v, want a maybe-applied error", err)
			}
			var rErr *RetryError
			if errors.As(err, &rErr) {
				t.Errorf("err %v is a RetryError", err)
			}
			if srv.count() != 1 || len(sleeps.get()) != 0 {
				t.Errorf("%d requests and %d waits, want 1 and 0", srv.count(), len(sleeps.get()))
			}
		})
	}
}

// TestRetryIdempotent: a GET may be retried after answers that would make a
// POST ambiguous.
func TestRetryIdempotent(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{"502": status(502, ""), "500": status(500, ""), "504": status(504, ""), "reset": reset} {
		t.Run(name, func(t *testing.T) {
			srv := &scripted{handlers: []http.HandlerFunc{h, func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, `{"ok":true}`)
			}}}
			c, _ := retryClient(t, srv, 1)
			raw, err := c.doProject(context.Background(), http.MethodGet, "/operation-logs/x", nil)
			if err != nil || string(raw.body) != `{"ok":true}` || srv.count() != 2 {
				t.Fatalf("raw %v err %v after %d requests", raw, err, srv.count())
			}
		})
	}
}

// TestRetryNotSent: a connection that fails before the request is written is
// retried, and the request reaches the server once.
func TestRetryNotSent(t *testing.T) {
	srv := &scripted{handlers: []http.HandlerFunc{ok}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	var dials atomic.Int32
	transport := cloneDefaultTransport(t)
	transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) <= 2 {
			return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connect: connection refused")}
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	c := newClient(t, Config{Endpoint: ts.URL, ProjectID: testProject, Auth: TokenAuth("t"), MaxRetries: 2, HTTPClient: &http.Client{Transport: transport}})
	sleeps := &recordedSleeps{}
	c.sleep = sleeps.sleep
	syncOne(t, c)
	if dials.Load() != 3 || srv.count() != 1 || len(sleeps.get()) != 2 {
		t.Errorf("%d dials, %d requests, %d waits; want 3, 1, 2", dials.Load(), srv.count(), len(sleeps.get()))
	}
}

// TestNoRetryPermanentConnectionErrors: an unknown host is not retried.
func TestNoRetryPermanentConnectionErrors(t *testing.T) {
	var dials atomic.Int32
	transport := cloneDefaultTransport(t)
	transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: "cbr.nowhere.example", IsNotFound: true}}
	}
	c := newClient(t, Config{Endpoint: "https://cbr.nowhere.example", ProjectID: testProject, Auth: TokenAuth("t"), MaxRetries: 3, HTTPClient: &http.Client{Transport: transport}})
	_, err := c.SyncBackups(context.Background(), testBackups(1))
	var tErr *TransportError
	if !errors.As(err, &tErr) || tErr.Sent || dials.Load() != 1 {
		t.Fatalf("err %v after %d dials", err, dials.Load())
	}
}

func TestRetryAfterLongerThanTimeLeft(t *testing.T) {
	srv := &scripted{handlers: []http.HandlerFunc{status(429, "30"), ok}}
	c, sleeps := retryClient(t, srv, 5)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.SyncBackups(ctx, testBackups(1))
	var rErr *RetryError
	if !errors.As(err, &rErr) || !strings.Contains(rErr.Reason, "the server asked to retry in 30s (Retry-After: 30), but only") ||
		!strings.Contains(rErr.Reason, "left before the deadline") {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > time.Second || srv.count() != 1 || len(sleeps.get()) != 0 {
		t.Errorf("took %s with %d requests and waits %v: it must fail at once", time.Since(start), srv.count(), sleeps.get())
	}
}

func TestRetryAfterTooLong(t *testing.T) {
	later := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	for _, ra := range []string{"3600", later} {
		srv := &scripted{handlers: []http.HandlerFunc{status(503, ra), ok}}
		c, sleeps := retryClient(t, srv, 5)
		_, err := c.SyncBackups(context.Background(), testBackups(1))
		var rErr *RetryError
		if !errors.As(err, &rErr) || !strings.Contains(rErr.Reason, "longer than the 2m0s the provider waits at most") {
			t.Fatalf("Retry-After %q: err = %v", ra, err)
		}
		if srv.count() != 1 || len(sleeps.get()) != 0 {
			t.Errorf("Retry-After %q: %d requests, waits %v", ra, srv.count(), sleeps.get())
		}
	}
}

func TestBackoffLongerThanTimeLeft(t *testing.T) {
	srv := &scripted{handlers: []http.HandlerFunc{status(503, ""), ok}}
	c, sleeps := retryClient(t, srv, 5)
	c.retryBase = 10 * time.Second
	c.retryMax = 30 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := c.SyncBackups(ctx, testBackups(1))
	var rErr *RetryError
	if !errors.As(err, &rErr) || !strings.Contains(rErr.Reason, "the next retry would start in 5s, but only") {
		t.Fatalf("err = %v", err)
	}
	if srv.count() != 1 || len(sleeps.get()) != 0 {
		t.Errorf("%d requests, waits %v", srv.count(), sleeps.get())
	}
}

// cancelWhileWaiting syncs one backup through a server that answers 429
// with Retry-After: 60, with the real wait, and cancels the context 100ms
// later; send derives from that context the one the call is made with. The
// call must end at once.
func cancelWhileWaiting(t *testing.T, send func(context.Context) context.Context) (*scripted, error) {
	t.Helper()
	srv := &scripted{handlers: []http.HandlerFunc{status(429, "60"), ok}}
	c, _ := retryClient(t, srv, 5)
	c.sleep = SleepContext
	ctx, cancel := context.WithCancel(context.Background())
	sendCtx := send(ctx)
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.SyncBackups(sendCtx, testBackups(1))
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("returned after %s", elapsed)
	}
	return srv, err
}

// TestCancelWhileWaiting uses the real wait: cancelling the context (Ctrl-C)
// ends it at once.
func TestCancelWhileWaiting(t *testing.T) {
	srv, err := cancelWhileWaiting(t, func(ctx context.Context) context.Context { return ctx })
	var rErr *RetryError
	var apiErr *APIError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &rErr) || !errors.As(err, &apiErr) || apiErr.StatusCode != 429 {
		t.Fatalf("err = %v", err)
	}
	if MaybeApplied(err) || srv.count() != 1 {
		t.Errorf("maybe applied %v, %d requests", MaybeApplied(err), srv.count())
	}
	if !strings.Contains(err.Error(), "the operation ended while waiting to retry: context canceled") {
		t.Errorf("message: %v", err)
	}
}

// TestSlowerThanDeadline: a server slower than the operation's deadline. The
// request was sent, so it may have been applied; it is not retried.
func TestSlowerThanDeadline(t *testing.T) {
	srv := &scripted{handlers: []http.HandlerFunc{func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}}}
	c, sleeps := retryClient(t, srv, 5)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.SyncBackups(ctx, testBackups(1))
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("returned after %s", elapsed)
	}
	var tErr *TransportError
	if !errors.As(err, &tErr) || !tErr.Sent || !errors.Is(err, context.DeadlineExceeded) || !MaybeApplied(err) {
		t.Fatalf("err = %T %v", err, err)
	}
	if srv.count() != 1 || len(sleeps.get()) != 0 {
		t.Errorf("%d requests, waits %v", srv.count(), sleeps.get())
	}
}

func TestBackoffFullJitter(t *testing.T) {
	c := newClient(t, Config{Endpoint: "https://cbr.example.com", ProjectID: "p", Auth: TokenAuth("t")})
	c.randFloat = func() float64 { return 1 }
	want := []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second}
	for attempt, w := range want {
		if got := c.backoff(attempt); got != w {
			t.Errorf("backoff(%d) ceiling = %s, want %s", attempt, got, w)
		}
	}
	if got := c.backoff(1000); got != DefaultRetryMaxDelay {
		t.Errorf("backoff(1000) = %s", got)
	}
	c.randFloat = func() float64 { return 0 }
	if got := c.backoff(3); got != 0 {
		t.Errorf("backoff with jitter 0 = %s", got)
	}
	c.randFloat = func() float64 { return 0.25 }
	if got := c.backoff(2); got != time.Second {
		t.Errorf("backoff(2) with jitter 0.25 = %s, want 1s", got)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"7", 7 * time.Second, true},
		{" 12 ", 12 * time.Second, true},
		{"007", 7 * time.Second, true},
		{"99999999999999999999999", time.Duration(1<<63 - 1), true},
		{"9223372037", time.Duration(1<<63 - 1), true},
		{"Sat, 14 Mar 2026 09:27:23 GMT", 30 * time.Second, true},
		{"Saturday, 14-Mar-26 09:27:23 GMT", 30 * time.Second, true},
		{"Sat Mar 14 09:27:23 2026", 30 * time.Second, true},
		{"Sat, 14 Mar 2026 09:00:00 GMT", 0, true},
		{"", 0, false},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"12s", 0, false},
	}
	for _, tc := range cases {
		got, ok := ParseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %s, %v; want %s, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestNewRejectsBadMaxRetries(t *testing.T) {
	for _, n := range []int{-1, MaxRetriesLimit + 1} {
		if _, err := New(Config{Endpoint: "https://cbr.example.com", ProjectID: "p", Auth: TokenAuth("t"), MaxRetries: n}); err == nil {
			t.Errorf("MaxRetries %d accepted", n)
		}
	}
}

// cloneDefaultTransport returns a copy of http.DefaultTransport to adjust.
func cloneDefaultTransport(t *testing.T) *http.Transport {
	t.Helper()
	tr, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		t.Fatalf("http.DefaultTransport is a %T, want an *http.Transport", http.DefaultTransport)
	}
	return tr.Clone()
}
