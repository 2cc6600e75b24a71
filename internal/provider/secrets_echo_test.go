package provider

import (
	"fmt"
	"os"
	"strings"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// TestAccSecretsEchoedByTheAPI: CBR (or a gateway in front of it) refuses
// the token and repeats it in error_msg. The diagnostic shows error_msg with
// the token masked, and the whole TRACE log (Terraform's and the provider's)
// never holds it: neither a configured token nor the one obtained with a
// password.
//
// It is not parallel: it sets environment variables for the test process,
// which is where the in-process provider reads its log settings.
func TestAccSecretsEchoedByTheAPI(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
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
