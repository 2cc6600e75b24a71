package cbr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
	"golang.org/x/sync/singleflight"
)

// AuthMethod names how requests are authenticated, for error messages.
type AuthMethod string

// The authentication methods of the authenticators of this package.
const (
	AuthMethodToken    AuthMethod = "token"
	AuthMethodAKSK     AuthMethod = "aksk"
	AuthMethodPassword AuthMethod = "password"
)

// methodOf returns the AuthMethod of a, or "" for an authenticator that is
// not one of this package's.
func methodOf(a Authenticator) AuthMethod {
	if m, ok := a.(interface{ method() AuthMethod }); ok {
		return m.method()
	}
	return ""
}

func (TokenAuth) method() AuthMethod { return AuthMethodToken }

// AKSKAuth signs requests with an access key and its secret key
// (SDK-HMAC-SHA256), using the signer of the official huaweicloud-sdk-go-v3.
// Every header the request carries when it is signed is signed, Host included.
// On project-scoped calls the client adds X-Project-Id before signing.
type AKSKAuth struct {
	AccessKey, SecretKey string
	// SecurityToken is the security token of temporary credentials; it is
	// sent as X-Security-Token and signed.
	SecurityToken string
	// Now is the clock of X-Sdk-Date; nil means time.Now.
	Now func() time.Time
}

func (AKSKAuth) method() AuthMethod { return AuthMethodAKSK }

// sendsProjectID tells the client to send X-Project-Id on project-scoped
// calls, as the official SDK does for AK/SK credentials.
func (AKSKAuth) sendsProjectID() bool { return true }

// Authenticate sets X-Security-Token (temporary credentials only), X-Sdk-Date
// and Authorization.
func (a AKSKAuth) Authenticate(_ context.Context, req *http.Request, body []byte) error {
	if a.AccessKey == "" || a.SecretKey == "" {
		return errors.New("an access key and a secret key are both required to sign requests")
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	req.Header.Del(signer.HeaderAuthorization)
	if a.SecurityToken != "" {
		req.Header.Set("X-Security-Token", a.SecurityToken)
	}
	req.Header.Set(signer.HeaderXDate, now().UTC().Format(signer.BasicDateFormat))

	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	b := request.NewHttpRequestBuilder().
		WithEndpoint(req.URL.Scheme + "://" + host).
		WithPath(req.URL.Path).
		WithMethod(req.Method)
	for k, vs := range req.URL.Query() {
		if len(vs) == 1 {
			b.AddQueryParam(k, reflect.ValueOf(vs[0]))
		} else {
			b.AddQueryParam(k, reflect.ValueOf(vs))
		}
	}
	// Signing Host binds the signature to the endpoint it is sent to.
	b.AddHeaderParam("Host", host)
	for k, vs := range req.Header {
		if len(vs) != 1 {
			return fmt.Errorf("cannot sign header %s: it has %d values", k, len(vs))
		}
		b.AddHeaderParam(k, vs[0])
	}
	if len(body) > 0 {
		b.WithBody("", string(body))
	}
	signed := b.Build()
	added, err := signer.Signer{}.Sign(signed, a.AccessKey, a.SecretKey)
	if err != nil {
		return fmt.Errorf("signing the request: %w", err)
	}
	// The signer may add headers to the request it signed (such as
	// X-Sdk-Content-Sha256 for a body that is not JSON): send them too.
	for k, v := range signed.GetHeaderParams() {
		if k != "Host" && req.Header.Get(k) == "" {
			req.Header.Set(k, v)
		}
	}
	for k, v := range added {
		req.Header.Set(k, v)
	}
	return nil
}

// PasswordAuth authenticates with an IAM user's password: the client
// exchanges it for a project-scoped IAM token (POST {IAMEndpoint}/auth/tokens)
// on its first call, sends the token as X-Auth-Token, renews it before it
// expires, and gets a new one once when the API refuses it (401). All calls of
// one Client share one token.
//
// A PasswordAuth only works through the Client built with it by New.
type PasswordAuth struct {
	// The user is UserID, or UserName in the domain DomainName (or
	// DomainID when DomainName is empty).
	UserName, Password, DomainName string
	UserID, DomainID               string
	// Now is the clock that decides when the token is renewed; nil means
	// time.Now.
	Now func() time.Time
}

// Authenticate fails: New replaces a PasswordAuth by an authenticator bound
// to the client, which is the one that can ask IAM for tokens.
func (PasswordAuth) Authenticate(context.Context, *http.Request, []byte) error {
	return errors.New("cbr.PasswordAuth authenticates only through a cbr.Client built with it")
}

// passwordAuth is the authenticator New makes of a PasswordAuth.
type passwordAuth struct {
	tokens *tokenSource
}

func (*passwordAuth) method() AuthMethod { return AuthMethodPassword }

func (p *passwordAuth) Authenticate(ctx context.Context, req *http.Request, _ []byte) error {
	t, err := p.tokens.token(ctx)
	if err != nil {
		return err
	}
	req.Header.Set("X-Auth-Token", t.value)
	return nil
}

// invalidate forgets the token req carried, if it is still the current one,
// so that the next call gets a new token.
func (p *passwordAuth) invalidate(req *http.Request) {
	p.tokens.invalidate(req.Header.Get("X-Auth-Token"))
}

// iamToken is a token issued by IAM.
type iamToken struct {
	// value is the token, or the security token of temporary credentials.
	value     string
	projectID string
	// accessKey and secretKey are those of temporary credentials.
	accessKey, secretKey string
	// renewAt is when the token is replaced by a new one, a while before
	// it expires; both are on the local clock.
	renewAt, expiresAt time.Time
}

// Tokens are renewed when less than renewMargin of their life is left, or
// less than half of it for short-lived tokens.
const renewMargin = 5 * time.Minute

// renewTime returns when a token valid for lifetime from issued should be
// renewed.
func renewTime(issued time.Time, lifetime time.Duration) time.Time {
	margin := renewMargin
	if lifetime/2 < margin {
		margin = lifetime / 2
	}
	return issued.Add(lifetime - margin)
}

// tokenSource hands out one token to all callers, fetching a new one when
// there is none or the current one is due for renewal. Concurrent callers
// wait for one fetch.
type tokenSource struct {
	fetch func(ctx context.Context) (*iamToken, error)
	now   func() time.Time

	mu     sync.Mutex
	cur    *iamToken
	flight singleflight.Group
}

func newTokenSource(fetch func(context.Context) (*iamToken, error), now func() time.Time) *tokenSource {
	if now == nil {
		now = time.Now
	}
	return &tokenSource{fetch: fetch, now: now}
}

// fresh returns the current token if it is not due for renewal.
func (ts *tokenSource) fresh() *iamToken {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.cur != nil && ts.now().Before(ts.cur.renewAt) {
		return ts.cur
	}
	return nil
}

func (ts *tokenSource) token(ctx context.Context) (*iamToken, error) {
	if t := ts.fresh(); t != nil {
		return t, nil
	}
	return shared(ctx, &ts.flight, "token", func(ctx context.Context) (*iamToken, error) {
		// A fetch that ended while this caller was on its way here may
		// have left a fresh token.
		if t := ts.fresh(); t != nil {
			return t, nil
		}
		t, err := ts.fetch(ctx)
		if err != nil {
			return nil, err
		}
		ts.mu.Lock()
		ts.cur = t
		ts.mu.Unlock()
		return t, nil
	})
}

// shared runs fetch once for all the callers that ask g for key at the same
// time, and waits for its result until ctx ends. fetch serves every waiting
// caller: it gets a context that one caller giving up does not cancel.
func shared[T any](ctx context.Context, g *singleflight.Group, key string, fetch func(context.Context) (T, error)) (T, error) {
	ch := g.DoChan(key, func() (any, error) {
		return fetch(context.WithoutCancel(ctx))
	})
	select {
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			var zero T
			return zero, r.Err
		}
		v, _ := r.Val.(T) // fetch returned a T
		return v, nil
	}
}

// invalidate forgets the current token if its value is value.
func (ts *tokenSource) invalidate(value string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.cur != nil && ts.cur.value == value {
		ts.cur = nil
	}
}

// CredentialsError is a 401 answer: the API refused the credentials the
// request carried.
type CredentialsError struct {
	Err *APIError
	// Method is how the request was authenticated ("" for an authenticator
	// of another package).
	Method AuthMethod
	// Renewed is true when the first answer was a 401 too, and the request
	// was sent again with a new IAM token.
	Renewed bool
}

func (e *CredentialsError) Error() string {
	var why string
	switch {
	case e.Method == AuthMethodToken:
		why = "the IAM token was refused: it has expired (tokens are valid for 24 hours), was revoked, or is scoped to another project"
	case e.Method == AuthMethodAKSK:
		why = "the AK/SK signature was refused: the access key is unknown or disabled, the secret key does not belong to it, " +
			"temporary credentials lack their security token or have expired, or the local clock is more than 15 minutes off"
	case e.Method == AuthMethodPassword && e.Renewed:
		why = "a new IAM token, obtained with the password after the previous one was refused, was refused too"
	case e.Method == AuthMethodPassword:
		why = "the IAM token obtained with the password was refused"
	default:
		why = "the credentials were refused"
	}
	return e.Err.Error() + ": " + why
}

func (e *CredentialsError) Unwrap() error { return e.Err }

// AuthStep is the step of authentication an AuthError failed in.
type AuthStep string

// The steps of authentication that send requests to IAM.
const (
	// AuthStepToken is getting an IAM token with a password.
	AuthStepToken AuthStep = "token"
	// AuthStepProject is looking the project ID up in IAM.
	AuthStepProject AuthStep = "project"
)

// AuthError is a failure to get what a call needs before it can be sent: an
// IAM token or the project ID. The call itself was not sent.
type AuthError struct {
	Step AuthStep
	// What describes the step, e.g. `get an IAM token for user "u" in domain "d"`.
	What string
	Err  error
}

func (e *AuthError) Error() string { return "unable to " + e.What + ": " + e.Err.Error() }

func (e *AuthError) Unwrap() error { return e.Err }
