package cbr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Temporary credentials: an agency's (assume_role), those an OpenID Connect
// ID token is exchanged for, and those of the agency attached to the ECS
// the provider runs on (metadata service). Each is obtained on the first
// call that needs it, shared by every call of the Client, and renewed
// before it expires.

// The authentication methods of temporary credentials.
const (
	AuthMethodAssumeRole AuthMethod = "assume_role"
	AuthMethodOIDC       AuthMethod = "oidc"
	AuthMethodMetadata   AuthMethod = "metadata"
)

// The steps of authentication that obtain temporary credentials.
const (
	// AuthStepAssumeRole is getting an agency's temporary credentials.
	AuthStepAssumeRole AuthStep = "assume_role"
	// AuthStepIDToken is exchanging an OpenID Connect ID token.
	AuthStepIDToken AuthStep = "id_token"
	// AuthStepMetadata is getting credentials from the ECS metadata service.
	AuthStepMetadata AuthStep = "metadata"
)

// DefaultMetadataEndpoint is the ECS metadata service.
const DefaultMetadataEndpoint = "http://169.254.169.254"

// metadataTimeout bounds one attempt to get credentials from the metadata
// service: off an ECS, its address does not answer at all.
const metadataTimeout = 10 * time.Second

// AssumeRole names an agency whose temporary credentials sign every call
// instead of the credentials they were obtained with (IAM
// POST /v3.0/OS-CREDENTIAL/securitytokens, method assume_role).
type AssumeRole struct {
	AgencyName string
	// The account the agency belongs to: DomainName, or DomainID.
	DomainName, DomainID string
	// Duration is how long the credentials are valid; zero means IAM's
	// default (15 minutes). They are renewed before they expire.
	Duration time.Duration
}

func (r AssumeRole) String() string {
	in := r.DomainName
	if in == "" {
		in = "domain ID " + r.DomainID
	}
	return fmt.Sprintf("agency %q of %s", r.AgencyName, in)
}

// MetadataAuth signs calls with the temporary credentials of the agency
// attached to the ECS the provider runs on, from the ECS metadata service
// (GET {Endpoint}/openstack/latest/securitykey).
//
// A MetadataAuth only works through the Client built with it by New.
type MetadataAuth struct {
	// Endpoint is the metadata service; empty means DefaultMetadataEndpoint.
	Endpoint string
}

// Authenticate fails: New replaces a MetadataAuth by an authenticator bound
// to the client.
func (MetadataAuth) Authenticate(context.Context, *http.Request, []byte) error {
	return errors.New("cbr.MetadataAuth authenticates only through a cbr.Client built with it")
}

// OIDCAuth exchanges an OpenID Connect ID token, issued by an identity
// provider configured in IAM, for a federated token
// (POST /v3.0/OS-AUTH/id-token/tokens), and that token for temporary
// credentials (POST /v3.0/OS-CREDENTIAL/securitytokens, method token).
// An AssumeRole on top of it gives the agency's credentials.
//
// An OIDCAuth only works through the Client built with it by New.
type OIDCAuth struct {
	IdpID string
	// IDToken is the token, or IDTokenFile the file it is read from, again
	// at each renewal.
	IDToken, IDTokenFile string
	// Duration of the federated credentials; zero means IAM's default.
	Duration time.Duration
}

// Authenticate fails: New replaces an OIDCAuth by an authenticator bound to
// the client.
func (OIDCAuth) Authenticate(context.Context, *http.Request, []byte) error {
	return errors.New("cbr.OIDCAuth authenticates only through a cbr.Client built with it")
}

// temporaryAuth signs calls with temporary credentials from a tokenSource
// whose tokens carry an access key (value is the security token).
type temporaryAuth struct {
	m     AuthMethod
	creds *tokenSource
	now   func() time.Time
}

func (t *temporaryAuth) method() AuthMethod { return t.m }

func (*temporaryAuth) sendsProjectID() bool { return true }

func (t *temporaryAuth) Authenticate(ctx context.Context, req *http.Request, body []byte) error {
	tc, err := t.creds.token(ctx)
	if err != nil {
		return err
	}
	return AKSKAuth{AccessKey: tc.accessKey, SecretKey: tc.secretKey, SecurityToken: tc.value, Now: t.now}.Authenticate(ctx, req, body)
}

// invalidate forgets the credentials req was signed with, so that the next
// call gets new ones.
func (t *temporaryAuth) invalidate(req *http.Request) {
	t.creds.invalidate(req.Header.Get("X-Security-Token"))
}

// staticTemporary signs with credentials already obtained (a step of a
// chain of agencies).
func staticTemporary(tc *iamToken) Authenticator {
	return AKSKAuth{AccessKey: tc.accessKey, SecretKey: tc.secretKey, SecurityToken: tc.value}
}

// credentialAnswer is IAM's and the metadata service's temporary
// credentials.
type credentialAnswer struct {
	Credential *struct {
		Access        string `json:"access"`
		Secret        string `json:"secret"`
		Securitytoken string `json:"securitytoken"`
		ExpiresAt     string `json:"expires_at"`
	} `json:"credential"`
}

// decodeCredentials reads temporary credentials from raw, asked for at
// start (local clock).
func (c *Client) decodeCredentials(raw *rawAnswer, start time.Time) (*iamToken, error) {
	bad := func(format string, args ...any) error {
		return raw.answerError(fmt.Errorf(format, args...))
	}
	var answer credentialAnswer
	if err := json.Unmarshal(raw.body, &answer); err != nil {
		return nil, bad("%v", err)
	}
	cr := answer.Credential
	if cr == nil {
		return nil, bad(`the answer has no "credential" object`)
	}
	if cr.Access == "" || cr.Secret == "" || cr.Securitytoken == "" {
		return nil, bad("the credential lacks its access key, secret key or security token")
	}
	c.addSecrets(cr.Secret, cr.Securitytoken)
	expires, err := time.Parse(iamTimeLayout, cr.ExpiresAt)
	if err != nil {
		return nil, bad("credential.expires_at %q is not a time", cr.ExpiresAt)
	}
	// Counted from when they were asked for, on the local clock, with the
	// lifetime IAM's clock gives them.
	lifetime := expires.Sub(c.now())
	if raw.header != nil {
		if d, err := http.ParseTime(raw.header.Get("Date")); err == nil {
			lifetime = expires.Sub(d)
		}
	}
	if lifetime <= 0 {
		return nil, bad("the credentials have already expired (expires_at %s)", cr.ExpiresAt)
	}
	return &iamToken{value: cr.Securitytoken, accessKey: cr.Access, secretKey: cr.Secret,
		renewAt: renewTime(start, lifetime), expiresAt: start.Add(lifetime)}, nil
}

// temporaryCredentials sends o, a request for temporary credentials, and
// reads them from the answer.
func (c *Client) temporaryCredentials(ctx context.Context, o outgoing) (*iamToken, error) {
	start := c.now()
	raw, err := c.do(ctx, o)
	if err != nil {
		return nil, err
	}
	return c.decodeCredentials(raw, start)
}

// securityTokens gets temporary credentials from IAM
// (POST /v3.0/OS-CREDENTIAL/securitytokens) with the identity method and
// its params, asking with auth (nil: the request is not signed). method is
// a name that JSON strings hold as it is ("assume_role", "token").
func (c *Client) securityTokens(ctx context.Context, auth Authenticator, method string, params any) (*iamToken, error) {
	p, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	// methods first, then the parameters of the method.
	body := fmt.Appendf(nil, `{"auth":{"identity":{"methods":["%s"],"%s":%s}}}`, method, method, p)
	return c.temporaryCredentials(ctx, outgoing{method: http.MethodPost, base: c.iamV30(), path: "/v3.0/OS-CREDENTIAL/securitytokens", body: body, auth: auth})
}

// iamV30 is the IAM endpoint without its /v3, for the /v3.0 calls.
func (c *Client) iamV30() *url.URL {
	u := *c.iam
	u.Path = strings.TrimSuffix(u.Path, "/v3")
	return &u
}

// assumeRole gets the temporary credentials of role, asking with auth.
func (c *Client) assumeRole(ctx context.Context, auth Authenticator, role AssumeRole) (*iamToken, error) {
	fail := func(err error) error {
		return authFailure(AuthStepAssumeRole, "get temporary credentials of "+role.String(), err)
	}
	type assume struct {
		AgencyName      string `json:"agency_name"`
		DomainName      string `json:"domain_name,omitempty"`
		DomainID        string `json:"domain_id,omitempty"`
		DurationSeconds int64  `json:"duration_seconds,omitempty"`
	}
	params := assume{AgencyName: role.AgencyName, DomainName: role.DomainName, DomainID: role.DomainID,
		DurationSeconds: int64(role.Duration / time.Second)}
	if role.DomainName != "" {
		params.DomainID = ""
	}
	tc, err := c.securityTokens(ctx, auth, "assume_role", params)
	if err != nil {
		return nil, fail(err)
	}
	return tc, nil
}

// metadataCredentials gets the credentials of the agency attached to the
// ECS from the metadata service at base.
func (c *Client) metadataCredentials(ctx context.Context, base *url.URL) (*iamToken, error) {
	fail := func(err error) error {
		return authFailure(AuthStepMetadata, "get temporary credentials from the ECS metadata service at "+base.String(), err)
	}
	ctx, cancel := context.WithTimeout(ctx, metadataTimeout)
	defer cancel()
	tc, err := c.temporaryCredentials(ctx, outgoing{method: http.MethodGet, base: base, path: "/openstack/latest/securitykey"})
	if err != nil {
		return nil, fail(err)
	}
	return tc, nil
}

// oidcCredentials exchanges the ID token of o for federated temporary
// credentials.
func (c *Client) oidcCredentials(ctx context.Context, o OIDCAuth) (*iamToken, error) {
	what := fmt.Sprintf("exchange the ID token for credentials with identity provider %q", o.IdpID)
	fail := func(err error) error {
		return authFailure(AuthStepIDToken, what, err)
	}
	idToken := o.IDToken
	if idToken == "" {
		data, err := os.ReadFile(o.IDTokenFile)
		if err != nil {
			return nil, fail(fmt.Errorf("reading the ID token file: %w", err))
		}
		idToken = strings.TrimSpace(string(data))
		if idToken == "" {
			return nil, fail(fmt.Errorf("the ID token file %s is empty", o.IDTokenFile))
		}
	}
	c.addSecrets(idToken)
	var req struct {
		Auth struct {
			IDToken struct {
				ID string `json:"id"`
			} `json:"id_token"`
		} `json:"auth"`
	}
	req.Auth.IDToken.ID = idToken
	data, err := json.Marshal(req)
	if err != nil {
		return nil, fail(err)
	}
	raw, err := c.do(ctx, outgoing{method: http.MethodPost, base: c.iamV30(), path: "/v3.0/OS-AUTH/id-token/tokens", body: data,
		header: http.Header{"X-Idp-Id": {o.IdpID}}})
	if err != nil {
		return nil, fail(err)
	}
	subject := raw.header.Get("X-Subject-Token")
	if subject == "" {
		return nil, fail(raw.answerError(errors.New("the answer has no X-Subject-Token header")))
	}
	c.addSecrets(subject)

	type tokenID struct {
		ID              string `json:"id"`
		DurationSeconds int64  `json:"duration_seconds,omitempty"`
	}
	tc, err := c.securityTokens(ctx, nil, "token", tokenID{ID: subject, DurationSeconds: int64(o.Duration / time.Second)})
	if err != nil {
		return nil, fail(err)
	}
	return tc, nil
}

// assumeRoles gets the credentials of the last role of roles, each role
// assumed with the credentials of the one before it, the first with base.
func (c *Client) assumeRoles(ctx context.Context, base Authenticator, roles []AssumeRole) (*iamToken, error) {
	auth := base
	var tc *iamToken
	for _, role := range roles {
		var err error
		if tc, err = c.assumeRole(ctx, auth, role); err != nil {
			return nil, err
		}
		auth = staticTemporary(tc)
	}
	return tc, nil
}

// authFailure is an *AuthError of step, unless err already is one: the
// credentials a step was asked with failed first, and that is the error.
func authFailure(step AuthStep, what string, err error) error {
	var authErr *AuthError
	if errors.As(err, &authErr) {
		return err
	}
	return &AuthError{Step: step, What: what, Err: err}
}
