package cbr

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflogtest"
)

// logEntries decodes the JSON log written by a tflogtest root logger.
func logEntries(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	entries, err := tflogtest.MultilineJSONDecode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func findEntry(entries []map[string]any, msg string) map[string]any {
	for _, e := range entries {
		if e["@message"] == msg {
			return e
		}
	}
	return nil
}

// entryString returns the string field key of a log entry, failing the test
// when it is missing or not a string.
func entryString(t *testing.T, entry map[string]any, key string) string {
	t.Helper()
	s, ok := entry[key].(string)
	if !ok {
		t.Fatalf("log entry field %s = %#v, want a string", key, entry[key])
	}
	return s
}

func TestLoggingFields(t *testing.T) {
	var buf bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &buf)
	srv := &scripted{handlers: []http.HandlerFunc{status(429, "0"), func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "rid-ok-42")
		ok(w, r)
	}}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c := newClient(t, Config{Endpoint: ts.URL, ProjectID: testProject, Auth: TokenAuth("tok-very-secret-1"), MaxRetries: 1, Secrets: []string{"tok-very-secret-1"}})
	if _, err := c.SyncBackups(ctx, testBackups(2)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "tok-very-secret-1") {
		t.Fatalf("the token is in the log:\n%s", buf.String())
	}
	entries := logEntries(t, &buf)
	var responses []map[string]any
	for _, e := range entries {
		if e["@message"] == "Received HTTP response" {
			responses = append(responses, e)
		}
	}
	if len(responses) != 2 {
		t.Fatalf("%d response entries, want 2:\n%s", len(responses), buf.String())
	}
	last := responses[1]
	wantURL := ts.URL + "/v3/" + testProject + "/backups/sync"
	if last["@level"] != "debug" || last["http_method"] != "POST" || last["http_url"] != wantURL || last["http_status"] != float64(200) ||
		last["request_id"] != "rid-ok-42" || last["request_body_bytes"] != float64(len(srv.bodies[1])) {
		t.Errorf("response entry %v", last)
	}
	if n, _ := last["response_body_bytes"].(float64); n < 50 {
		t.Errorf("response_body_bytes %v", last["response_body_bytes"])
	}
	if _, ok := last["duration_ms"].(float64); !ok {
		t.Errorf("no duration_ms in %v", last)
	}
	if responses[0]["http_status"] != float64(429) {
		t.Errorf("first response %v", responses[0])
	}

	retry := findEntry(entries, "Retrying CBR API request")
	if retry == nil || retry["@level"] != "info" || retry["cause"] != "HTTP 429 Too Many Requests" || retry["attempt"] != float64(1) || retry["delay_ms"] != float64(0) {
		t.Errorf("retry entry %v", retry)
	}

	trace := findEntry(entries, "HTTP request")
	if trace == nil || trace["@level"] != "trace" {
		t.Fatalf("no TRACE request entry:\n%s", buf.String())
	}
	if h, _ := trace["http_request_headers"].(string); !strings.Contains(h, "X-Auth-Token: ***") || !strings.Contains(h, "Content-Type: application/json") {
		t.Errorf("request headers %q", h)
	}
	if b, _ := trace["http_request_body"].(string); b != srv.bodies[0] {
		t.Errorf("request body logged as %q, sent %q", b, srv.bodies[0])
	}
	resp := findEntry(entries, "HTTP response")
	if b, _ := resp["http_response_body"].(string); !strings.Contains(b, "APIGW.0000") {
		t.Errorf("response body logged as %q", b)
	}
}

// TestLoggingRedactsCredentials sends what the AK/SK signer and IAM password
// authentication put on the wire through the logging transport.
func TestLoggingRedactsCredentials(t *testing.T) {
	secrets := []string{"SIGNATURE0123456789abcdef", "SECURITY-TOKEN-abc", "pw-Secret!42", "MIIsubject-token-xyz", "sk-secret-value", "cookie-secret"}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Subject-Token", "MIIsubject-token-xyz")
		w.Header().Set("Set-Cookie", "session=cookie-secret")
		w.Header().Set("X-Request-Id", "rid-iam")
		w.WriteHeader(201)
		_, _ = io.WriteString(w, `{"token":{"expires_at":"2026-03-15T09:26:53.000000Z","methods":["password"],"user":{"name":"alice","password":{"expires_at":null}}},"credential":{"access":"AK1","secret":"sk-secret-value","securitytoken":"SECURITY-TOKEN-abc"},"region":"cn-north-4"}`)
	}))
	defer ts.Close()
	var buf bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &buf)
	body := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"alice","password":"pw-Secret!42","domain":{"name":"acme"}}}},"scope":{"project":{"name":"cn-north-4"}}}}`
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/v3/auth/tokens?nocatalog=true&access_token=sk-secret-value", strings.NewReader(body))
	req.Header.Set("Authorization", "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;x-sdk-date, Signature=SIGNATURE0123456789abcdef")
	req.Header.Set("X-Security-Token", "SECURITY-TOKEN-abc")
	req.Header.Set("X-Sdk-Date", "20260314T092653Z")
	hc := withLogging(&http.Client{})
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(got), "sk-secret-value") {
		t.Fatal("the caller must get the answer unchanged")
	}
	out := buf.String()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("secret %q is in the log", s)
		}
	}
	entries := logEntries(t, &buf)
	reqEntry, respEntry := findEntry(entries, "HTTP request"), findEntry(entries, "HTTP response")
	if reqEntry == nil || respEntry == nil {
		t.Fatalf("missing entries:\n%s", out)
	}
	if h := entryString(t, reqEntry, "http_request_headers"); !strings.Contains(h, "Authorization: ***") || !strings.Contains(h, "X-Security-Token: ***") || !strings.Contains(h, "X-Sdk-Date: 20260314T092653Z") {
		t.Errorf("request headers %q", h)
	}
	if b := entryString(t, reqEntry, "http_request_body"); !strings.Contains(b, `"methods":["password"]`) || !strings.Contains(b, `"scope":{"project":{"name":"cn-north-4"}}`) {
		t.Errorf("request body %q: the non-secret parts should stay readable", b)
	}
	if u := entryString(t, reqEntry, "http_url"); !strings.Contains(u, "nocatalog=true") || !strings.Contains(u, "access_token=%2A%2A%2A") {
		t.Errorf("url %q", u)
	}
	if h := entryString(t, respEntry, "http_response_headers"); !strings.Contains(h, "X-Subject-Token: ***") || !strings.Contains(h, "Set-Cookie: ***") || !strings.Contains(h, "X-Request-Id: rid-iam") {
		t.Errorf("response headers %q", h)
	}
	// Everything under a secret key is hidden, however deep; the rest stays.
	if b := entryString(t, respEntry, "http_response_body"); !strings.Contains(b, `"credential":{"access":"***","secret":"***"`) || !strings.Contains(b, `"region":"cn-north-4"`) {
		t.Errorf("response body %q", b)
	}
}

// TestLoggingMasksConfiguredSecrets: a secret that shows up where no
// redaction rule can see it (here, echoed in an error message) is still
// masked, because the client registers its secrets as log masks.
func TestLoggingMasksConfiguredSecrets(t *testing.T) {
	const secret = "echoed-secret-4711"
	srv := &scripted{handlers: []http.HandlerFunc{func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		_, _ = fmt.Fprintf(w, `{"error_code":"APIGW.0301","error_msg":"token %s is not valid"}`, secret)
	}}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	for _, masked := range []bool{true, false} {
		var buf bytes.Buffer
		ctx := tflogtest.RootLogger(context.Background(), &buf)
		cfg := Config{Endpoint: ts.URL, ProjectID: testProject, Auth: TokenAuth(secret)}
		if masked {
			cfg.Secrets = []string{"", secret}
		}
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.SyncBackups(ctx, testBackups(1)); err == nil {
			t.Fatal("want an error")
		}
		if leaked := strings.Contains(buf.String(), secret); leaked == masked {
			t.Errorf("masked=%v: secret in the log = %v", masked, leaked)
		}
		if masked && !strings.Contains(buf.String(), `token *** is not valid`) {
			t.Errorf("the masked message is not in the log:\n%s", buf.String())
		}
	}
}

func TestLoggingTransportError(t *testing.T) {
	var buf bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &buf)
	srv := &scripted{handlers: []http.HandlerFunc{reset}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c := newClient(t, Config{Endpoint: ts.URL, ProjectID: testProject, Auth: TokenAuth("t")})
	if _, err := c.SyncBackups(ctx, testBackups(1)); err == nil {
		t.Fatal("want an error")
	}
	e := findEntry(logEntries(t, &buf), "HTTP request got no answer")
	if e == nil || e["@level"] != "debug" || e["http_method"] != "POST" || e["error"] == nil {
		t.Errorf("entry %v", e)
	}
}

func TestRedactBody(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"no secrets", `{"sync":[{"backup_id":"b1","operation_log_id":"op1"}]}`, `{"sync":[{"backup_id":"b1","operation_log_id":"op1"}]}`},
		{"layout kept", "{\n  \"a\": 1,\n  \"password\": \"x\"\n}", "{\n  \"a\": 1,\n  \"password\": \"***\"\n}"},
		{"nested under secret key", `{"token":{"id":"abc","n":5,"list":["x",true,null]}}`, `{"token":{"id":"***","n":"***","list":["***","***","***"]}}`},
		{"secret names", `{"secret_key":"a","SecurityToken":"b","access-token":"c","sk":"d","passwd":"e","X-Auth-Token":"f","name":"g"}`,
			`{"secret_key":"***","SecurityToken":"***","access-token":"***","sk":"***","passwd":"***","X-Auth-Token":"***","name":"g"}`},
		{"escaped key", `{"pass\u0077ord":"x"}`, `{"pass\u0077ord":"***"}`},
		{"escaped quote in value", `{"password":"a\"b","x":"y"}`, `{"password":"***","x":"y"}`},
		{"truncated", `{"user":{"password":"hunter2`, `{"user":{"password":"***"`},
		{"truncated object", `{"token":{"id":"abc","x":`, `{"token":{"id":"***","x":`},
		{"array root", `[{"password":"x"},{"b":"y"}]`, `[{"password":"***"},{"b":"y"}]`},
		{"form", `grant_type=password&password=hunter2&username=alice`, `grant_type=password&password=***&username=alice`},
		{"text", `error: token=abc123 rejected`, `error: token=*** rejected`},
		{"empty", ``, ``},
	}
	for _, tc := range cases {
		if got := RedactBody([]byte(tc.in)); got != tc.want {
			t.Errorf("%s: RedactBody(%s)\n got %s\nwant %s", tc.name, tc.in, got, tc.want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	u, _ := url.Parse("https://user:pa55@cbr.example.com/v3/p/backups/sync?limit=5&X-Auth-Token=abc")
	got := RedactURL(u)
	if strings.Contains(got, "pa55") || strings.Contains(got, "abc") || !strings.Contains(got, "limit=5") || !strings.Contains(got, "user@cbr.example.com") {
		t.Errorf("RedactURL = %s", got)
	}
	if u.User.String() != "user:pa55" {
		t.Error("RedactURL changed its argument")
	}
}

func TestIsSecretName(t *testing.T) {
	for _, n := range []string{"X-Auth-Token", "authorization", "Proxy-Authorization", "X-Security-Token", "X-Subject-Token", "password", "secret_key", "SK", "securitytoken", "client_secret", "privateKey", "api-key"} {
		if !IsSecretName(n) {
			t.Errorf("%q is not treated as secret", n)
		}
	}
	for _, n := range []string{"backup_id", "operation_log_id", "X-Request-Id", "X-Sdk-Date", "Content-Type", "name", "access", "methods", "X-Project-Id"} {
		if IsSecretName(n) {
			t.Errorf("%q is treated as secret", n)
		}
	}
}

// TestRedactBodyKeepsValidJSON: redacting valid JSON gives valid JSON.
func TestRedactBodyKeepsValidJSON(t *testing.T) {
	in := `{"auth":{"identity":{"password":{"user":{"password":12345,"domain":{"name":"d"}}}}},"n":[1,2,{"token":false}]}`
	out := RedactBody([]byte(in))
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if strings.Contains(out, "12345") || strings.Contains(out, "false") {
		t.Errorf("out %s", out)
	}
}
