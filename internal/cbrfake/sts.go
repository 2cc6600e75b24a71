package cbrfake

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Temporary credentials: the agency and token methods of
// POST /v3.0/OS-CREDENTIAL/securitytokens, the ID token exchange of
// POST /v3.0/OS-AUTH/id-token/tokens and the ECS metadata service's
// GET /openstack/latest/securitykey.

// Request kinds of temporary credentials.
const (
	// KindIAMSecurityToken is POST /v3.0/OS-CREDENTIAL/securitytokens.
	KindIAMSecurityToken = "iam_security_token"
	// KindIAMIDToken is POST /v3.0/OS-AUTH/id-token/tokens.
	KindIAMIDToken = "iam_id_token"
	// KindMetadata is GET /openstack/latest/securitykey.
	KindMetadata = "metadata"
)

// Temporary credential sources, as reported by TemporaryCredential.
const (
	SourceAgency   = "agency"   // assume_role
	SourceToken    = "token"    // the token method (from an IAM or federated token)
	SourceMetadata = "metadata" // the ECS metadata service
)

// IDToken is an OpenID Connect ID token the fake's identity provider IdpID
// accepts for POST /v3.0/OS-AUTH/id-token/tokens.
type IDToken struct {
	Token, IdpID string
	// Expired makes IAM refuse it as expired.
	Expired bool
}

// tempCred is temporary credentials issued by the fake.
type tempCred struct {
	sk, st    string
	expiresAt time.Time
	// domain is the account the credentials act in; agency is the agency
	// assumed ("" for none).
	domain, agency, source string
}

// DefaultTemporaryTTL is the lifetime of temporary credentials when
// Options.TemporaryTTL is zero and the request names no duration.
const DefaultTemporaryTTL = 15 * time.Minute

// callerDomain is the account of the static tokens and access keys.
func (s *Server) callerDomain() string {
	if s.opts.CallerDomain != "" {
		return s.opts.CallerDomain
	}
	return s.accountDomain
}

// TemporaryCredential tells whether ak is temporary credentials the fake
// issued, with their security token and source (SourceAgency...).
func (s *Server) TemporaryCredential(ak string) (securityToken, source string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.temporary[ak]
	if t == nil {
		return "", "", false
	}
	return t.st, t.source, true
}

// IssuedTemporary returns how many temporary credentials of source were
// issued ("" for all).
func (s *Server) IssuedTemporary(source string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.temporary {
		if source == "" || t.source == source {
			n++
		}
	}
	return n
}

// issueTemporary makes new temporary credentials valid for ttl.
func (s *Server) issueTemporary(ttl time.Duration, domain, agency, source string) (ak string, t *tempCred) {
	if s.opts.TemporaryTTL > 0 {
		ttl = s.opts.TemporaryTTL
	}
	const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := randomBytes(17)
	for i := range b {
		b[i] = upper[int(b[i])%len(upper)]
	}
	ak = "TMP" + string(b)
	t = &tempCred{
		sk:        base64.RawStdEncoding.EncodeToString(randomBytes(30)),
		st:        "gQ" + base64.RawURLEncoding.EncodeToString(randomBytes(96)),
		expiresAt: s.now().Add(ttl),
		domain:    domain, agency: agency, source: source,
	}
	s.mu.Lock()
	s.temporary[ak] = t
	s.mu.Unlock()
	return ak, t
}

type credentialJSON struct {
	Access        string `json:"access"`
	ExpiresAt     string `json:"expires_at"`
	Secret        string `json:"secret"`
	Securitytoken string `json:"securitytoken"`
}

type credentialEnvelope struct {
	Credential credentialJSON `json:"credential"`
}

func credentialAnswer(status int, ak string, t *tempCred) *response {
	return jsonResponse(status, credentialEnvelope{Credential: credentialJSON{
		Access: ak, Secret: t.sk, Securitytoken: t.st, ExpiresAt: t.expiresAt.UTC().Format(IAMTimeFormat),
	}})
}

// durationField decodes an optional duration_seconds (900 to 86400).
func durationField(v *jval, path string) (time.Duration, *fieldError) {
	d, ok := v.obj["duration_seconds"]
	if !ok {
		return DefaultTemporaryTTL, nil
	}
	if d.kind != jNumber || !isIntegerLiteral(d.str) {
		return 0, fieldErr("%s.duration_seconds must be an integer", path)
	}
	n, err := strconv.Atoi(d.str)
	if err != nil || n < 900 || n > 86400 {
		return 0, fieldErr("%s.duration_seconds must be from 900 to 86400, got %s", path, truncate(d.str, 20))
	}
	return time.Duration(n) * time.Second, nil
}

// decodeAuthMember strictly parses body, {"auth": {key: ...}}, and returns
// the member key of auth.
func decodeAuthMember(body []byte, key string) (*jval, *fieldError) {
	root, err := parseStrictJSON(body)
	if err != nil {
		return nil, fieldErr("%s", err.Error())
	}
	auth, ferr := requiredField(root, "", "auth")
	if ferr == nil {
		ferr = objectFields(root, "", "auth")
	}
	if ferr != nil {
		return nil, ferr
	}
	return member(auth, "auth", key)
}

// handleSecurityTokens serves POST /v3.0/OS-CREDENTIAL/securitytokens with
// the assume_role method (the caller authenticates; the agency must be
// one of the served account's) or the token method (the token in the body
// is the credential).
func (s *Server) handleSecurityTokens(c *call) *response {
	if errResp := iamRequireJSON(c); errResp != nil {
		return errResp
	}
	identity, ferr := decodeAuthMember(c.body, "identity")
	var methods *jval
	if ferr == nil {
		methods, ferr = requiredField(identity, "auth.identity", "methods")
	}
	if ferr != nil {
		return iamFieldError(c, ferr)
	}
	if methods.kind != jArray || len(methods.arr) != 1 || methods.arr[0].kind != jString {
		return iamFieldError(c, fieldErr(`auth.identity.methods must be ["assume_role"] or ["token"]`))
	}
	switch methods.arr[0].str {
	case "assume_role":
		return s.assumeRole(c, identity)
	case "token":
		return s.tokenToTemporary(c, identity)
	}
	return iamFieldError(c, fieldErr(`auth.identity.methods must be ["assume_role"] or ["token"]`))
}

func (s *Server) assumeRole(c *call, identity *jval) *response {
	// Any authenticated caller may assume the agencies (they trust every
	// account, including federated users).
	if _, errResp := s.authenticate(c); errResp != nil {
		return errResp
	}
	const ap = "auth.identity.assume_role"
	ar, ferr := member(identity, "auth.identity", "assume_role", "methods")
	if ferr == nil {
		ferr = objectFields(ar, ap, "agency_name", "domain_name", "domain_id", "duration_seconds", "session_user")
	}
	var agency, domainID, domainName string
	if ferr == nil {
		agency, ferr = stringField(ar, ap, "agency_name")
	}
	if ferr != nil {
		return iamFieldError(c, ferr)
	}
	_, hasID := ar.obj["domain_id"]
	_, hasName := ar.obj["domain_name"]
	switch {
	case hasID && hasName:
		return iamFieldError(c, fieldErr("%s: specify either domain_id or domain_name, not both", ap))
	case hasID:
		domainID, ferr = stringField(ar, ap, "domain_id")
	case hasName:
		domainName, ferr = stringField(ar, ap, "domain_name")
	default:
		ferr = &fieldError{missing: true, msg: ap + ".domain_id or " + ap + ".domain_name"}
	}
	if ferr != nil {
		return iamFieldError(c, ferr)
	}
	ttl, ferr := durationField(ar, ap)
	if ferr != nil {
		return iamFieldError(c, ferr)
	}
	known := false
	for _, a := range s.opts.Agencies {
		if a == agency {
			known = true
		}
	}
	domainOK := (domainName != "" && domainName == s.accountDomain) || (domainID != "" && domainID == derivedID("domain", s.accountDomain))
	if !known || !domainOK {
		in := domainName
		if domainID != "" {
			in = "domain ID " + domainID
		}
		return iamError(c, http.StatusNotFound, "IAM.0013", fmt.Sprintf("Could not find agency %q in %s.", truncate(agency, 64), truncate(in, 64)))
	}
	ak, t := s.issueTemporary(ttl, s.accountDomain, agency, SourceAgency)
	return credentialAnswer(http.StatusCreated, ak, t)
}

func (s *Server) tokenToTemporary(c *call, identity *jval) *response {
	const tp = "auth.identity.token"
	tok, ferr := member(identity, "auth.identity", "token", "methods", "policy")
	if ferr == nil {
		ferr = objectFields(tok, tp, "id", "duration_seconds")
	}
	var id string
	if ferr == nil {
		id, ferr = stringField(tok, tp, "id")
	}
	if ferr != nil {
		return iamFieldError(c, ferr)
	}
	ttl, ferr := durationField(tok, tp)
	if ferr != nil {
		return iamFieldError(c, ferr)
	}
	s.mu.Lock()
	it := s.issued[id]
	var expired bool
	var domain string
	if it != nil {
		expired = it.expired || !s.now().Before(it.expiresAt)
		domain = it.domain
	}
	s.mu.Unlock()
	if it == nil || expired {
		return iamError(c, http.StatusUnauthorized, "IAM.0401", "The token is invalid or has expired.")
	}
	ak, t := s.issueTemporary(ttl, domain, "", SourceToken)
	return credentialAnswer(http.StatusCreated, ak, t)
}

// handleIDToken serves POST /v3.0/OS-AUTH/id-token/tokens: an OpenID
// Connect ID token of identity provider X-Idp-Id for an (unscoped)
// federated token in X-Subject-Token.
func (s *Server) handleIDToken(c *call) *response {
	if errResp := iamRequireJSON(c); errResp != nil {
		return errResp
	}
	idps := c.r.Header.Values("X-Idp-Id")
	if len(idps) != 1 || idps[0] == "" {
		return iamError(c, http.StatusBadRequest, "IAM.0007", "Request parameter is invalid: exactly one X-Idp-Id header is required")
	}
	idt, ferr := decodeAuthMember(c.body, "id_token")
	if ferr == nil {
		ferr = objectFields(idt, "auth.id_token", "id")
	}
	var tok string
	if ferr == nil {
		tok, ferr = stringField(idt, "auth.id_token", "id")
	}
	if ferr != nil {
		return iamFieldError(c, ferr)
	}
	var found *IDToken
	for i := range s.opts.IDTokens {
		t := &s.opts.IDTokens[i]
		if subtle.ConstantTimeCompare([]byte(t.Token), []byte(tok)) == 1 {
			found = t
		}
	}
	switch {
	case found == nil || found.IdpID != idps[0]:
		return iamError(c, http.StatusUnauthorized, "IAM.1001", fmt.Sprintf("The id_token is not valid for identity provider %q.", truncate(idps[0], 64)))
	case found.Expired:
		return iamError(c, http.StatusUnauthorized, "IAM.1002", "The id_token has expired.")
	}
	now := s.now()
	subject := "MII" + base64.RawURLEncoding.EncodeToString(randomBytes(48))
	expires := now.Add(s.opts.TokenTTL)
	domain := "federated:" + found.IdpID
	s.mu.Lock()
	s.issued[subject] = &issuedToken{expiresAt: expires, domain: domain}
	s.mu.Unlock()
	resp := jsonResponse(http.StatusCreated, tokenEnvelope{Token: tokenBody{
		Catalog:   []any{},
		ExpiresAt: expires.UTC().Format(IAMTimeFormat),
		IssuedAt:  now.UTC().Format(IAMTimeFormat),
		Methods:   []string{"mapped"},
		Roles:     []any{},
		User:      tokenUser{Domain: tokenDomain{ID: derivedID("domain", domain), Name: domain}, ID: derivedID("user", domain+"/federated"), Name: "FederationUser"},
	}})
	resp.header.Set("X-Subject-Token", subject)
	return resp
}

// handleMetadata serves the ECS metadata service's securitykey: temporary
// credentials of the agency attached to the server (Options.Metadata).
// Without one, it answers 404, as on a server with no agency.
func (s *Server) handleMetadata(c *call) *response {
	if !s.opts.Metadata {
		return &response{status: http.StatusNotFound, header: http.Header{"Content-Type": {"text/plain"}}, body: []byte("404 Not Found: no agency is attached to this server\n")}
	}
	if strings.Contains(c.r.URL.RawQuery, "=") || len(c.body) > 0 {
		return &response{status: http.StatusBadRequest, header: http.Header{}, body: []byte("400 Bad Request\n")}
	}
	ak, t := s.issueTemporary(DefaultTemporaryTTL*4, s.accountDomain, "ecs_agency", SourceMetadata)
	return credentialAnswer(http.StatusOK, ak, t)
}

// DomainID returns the ID the fake gives the account named name.
func DomainID(name string) string { return derivedID("domain", name) }

// UserID returns the ID the fake gives user name of the account domain.
func UserID(domain, name string) string { return derivedID("user", domain+"/"+name) }
