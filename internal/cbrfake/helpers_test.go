package cbrfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
)

const (
	testAK = "TESTAKEXAMPLE0000001"
	testSK = "test-secret-key-do-not-use-0000000000001"
)

// fixedNow is the clock of most tests.
var fixedNow = time.Date(2026, 3, 14, 9, 26, 53, 589793000, time.UTC)

// clock and newClock are the names the tests give Clock and NewClock.
type clock = Clock

var newClock = NewClock

// start starts s and registers its shutdown.
func start(t *testing.T, s *Server) string {
	t.Helper()
	u, closeFn := s.Start()
	t.Cleanup(closeFn)
	return u
}

// newStarted builds and starts a server.
func newStarted(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	s := New(opts)
	return s, start(t, s)
}

// entry returns a valid BackupSync entry as a generic map.
func entry(i int) map[string]any {
	return map[string]any{
		"backup_id":     fmt.Sprintf("1f9e6b47-7655-4a19-b563-%012d", i),
		"backup_name":   fmt.Sprintf("backup-%d", i),
		"bucket_name":   "1555230361623e4ce4700dab84b7d8169a5eaec05227d",
		"image_path":    fmt.Sprintf("6abec15e-7baf-4d79-b5a9-6b98a2da7020/chain-%d", i),
		"resource_id":   "96f7512d-239d-3f31-80cf-d1ce041df9a6",
		"resource_name": "vm-01",
		"resource_type": "OS::Native::Server",
		"created_at":    1553587260 + i,
	}
}

// as returns v as a T, failing the test when it is not one; what names v in
// the message.
func as[T any](t *testing.T, v any, what string) T {
	t.Helper()
	x, ok := v.(T)
	if !ok {
		t.Fatalf("%s = %#v, want a %T", what, v, x)
	}
	return x
}

func entries(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = entry(i)
	}
	return out
}

func syncBody(es ...any) []byte {
	b, err := json.Marshal(map[string]any{"sync": es})
	if err != nil {
		panic(err)
	}
	return b
}

func syncPath(projectID string) string { return "/v3/" + projectID + "/backups/sync" }

func opLogPath(projectID, id string) string { return "/v3/" + projectID + "/operation-logs/" + id }

// result is a decoded answer.
type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, r.body)
	}
	return m
}

// do sends a request with the given headers (nil body for none).
func do(t *testing.T, method, url string, body []byte, headers map[string]string) result {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return send(t, http.DefaultClient, req)
}

func send(t *testing.T, c *http.Client, req *http.Request) result {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: b}
}

func tokenHeaders() map[string]string {
	return map[string]string{"X-Auth-Token": DefaultToken, "Content-Type": "application/json"}
}

// postSync posts body to the default project with the default token.
func postSync(t *testing.T, base string, body []byte) result {
	t.Helper()
	return do(t, http.MethodPost, base+syncPath(DefaultProjectID), body, tokenHeaders())
}

// syncAtOnce posts n sync requests at the same time, the ith of entry(i)
// alone, and waits for their answers; each answer but a 200 fails the test.
func syncAtOnce(t *testing.T, base string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := postSync(t, base, syncBody(entry(i))); r.status != 200 {
				t.Errorf("sync %d: %d %s", i, r.status, r.body)
			}
		}()
	}
	wg.Wait()
}

var requestIDRe = regexp.MustCompile(`^[0-9a-f]{32}$`)

// wantError checks a Huawei style error answer.
func wantError(t *testing.T, r result, status int, code, msgPart string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	rid := r.header.Get("X-Request-Id")
	if !requestIDRe.MatchString(rid) {
		t.Errorf("X-Request-Id = %q, want 32 hex", rid)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var e struct {
		ErrorCode string `json:"error_code"`
		ErrorMsg  string `json:"error_msg"`
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, r.body)
	}
	if e.ErrorCode != code {
		t.Errorf("error_code = %q, want %q (msg %q)", e.ErrorCode, code, e.ErrorMsg)
	}
	if !strings.Contains(e.ErrorMsg, msgPart) {
		t.Errorf("error_msg = %q, want it to contain %q", e.ErrorMsg, msgPart)
	}
	if e.RequestID != rid {
		t.Errorf("request_id = %q, X-Request-Id = %q", e.RequestID, rid)
	}
}

// signedRequest builds a request the way the SDK does (request builder,
// signer.Sign, ConvertRequest). body may be a string (sent as is) or a value
// (JSON encoded by the SDK).
type signSpec struct {
	method, path string
	query        map[string]string
	headers      map[string]string
	body         any
	ak, sk       string
}

func signedRequest(t *testing.T, base string, sp signSpec) *http.Request {
	t.Helper()
	b := request.NewHttpRequestBuilder().WithEndpoint(base).WithPath(sp.path).WithMethod(sp.method)
	for k, v := range sp.query {
		b.AddQueryParam(k, reflect.ValueOf(v))
	}
	for k, v := range sp.headers {
		b.AddHeaderParam(k, v)
	}
	if sp.body != nil {
		b.WithBody("", sp.body)
	}
	req := b.Build()
	ak, sk := sp.ak, sp.sk
	if ak == "" {
		ak, sk = testAK, testSK
	}
	added, err := signer.Signer{}.Sign(req, ak, sk)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range added {
		req.AddHeaderParam(k, v)
	}
	hr, err := req.ConvertRequest()
	if err != nil {
		t.Fatal(err)
	}
	return hr
}

func sdkDate(t time.Time) string { return t.UTC().Format(SdkDateFormat) }

// logSink collects Logf lines and signals each one.
type logSink struct {
	mu    sync.Mutex
	lines []string
	ch    chan string
}

func newLogSink() *logSink { return &logSink{ch: make(chan string, 1024)} }

func (l *logSink) Logf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	l.mu.Lock()
	l.lines = append(l.lines, line)
	l.mu.Unlock()
	select {
	case l.ch <- line:
	default:
	}
}

func (l *logSink) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// wait waits for the next log line (one request finished).
func (l *logSink) wait(t *testing.T) string {
	t.Helper()
	select {
	case line := <-l.ch:
		return line
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for a request to finish")
		return ""
	}
}
