package cbr

// Fuzz tests of everything that reads bytes from the network or from a
// file. Their seed corpora are in testdata/fuzz/<FuzzName>/ and run with the
// normal tests; run one for longer with, for example:
//
//	go test ./internal/cbr -run '^$' -fuzz '^FuzzSyncAnswer$' -fuzztime 30s

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParseAPIError: any error body gives an APIError that keeps the status
// and request id and prints a bounded message.
func FuzzParseAPIError(f *testing.F) {
	f.Add(400, []byte(`{"error_code":"BackupService.9900","error_msg":"Invalid parameter"}`), "rid")
	f.Fuzz(func(t *testing.T, status int, body []byte, requestID string) {
		e := ParseAPIError(status, body, requestID)
		if e.StatusCode != status {
			t.Fatalf("status %d, want %d", e.StatusCode, status)
		}
		if requestID != "" && e.RequestID != requestID {
			t.Fatalf("request id %q, want the header's %q", e.RequestID, requestID)
		}
		if len(e.Body) > 512+len("…") || !utf8.ValidString(e.Body) {
			t.Fatalf("body snippet of %d bytes (valid UTF-8: %v)", len(e.Body), utf8.ValidString(e.Body))
		}
		if e.Code == "" && e.Message == "" && len(strings.TrimSpace(string(body))) > 0 && e.Body == "" {
			t.Fatalf("neither an error nor the raw body is kept for %q", body)
		}
		msg := e.Error()
		if !strings.Contains(msg, "HTTP "+strconv.Itoa(status)) {
			t.Fatalf("message %q lacks the status", msg)
		}
		if e.RequestID != "" && !strings.Contains(msg, e.RequestID) {
			t.Fatalf("message %q lacks the request id", msg)
		}
		if MaybeApplied(e) != (status == 500 || status == 502 || status == 504) {
			t.Fatalf("MaybeApplied(%d) = %v", status, MaybeApplied(e))
		}
	})
}

// FuzzSyncAnswer decodes any 2xx answer for a request of n backups: the IDs
// returned are always requested ones with an operation log ID, and every
// requested backup is either matched or reported missing.
func FuzzSyncAnswer(f *testing.F) {
	f.Add([]byte(`{"sync":[{"backup_id":"bk-a0","operation_log_id":"op-1"}]}`), uint8(1))
	f.Fuzz(func(t *testing.T, body []byte, n uint8) {
		requested := testBackups(int(n)%MaxSyncEntries + 1)
		raw := &rawAnswer{method: http.MethodPost, url: "https://cbr.example.com/v3/p/backups/sync", status: 200, requestID: "rid", body: body}
		answer, err := decodeSyncAnswer(requested, raw)
		ids := answer.OperationLogIDs
		wanted := map[string]bool{}
		for _, b := range requested {
			wanted[b.BackupId] = true
		}
		for id, op := range ids {
			if !wanted[id] || op == "" {
				t.Fatalf("ids[%q] = %q: not requested or empty", id, op)
			}
		}
		var respErr *ResponseError
		var incomplete *IncompleteSyncError
		switch {
		case err == nil:
			if len(ids) != len(requested) {
				t.Fatalf("no error but %d of %d ids", len(ids), len(requested))
			}
		case errors.As(err, &respErr):
			if len(ids) != 0 || len(respErr.Body) > 512+len("…") || !MaybeApplied(err) {
				t.Fatalf("unreadable answer: ids %v, body %d bytes, %v", ids, len(respErr.Body), err)
			}
		case errors.As(err, &incomplete):
			if incomplete.Requested != len(requested) || len(incomplete.Missing)+len(ids) != len(requested) || !MaybeApplied(err) {
				t.Fatalf("incomplete: %d missing + %d ids != %d requested", len(incomplete.Missing), len(ids), len(requested))
			}
			for _, m := range incomplete.Missing {
				if _, ok := ids[m]; ok || !wanted[m] {
					t.Fatalf("missing %q is matched or was not requested", m)
				}
			}
			_ = incomplete.Error()
		default:
			t.Fatalf("unexpected error type %T: %v", err, err)
		}
	})
}

// FuzzParseRetryAfter: no value gives a negative wait, and a number of
// seconds means exactly that many seconds.
func FuzzParseRetryAfter(f *testing.F) {
	f.Add("120")
	now := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := ParseRetryAfter(v, now)
		if d < 0 || !ok && d != 0 {
			t.Fatalf("ParseRetryAfter(%q) = %s, %v", v, d, ok)
		}
		s := strings.TrimSpace(v)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 && n < 1<<32 && strings.Trim(s, "0123456789") == "" {
			if !ok || d != time.Duration(n)*time.Second {
				t.Fatalf("ParseRetryAfter(%q) = %s, %v; want %ds", v, d, ok, n)
			}
		}
		if when, err := http.ParseTime(s); err == nil && !ok {
			t.Fatalf("the HTTP date %q (%s) was not accepted", v, when)
		}
	})
}

// FuzzRedactBody: redaction never fails, is idempotent, keeps valid JSON
// valid, and leaves no scalar under a secret key.
func FuzzRedactBody(f *testing.F) {
	f.Add([]byte(`{"auth":{"identity":{"password":{"user":{"password":"pw"}}}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		out := RedactBody(body)
		if !utf8.ValidString(out) {
			t.Fatalf("output is not UTF-8: %q", out)
		}
		if again := RedactBody([]byte(out)); again != out {
			t.Fatalf("not idempotent:\n in %q\nout %q\nagain %q", body, out, again)
		}
		var v any
		if json.Unmarshal(body, &v) != nil {
			return
		}
		var w any
		if err := json.Unmarshal([]byte(out), &w); err != nil {
			t.Fatalf("valid JSON %q became invalid %q: %v", body, out, err)
		}
		if leak := secretLeaf(w, false, ""); leak != "" {
			t.Fatalf("%s is not redacted in %q (from %q)", leak, out, body)
		}
	})
}

// secretLeaf returns the path of a scalar under a secret key that is not
// Redacted, or "".
func secretLeaf(v any, secret bool, path string) string {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if p := secretLeaf(e, secret || IsSecretName(k), path+"."+k); p != "" {
				return p
			}
		}
	case []any:
		for i, e := range t {
			if p := secretLeaf(e, secret, fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	case nil:
	default:
		if secret && t != Redacted {
			return path
		}
	}
	return ""
}

// FuzzParseCABundle: any file content is either rejected or gives at least
// one certificate.
func FuzzParseCABundle(f *testing.F) {
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := ParseCABundle(data)
		if err == nil && len(certs) == 0 {
			t.Fatal("no error and no certificate")
		}
		if err != nil && certs != nil {
			t.Fatal("an error and certificates")
		}
	})
}
