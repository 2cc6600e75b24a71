package credentials

import (
	"strings"
	"testing"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
)

// TestCheckEndpoint: malformed endpoints are refused, quoted as written.
func TestCheckEndpoint(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: " cbr.example.com/ ", want: "https://cbr.example.com"},
		{in: "http://127.0.0.1:39793/", want: "http://127.0.0.1:39793"},
		{in: "https://http.example.com", want: "https://http.example.com"},
		{in: "httpbin.example.com", want: "https://httpbin.example.com"},
		{in: "http//127.0.0.1:39793", err: `invalid endpoint "http//127.0.0.1:39793": the scheme http is not followed by "://"; write "http://127.0.0.1:39793"`},
		{in: "HTTPS:/cbr.example.com", err: `invalid endpoint "HTTPS:/cbr.example.com": the scheme HTTPS is not followed by "://"; write "https://cbr.example.com"`},
		{in: "http:cbr.example.com", err: `invalid endpoint "http:cbr.example.com": the scheme http is not followed by "://"`},
		{in: "http://", err: `invalid endpoint "http://": want an http(s) URL`},
		{in: "https:///", err: `invalid endpoint "https:///": want an http(s) URL`},
		{in: "https://http//127.0.0.1", err: `invalid endpoint "https://http//127.0.0.1": the host is "http"`},
		{in: "cbr.example.com#top", err: `invalid endpoint "cbr.example.com#top": a query or fragment is not allowed`},
		{in: "cbr.example.com:", err: `invalid endpoint "cbr.example.com:": empty port`},
		{in: "http//admin:pw-7@host", err: `invalid endpoint "http//admin:pw-7@host"`},
	} {
		got, err := CheckEndpoint(tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%q: %q, %v; want %q", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: %q, %v; want the error %q", tc.in, got, err, tc.err)
		}
	}
}

// FuzzCheckEndpoint: an accepted endpoint is an http(s) URL the client
// accepts too, normalizing is idempotent, and a value without a scheme gets
// https://.
func FuzzCheckEndpoint(f *testing.F) {
	f.Add("cbr.example.com:8443/")
	f.Fuzz(func(t *testing.T, v string) {
		got, err := CheckEndpoint(v)
		if err != nil {
			if got != "" {
				t.Fatalf("%q: error %v with result %q", v, err, got)
			}
			return
		}
		if !strings.HasPrefix(got, "https://") && !strings.HasPrefix(got, "http://") {
			t.Fatalf("%q gives %q", v, got)
		}
		if again, err := CheckEndpoint(got); err != nil || again != got {
			t.Fatalf("%q gives %q, which gives %q, %v", v, got, again, err)
		}
		if !strings.Contains(v, "://") && got != "https://"+strings.TrimRight(strings.TrimSpace(v), "/") {
			t.Fatalf("%q gives %q", v, got)
		}
		if _, err := cbr.New(cbr.Config{Endpoint: got, ProjectID: "p", Auth: cbr.TokenAuth("t")}); err != nil {
			t.Fatalf("%q is accepted as %q, but the client rejects it: %v", v, got, err)
		}
	})
}
