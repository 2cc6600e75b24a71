// Command cbrfake serves the fake Huawei Cloud CBR and IAM API of package
// cbrfake over HTTP, for example scripts and manual testing.
//
//	cbrfake -listen 127.0.0.1:0 -url-file /tmp/cbrfake.url -access-key AK -secret-key SK
//	cbrfake -url-file /tmp/cbrfake.url -script running,failed
//
// Once listening it writes its base URL (e.g. http://127.0.0.1:43121) to
// -url-file (atomically, without a trailing newline), logs one line per request to stderr and exits
// cleanly on SIGINT or SIGTERM.
//
// For load runs and benchmarks, GET /_fake/stats answers the fake's
// statistics as JSON (cbrfake.Stats: requests by kind and status, peak
// concurrency, backups applied per backup ID and duplicates, IAM tokens
// issued), and -stats-file receives the same when the server stops. The
// stats path is served by this command only, not by package cbrfake, as is
// POST /_fake/faults, which queues a fault for a later request (see
// faultsPath), and POST /_fake/scripts, which sets how the import task of
// one backup progresses (see scriptsPath).
// -latency delays every API answer and -throttle answers the first N sync
// requests with 429 and Retry-After: 1.
//
// Secrets may also be given through the environment variables
// CBRFAKE_SECRET_KEY, CBRFAKE_SECURITY_TOKEN and CBRFAKE_PASSWORD so that
// they do not show in the process list.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "cbrfake:", err)
		os.Exit(2)
	}
}

// run serves until ctx is done. ready, if not nil, receives the base URL
// once the server is listening.
func run(ctx context.Context, args []string, stderr io.Writer, ready chan<- string) error {
	fs := flag.NewFlagSet("cbrfake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	urlFile := fs.String("url-file", "", "write the base URL to this file once listening (atomically)")
	projectID := fs.String("project-id", cbrfake.DefaultProjectID, "project id served")
	region := fs.String("region", cbrfake.DefaultRegion, "region (IAM project name) served")
	token := fs.String("token", cbrfake.DefaultToken, "statically accepted X-Auth-Token (empty: none)")
	accessKey := fs.String("access-key", "", "access key accepted for SDK-HMAC-SHA256 signatures")
	secretKey := fs.String("secret-key", "", "secret key of -access-key (or $CBRFAKE_SECRET_KEY)")
	securityToken := fs.String("security-token", "", "X-Security-Token required with -access-key, making it temporary credentials (or $CBRFAKE_SECURITY_TOKEN)")
	user := fs.String("user", "", "IAM user name accepted by POST /v3/auth/tokens")
	password := fs.String("password", "", "password of -user (or $CBRFAKE_PASSWORD)")
	domain := fs.String("domain", "", "IAM domain (account) name of -user (default: the user name)")
	listProjects := fs.Bool("list-projects", false, "let every caller list the account's projects with GET /v3/projects (refused with 403 otherwise, as IAM does to users without the right)")
	agencies := fs.String("agencies", "", "comma-separated names of the account's agencies callers may assume (POST /v3.0/OS-CREDENTIAL/securitytokens)")
	callerDomain := fs.String("caller-domain", "", "account of -token and -access-key: another name than the account's makes CBR refuse them, so that only an agency's credentials work")
	metadata := fs.Bool("metadata", false, "serve temporary credentials at GET /openstack/latest/securitykey, as the ECS metadata service of a server with an agency")
	idpID := fs.String("idp-id", "", "identity provider whose -id-token POST /v3.0/OS-AUTH/id-token/tokens accepts")
	idToken := fs.String("id-token", "", "OpenID Connect ID token accepted for -idp-id (or $CBRFAKE_ID_TOKEN)")
	shared := fs.Bool("shared-operation-log", false, "one operation log per sync request instead of one per entry")
	script := fs.String("script", "", "comma-separated operation log statuses each new operation log goes through, one per GET, the last one staying (default waiting,running,success)")
	latency := fs.Duration("latency", 0, "wait this long before answering each API request, like a remote service")
	throttle := fs.Int("throttle", 0, "answer the first `N` sync requests with 429 Too Many Requests and Retry-After: 1")
	statsFile := fs.String("stats-file", "", "write the counters of GET "+statsPath+" to this file (JSON, atomically) when stopping")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	envDefault(secretKey, "CBRFAKE_SECRET_KEY")
	envDefault(securityToken, "CBRFAKE_SECURITY_TOKEN")
	envDefault(password, "CBRFAKE_PASSWORD")
	envDefault(idToken, "CBRFAKE_ID_TOKEN")

	var steps []cbrfake.Step
	if *script != "" {
		for _, st := range strings.Split(*script, ",") {
			step, err := stepOf(strings.TrimSpace(st))
			if err != nil {
				return fmt.Errorf("-script: %w", err)
			}
			steps = append(steps, step)
		}
	}

	logger := log.New(stderr, "cbrfake: ", log.LstdFlags|log.Lmicroseconds)
	opts := cbrfake.Options{
		ProjectID:          *projectID,
		Region:             *region,
		Tokens:             []string{},
		SharedOperationLog: *shared,
		Logf:               logger.Printf,
	}
	if *token != "" {
		opts.Tokens = []string{*token}
	}
	if (*accessKey == "") != (*secretKey == "") {
		return errors.New("-access-key and -secret-key must be given together")
	}
	if *accessKey != "" {
		opts.AccessKeys = map[string]string{*accessKey: *secretKey}
		if *securityToken != "" {
			opts.SecurityTokens = map[string]string{*accessKey: *securityToken}
		}
	} else if *securityToken != "" {
		return errors.New("-security-token needs -access-key and -secret-key")
	}
	if (*user == "") != (*password == "") {
		return errors.New("-user and -password must be given together")
	}
	if *user != "" {
		d := *domain
		if d == "" {
			d = *user
		}
		opts.Users = []cbrfake.User{{Domain: d, Name: *user, Password: *password}}
	} else if *domain != "" {
		return errors.New("-domain needs -user")
	}

	if *latency < 0 || *throttle < 0 {
		return errors.New("-latency and -throttle must not be negative")
	}
	opts.Latency = *latency
	opts.ListProjects, opts.CallerDomain, opts.Metadata = *listProjects, *callerDomain, *metadata
	for _, a := range strings.Split(*agencies, ",") {
		if a = strings.TrimSpace(a); a != "" {
			opts.Agencies = append(opts.Agencies, a)
		}
	}
	if (*idpID == "") != (*idToken == "") {
		return errors.New("-idp-id and -id-token must be given together")
	}
	if *idpID != "" {
		opts.IDTokens = []cbrfake.IDToken{{Token: *idToken, IdpID: *idpID}}
	}
	fake := cbrfake.New(opts)
	if len(steps) > 0 {
		fake.SetDefaultScript(steps...)
	}
	for i := 0; i < *throttle; i++ {
		fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"})
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	baseURL := "http://" + ln.Addr().String()

	baseCtx, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	srv := &http.Server{
		Handler:           handler(fake),
		ReadHeaderTimeout: 30 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
		ErrorLog:          logger,
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	if *urlFile != "" {
		if err := writeFileAtomic(*urlFile, []byte(baseURL)); err != nil {
			_ = srv.Close()
			return fmt.Errorf("write url file: %w", err)
		}
	}
	logger.Printf("listening on %s (project %s, region %s)", baseURL, opts.ProjectID, opts.Region)
	if ready != nil {
		ready <- baseURL
	}

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	logger.Printf("shutting down")
	cancelBase() // abort delayed answers
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	if *statsFile != "" {
		if err := writeStatsFile(*statsFile, fake); err != nil {
			return fmt.Errorf("write stats file: %w", err)
		}
	}
	return nil
}

// statsPath serves the fake's statistics.
const statsPath = "/_fake/stats"

// faultsPath queues a fault: POST {"kind": "sync", "after": N, "fault": {...}}
// makes the (N+1)th next request of that kind answer with the fault
// (cbrfake.Fault, field names as in Go, e.g. {"Status": 400}).
const faultsPath = "/_fake/faults"

type faultRequest struct {
	Kind  string        `json:"kind"`
	After int           `json:"after"`
	Fault cbrfake.Fault `json:"fault"`
}

func queueFault(fake *cbrfake.Server, w http.ResponseWriter, r *http.Request) {
	var fr faultRequest
	if !decodePost(w, r, &fr, `{"kind": "sync", "after": N >= 0, "fault": {...}}`, func() bool { return fr.Kind != "" && fr.After >= 0 }) {
		return
	}
	faults := make([]cbrfake.Fault, fr.After+1)
	faults[fr.After] = fr.Fault
	fake.InjectFault(fr.Kind, faults...)
	w.WriteHeader(http.StatusNoContent)
}

// handler serves the fake API and its statistics.
func handler(fake *cbrfake.Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == faultsPath {
			queueFault(fake, w, r)
			return
		}
		if r.URL.Path == scriptsPath {
			scriptBackup(fake, w, r)
			return
		}
		if r.URL.Path == statsPath {
			if !allowOnly(w, r, http.MethodGet) {
				return
			}
			w.Header().Set("Content-Type", "application/json")
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			_ = enc.Encode(fake.Stats())
			return
		}
		fake.ServeHTTP(w, r)
	})
}

// allowOnly answers 405 to a request whose method is not method, and
// tells whether the request may be served.
func allowOnly(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	w.Header().Set("Allow", method)
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

// decodePost decodes the JSON body of a POST into v, refusing unknown
// fields, and tells whether the request may be served. Another method gets
// a 405; a body that does not decode, or for which valid is false, gets a
// 400 that says what is wanted.
func decodePost(w http.ResponseWriter, r *http.Request, v any, want string, valid func() bool) bool {
	if !allowOnly(w, r, http.MethodPost) {
		return false
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil || !valid() {
		http.Error(w, fmt.Sprintf("want %s: %v", want, err), http.StatusBadRequest)
		return false
	}
	return true
}

// stepOf is the step of an operation log script with status.
func stepOf(status string) (cbrfake.Step, error) {
	switch status {
	case cbrfake.StatusSuccess, cbrfake.StatusSkipped, cbrfake.StatusFailed, cbrfake.StatusRunning, cbrfake.StatusTimeout, cbrfake.StatusWaiting:
		return cbrfake.Step{Status: status}, nil
	}
	return cbrfake.Step{}, fmt.Errorf("unknown status %q (want success, skipped, failed, running, timeout or waiting)", status)
}

func envDefault(v *string, name string) {
	if *v == "" {
		*v = os.Getenv(name)
	}
}

// writeFileAtomic writes data to a temporary file next to path and renames it.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
