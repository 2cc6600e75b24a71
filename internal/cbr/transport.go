package cbr

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"

	"golang.org/x/net/http/httpproxy"
)

// DefaultRequestTimeout bounds one HTTP request (connection, sending and
// reading the answer) when TransportOptions.Timeout is zero.
const DefaultRequestTimeout = 5 * time.Minute

// TransportOptions configure the HTTP client built by NewHTTPClient.
type TransportOptions struct {
	// Insecure skips the verification of the server's TLS certificate.
	Insecure bool
	// CACertPEM holds PEM certificates trusted in addition to the system's
	// root certificates (see ParseCABundle).
	CACertPEM []byte
	// Getenv reads the proxy settings HTTPS_PROXY, HTTP_PROXY and NO_PROXY
	// (or their lower-case forms); nil means os.Getenv.
	Getenv func(string) string
	// Timeout bounds each request; zero means DefaultRequestTimeout.
	Timeout time.Duration
}

// NewHTTPClient builds the HTTP client the API calls go through: TLS
// verified against the system roots plus CACertPEM (unless Insecure),
// proxies from the environment, a per-request timeout, and logging of every
// exchange with secrets redacted.
func NewHTTPClient(o TransportOptions) (*http.Client, error) {
	base, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return nil, fmt.Errorf("http.DefaultTransport is a %T instead of an *http.Transport, so the HTTP client cannot be built from it. "+
			"This is always a bug in the provider and should be reported to the provider developers", http.DefaultTransport)
	}
	t := base.Clone()
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	t.Proxy = ProxyFromEnv(getenv)
	// Terraform applies resources in parallel (10 by default): keep enough
	// idle connections to the one API host to reuse them.
	t.MaxIdleConnsPerHost = 32

	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(o.CACertPEM) > 0 {
		certs, err := ParseCABundle(o.CACertPEM)
		if err != nil {
			return nil, err
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		for _, c := range certs {
			pool.AddCert(c)
		}
		tlsCfg.RootCAs = pool
	}
	if o.Insecure {
		tlsCfg.InsecureSkipVerify = true //nolint:gosec // asked for explicitly with insecure = true; the provider warns
	}
	t.TLSClientConfig = tlsCfg

	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	return &http.Client{Transport: &loggingTransport{next: t}, Timeout: timeout}, nil
}

// ProxyFromEnv returns the proxy function of http.ProxyFromEnvironment, but
// reading the variables through getenv (when the client is built, not once
// per process): HTTPS_PROXY for https URLs, HTTP_PROXY for http URLs, and
// NO_PROXY for exceptions. Requests to localhost and loopback addresses
// never use a proxy.
func ProxyFromEnv(getenv func(string) string) func(*http.Request) (*url.URL, error) {
	either := func(upper, lower string) string {
		if v := getenv(upper); v != "" {
			return v
		}
		return getenv(lower)
	}
	cfg := &httpproxy.Config{
		HTTPProxy:  either("HTTP_PROXY", "http_proxy"),
		HTTPSProxy: either("HTTPS_PROXY", "https_proxy"),
		NoProxy:    either("NO_PROXY", "no_proxy"),
		CGI:        getenv("REQUEST_METHOD") != "",
	}
	proxy := cfg.ProxyFunc()
	return func(req *http.Request) (*url.URL, error) { return proxy(req.URL) }
}

// ParseCABundle reads PEM-encoded CA certificates. Text around the blocks
// (comments in a bundle) is ignored. It fails when the data holds no
// certificate, a block that is not a certificate, a certificate that cannot
// be parsed, or a block that is cut off.
func ParseCABundle(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := data
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("PEM block %d is a %q, not a CERTIFICATE", n, block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %w", n, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM-encoded CERTIFICATE block found")
	}
	if bytes.Contains(rest, []byte("-----BEGIN")) {
		return nil, fmt.Errorf("PEM block %d is incomplete or malformed", len(certs)+1)
	}
	return certs, nil
}
