// Package cbr is a small HTTP client for the Huawei Cloud Backup and Recovery
// (CBR) API calls the provider makes. It knows nothing about Terraform: it takes
// and returns plain Go values and the request/response models of the official
// huaweicloud-sdk-go-v3 CBR package.
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
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1/model"
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
	// ProjectID is the project the calls are made in.
	ProjectID string
	// Auth adds credentials to every request.
	Auth Authenticator
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

// Client calls the CBR API. It is safe for concurrent use.
type Client struct {
	endpoint   *url.URL
	projectID  string
	auth       Authenticator
	http       *http.Client
	userAgent  string
	maxRetries int
	retryBase  time.Duration
	retryMax   time.Duration
	secrets    []string

	// Replaced by tests.
	now       func() time.Time
	randFloat func() float64
	sleep     func(context.Context, time.Duration) error
}

// ParseEndpoint checks an API base URL: http or https, with a host, and
// without query or fragment. The path is kept without its trailing slashes.
func ParseEndpoint(endpoint string) (*url.URL, error) {
	if i := strings.IndexFunc(endpoint, unicode.IsSpace); i >= 0 {
		return nil, fmt.Errorf("invalid endpoint %q: it contains white space", endpoint)
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("invalid endpoint %q: %w", endpoint, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("invalid endpoint %q: want an http(s) URL such as https://cbr.cn-north-4.myhuaweicloud.com", endpoint)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(endpoint, "#") {
		return nil, fmt.Errorf("invalid endpoint %q: a query or fragment is not allowed", endpoint)
	}
	if u.Port() == "" && strings.HasSuffix(u.Host, ":") {
		return nil, fmt.Errorf("invalid endpoint %q: empty port", endpoint)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	u, err := ParseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("CBR: %w", err)
	}
	if strings.TrimSpace(cfg.ProjectID) == "" {
		return nil, errors.New("a project ID is required")
	}
	if cfg.Auth == nil {
		return nil, errors.New("an authenticator is required")
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
		endpoint: u, projectID: cfg.ProjectID, auth: cfg.Auth, http: hc, userAgent: cfg.UserAgent,
		maxRetries: cfg.MaxRetries, retryBase: cfg.RetryBaseDelay, retryMax: cfg.RetryMaxDelay,
		now: time.Now, randFloat: rand.Float64, sleep: sleepContext,
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
	return c, nil
}

// ProjectID is the project the client calls into.
func (c *Client) ProjectID() string { return c.projectID }

// SyncBackups imports on-premises backups into CBR with one
// POST /v3/{project_id}/backups/sync carrying all entries in order. It returns
// the operation log ID of each backup, keyed by backup ID.
//
// When the answer does not cover every requested backup, the IDs it did cover
// are returned together with an *IncompleteSyncError. Any other error means no
// usable answer was received; MaybeApplied tells whether the request may
// nevertheless have been applied.
func (c *Client) SyncBackups(ctx context.Context, backups []model.BackupSync) (map[string]string, error) {
	if len(backups) == 0 || len(backups) > MaxSyncEntries {
		return nil, fmt.Errorf("a sync request carries 1 to %d backups, got %d", MaxSyncEntries, len(backups))
	}
	body, err := json.Marshal(model.BackupSyncReq{Sync: backups})
	if err != nil {
		return nil, fmt.Errorf("encoding the sync request: %w", err)
	}
	raw, err := c.do(ctx, http.MethodPost, "/v3/"+url.PathEscape(c.projectID)+"/backups/sync", body)
	if err != nil {
		return nil, err
	}
	return decodeSyncAnswer(backups, raw)
}

// decodeSyncAnswer reads a 2xx sync answer and matches it with the request.
func decodeSyncAnswer(backups []model.BackupSync, raw *rawAnswer) (map[string]string, error) {
	var answer struct {
		Sync *[]model.BackupSyncRespBody `json:"sync"`
	}
	if err := json.Unmarshal(raw.body, &answer); err != nil {
		return nil, &ResponseError{Method: raw.method, URL: raw.url, StatusCode: raw.status, RequestID: raw.requestID, Body: snippet(raw.body), Err: err}
	}
	if answer.Sync == nil {
		return nil, &ResponseError{Method: raw.method, URL: raw.url, StatusCode: raw.status, RequestID: raw.requestID, Body: snippet(raw.body), Err: errors.New(`the answer has no "sync" list`)}
	}
	return MatchSyncAnswer(backups, *answer.Sync, raw.requestID)
}

// MatchSyncAnswer pairs the answer's entries with the requested backups by
// backup_id, not by position. Entries the answer does not cover (or covers
// without an operation log ID) are reported in an *IncompleteSyncError next to
// the IDs that were matched.
func MatchSyncAnswer(requested []model.BackupSync, answer []model.BackupSyncRespBody, requestID string) (map[string]string, error) {
	wanted := make(map[string]bool, len(requested))
	for _, b := range requested {
		wanted[b.BackupId] = true
	}
	ids := make(map[string]string, len(requested))
	var unexpected []string
	for _, a := range answer {
		if !wanted[a.BackupId] {
			unexpected = append(unexpected, a.BackupId)
			continue
		}
		if a.OperationLogId != "" {
			ids[a.BackupId] = a.OperationLogId
		}
	}
	var missing []string
	for _, b := range requested {
		if _, ok := ids[b.BackupId]; !ok {
			missing = append(missing, b.BackupId)
		}
	}
	if len(missing) > 0 {
		return ids, &IncompleteSyncError{Missing: missing, Unexpected: unexpected, Requested: len(requested), RequestID: requestID}
	}
	return ids, nil
}

type rawAnswer struct {
	method, url string
	status      int
	requestID   string
	body        []byte
}

// do sends a request, retrying temporary failures as RetryRule says, and
// returns a 2xx answer's body, or an error.
//
// Retries are bounded by c.maxRetries and by ctx: a wait never runs past
// ctx's deadline, and ends at once when ctx is cancelled.
func (c *Client) do(ctx context.Context, method, path string, body []byte) (*rawAnswer, error) {
	ctx = c.maskSecrets(ctx)
	u := *c.endpoint
	u.Path = c.endpoint.Path + path
	target := u.String()

	for attempt := 0; ; attempt++ {
		raw, err := c.send(ctx, method, target, body)
		if err == nil {
			return raw, nil
		}
		if ctx.Err() != nil || !retryable(method, err) {
			return nil, err
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
			"http_method": method, "http_url": target, "attempt": attempt + 1, "max_retries": c.maxRetries,
			"cause": retryCause(err), "delay_ms": delay.Milliseconds(),
		})
		if waitErr := c.sleep(ctx, delay); waitErr != nil {
			return nil, &RetryError{Attempts: attempt + 1, Reason: "the operation ended while waiting to retry: " + waitErr.Error(), Err: err, Ctx: waitErr}
		}
	}
}

// send sends one request and returns a 2xx answer's body, or an error.
func (c *Client) send(ctx context.Context, method, target string, body []byte) (*rawAnswer, error) {
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, reader)
	if err != nil {
		return nil, fmt.Errorf("building %s %s: %w", method, target, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	if err := c.auth.Authenticate(ctx, req, body); err != nil {
		return nil, fmt.Errorf("authenticating %s %s: %w", method, target, err)
	}

	// Whether the request reached the server decides what a failure means
	// for a call that is not idempotent.
	var wrote atomic.Bool
	req = req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) },
	}))
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &TransportError{Method: method, URL: target, Err: err, Sent: wrote.Load()}
	}
	defer resp.Body.Close()
	data, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	requestID := resp.Header.Get("X-Request-Id")

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		apiErr := ParseAPIError(resp.StatusCode, data, requestID)
		apiErr.Method, apiErr.URL = method, target
		apiErr.RetryAfter = resp.Header.Get("Retry-After")
		return nil, apiErr
	}
	if readErr != nil {
		return nil, &ResponseError{Method: method, URL: target, StatusCode: resp.StatusCode, RequestID: requestID, Body: snippet(data), Err: fmt.Errorf("reading the answer: %w", readErr)}
	}
	return &rawAnswer{method: method, url: target, status: resp.StatusCode, requestID: requestID, body: data}, nil
}

// maskSecrets registers the configured secrets as masks on ctx's logger, a
// second line of defence behind the redaction in the logging transport.
func (c *Client) maskSecrets(ctx context.Context) context.Context {
	if len(c.secrets) == 0 {
		return ctx
	}
	ctx = tflog.MaskAllFieldValuesStrings(ctx, c.secrets...)
	return tflog.MaskMessageStrings(ctx, c.secrets...)
}

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
