// Package cbr is a small HTTP client for the Huawei Cloud Backup and Recovery
// (CBR) API calls the provider makes. It knows nothing about Terraform: it takes
// and returns plain Go values and the request/response models of the official
// huaweicloud-sdk-go-v3 CBR package.
//
// It may import the standard library, golang.org/x, the Huawei Cloud SDK (its
// request signer and CBR models) and terraform-plugin-log's tflog (its log
// lines go where the provider's do); never the Terraform plugin framework,
// terraform-plugin-go or any other package of this module.
package cbr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1/model"
	"golang.org/x/sync/singleflight"
)

const (
	// MaxSyncEntries is the largest number of backups one sync request may carry.
	MaxSyncEntries = 50
	// MaxBackupNameLength is the longest backup_name the API accepts, in characters.
	MaxBackupNameLength = 64
	// MaxCreatedAt is the largest created_at value: the API's Integer (int32).
	MaxCreatedAt = 2147483647
	// DefaultResourceType is the resource type CBR assumes for a synchronized backup.
	DefaultResourceType = "OS::Native::Server"

	// maxResponseBytes bounds how much of an answer is read.
	maxResponseBytes = 4 << 20
)

// errAnswerTooLarge is the error of an answer over maxResponseBytes.
var errAnswerTooLarge = fmt.Errorf("the answer is larger than the %d MiB read limit and was not read", maxResponseBytes>>20)

// Authenticator adds credentials to a request that is about to be sent. body is
// the exact request body (nil for none), for signers that hash it.
type Authenticator interface {
	Authenticate(ctx context.Context, req *http.Request, body []byte) error
}

// TokenAuth authenticates with a static IAM token sent as X-Auth-Token.
type TokenAuth string

// Authenticate sets the X-Auth-Token header.
func (t TokenAuth) Authenticate(_ context.Context, req *http.Request, _ []byte) error {
	req.Header.Set("X-Auth-Token", string(t))
	return nil
}

// Config is what New needs to build a Client.
type Config struct {
	// Endpoint is the CBR base URL, for example https://cbr.cn-north-4.myhuaweicloud.com.
	Endpoint string
	// IAMEndpoint is the IAM identity endpoint, version included, for
	// example https://iam.cn-north-4.myhuaweicloud.com/v3. It is needed for
	// PasswordAuth and when ProjectID is empty.
	IAMEndpoint string
	// Region is the region, which is also the name of its project in IAM.
	// When ProjectID is empty, the project ID is looked up by this name.
	Region string
	// ProjectName is the name of the project whose ID is looked up when
	// ProjectID is empty; empty means Region.
	ProjectName string
	// ProjectID is the project the calls are made in. When it is empty, it
	// is looked up in IAM on the first call that needs it (or taken from
	// the project of the token with PasswordAuth), once per Client.
	ProjectID string
	// Auth adds credentials to every request: TokenAuth, AKSKAuth,
	// PasswordAuth, MetadataAuth, OIDCAuth, or an Authenticator of another
	// package.
	Auth Authenticator
	// AssumeRoles, when set, replace the credentials of Auth by the
	// temporary credentials of an agency: Auth obtains the first agency's,
	// each agency's obtain the next one's, and the last one's sign every
	// call. They need the IAM endpoint.
	AssumeRoles []AssumeRole
	// HTTPClient sends the requests; nil means a client with a 60 s timeout.
	HTTPClient *http.Client
	// UserAgent is sent as the User-Agent header.
	UserAgent string
	// MaxRetries is how many times a request that failed with a temporary
	// error is sent again (see RetryRule); 0 disables retries.
	MaxRetries int
	// RetryBaseDelay and RetryMaxDelay shape the exponential backoff between
	// attempts; zero means DefaultRetryBaseDelay and DefaultRetryMaxDelay.
	RetryBaseDelay, RetryMaxDelay time.Duration
	// Secrets are the credentials in use (token, secret key, password...).
	// They are masked in every log entry written during a call, on top of
	// the redaction of credential headers and JSON fields.
	Secrets []string
}

// Client calls the CBR API, and IAM for what authentication needs. It is
// safe for concurrent use. It sends no request before the first call.
type Client struct {
	endpoint *url.URL
	iam      *url.URL // nil when IAM is not needed
	region   string
	// projectName is the project looked up when project is empty.
	projectName string
	auth        Authenticator
	http        *http.Client
	userAgent   string
	maxRetries  int
	retryBase   time.Duration
	retryMax    time.Duration
	secretsMu   sync.Mutex
	secrets     []string

	// project is the project ID, configured or found on the first call.
	projectMu     sync.Mutex
	project       string
	projectFlight singleflight.Group

	// Replaced by tests.
	now       func() time.Time
	randFloat func() float64
	sleep     func(context.Context, time.Duration) error
}

// ParseEndpoint checks an API base URL: http or https, with a host, and
// without query or fragment. The path is kept without its trailing slashes.
func ParseEndpoint(endpoint string) (*url.URL, error) {
	return parseEndpoint("endpoint", endpoint, "https://cbr.cn-north-4.myhuaweicloud.com")
}

// parseEndpoint is ParseEndpoint with the errors naming what the endpoint
// is for and giving an example. An endpoint with credentials in it
// (https://user:password@host) is refused, and no error repeats them.
func parseEndpoint(what, endpoint, example string) (*url.URL, error) {
	shown := RedactEndpoint(endpoint)
	if i := strings.IndexFunc(endpoint, unicode.IsSpace); i >= 0 {
		return nil, fmt.Errorf("invalid %s %q: it contains white space", what, shown)
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err // without the URL, which may hold credentials
		}
		return nil, fmt.Errorf("invalid %s %q: %w", what, shown, err)
	}
	if u.User != nil {
		return nil, fmt.Errorf("invalid %s %q: credentials in the URL are not allowed; give them as token, access_key and secret_key, or user_name and password", what, shown)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("invalid %s %q: want an http(s) URL such as %s", what, shown, example)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(endpoint, "#") {
		return nil, fmt.Errorf("invalid %s %q: a query or fragment is not allowed", what, shown)
	}
	if u.Port() == "" && strings.HasSuffix(u.Host, ":") {
		return nil, fmt.Errorf("invalid %s %q: empty port", what, shown)
	}
	if h := strings.ToLower(u.Host); (h == "http" || h == "https") && strings.HasPrefix(u.Path, "//") {
		return nil, fmt.Errorf("invalid %s %q: the host is %q, followed by \"//\": the colon of %q is missing", what, shown, u.Host, h+"://")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// RedactEndpoint hides the user information of an endpoint written as
// scheme://user:password@host/..., whether or not it parses, so that error
// messages and logs can show the rest.
func RedactEndpoint(endpoint string) string {
	i := strings.Index(endpoint, "://")
	if i < 0 {
		return endpoint
	}
	rest := endpoint[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		return endpoint[:i+3] + Redacted + "@" + rest[at+1:]
	}
	return endpoint
}

// New checks cfg and returns a Client. It sends no request.
func New(cfg Config) (*Client, error) {
	u, err := parseEndpoint("CBR endpoint", cfg.Endpoint, "https://cbr.cn-north-4.myhuaweicloud.com")
	if err != nil {
		return nil, err
	}
	if cfg.ProjectID != "" && strings.TrimSpace(cfg.ProjectID) == "" {
		return nil, errors.New("the project ID is blank")
	}
	if cfg.Auth == nil {
		return nil, errors.New("an authenticator is required")
	}
	_, password := passwordCredentials(cfg.Auth)
	_, oidc := cfg.Auth.(OIDCAuth)
	needIAM := password || oidc || len(cfg.AssumeRoles) > 0 || cfg.ProjectID == ""
	if cfg.ProjectID == "" && strings.TrimSpace(cfg.Region) == "" && strings.TrimSpace(cfg.ProjectName) == "" {
		return nil, errors.New("a project ID, or a region to look it up by, is required")
	}
	var iam *url.URL
	if needIAM {
		if cfg.IAMEndpoint == "" {
			switch {
			case password:
				return nil, errors.New("password authentication needs the IAM endpoint")
			case oidc:
				return nil, errors.New("exchanging an ID token needs the IAM endpoint")
			case len(cfg.AssumeRoles) > 0:
				return nil, errors.New("assuming an agency needs the IAM endpoint")
			}
			return nil, errors.New("looking the project ID up needs the IAM endpoint")
		}
		if iam, err = parseEndpoint("IAM endpoint", cfg.IAMEndpoint, "https://iam.cn-north-4.myhuaweicloud.com/v3"); err != nil {
			return nil, err
		}
	}
	if cfg.MaxRetries < 0 || cfg.MaxRetries > MaxRetriesLimit {
		return nil, fmt.Errorf("max retries must be between 0 and %d, got %d", MaxRetriesLimit, cfg.MaxRetries)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	hc = withLogging(hc)
	c := &Client{
		endpoint: u, iam: iam, region: cfg.Region, projectName: cfg.ProjectName, project: cfg.ProjectID, auth: cfg.Auth, http: hc, userAgent: cfg.UserAgent,
		maxRetries: cfg.MaxRetries, retryBase: cfg.RetryBaseDelay, retryMax: cfg.RetryMaxDelay,
		now: time.Now, randFloat: rand.Float64, sleep: SleepContext,
	}
	if c.projectName == "" {
		c.projectName = cfg.Region
	}
	if c.retryBase <= 0 {
		c.retryBase = DefaultRetryBaseDelay
	}
	if c.retryMax <= 0 {
		c.retryMax = DefaultRetryMaxDelay
	}
	if c.retryMax < c.retryBase {
		c.retryMax = c.retryBase
	}
	for _, s := range cfg.Secrets {
		if s != "" {
			c.secrets = append(c.secrets, s)
		}
	}
	if pa, ok := passwordCredentials(cfg.Auth); ok {
		// With agencies, the project ID is the agency's account's: the
		// user's token is scoped to the project of the region in its own.
		scope := cfg.ProjectID
		if len(cfg.AssumeRoles) > 0 {
			scope = ""
		}
		c.auth = &passwordAuth{tokens: newTokenSource(func(ctx context.Context) (*iamToken, error) {
			t, err := c.issueToken(ctx, pa, scope)
			if err == nil {
				c.addSecrets(t.value)
			}
			return t, err
		}, pa.Now)}
	}
	switch a := cfg.Auth.(type) {
	case MetadataAuth:
		ep := a.Endpoint
		if ep == "" {
			ep = DefaultMetadataEndpoint
		}
		mu, err := parseEndpoint("metadata endpoint", ep, DefaultMetadataEndpoint)
		if err != nil {
			return nil, err
		}
		c.auth = &temporaryAuth{m: AuthMethodMetadata, now: c.clock, creds: newTokenSource(func(ctx context.Context) (*iamToken, error) {
			return c.metadataCredentials(ctx, mu)
		}, c.clock)}
	case OIDCAuth:
		if a.IdpID == "" || (a.IDToken == "") == (a.IDTokenFile == "") {
			return nil, errors.New("an ID token exchange needs the identity provider ID and either an ID token or the file it is in")
		}
		c.auth = &temporaryAuth{m: AuthMethodOIDC, now: c.clock, creds: newTokenSource(func(ctx context.Context) (*iamToken, error) {
			return c.oidcCredentials(ctx, a)
		}, c.clock)}
	}
	if roles := append([]AssumeRole(nil), cfg.AssumeRoles...); len(roles) > 0 {
		for _, r := range roles {
			if r.AgencyName == "" || (r.DomainName == "" && r.DomainID == "") {
				return nil, errors.New("assuming an agency needs its name and the name or ID of its account")
			}
		}
		base := c.auth
		c.auth = &temporaryAuth{m: AuthMethodAssumeRole, now: c.clock, creds: newTokenSource(func(ctx context.Context) (*iamToken, error) {
			return c.assumeRoles(ctx, base, roles)
		}, c.clock)}
	}
	return c, nil
}

// passwordCredentials returns the PasswordAuth a is, if it is one.
func passwordCredentials(a Authenticator) (PasswordAuth, bool) {
	switch pa := a.(type) {
	case PasswordAuth:
		return pa, true
	case *PasswordAuth:
		if pa != nil {
			return *pa, true
		}
	}
	return PasswordAuth{}, false
}

// ProjectID returns the project the client calls into, looking it up in IAM
// (once per Client) when it was not configured.
func (c *Client) ProjectID(ctx context.Context) (string, error) {
	c.projectMu.Lock()
	p := c.project
	c.projectMu.Unlock()
	if p != "" {
		return p, nil
	}
	return shared(ctx, &c.projectFlight, "project", func(ctx context.Context) (string, error) {
		c.projectMu.Lock()
		p := c.project
		c.projectMu.Unlock()
		if p != "" {
			return p, nil
		}
		var err error
		if pa, ok := c.auth.(*passwordAuth); ok {
			// The token is scoped to the project named after the region,
			// and tells its ID: no lookup needed.
			var t *iamToken
			if t, err = pa.tokens.token(ctx); err == nil {
				p = t.projectID
			}
		} else {
			p, err = c.lookupProject(ctx)
		}
		if err != nil {
			return "", c.maskError(err)
		}
		c.projectMu.Lock()
		c.project = p
		c.projectMu.Unlock()
		return p, nil
	})
}

// SyncAnswer is what a 2xx answer of one sync request tells.
type SyncAnswer struct {
	// OperationLogIDs maps each requested backup ID the answer covers,
	// unambiguously and with an ID, to its operation log ID.
	OperationLogIDs map[string]string
	// Unrequested lists backup IDs the answer names that were not in the
	// request, in answer order. They are not errors: the requested backups
	// may all be covered. Callers should warn about them.
	Unrequested []string
	// RequestID is the X-Request-Id of the answer.
	RequestID string
}

// SyncBackups imports on-premises backups into CBR with one
// POST /v3/{project_id}/backups/sync carrying all entries in order. It returns
// the operation log ID of each backup, keyed by backup ID.
//
// When the answer does not cover every requested backup, the IDs it did cover
// are returned together with an *IncompleteSyncError. Any other error means no
// usable answer was received; MaybeApplied tells whether the request may
// nevertheless have been applied.
func (c *Client) SyncBackups(ctx context.Context, backups []model.BackupSync) (map[string]string, error) {
	answer, err := c.Sync(ctx, backups)
	return answer.OperationLogIDs, err
}

// Sync is SyncBackups with the whole answer: it also reports the backup IDs
// the answer named without their being requested.
func (c *Client) Sync(ctx context.Context, backups []model.BackupSync) (SyncAnswer, error) {
	if len(backups) == 0 || len(backups) > MaxSyncEntries {
		return SyncAnswer{}, fmt.Errorf("a sync request carries 1 to %d backups, got %d", MaxSyncEntries, len(backups))
	}
	body, err := json.Marshal(model.BackupSyncReq{Sync: backups})
	if err != nil {
		return SyncAnswer{}, fmt.Errorf("encoding the sync request: %w", err)
	}
	raw, err := c.doProject(ctx, http.MethodPost, "/backups/sync", body)
	if err != nil {
		return SyncAnswer{}, err
	}
	ids, err := decodeSyncAnswer(backups, raw)
	return ids, c.maskError(err)
}

// decodeSyncAnswer reads a 2xx sync answer and matches it with the request.
func decodeSyncAnswer(backups []model.BackupSync, raw *rawAnswer) (SyncAnswer, error) {
	var answer struct {
		Sync *[]model.BackupSyncRespBody `json:"sync"`
	}
	if err := json.Unmarshal(raw.body, &answer); err != nil {
		return SyncAnswer{RequestID: raw.requestID}, raw.answerError(err)
	}
	if answer.Sync == nil {
		return SyncAnswer{RequestID: raw.requestID}, raw.answerError(errors.New(`the answer has no "sync" list`))
	}
	return MatchSyncAnswer(backups, *answer.Sync, raw.requestID)
}

// MatchSyncAnswer pairs the answer's entries with the requested backups by
// backup_id, not by position.
//
// A requested backup is matched when the answer gives it exactly one
// operation log ID (listing it several times with the same ID is fine).
// Backups the answer does not cover, covers without an operation log ID, or
// covers with conflicting operation log IDs (which one CBR issued for the
// backup cannot be told) are left out of OperationLogIDs and reported in an
// *IncompleteSyncError. Backup IDs the answer names without their being
// requested are returned in Unrequested.
func MatchSyncAnswer(requested []model.BackupSync, answer []model.BackupSyncRespBody, requestID string) (SyncAnswer, error) {
	wanted := make(map[string]bool, len(requested))
	for _, b := range requested {
		wanted[b.BackupId] = true
	}
	out := SyncAnswer{OperationLogIDs: make(map[string]string, len(requested)), RequestID: requestID}
	conflicting := map[string]bool{}
	seenUnrequested := map[string]bool{}
	for _, a := range answer {
		if !wanted[a.BackupId] {
			if !seenUnrequested[a.BackupId] {
				seenUnrequested[a.BackupId] = true
				out.Unrequested = append(out.Unrequested, a.BackupId)
			}
			continue
		}
		if a.OperationLogId == "" || conflicting[a.BackupId] {
			continue
		}
		if prev, ok := out.OperationLogIDs[a.BackupId]; ok && prev != a.OperationLogId {
			conflicting[a.BackupId] = true
			delete(out.OperationLogIDs, a.BackupId)
			continue
		}
		out.OperationLogIDs[a.BackupId] = a.OperationLogId
	}
	var missing, conflicts []string
	for _, b := range requested {
		if conflicting[b.BackupId] {
			conflicts = append(conflicts, b.BackupId)
		}
		if _, ok := out.OperationLogIDs[b.BackupId]; !ok {
			missing = append(missing, b.BackupId)
		}
	}
	if len(missing) > 0 {
		return out, &IncompleteSyncError{Missing: missing, Conflicting: conflicts, Unexpected: out.Unrequested, Requested: len(requested), RequestID: requestID}
	}
	return out, nil
}

type rawAnswer struct {
	method, url string
	status      int
	requestID   string
	header      http.Header
	body        []byte
}

// answerError is the error of raw being an answer the client cannot use,
// for the reason err.
func (raw *rawAnswer) answerError(err error) *ResponseError {
	return &ResponseError{Method: raw.method, URL: raw.url, StatusCode: raw.status, RequestID: raw.requestID, Body: snippet(raw.body), Err: err}
}

// outgoing is one request to send.
type outgoing struct {
	method string
	// base is the endpoint (CBR or IAM); path is appended to its path.
	base  *url.URL
	path  string
	query url.Values
	body  []byte
	// auth adds the credentials; nil sends none (the IAM token request).
	auth Authenticator
	// header holds extra headers to send.
	header http.Header
	// projectID is the project of a project-scoped call, sent as
	// X-Project-Id with signed (AK/SK) credentials.
	projectID string
}

// doProject sends one CBR call in the client's project; path is relative to
// /v3/{project_id}. The project ID is looked up first if it is not known.
func (c *Client) doProject(ctx context.Context, method, path string, body []byte) (*rawAnswer, error) {
	return c.doProjectQuery(ctx, method, path, nil, body)
}

// doProjectQuery is doProject with a query string.
func (c *Client) doProjectQuery(ctx context.Context, method, path string, query url.Values, body []byte) (*rawAnswer, error) {
	pid, err := c.ProjectID(ctx)
	if err != nil {
		return nil, err
	}
	return c.do(ctx, outgoing{method: method, base: c.endpoint, path: "/v3/" + url.PathEscape(pid) + path, query: query, body: body, auth: c.auth, projectID: pid})
}

// do sends a request and returns a 2xx answer's body, or an error. It is the
// one place where requests are sent, to CBR and to IAM.
//
// Temporary failures are retried as RetryRule says, bounded by c.maxRetries
// and by ctx: a wait never runs past ctx's deadline, and ends at once when
// ctx is cancelled.
//
// A 401 answer to a request authenticated with a token that can be renewed
// (PasswordAuth) is followed by one new attempt with a new token: a 401 means
// the request was refused, so sending it again cannot apply it twice. Any
// other 401 is a *CredentialsError.
func (c *Client) do(ctx context.Context, o outgoing) (*rawAnswer, error) {
	ctx = c.maskSecrets(ctx)
	u := *o.base
	u.Path = o.base.Path + o.path
	if len(o.query) > 0 {
		u.RawQuery = o.query.Encode()
	}
	target := u.String()

	renewed := false
	for attempt := 0; ; attempt++ {
		req, raw, err := c.send(ctx, o, target)
		if err == nil {
			return raw, nil
		}
		if req == nil {
			// Nothing was sent: the request could not be built or
			// authenticated (an IAM token, temporary credentials or the
			// project could not be obtained). Whatever status the IAM
			// answer inside err has, it is not this request's.
			return nil, c.maskError(err)
		}
		// From here on, the error is logged and returned: without secrets.
		err = c.maskError(err)
		var apiErr *APIError
		if o.auth != nil && errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnauthorized {
			if r, ok := o.auth.(interface{ invalidate(*http.Request) }); ok && !renewed {
				r.invalidate(req)
				renewed = true
				attempt-- // a new token is not a retry of a temporary failure
				continue
			}
			return nil, &CredentialsError{Err: apiErr, Method: methodOf(o.auth), Renewed: renewed}
		}
		if ctx.Err() != nil || !retryable(o.method, err) {
			return nil, err
		}
		if stop := stopped(ctx); stop != nil {
			// Stopped (Ctrl-C): no further attempt.
			return nil, &RetryError{Attempts: attempt + 1, Reason: "the operation was interrupted before the next attempt: " + stop.Error(), Err: err, Ctx: stop}
		}
		if attempt >= c.maxRetries {
			reason := fmt.Sprintf("max_retries (%d) reached", c.maxRetries)
			if c.maxRetries == 0 {
				reason = "retries are disabled (max_retries = 0)"
			}
			return nil, &RetryError{Attempts: attempt + 1, Reason: reason, Err: err}
		}
		delay, stop := c.retryDelay(ctx, attempt, err)
		if stop != "" {
			return nil, &RetryError{Attempts: attempt + 1, Reason: stop, Err: err}
		}
		tflog.Info(ctx, "Retrying CBR API request", map[string]any{
			"http_method": o.method, "http_url": target, "attempt": attempt + 1, "max_retries": c.maxRetries,
			"cause": retryCause(err), "delay_ms": delay.Milliseconds(),
		})
		if waitErr := c.sleepStoppable(ctx, delay); waitErr != nil {
			return nil, &RetryError{Attempts: attempt + 1, Reason: "the operation ended while waiting to retry: " + waitErr.Error(), Err: err, Ctx: waitErr}
		}
	}
}

// send makes one attempt of do. It returns the request as authenticated.
func (c *Client) send(ctx context.Context, o outgoing, target string) (*http.Request, *rawAnswer, error) {
	method, body := o.method, o.body
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, reader)
	if err != nil {
		return nil, nil, fmt.Errorf("building %s %s: %w", method, target, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	for k, vs := range o.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if o.auth != nil {
		if _, ok := o.auth.(interface{ sendsProjectID() bool }); ok && o.projectID != "" {
			req.Header.Set("X-Project-Id", o.projectID)
		}
		if err := o.auth.Authenticate(ctx, req, body); err != nil {
			var authErr *AuthError
			if errors.As(err, &authErr) {
				return nil, nil, err
			}
			return nil, nil, fmt.Errorf("authenticating %s %s: %w", method, target, err)
		}
	}

	// An IAM token obtained while authenticating is masked in the logs of
	// this exchange too.
	ctx = c.maskSecrets(ctx)

	// Whether the request reached the server decides what a failure means
	// for a call that is not idempotent.
	var wrote atomic.Bool
	if stop := stopped(ctx); stop != nil {
		// The operation was stopped (Ctrl-C) while this request was being
		// prepared: it is not sent.
		return nil, nil, &TransportError{Method: method, URL: target, Err: stop}
	}
	traced := req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) },
	}))
	resp, err := c.http.Do(traced)
	if err != nil {
		return req, nil, &TransportError{Method: method, URL: target, Err: err, Sent: wrote.Load()}
	}
	defer resp.Body.Close()
	// One byte more than the limit tells an answer at the limit from a
	// larger one, which would otherwise be read cut short.
	data, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	requestID := resp.Header.Get("X-Request-Id")
	tooLarge := len(data) > maxResponseBytes
	if tooLarge {
		data = data[:maxResponseBytes]
		readErr = errAnswerTooLarge
	}

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		apiErr := ParseAPIError(resp.StatusCode, data, requestID)
		if tooLarge {
			apiErr = &APIError{StatusCode: resp.StatusCode, RequestID: requestID, Body: "(" + errAnswerTooLarge.Error() + ")"}
		}
		apiErr.Method, apiErr.URL = method, target
		// An API that repeats a credential in its error must not make
		// it show in a diagnostic.
		apiErr.Code, apiErr.Message, apiErr.Body = c.MaskSecrets(apiErr.Code), c.MaskSecrets(apiErr.Message), c.MaskSecrets(apiErr.Body)
		apiErr.RetryAfter = resp.Header.Get("Retry-After")
		return req, nil, apiErr
	}
	if tooLarge {
		return req, nil, &ResponseError{Method: method, URL: target, StatusCode: resp.StatusCode, RequestID: requestID, Body: snippet(data), Err: readErr}
	}
	if readErr != nil {
		return req, nil, &ResponseError{Method: method, URL: target, StatusCode: resp.StatusCode, RequestID: requestID, Body: snippet(data), Err: fmt.Errorf("reading the answer: %w", readErr)}
	}
	return req, &rawAnswer{method: method, url: target, status: resp.StatusCode, requestID: requestID, header: resp.Header, body: data}, nil
}

// maskSecrets registers the secrets (configured, and obtained since: IAM
// tokens, temporary credentials, ID tokens) as masks on ctx's logger, a
// second line of defence behind the redaction in the logging transport.
func (c *Client) maskSecrets(ctx context.Context) context.Context {
	secrets := c.Secrets()
	if len(secrets) == 0 {
		return ctx
	}
	ctx = tflog.MaskAllFieldValuesStrings(ctx, secrets...)
	return tflog.MaskMessageStrings(ctx, secrets...)
}

// Secrets returns the secrets the client knows: those configured and those
// it obtained (IAM tokens, temporary secret keys and security tokens, ID
// tokens), so that no message shows them.
func (c *Client) Secrets() []string {
	c.secretsMu.Lock()
	defer c.secretsMu.Unlock()
	return append([]string(nil), c.secrets...)
}

// MaskSecrets replaces every secret the client knows in s by Redacted.
func (c *Client) MaskSecrets(s string) string {
	return newMasker(c.Secrets()).text(s)
}

// addSecrets adds secrets obtained during the run to those masked.
func (c *Client) addSecrets(secrets ...string) {
	c.secretsMu.Lock()
	defer c.secretsMu.Unlock()
	for _, s := range secrets {
		// Too short a value would mask ordinary text.
		if len(s) < 8 {
			continue
		}
		known := false
		for _, k := range c.secrets {
			known = known || k == s
		}
		if !known {
			c.secrets = append(c.secrets, s)
		}
	}
}

// clock is c.now, for authenticators built before a test replaces c.now.
func (c *Client) clock() time.Time { return c.now() }

// snippet returns at most 512 bytes of an answer, for error messages, cut
// at a character boundary.
func snippet(b []byte) string {
	const limit = 512
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return s[:cut] + "…"
	}
	return s
}
