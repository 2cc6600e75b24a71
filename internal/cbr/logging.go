package cbr

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// Redacted replaces every secret value in logs.
const Redacted = "***"

// maxLoggedBody bounds how much of a body is written to the TRACE log.
const maxLoggedBody = 16 << 10

// secretHeaders are request and response headers that carry credentials.
// Any header whose name contains one of secretWords is redacted too.
var secretHeaders = map[string]bool{
	"authorization":       true,
	"proxy-authorization": true,
	"cookie":              true,
	"set-cookie":          true,
	"x-auth-token":        true,
	"x-subject-token":     true,
	"x-security-token":    true,
}

// secretWords mark a header name, JSON key or query parameter as secret when
// the name (lower case, without '-', '_' and '.') contains one of them.
var secretWords = []string{"password", "passwd", "secret", "token", "credential", "signature", "privatekey", "apikey", "authorization", "cookie"}

// secretExactNames are secret names too short to be matched as words.
var secretExactNames = map[string]bool{"sk": true, "pwd": true}

// IsSecretName reports whether a header, JSON key or query parameter with
// this name holds a credential whose value must never be logged.
func IsSecretName(name string) bool {
	n := strings.ToLower(name)
	if secretHeaders[n] {
		return true
	}
	n = strings.NewReplacer("-", "", "_", "", ".", "").Replace(n)
	if secretExactNames[n] {
		return true
	}
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// RedactHeaders renders headers as sorted "Name: value" lines with the
// values of credential headers replaced by Redacted.
func RedactHeaders(h http.Header) string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		for _, v := range h[k] {
			if IsSecretName(k) {
				v = Redacted
			}
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(k)
			b.WriteString(": ")
			b.WriteString(v)
		}
	}
	return b.String()
}

// RedactURL returns u as text without a password in its user info and with
// the values of secret query parameters replaced by Redacted.
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.User != nil {
		c.User = url.User(c.User.Username())
	}
	if c.RawQuery != "" {
		q, err := url.ParseQuery(c.RawQuery)
		if err != nil {
			c.RawQuery = Redacted
		} else {
			for k, vs := range q {
				if IsSecretName(k) {
					for i := range vs {
						vs[i] = Redacted
					}
				}
			}
			c.RawQuery = q.Encode()
		}
	}
	return c.String()
}

// secretFormField matches name=value pairs of form-encoded text.
var secretFormField = regexp.MustCompile(`([A-Za-z0-9_.\-]+)=([^&\s]*)`)

// RedactBody returns a body as text for the log with every secret value
// replaced by Redacted. JSON (even truncated or otherwise invalid) keeps its
// layout, and every scalar inside a member whose key names a secret
// (password, token, secret key, security token...) is replaced, however
// deep. Text that does not start like JSON is also scanned for key=value
// pairs with secret keys.
func RedactBody(body []byte) string {
	text := strings.ToValidUTF8(string(body), "\uFFFD")
	trimmed := strings.TrimLeft(text, " \t\r\n")
	if trimmed == "" {
		return text
	}
	if trimmed[0] != '{' && trimmed[0] != '[' {
		text = secretFormField.ReplaceAllStringFunc(text, func(m string) string {
			sub := secretFormField.FindStringSubmatch(m)
			if !IsSecretName(sub[1]) {
				return m
			}
			return sub[1] + "=" + Redacted
		})
	}
	return redactJSONText(text)
}

// redactJSONText scans JSON-like text without requiring it to be valid and
// replaces the scalar values that sit, at any depth, under a secret key.
func redactJSONText(s string) string {
	var out strings.Builder
	out.Grow(len(s))
	var stack []bool // per open container: whether everything in it is secret
	keySecret := false
	inherited := func() bool { return len(stack) > 0 && stack[len(stack)-1] }
	for i := 0; i < len(s); {
		ch := s[i]
		switch ch {
		case '{', '[':
			stack = append(stack, inherited() || keySecret)
			keySecret = false
			out.WriteByte(ch)
			i++
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			keySecret = false
			out.WriteByte(ch)
			i++
		case ',':
			keySecret = false
			out.WriteByte(ch)
			i++
		case ':', ' ', '\t', '\r', '\n':
			out.WriteByte(ch)
			i++
		case '"':
			end := stringEnd(s, i)
			lit := s[i:end]
			j := end
			for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r' || s[j] == '\n') {
				j++
			}
			if j < len(s) && s[j] == ':' {
				// A member name: it decides about the value that follows.
				keySecret = IsSecretName(unquote(lit))
				out.WriteString(lit)
			} else {
				if inherited() || keySecret {
					out.WriteString(`"` + Redacted + `"`)
				} else {
					out.WriteString(lit)
				}
				keySecret = false
			}
			i = end
		default:
			end := i
			for end < len(s) && !strings.ContainsRune("{}[],:\" \t\r\n", rune(s[end])) {
				end++
			}
			if inherited() || keySecret {
				out.WriteString(`"` + Redacted + `"`)
			} else {
				out.WriteString(s[i:end])
			}
			keySecret = false
			i = end
		}
	}
	return out.String()
}

// stringEnd returns the index just after the JSON string starting at s[i]
// (a quote), or len(s) when it is not terminated.
func stringEnd(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(s)
}

// unquote returns the text of a JSON string literal, tolerating bad ones.
func unquote(lit string) string {
	var v string
	if err := json.Unmarshal([]byte(lit), &v); err == nil {
		return v
	}
	return strings.Trim(lit, `"`)
}

// loggedBodyText returns the redacted body, shortened for the log.
func loggedBodyText(body []byte, truncated bool) string {
	s := RedactBody(body)
	if len(s) > maxLoggedBody {
		s = strings.ToValidUTF8(s[:maxLoggedBody], "") + "…"
	} else if truncated {
		s += "…"
	}
	return s
}

// loggingTransport logs every request and answer with tflog, using the
// request's context: method, URL, status, request id, duration and body
// sizes at DEBUG; redacted headers and bodies at TRACE.
type loggingTransport struct {
	next http.RoundTripper
}

// withLogging returns a copy of hc whose transport logs, unless it already does.
func withLogging(hc *http.Client) *http.Client {
	if _, ok := hc.Transport.(*loggingTransport); ok {
		return hc
	}
	c := *hc
	c.Transport = &loggingTransport{next: hc.Transport}
	return &c
}

func (t *loggingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	next := t.next
	if next == nil {
		next = http.DefaultTransport
	}
	target := RedactURL(req.URL)
	reqBytes := req.ContentLength
	tflog.Debug(ctx, "Sending HTTP request", map[string]any{
		"http_method": req.Method, "http_url": target, "request_body_bytes": reqBytes,
	})
	if tflog.IsTrace(ctx) {
		fields := map[string]any{"http_method": req.Method, "http_url": target, "http_request_headers": RedactHeaders(req.Header)}
		if req.GetBody != nil && req.ContentLength != 0 {
			if rc, err := req.GetBody(); err == nil {
				data, _ := io.ReadAll(io.LimitReader(rc, 4*maxLoggedBody))
				_ = rc.Close()
				fields["http_request_body"] = loggedBodyText(data, int64(len(data)) < req.ContentLength)
			}
		}
		tflog.Trace(ctx, "HTTP request", fields)
	}

	start := time.Now()
	resp, err := next.RoundTrip(req)
	if err != nil {
		tflog.Debug(ctx, "HTTP request got no answer", map[string]any{
			"http_method": req.Method, "http_url": target, "request_body_bytes": reqBytes,
			"duration_ms": time.Since(start).Milliseconds(), "error": err.Error(),
		})
		return nil, err
	}
	resp.Body = &loggedBody{
		ReadCloser: resp.Body, ctx: ctx, start: start, method: req.Method, url: target,
		reqBytes: reqBytes, resp: resp, trace: tflog.IsTrace(ctx),
	}
	return resp, nil
}

// loggedBody counts (and at TRACE, keeps the start of) an answer's body and
// logs the exchange when the body is closed.
type loggedBody struct {
	io.ReadCloser
	ctx         context.Context
	start       time.Time
	method, url string
	reqBytes    int64
	resp        *http.Response
	trace       bool

	n       int64
	kept    []byte
	readErr error
	once    sync.Once
}

func (b *loggedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if b.trace && len(b.kept) < 4*maxLoggedBody {
		room := 4*maxLoggedBody - len(b.kept)
		b.kept = append(b.kept, p[:min(n, room)]...)
	}
	if err != nil && err != io.EOF {
		b.readErr = err
	}
	return n, err
}

func (b *loggedBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.log)
	return err
}

func (b *loggedBody) log() {
	fields := map[string]any{
		"http_method": b.method, "http_url": b.url, "http_status": b.resp.StatusCode,
		"request_id": b.resp.Header.Get("X-Request-Id"), "duration_ms": time.Since(b.start).Milliseconds(),
		"request_body_bytes": b.reqBytes, "response_body_bytes": b.n,
	}
	if b.readErr != nil {
		fields["error"] = b.readErr.Error()
	}
	tflog.Debug(b.ctx, "Received HTTP response", fields)
	if b.trace {
		tflog.Trace(b.ctx, "HTTP response", map[string]any{
			"http_method": b.method, "http_url": b.url, "http_status": b.resp.StatusCode,
			"http_response_headers": RedactHeaders(b.resp.Header),
			"http_response_body":    loggedBodyText(b.kept, int64(len(b.kept)) < b.n),
		})
	}
}
