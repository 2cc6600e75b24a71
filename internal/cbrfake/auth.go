package cbrfake

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
)

const (
	// SignAlgorithm is the only Authorization scheme accepted.
	SignAlgorithm = "SDK-HMAC-SHA256"
	// SdkDateFormat is the layout of the X-Sdk-Date header.
	SdkDateFormat = "20060102T150405Z"

	unsignedPayload = "UNSIGNED-PAYLOAD"
)

// principal is who a request was authenticated as.
type principal struct {
	// projectID is the project the credentials are scoped to; "" means
	// account-wide (AK/SK).
	projectID string
	method    string // "token" or "aksk"
	// domain is the account the credentials act in.
	domain string
}

// unauthorized is a 401 APIGW.0301 error.
func unauthorized(c *call, detail string) *response {
	return apiError(c, http.StatusUnauthorized, "APIGW.0301", "Incorrect IAM authentication information: "+detail)
}

// authenticate checks the credentials of c: X-Auth-Token first, then an
// SDK-HMAC-SHA256 Authorization header.
func (s *Server) authenticate(c *call) (*principal, *response) {
	r := c.r
	if vals := r.Header.Values("X-Auth-Token"); len(vals) > 0 {
		if len(vals) > 1 {
			return nil, unauthorized(c, "verify token failed: more than one X-Auth-Token header")
		}
		return s.verifyToken(c, vals[0])
	}
	if len(r.Header.Values("Authorization")) > 0 {
		return s.verifySignature(c)
	}
	return nil, unauthorized(c, "Authorization header or X-Auth-Token is required")
}

func (s *Server) verifyToken(c *call, tok string) (*principal, *response) {
	if s.staticTokens[tok] {
		return &principal{projectID: s.opts.ProjectID, method: "token", domain: s.callerDomain()}, nil
	}
	s.mu.Lock()
	it := s.issued[tok]
	var expired bool
	var pid, domain string
	if it != nil {
		expired = it.expired || !s.now().Before(it.expiresAt)
		pid, domain = it.projectID, it.domain
	}
	s.mu.Unlock()
	if it == nil {
		return nil, unauthorized(c, "verify token failed")
	}
	if expired {
		return nil, apiError(c, http.StatusUnauthorized, "APIGW.0307", "The token must be updated.")
	}
	return &principal{projectID: pid, method: "token", domain: domain}, nil
}

// verifySignature verifies an SDK-HMAC-SHA256 signature by recomputing it
// with the official SDK signer over what was received.
func (s *Server) verifySignature(c *call) (*principal, *response) {
	r := c.r
	fail := func(format string, args ...any) (*principal, *response) {
		return nil, unauthorized(c, "verify aksk signature fail: "+fmt.Sprintf(format, args...))
	}

	authz := r.Header.Values("Authorization")
	if len(authz) != 1 {
		return fail("more than one Authorization header")
	}
	alg, rest, _ := strings.Cut(authz[0], " ")
	if alg != SignAlgorithm {
		return fail("unsupported signing algorithm %q (expected %s)", truncate(alg, 32), SignAlgorithm)
	}
	params, ok := parseAuthParams(rest)
	if !ok {
		return fail("malformed Authorization header (expected %s Access=..., SignedHeaders=..., Signature=...)", SignAlgorithm)
	}
	ak, signedList, sig := params["Access"], params["SignedHeaders"], params["Signature"]
	sk, ok := s.opts.AccessKeys[ak]
	domain := s.callerDomain()
	wantST, temporary := s.opts.SecurityTokens[ak]
	if !ok {
		s.mu.Lock()
		t := s.temporary[ak]
		s.mu.Unlock()
		if t == nil {
			return fail("unknown access key")
		}
		if !s.now().Before(t.expiresAt) {
			return nil, apiError(c, http.StatusUnauthorized, "APIGW.0307", "The security token has expired: get new temporary credentials.")
		}
		sk, domain, wantST, temporary = t.sk, t.domain, t.st, true
	}
	if !isLowerHex(sig, 64) {
		return fail("Signature must be 64 lower-case hex characters")
	}
	signed := strings.Split(signedList, ";")
	for i, h := range signed {
		if h == "" || h != strings.ToLower(h) || (i > 0 && signed[i-1] >= h) {
			return fail("SignedHeaders must be non-empty, lower-case, sorted and unique")
		}
	}
	if !contains(signed, "x-sdk-date") {
		return fail("x-sdk-date must be a signed header")
	}

	dates := r.Header.Values("X-Sdk-Date")
	if len(dates) != 1 || dates[0] == "" {
		return fail("exactly one X-Sdk-Date header is required")
	}
	t, err := time.Parse(SdkDateFormat, dates[0])
	if err != nil {
		return fail("X-Sdk-Date %q is not in format %s", truncate(dates[0], 40), SdkDateFormat)
	}
	if skew := s.now().Sub(t); skew > MaxClockSkew || skew < -MaxClockSkew {
		return fail("X-Sdk-Date %s differs from the server time by more than %s", dates[0], MaxClockSkew)
	}

	// Temporary credentials need their security token, and it must be signed.
	gotST := r.Header.Values("X-Security-Token")
	if temporary {
		if len(gotST) != 1 || subtle.ConstantTimeCompare([]byte(gotST[0]), []byte(wantST)) != 1 {
			return fail("X-Security-Token is missing or invalid for this temporary access key")
		}
		if !contains(signed, "x-security-token") {
			return fail("x-security-token must be a signed header")
		}
	} else if len(gotST) > 0 {
		return fail("X-Security-Token must not be sent with a permanent access key")
	}

	// The signer trusts X-Sdk-Content-Sha256 as the body hash: check it.
	if contains(signed, "x-sdk-content-sha256") {
		vals := r.Header.Values("X-Sdk-Content-Sha256")
		if len(vals) == 1 {
			if vals[0] == unsignedPayload {
				if len(c.body) > 0 {
					return fail("unsigned payload is not accepted for a request with a body")
				}
			} else {
				sum := sha256.Sum256(c.body)
				if !strings.EqualFold(vals[0], hex.EncodeToString(sum[:])) {
					return fail("X-Sdk-Content-Sha256 does not match the request body")
				}
			}
		}
	}

	// Rebuild the request as the SDK signer sees it.
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	b := request.NewHttpRequestBuilder().
		WithEndpoint(scheme + "://" + r.Host).
		WithPath(r.URL.Path).
		WithMethod(r.Method)
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return fail("malformed query string")
	}
	for k, vs := range query {
		if len(vs) == 1 {
			b.AddQueryParam(k, reflect.ValueOf(vs[0]))
		} else {
			b.AddQueryParam(k, reflect.ValueOf(vs))
		}
	}
	for _, name := range signed {
		var v string
		switch name {
		case "host":
			v = r.Host
		case "content-length":
			if r.ContentLength < 0 {
				return fail("signed header %q is missing", name)
			}
			v = strconv.FormatInt(r.ContentLength, 10)
		default:
			vals := r.Header.Values(name)
			if len(vals) != 1 {
				return fail("signed header %q is missing or repeated", name)
			}
			v = vals[0]
		}
		b.AddHeaderParam(http.CanonicalHeaderKey(name), v)
	}
	if len(c.body) > 0 {
		b.WithBody("", string(c.body))
	}
	added, err := signer.Signer{}.Sign(b.Build(), ak, sk)
	if err != nil {
		return fail("%v", err)
	}
	want, ok := parseAuthParams(strings.TrimPrefix(added[signer.HeaderAuthorization], SignAlgorithm+" "))
	if !ok {
		return fail("internal error recomputing the signature")
	}
	if want["SignedHeaders"] != signedList {
		return fail("SignedHeaders %q cannot be signed as sent (expected %q)", signedList, want["SignedHeaders"])
	}
	if subtle.ConstantTimeCompare([]byte(want["Signature"]), []byte(sig)) != 1 {
		return fail("signature mismatch")
	}

	// A signed call naming a project must name the one in the path.
	if c.projectID != "" {
		if vals := r.Header.Values("X-Project-Id"); len(vals) > 0 && (len(vals) != 1 || vals[0] != c.projectID) {
			return nil, unauthorized(c, fmt.Sprintf("X-Project-Id header %q does not match project_id %q in the request path",
				truncate(strings.Join(vals, ","), 64), c.projectID))
		}
	}
	return &principal{method: "aksk", domain: domain}, nil
}

// parseAuthParams parses "Access=AK, SignedHeaders=a;b, Signature=hex".
func parseAuthParams(s string) (map[string]string, bool) {
	out := make(map[string]string, 3)
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || v == "" {
			return nil, false
		}
		switch k {
		case "Access", "SignedHeaders", "Signature":
		default:
			return nil, false
		}
		if _, dup := out[k]; dup {
			return nil, false
		}
		out[k] = v
	}
	return out, len(out) == 3
}

// checkProject checks that the project in the path is the served one and
// that the credentials are scoped to it.
func (s *Server) checkProject(c *call, p *principal) *response {
	if c.projectID != s.opts.ProjectID {
		return apiError(c, http.StatusForbidden, "BackupService.0006",
			fmt.Sprintf("Forbidden: project_id %s in the request path is not a project of this account in region %s",
				truncate(c.projectID, 64), s.opts.Region))
	}
	if p.domain != s.accountDomain {
		return apiError(c, http.StatusForbidden, "BackupService.0006",
			fmt.Sprintf("Forbidden: the credentials belong to account %s, not to the account of project_id %s; assume an agency of this account",
				truncate(p.domain, 64), c.projectID))
	}
	if p.projectID != "" && p.projectID != c.projectID {
		return apiError(c, http.StatusForbidden, "BackupService.0006",
			fmt.Sprintf("Forbidden: the token is scoped to project %s, not to project_id %s in the request path",
				p.projectID, c.projectID))
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// truncate shortens s for inclusion in an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
