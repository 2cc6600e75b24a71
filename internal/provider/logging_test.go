package provider

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// TestAccBackupSync_logsWithoutSecrets runs a throttled apply with TF_LOG=TRACE
// and reads the whole log (Terraform's and the provider's): the token never
// appears, while the request lines, the retry and the redacted header do, so
// the test fails if logging is silently off.
//
// It is not parallel: it sets environment variables for the test process,
// which is where the in-process provider reads its log settings.
func TestAccBackupSync_logsWithoutSecrets(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
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
