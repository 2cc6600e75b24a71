package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// The tests below read the whole TRACE log of a run (Terraform's and the
// provider's). They are not parallel: the log settings are environment
// variables of the test process (see traceLog).

// TestAccBackupSync_logsWithoutSecrets runs a throttled apply with TF_LOG=TRACE
// and reads the whole log (Terraform's and the provider's): the token never
// appears, while the request lines, the retry and the redacted header do, so
// the test fails if logging is silently off.
func TestAccBackupSync_logsWithoutSecrets(t *testing.T) {
	skipWithoutAcc(t)
	const token = "tok-Zq81-secret-do-not-log"
	logFile := traceLog(t)

	fake, url := startFake(t, cbrfake.Options{Tokens: []string{token}})
	fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{Status: 429, RetryAfter: "0"})
	cfg := strings.Replace(providerConfig(url), cbrfake.DefaultToken, token, 1) + backupsConfig(makeBackups(2))

	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{{
			Config:            cfg,
			ConfigStateChecks: stateMatchesFake(fake, 2),
			Check: func(*terraform.State) error {
				if got := fake.Requests(); len(got) != 2 || got[1].Header.Get("X-Auth-Token") != token {
					return fmt.Errorf("the fake saw %d requests; the token was not sent as configured", len(got))
				}
				return nil
			},
		}},
	})

	entries := ownLogEntries(t, logFile)
	checked := len(entries)
	for _, e := range entries {
		if strings.Contains(e, token) {
			t.Errorf("the token is in the log: %.400s", e)
		}
	}
	// Each expectation is a set of patterns one entry must match together
	// (field order varies).
	// After the message comes a space, or a new line when the first field
	// (in random order) is a multi-line value.
	debugResponse := `^\S+ \[DEBUG\] \S*cbr: Received HTTP response:\s`
	for _, want := range [][]string{
		// DEBUG: one entry per exchange: method, URL, status, request id, duration and sizes.
		{debugResponse, ` http_status=429( |$)`, ` request_id=[0-9a-f]{32}( |$)`, ` duration_ms=\d+`, ` request_body_bytes=\d{3,}`, ` response_body_bytes=\d+`,
			` http_method=POST`, ` http_url=` + regexp.QuoteMeta(url) + `/v3/` + cbrfake.DefaultProjectID + `/backups/sync`},
		{debugResponse, ` http_status=200( |$)`, ` request_id=[0-9a-f]{32}( |$)`},
		// The retry after the 429.
		{`^\S+ \[INFO\]  \S*cbr: Retrying CBR API request:\s`, `cause="HTTP 429 Too Many Requests"`, ` attempt=1( |$)`},
		// TRACE: headers and bodies, the credential redacted.
		{`^\S+ \[TRACE\] \S*cbr: HTTP request:\s`, `\n  \| X-Auth-Token: \*\*\*\n`, `http_request_body=.*backup_id`},
		{`^\S+ \[TRACE\] \S*cbr: HTTP response:\s`, `http_response_body=.*operation_log_id`},
	} {
		if !anyEntryMatches(entries, want) {
			t.Errorf("the log has no entry matching all of %q", want)
		}
	}
	if checked < 100 {
		t.Errorf("only %d log entries were checked: is TRACE logging on?", checked)
	}
}

// anyEntryMatches reports whether one entry matches every pattern.
func anyEntryMatches(entries, patterns []string) bool {
	res := make([]*regexp.Regexp, len(patterns))
	for i, p := range patterns {
		res[i] = regexp.MustCompile(p)
	}
	for _, e := range entries {
		all := true
		for _, re := range res {
			if !re.MatchString(e) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// TestAccSecretsEchoedByTheAPI: CBR (or a gateway in front of it) refuses
// the token and repeats it in error_msg. The diagnostic shows error_msg with
// the token masked, and the whole TRACE log (Terraform's and the provider's)
// never holds it: neither a configured token nor the one obtained with a
// password.
func TestAccSecretsEchoedByTheAPI(t *testing.T) {
	skipWithoutAcc(t)
	const token = "tok-Echo-3c9d-secret"
	for _, tc := range []struct {
		name, provider string
		faults         int
	}{
		{"configured token", "", 1},
		// The token is renewed once after a 401: both are echoed.
		{"token obtained with a password", "password", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logFile := traceLog(t)

			fake, url := authFake(t, false)
			cfg := authProvider(url, "project_id", cbrfake.DefaultProjectID, "user_name", testUser, "password", testPassword, "domain_name", testDomain)
			if tc.provider == "" {
				fake, url = startFake(t, cbrfake.Options{Tokens: []string{token}})
				cfg = strings.Replace(providerConfig(url), cbrfake.DefaultToken, token, 1)
			}
			for i := 0; i < tc.faults; i++ {
				fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{Status: 401, EchoAuthToken: true})
			}
			tfresource.Test(t, tfresource.TestCase{
				ProtoV6ProviderFactories: providerFactories(nil),
				Steps: []tfresource.TestStep{{
					Config: cfg + backupsConfig(makeBackups(1)),
					// error_msg ends where the fake put the token: the
					// token must be masked right there.
					ExpectError: errorLike(`(?s)HTTP status: 401.*error_msg: Incorrect IAM authentication information: verify token failed: token \*\*\*\s+request id: [0-9a-f]{32}`),
				}},
				CheckDestroy: func(*terraform.State) error {
					if n := fake.Count(cbrfake.KindSync); n != tc.faults {
						return fmt.Errorf("%d sync requests, want %d", n, tc.faults)
					}
					return nil
				},
			})

			var secrets []string
			for _, r := range fake.Requests() {
				if tok := r.Header.Get("X-Auth-Token"); tok != "" {
					secrets = append(secrets, tok)
				}
			}
			if len(secrets) == 0 {
				t.Fatal("no request carried a token")
			}
			echoed := 0
			for _, e := range ownLogEntries(t, logFile) {
				for _, s := range secrets {
					if strings.Contains(e, s) {
						t.Errorf("the log holds the token %q: %.600s", s, e)
					}
				}
				if strings.Contains(e, "verify token failed: token ***") {
					echoed++
				}
			}
			// The answer and the diagnostic are in the log, masked: the
			// test would pass vacuously without them.
			if echoed < 2 {
				t.Errorf("%d log entries show the masked echo, want the answer and the error at least", echoed)
			}
		})
	}
}
