// Package cbrfake is a strict, in-memory fake of the parts of the Huawei Cloud
// CBR (Cloud Backup and Recovery) and IAM HTTP APIs that the provider uses:
//
//   - POST /v3/{project_id}/backups/sync                        (kind "sync")
//   - GET  /v3/{project_id}/operation-logs/{operation_log_id}   (kind "operation_log")
//   - GET  /v3/{project_id}/operation-logs                      (kind "operation_logs", the list)
//   - POST /v3/auth/tokens                                       (kind "iam_token")
//   - GET  /v3/projects                                          (kind "iam_projects")
//   - GET  /v3/auth/projects                                     (kind "iam_auth_projects")
//   - POST /v3.0/OS-CREDENTIAL/securitytokens                    (kind "iam_security_token")
//   - POST /v3.0/OS-AUTH/id-token/tokens                         (kind "iam_id_token")
//   - GET  /openstack/latest/securitykey                         (kind "metadata", the ECS metadata service)
//
// It is meant to be as strict as the real service: requests are authenticated
// (X-Auth-Token or a real SDK-HMAC-SHA256 signature check), bodies are decoded
// strictly and every rejection carries a Huawei-style error body and an
// X-Request-Id header. Faults (throttling, 5xx, lost answers, connection
// resets, slow answers, broken bodies, answers padded past a client's read
// limit, error messages that repeat the refused token) can be queued per
// request kind.
//
// The package is an independent implementation of the API contract: it does
// not share code with the provider's client. It may import the standard
// library and the Huawei Cloud SDK (whose signer verifies signatures); never
// internal/cbr, the provider's packages or the Terraform plugin framework.
//
// Every answer carries X-Request-Id (32 hex characters). Errors are JSON
// {"error_code","error_msg","request_id"} (IAM token errors additionally carry
// a Keystone style "error" object). The codes used:
//
//	404 APIGW.0101          unknown API path
//	405 APIGW.0101          wrong method on a known path (Allow header set)
//	401 APIGW.0301          missing, unknown or invalid credentials or signature
//	401 APIGW.0307          expired IAM token
//	403 BackupService.0006  project in the path not served, or token scoped elsewhere
//	413 APIGW.0201          request body over MaxBodyBytes
//	415 BackupService.9900  sync Content-Type not application/json
//	400 BackupService.9900  invalid sync body, or invalid query of the operation log list ("Invalid parameter: ...")
//	404 BackupService.0012  unknown operation log
//	400 1100 / IAM.0007     IAM token request missing / invalid parameter
//	401 IAM.0401            IAM wrong user name, password or domain
//	403 IAM.0002            GET /v3/projects without Options.ListProjects
//	415 IAM.0007            IAM token request Content-Type not application/json
package cbrfake

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults used when the corresponding Options field is empty.
const (
	DefaultProjectID = "0b1d2f3e4a5c6d7e8f9a0b1c2d3e4f5a" // 32 lowercase hex
	DefaultRegion    = "cn-north-4"
	DefaultToken     = "fake-cbr-token" // accepted X-Auth-Token by default
	DefaultVaultID   = "3b5816b5-f29c-4172-9d9a-76c719a659ce"
	DefaultVaultName = "vault-hybrid-backup"
)

// Request kinds, as recorded in Request.Kind and used by Count and InjectFault.
const (
	KindSync         = "sync"
	KindOperationLog = "operation_log"
	KindIAMToken     = "iam_token"
	KindIAMProjects  = "iam_projects"
	// KindIAMAuthProjects is GET /v3/auth/projects, the projects the
	// caller may use.
	KindIAMAuthProjects = "iam_auth_projects"
	KindOther           = "other"
)

// Limits enforced by the fake.
const (
	// MaxBodyBytes is the largest request body accepted (413 above it).
	MaxBodyBytes = 1 << 20
	// MaxSyncEntries is the largest number of entries in one sync request.
	MaxSyncEntries = 50
	// MaxBackupNameLen is the maximum backup_name length in characters.
	MaxBackupNameLen = 64
	// MaxCreatedAt is the largest created_at accepted (the SDK models it as int32).
	MaxCreatedAt = 2147483647
	// MaxClockSkew is the largest accepted difference between X-Sdk-Date and the server clock.
	MaxClockSkew = 15 * time.Minute
)

// User is an IAM password user accepted by POST /v3/auth/tokens.
type User struct{ Domain, Name, Password string }

// Options configures a Server. The zero value is usable.
type Options struct {
	ProjectID      string            // default DefaultProjectID
	Region         string            // project name; default DefaultRegion
	Tokens         []string          // statically accepted X-Auth-Token values; nil => []string{DefaultToken}; empty non-nil slice => none
	AccessKeys     map[string]string // AK -> SK accepted for SDK-HMAC-SHA256 signing
	SecurityTokens map[string]string // AK -> required X-Security-Token (temporary credentials); such an AK must also be in AccessKeys
	Users          []User            // IAM password users
	TokenTTL       time.Duration     // lifetime of tokens issued by POST /v3/auth/tokens; default 24h
	// ListProjects gives every caller the right to list the account's
	// projects with GET /v3/projects (IAM's identity:list_projects, which
	// users with CBR permissions only do not have). Without it, that call
	// is refused with 403, as IAM does; GET /v3/auth/projects is always
	// answered.
	ListProjects bool
	// CallerDomain is the account the static tokens and access keys belong
	// to; empty means the served account. Another name models a central
	// account: its credentials can assume the served account's Agencies,
	// but CBR refuses them (403) and they see none of its projects.
	CallerDomain string
	// Agencies are the names of the served account's agencies that callers
	// may assume (POST /v3.0/OS-CREDENTIAL/securitytokens, assume_role).
	Agencies []string
	// IDTokens are the OpenID Connect ID tokens the fake IAM exchanges for
	// federated tokens (POST /v3.0/OS-AUTH/id-token/tokens).
	IDTokens []IDToken
	// Metadata makes GET /openstack/latest/securitykey answer temporary
	// credentials, as on an ECS with an agency attached (404 otherwise).
	Metadata bool
	// TemporaryTTL, when set, is the lifetime of every temporary credential
	// issued, whatever duration was asked for (tests of renewal).
	TemporaryTTL time.Duration
	// SharedOperationLog: true gives one operation_log_id for all entries of
	// one sync request; false (default) gives one per entry.
	SharedOperationLog bool
	// VaultID and VaultName are the vault that synchronized backups land in,
	// reported in operation logs; defaults DefaultVaultID and DefaultVaultName.
	VaultID, VaultName string
	Now                func() time.Time                 // clock; default time.Now
	Logf               func(format string, args ...any) // optional request log; never receives secrets or bodies
	// Latency delays the handling of every request, after it is recorded,
	// like a remote service; a client that goes away meanwhile gets no
	// answer (status 0).
	Latency time.Duration
}

// Request is one recorded request.
type Request struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
	Status                 int    // status answered (0 if the connection was reset or the client went away first)
	RequestID              string // X-Request-Id answered
	Kind                   string // "sync", "operation_log", "operation_logs", "iam_token", "iam_projects", "other"
}

// SyncedBackup is one backup entry accepted and applied by the sync API.
type SyncedBackup struct {
	BackupID, BackupName, BucketName, ImagePath, ResourceID, ResourceName, ResourceType string
	CreatedAt                                                                           int64
	OperationLogID                                                                      string
}

// Server is the fake API. It is safe for concurrent use.
type Server struct {
	opts          Options
	staticTokens  map[string]bool
	accountDomain string
	projects      []project

	mu            sync.Mutex
	requests      []*Request
	synced        []SyncedBackup
	faults        map[string][]Fault
	scripts       map[string][]Step
	defaultScript []Step
	opLogs        map[string]*opLog
	hiddenBackups map[string]bool // see HideBackupsFromList
	issued        map[string]*issuedToken
	temporary     map[string]*tempCred
	issuedCount   int
	inFlight      int
	maxInFlight   int
}

type project struct {
	id, name string
}

// New returns a Server configured by opts.
func New(opts Options) *Server {
	if opts.ProjectID == "" {
		opts.ProjectID = DefaultProjectID
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.Tokens == nil {
		opts.Tokens = []string{DefaultToken}
	}
	if opts.VaultID == "" {
		opts.VaultID = DefaultVaultID
	}
	if opts.VaultName == "" {
		opts.VaultName = DefaultVaultName
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.AccessKeys = copyMap(opts.AccessKeys)
	opts.SecurityTokens = copyMap(opts.SecurityTokens)
	opts.Users = append([]User(nil), opts.Users...)
	opts.Agencies = append([]string(nil), opts.Agencies...)
	opts.IDTokens = append([]IDToken(nil), opts.IDTokens...)

	s := &Server{
		opts:          opts,
		staticTokens:  make(map[string]bool, len(opts.Tokens)),
		accountDomain: "fake-domain",
		faults:        make(map[string][]Fault),
		scripts:       make(map[string][]Step),
		defaultScript: []Step{{Status: "waiting"}, {Status: "running"}, {Status: "success"}},
		opLogs:        make(map[string]*opLog),
		issued:        make(map[string]*issuedToken),
		temporary:     make(map[string]*tempCred),
	}
	for _, t := range opts.Tokens {
		if t != "" {
			s.staticTokens[t] = true
		}
	}
	if len(opts.Users) > 0 && opts.Users[0].Domain != "" {
		s.accountDomain = opts.Users[0].Domain
	}
	// A real account has one project per region plus the "MOS" system
	// project; listing more than the configured one makes a client that
	// forgets the name filter fail instead of working by accident.
	other := "ap-southeast-1"
	if opts.Region == other {
		other = "cn-east-3"
	}
	s.projects = []project{
		{id: opts.ProjectID, name: opts.Region},
		{id: derivedID("project", "MOS"), name: "MOS"},
		{id: derivedID("project", other), name: other},
	}
	return s
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// ProjectID returns the project id served by s.
func (s *Server) ProjectID() string { return s.opts.ProjectID }

// Region returns the region (project name) served by s.
func (s *Server) Region() string { return s.opts.Region }

// Start serves s on a loopback httptest server (http) and returns its base URL
// and a close func. Closing cancels pending delayed answers.
func (s *Server) Start() (baseURL string, closeFn func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ts := httptest.NewUnstartedServer(s)
	ts.Config.BaseContext = func(net.Listener) context.Context { return ctx }
	ts.Start()
	var once sync.Once
	return ts.URL, func() {
		once.Do(func() {
			cancel()
			ts.Close()
		})
	}
}

// Requests returns copies of all recorded requests in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = *r
		out[i].Header = r.Header.Clone()
		out[i].Body = append([]byte(nil), r.Body...)
	}
	return out
}

// Count returns the number of recorded requests of the given kind (all statuses).
func (s *Server) Count(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Kind == kind {
			n++
		}
	}
	return n
}

// Synced returns every backup entry the server accepted and applied, in order.
func (s *Server) Synced() []SyncedBackup {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SyncedBackup(nil), s.synced...)
}

// Reset forgets recorded requests (and the peak of concurrent requests of
// Stats). Synced backups, operation logs, tokens, scripts and queued faults
// are kept.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.maxInFlight = s.inFlight
}

// call is the state of one request while it is being served.
type call struct {
	r         *http.Request
	body      []byte
	tooLarge  bool
	reqID     string
	kind      string
	projectID string // from the path, CBR routes only
	opLogID   string // from the path, operation log route only
	handler   func(*call) *response
	// finish records the outcome of the call (its status, 0 for none) and
	// ends it in the in-flight count. It runs once, before the client can
	// see the answer, so that what a client observes after an answer is
	// already in the recording.
	finish func(status int)
}

// response is a fully built answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (s *Server) now() time.Time { return s.opts.Now() }

// ServeHTTP serves the whole API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c := &call{r: r, reqID: randomHex(16)}
	var readErr error
	c.body, c.tooLarge, readErr = readBody(r)
	s.route(c)
	if readErr != nil {
		// Never process a partially received body.
		c.handler = func(c *call) *response {
			return invalidParam(c, "the request body could not be read completely")
		}
	}

	rec := &Request{
		Method:    r.Method,
		Path:      r.URL.Path,
		RawQuery:  r.URL.RawQuery,
		Header:    r.Header.Clone(),
		Body:      append([]byte(nil), c.body...),
		RequestID: c.reqID,
		Kind:      c.kind,
	}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	s.mu.Unlock()

	finished := false
	c.finish = func(status int) {
		if finished {
			return
		}
		finished = true
		s.mu.Lock()
		rec.Status = status
		s.inFlight--
		s.mu.Unlock()
	}
	status := 0
	// Deferred so that an aborted handler (connection reset, client gone)
	// is recorded too.
	defer func() {
		c.finish(status)
		if s.opts.Logf != nil {
			s.opts.Logf("%s %s status=%d request_id=%s kind=%s duration=%s",
				r.Method, r.URL.Path, status, c.reqID, c.kind, time.Since(start).Round(time.Microsecond))
		}
	}()
	if s.opts.Latency > 0 {
		t := time.NewTimer(s.opts.Latency)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	status = s.serve(w, c)
}

// readBody reads at most MaxBodyBytes+1 bytes and drains (a bounded amount of)
// the rest so that the connection stays usable for the answer.
func readBody(r *http.Request) (body []byte, tooLarge bool, err error) {
	if r.Body == nil {
		return nil, false, nil
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, false, err
	}
	if len(data) > MaxBodyBytes {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 16<<20))
		return data[:MaxBodyBytes], true, nil
	}
	return data, false, nil
}

// fixedRoutes are the endpoints at fixed paths: the method each allows, its
// kind and its handler.
var fixedRoutes = map[string]struct {
	method, kind string
	handle       func(*Server, *call) *response
}{
	"/v3/auth/tokens":                    {http.MethodPost, KindIAMToken, (*Server).handleIAMToken},
	"/v3/projects":                       {http.MethodGet, KindIAMProjects, (*Server).handleIAMProjects},
	"/v3.0/OS-CREDENTIAL/securitytokens": {http.MethodPost, KindIAMSecurityToken, (*Server).handleSecurityTokens},
	"/v3.0/OS-AUTH/id-token/tokens":      {http.MethodPost, KindIAMIDToken, (*Server).handleIDToken},
	"/openstack/latest/securitykey":      {http.MethodGet, KindMetadata, (*Server).handleMetadata},
	"/v3/auth/projects":                  {http.MethodGet, KindIAMAuthProjects, (*Server).handleIAMAuthProjects},
}

// route decides the kind and handler of c.
func (s *Server) route(c *call) {
	p := c.r.URL.Path
	seg := strings.Split(strings.TrimPrefix(p, "/"), "/")
	method := c.r.Method
	var allowed, kind string
	var h func(*call) *response
	fixed, isFixed := fixedRoutes[p]
	switch {
	case isFixed:
		allowed, kind = fixed.method, fixed.kind
		h = func(c *call) *response { return fixed.handle(s, c) }
	case len(seg) == 4 && seg[0] == "v3" && seg[1] != "" && seg[2] == "backups" && seg[3] == "sync":
		allowed, kind, h = http.MethodPost, KindSync, s.handleSync
		c.projectID = seg[1]
	case len(seg) == 3 && seg[0] == "v3" && seg[1] != "" && seg[2] == "operation-logs":
		allowed, kind, h = http.MethodGet, KindOperationLogs, s.handleOperationLogs
		c.projectID = seg[1]
	case len(seg) == 4 && seg[0] == "v3" && seg[1] != "" && seg[2] == "operation-logs" && seg[3] != "":
		allowed, kind, h = http.MethodGet, KindOperationLog, s.handleOperationLog
		c.projectID, c.opLogID = seg[1], seg[3]
	default:
		c.kind = KindOther
		c.handler = func(c *call) *response {
			return apiError(c, http.StatusNotFound, "APIGW.0101",
				"The API does not exist or has not been published in the environment")
		}
		return
	}
	if method != allowed {
		c.kind = KindOther
		c.handler = func(c *call) *response {
			resp := apiError(c, http.StatusMethodNotAllowed, "APIGW.0101",
				fmt.Sprintf("The API does not exist or has not been published in the environment: method %s is not allowed on %s (allowed: %s)", method, p, allowed))
			resp.header.Set("Allow", allowed)
			return resp
		}
		return
	}
	c.kind, c.handler = kind, h
}

// process runs the normal handling of c.
func (s *Server) process(c *call) *response {
	return c.handler(c)
}

// write sends resp and returns the status written.
func (s *Server) write(w http.ResponseWriter, c *call, resp *response) int {
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	h.Set("X-Request-Id", c.reqID)
	if h.Get("Content-Type") == "" && len(resp.body) > 0 {
		h.Set("Content-Type", "application/json")
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	c.finish(resp.status)
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
	return resp.status
}

// jsonResponse builds a JSON answer.
func jsonResponse(status int, v any) *response {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("cbrfake: marshal response: %v", err))
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return &response{status: status, header: h, body: data}
}

// apiErrorBody is the error body of CBR and API gateway errors.
type apiErrorBody struct {
	ErrorCode string `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
	RequestID string `json:"request_id"`
}

func apiError(c *call, status int, code, msg string) *response {
	return jsonResponse(status, apiErrorBody{ErrorCode: code, ErrorMsg: msg, RequestID: c.reqID})
}

// invalidParam is a 400 BackupService.9900 error.
func invalidParam(c *call, format string, args ...any) *response {
	return apiError(c, http.StatusBadRequest, "BackupService.9900", "Invalid parameter: "+fmt.Sprintf(format, args...))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("cbrfake: random: %v", err))
	}
	return b
}

func randomHex(n int) string { return hex.EncodeToString(randomBytes(n)) }

// newUUID returns a random (version 4) UUID string.
func newUUID() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// derivedID returns a stable 32 hex character id for a name.
func derivedID(kind, name string) string {
	sum := sha256.Sum256([]byte("cbrfake/" + kind + "/" + name))
	return hex.EncodeToString(sum[:16])
}
