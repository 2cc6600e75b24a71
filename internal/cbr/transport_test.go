package cbr

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func certPEM(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

func TestNewHTTPClientTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		echo(w, body)
	}))
	defer srv.Close()
	sync := func(o TransportOptions) error {
		t.Helper()
		hc, err := NewHTTPClient(o)
		if err != nil {
			t.Fatal(err)
		}
		c := newClient(t, Config{Endpoint: srv.URL, ProjectID: testProject, Auth: TokenAuth("t"), HTTPClient: hc, MaxRetries: 3})
		c.sleep = func(context.Context, time.Duration) error {
			t.Error("a certificate error must not be retried")
			return nil
		}
		_, err = c.SyncBackups(context.Background(), testBackups(1))
		return err
	}

	// Verified by default: the test server's certificate is not trusted.
	err := sync(TransportOptions{})
	var tErr *TransportError
	if !errors.As(err, &tErr) || tErr.Sent || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("default: err = %v", err)
	}
	// With the server's CA in the bundle it is.
	comments := "# Test CA\n" + string(certPEM(srv)) + "\n# end\n"
	if err := sync(TransportOptions{CACertPEM: []byte(comments)}); err != nil {
		t.Errorf("with the CA bundle: %v", err)
	}
	// insecure skips verification.
	if err := sync(TransportOptions{Insecure: true}); err != nil {
		t.Errorf("insecure: %v", err)
	}
}

func TestNewHTTPClientRejectsBadBundle(t *testing.T) {
	if _, err := NewHTTPClient(TransportOptions{CACertPEM: []byte("not a certificate")}); err == nil || !strings.Contains(err.Error(), "no PEM-encoded CERTIFICATE") {
		t.Errorf("err = %v", err)
	}
}

func TestParseCABundle(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	good := string(certPEM(srv))
	cases := []struct{ name, in, wantErr string }{
		{"one", good, ""},
		{"two with comments", "# a\n" + good + "# b\n" + good, ""},
		{"empty", "", "no PEM-encoded CERTIFICATE block found"},
		{"text", "hello", "no PEM-encoded CERTIFICATE block found"},
		{"key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", `PEM block 1 is a "PRIVATE KEY", not a CERTIFICATE`},
		{"bad der", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "PEM block 1: x509:"},
		{"cut off", good + good[:len(good)/2], "PEM block 2 is incomplete or malformed"},
	}
	for _, tc := range cases {
		certs, err := ParseCABundle([]byte(tc.in))
		if tc.wantErr == "" {
			if err != nil || len(certs) == 0 {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestProxyFromEnv(t *testing.T) {
	env := map[string]string{"HTTPS_PROXY": "http://proxy.corp:3128", "http_proxy": "http://plain.corp:8080", "NO_PROXY": "internal.example,.svc"}
	proxy := ProxyFromEnv(func(k string) string { return env[k] })
	cases := map[string]string{
		"https://cbr.cn-north-4.myhuaweicloud.com/v3": "http://proxy.corp:3128",
		"http://cbr.example.com/v3":                   "http://plain.corp:8080",
		"https://internal.example/v3":                 "",
		"https://cbr.internal.example/v3":             "",
		"https://api.svc/v3":                          "",
		"http://127.0.0.1:8080/v3":                    "",
		"https://localhost/v3":                        "",
	}
	for target, want := range cases {
		req, _ := http.NewRequest(http.MethodGet, target, nil)
		u, err := proxy(req)
		got := ""
		if u != nil {
			got = u.String()
		}
		if err != nil || got != want {
			t.Errorf("%s: proxy %q (%v), want %q", target, got, err, want)
		}
	}
}

// TestNewHTTPClientUsesProxy sends a sync through a forward proxy given by
// HTTP_PROXY: the transport the provider builds keeps the proxy setting.
func TestNewHTTPClientUsesProxy(t *testing.T) {
	var proxied []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied = append(proxied, r.Method+" "+r.URL.String())
		body, _ := io.ReadAll(r.Body)
		echo(w, body)
	}))
	defer proxy.Close()
	hc, err := NewHTTPClient(TransportOptions{Getenv: func(k string) string {
		return map[string]string{"HTTP_PROXY": proxy.URL}[k]
	}})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, Config{Endpoint: "http://cbr.unreachable.example", ProjectID: testProject, Auth: TokenAuth("t"), HTTPClient: hc})
	syncOne(t, c)
	if len(proxied) != 1 || proxied[0] != "POST http://cbr.unreachable.example/v3/"+testProject+"/backups/sync" {
		t.Errorf("proxied %v", proxied)
	}
}

func TestNewHTTPClientDefaults(t *testing.T) {
	hc, err := NewHTTPClient(TransportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lt, ok := hc.Transport.(*loggingTransport)
	if !ok {
		t.Fatalf("transport %T does not log", hc.Transport)
	}
	tr, ok := lt.next.(*http.Transport)
	if !ok {
		t.Fatalf("the logging transport wraps a %T, want an *http.Transport", lt.next)
	}
	if hc.Timeout != DefaultRequestTimeout || tr.Proxy == nil || tr.TLSClientConfig == nil || tr.TLSClientConfig.InsecureSkipVerify {
		t.Errorf("client %+v transport %+v", hc, tr)
	}
	// New keeps a logging transport as it is instead of wrapping it twice.
	c := newClient(t, Config{Endpoint: "https://cbr.example.com", ProjectID: "p", Auth: TokenAuth("t"), HTTPClient: hc})
	if c.http != hc {
		t.Error("New wrapped a logging transport again")
	}
}
