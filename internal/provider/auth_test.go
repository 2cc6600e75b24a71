package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
	"github.com/cbr-sync/terraform-provider-cbr/internal/credentials"
)

// Test credentials of the fake API.
const (
	testAK       = "HPUAL3DA4XKQZ2MEXAMPLE"
	testSK       = "k7Vb2QxR9tLmN4pZsW8yEaJcU3fG6hDiO1qT5vXe"
	testTempAK   = "TMPAL3DA4XKQZ2MEXAMPLE"
	testTempSK   = "t8Wc3RyS0uMnO5qAtX9zFbKdV4gH7iEjP2rU6wYf"
	testST       = "gQpjbi1ub3J0aC00fEXAMPLESECURITYTOKEN"
	testUser     = "deployer"
	testPassword = "s3cret-Passw0rd"
	testDomain   = "acme"
)

// authFake starts a fake that accepts every test credential but the static
// token, unless withToken.
func authFake(t *testing.T, withToken bool) (*cbrfake.Server, string) {
	opts := cbrfake.Options{
		Tokens:         []string{},
		AccessKeys:     map[string]string{testAK: testSK, testTempAK: testTempSK},
		SecurityTokens: map[string]string{testTempAK: testST},
		Users:          []cbrfake.User{{Domain: testDomain, Name: testUser, Password: testPassword}},
	}
	if withToken {
		opts.Tokens = nil
	}
	return startFake(t, opts)
}

// authProvider renders a provider block for the fake (CBR and IAM on the same
// URL) in region cn-north-4, with extra arguments.
func authProvider(url string, args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "provider \"cbr\" {\n  region    = %q\n  endpoints = { cbr = %q, iam = %q }\n", cbrfake.DefaultRegion, url, url)
	for i := 0; i+1 < len(args); i += 2 {
		fmt.Fprintf(&b, "  %s = %q\n", args[i], args[i+1])
	}
	b.WriteString("}\n")
	return b.String()
}

// manyConfig renders n cbr_backup_sync resources (count), one backup each,
// keyed by a backup ID computed from count.index.
func manyConfig(n int) string {
	return fmt.Sprintf(`
resource "cbr_backup_sync" "many" {
  count = %d
  backups = {
    (format("7d3c1a52-0e4b-4f6a-8c2d-%%012d", count.index)) = {
      backup_name   = "vm-${count.index}-backup"
      bucket_name   = "hybrid-backups"
      image_path    = "chains/${count.index}"
      resource_id   = format("5b0f2e61-3d7a-4c19-9e8b-%%012d", count.index)
      resource_name = "vm-${count.index}"
      created_at    = 1553587260
    }
  }
}
`, n)
}

func requestsOf(fake *cbrfake.Server, kind string) []cbrfake.Request {
	var out []cbrfake.Request
	for _, r := range fake.Requests() {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

// credentialHeaders returns the names of the credential headers of r, sorted.
func credentialHeaders(r cbrfake.Request) string {
	var names []string
	for _, h := range []string{"Authorization", "X-Auth-Token", "X-Project-Id", "X-Sdk-Date", "X-Security-Token"} {
		if len(r.Header.Values(h)) > 0 {
			names = append(names, h)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

var sdkDate = regexp.MustCompile(`^\d{8}T\d{6}Z$`)

// checkSigned checks the exact signing headers of a signed request.
func checkSigned(r cbrfake.Request, ak, signed, projectID, securityToken string) error {
	want := fmt.Sprintf("SDK-HMAC-SHA256 Access=%s, SignedHeaders=%s, Signature=", ak, signed)
	authz := r.Header.Get("Authorization")
	if !strings.HasPrefix(authz, want) || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(strings.TrimPrefix(authz, want)) {
		return fmt.Errorf("%s %s: Authorization %q, want %q + 64 hex digits", r.Method, r.Path, authz, want)
	}
	if !sdkDate.MatchString(r.Header.Get("X-Sdk-Date")) {
		return fmt.Errorf("X-Sdk-Date %q", r.Header.Get("X-Sdk-Date"))
	}
	if got := r.Header.Get("X-Project-Id"); got != projectID {
		return fmt.Errorf("%s %s: X-Project-Id %q, want %q", r.Method, r.Path, got, projectID)
	}
	if got := r.Header.Get("X-Security-Token"); got != securityToken {
		return fmt.Errorf("%s %s: X-Security-Token %q, want %q", r.Method, r.Path, got, securityToken)
	}
	return nil
}

// TestAccAuthModes applies one resource with each way to authenticate, set
// in the provider block, and checks the exact credential headers the fake
// received. A second plan makes no API call, nor does destroy.
func TestAccAuthModes(t *testing.T) {
	pid := cbrfake.DefaultProjectID
	cases := []struct {
		name string
		args []string
		// calls is the number of requests of the apply, by kind.
		calls map[string]int
		check func(fake *cbrfake.Server) error
	}{
		{
			name:  "token",
			args:  []string{"project_id", pid, "auth_token", cbrfake.DefaultToken},
			calls: map[string]int{cbrfake.KindSync: 1},
			check: func(fake *cbrfake.Server) error {
				r := requestsOf(fake, cbrfake.KindSync)[0]
				if got := credentialHeaders(r); got != "X-Auth-Token" || r.Header.Get("X-Auth-Token") != cbrfake.DefaultToken {
					return fmt.Errorf("credential headers %s, X-Auth-Token %q", got, r.Header.Get("X-Auth-Token"))
				}
				return nil
			},
		},
		{
			name:  "aksk with project_id",
			args:  []string{"project_id", pid, "access_key", testAK, "secret_key", testSK},
			calls: map[string]int{cbrfake.KindSync: 1},
			check: func(fake *cbrfake.Server) error {
				r := requestsOf(fake, cbrfake.KindSync)[0]
				if got := credentialHeaders(r); got != "Authorization,X-Project-Id,X-Sdk-Date" {
					return fmt.Errorf("credential headers %s", got)
				}
				return checkSigned(r, testAK, "accept;host;user-agent;x-project-id;x-sdk-date", pid, "")
			},
		},
		{
			name:  "aksk looking the project up",
			args:  []string{"access_key", testAK, "secret_key", testSK},
			calls: map[string]int{cbrfake.KindIAMAuthProjects: 1, cbrfake.KindSync: 1},
			check: func(fake *cbrfake.Server) error {
				look := requestsOf(fake, cbrfake.KindIAMAuthProjects)[0]
				if look.RawQuery != "" || look.Status != http.StatusOK {
					return fmt.Errorf("lookup ?%s answered %d", look.RawQuery, look.Status)
				}
				if err := checkSigned(look, testAK, "accept;host;user-agent;x-sdk-date", "", ""); err != nil {
					return err
				}
				return checkSigned(requestsOf(fake, cbrfake.KindSync)[0], testAK, "accept;host;user-agent;x-project-id;x-sdk-date", pid, "")
			},
		},
		{
			name:  "temporary aksk with security_token",
			args:  []string{"project_id", pid, "access_key", testTempAK, "secret_key", testTempSK, "security_token", testST},
			calls: map[string]int{cbrfake.KindSync: 1},
			check: func(fake *cbrfake.Server) error {
				r := requestsOf(fake, cbrfake.KindSync)[0]
				if got := credentialHeaders(r); got != "Authorization,X-Project-Id,X-Sdk-Date,X-Security-Token" {
					return fmt.Errorf("credential headers %s", got)
				}
				return checkSigned(r, testTempAK, "accept;host;user-agent;x-project-id;x-sdk-date;x-security-token", pid, testST)
			},
		},
		{
			name:  "password",
			args:  []string{"user_name", testUser, "password", testPassword, "domain_name", testDomain},
			calls: map[string]int{cbrfake.KindIAMToken: 1, cbrfake.KindSync: 1},
			check: func(fake *cbrfake.Server) error {
				tr := requestsOf(fake, cbrfake.KindIAMToken)[0]
				want := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"deployer","password":"s3cret-Passw0rd","domain":{"name":"acme"}}}},"scope":{"project":{"name":"cn-north-4"}}}}`
				if string(tr.Body) != want || tr.Status != http.StatusCreated || credentialHeaders(tr) != "" {
					return fmt.Errorf("token request %s answered %d, credential headers %q", tr.Body, tr.Status, credentialHeaders(tr))
				}
				r := requestsOf(fake, cbrfake.KindSync)[0]
				if got := credentialHeaders(r); got != "X-Auth-Token" || !strings.HasPrefix(r.Header.Get("X-Auth-Token"), "MII") {
					return fmt.Errorf("credential headers %s, X-Auth-Token %.8q", got, r.Header.Get("X-Auth-Token"))
				}
				if fake.IssuedTokens() != 1 {
					return fmt.Errorf("%d tokens issued", fake.IssuedTokens())
				}
				return nil
			},
		},
		{
			name:  "password with project_id",
			args:  []string{"project_id", pid, "user_name", testUser, "password", testPassword, "domain_name", testDomain},
			calls: map[string]int{cbrfake.KindIAMToken: 1, cbrfake.KindSync: 1},
			check: func(fake *cbrfake.Server) error {
				tr := requestsOf(fake, cbrfake.KindIAMToken)[0]
				if !bytes.HasSuffix(tr.Body, []byte(`"scope":{"project":{"id":"`+pid+`"}}}}`)) {
					return fmt.Errorf("token request %s", tr.Body)
				}
				return nil
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake, url := authFake(t, tc.name == "token")
			cfg := authProvider(url, tc.args...) + backupsConfig(makeBackups(1))
			total := 0
			for _, n := range tc.calls {
				total += n
			}
			tfresource.ParallelTest(t, tfresource.TestCase{
				ProtoV6ProviderFactories: providerFactories(nil),
				Steps: []tfresource.TestStep{
					{Config: cfg, PlanOnly: true, ExpectNonEmptyPlan: true},
					{
						PreConfig:         planCalledNothing(t, fake),
						Config:            cfg,
						ConfigStateChecks: stateMatchesFake(fake, 1),
						Check: func(*terraform.State) error {
							if err := expectCallCounts(fake, tc.calls); err != nil {
								return err
							}
							if err := expectRequests(fake, total)(nil); err != nil {
								return err
							}
							return tc.check(fake)
						},
					},
					{Config: cfg, PlanOnly: true},
				},
				// Plan, refresh and destroy call nothing.
				CheckDestroy: expectRequests(fake, total),
			})
		})
	}
}

// TestAccAuthEnvOnly configures everything but the endpoints through the
// environment, as in a Terraform Cloud workspace, including HW_AUTH_URL.
func TestAccAuthEnvOnly(t *testing.T) {
	cases := []struct {
		name  string
		env   map[string]string
		calls map[string]int
	}{
		{"token", map[string]string{credentials.EnvProjectID: cbrfake.DefaultProjectID, credentials.EnvAuthToken: cbrfake.DefaultToken},
			map[string]int{cbrfake.KindSync: 1}},
		{"aksk", map[string]string{credentials.EnvAccessKey: testAK, credentials.EnvSecretKey: testSK},
			map[string]int{cbrfake.KindIAMAuthProjects: 1, cbrfake.KindSync: 1}},
		{"temporary aksk", map[string]string{credentials.EnvAccessKey: testTempAK, credentials.EnvSecretKey: testTempSK, credentials.EnvSecurityToken: testST},
			map[string]int{cbrfake.KindIAMAuthProjects: 1, cbrfake.KindSync: 1}},
		{"password", map[string]string{credentials.EnvUserName: testUser, credentials.EnvPassword: testPassword, credentials.EnvDomainName: testDomain},
			map[string]int{cbrfake.KindIAMToken: 1, cbrfake.KindSync: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake, url := authFake(t, tc.name == "token")
			env := map[string]string{credentials.EnvRegion: cbrfake.DefaultRegion, credentials.EnvAuthURL: url + "/v3"}
			for k, v := range tc.env {
				env[k] = v
			}
			cfg := fmt.Sprintf("provider \"cbr\" {\n  endpoints = { cbr = %q }\n}\n", url) + backupsConfig(makeBackups(2))
			tfresource.ParallelTest(t, tfresource.TestCase{
				ProtoV6ProviderFactories: providerFactories(env),
				Steps: []tfresource.TestStep{{
					Config:            cfg,
					ConfigStateChecks: stateMatchesFake(fake, 2),
					Check: func(*terraform.State) error {
						for _, kind := range []string{cbrfake.KindSync, cbrfake.KindIAMAuthProjects, cbrfake.KindIAMProjects, cbrfake.KindIAMToken, cbrfake.KindOther} {
							if err := expectCalls(fake, kind, tc.calls[kind])(); err != nil {
								return err
							}
						}
						for _, r := range fake.Requests() {
							if r.Status >= 300 {
								return fmt.Errorf("%s %s answered %d", r.Method, r.Path, r.Status)
							}
						}
						return nil
					},
				}},
			})
		})
	}
}

// TestAccAuthManyResourcesOneRun: ten resources created in one apply (in
// parallel) share one IAM token, or one project lookup.
func TestAccAuthManyResourcesOneRun(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		calls map[string]int
	}{
		{"password", []string{"user_name", testUser, "password", testPassword, "domain_name", testDomain},
			map[string]int{cbrfake.KindIAMToken: 1, cbrfake.KindIAMAuthProjects: 0, cbrfake.KindSync: 10}},
		{"aksk", []string{"access_key", testAK, "secret_key", testSK},
			map[string]int{cbrfake.KindIAMToken: 0, cbrfake.KindIAMAuthProjects: 1, cbrfake.KindSync: 10}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake, url := authFake(t, false)
			// A slow IAM makes every resource wait for the same answer.
			fake.InjectFault(cbrfake.KindIAMToken, cbrfake.Fault{Delay: 300 * time.Millisecond})
			fake.InjectFault(cbrfake.KindIAMAuthProjects, cbrfake.Fault{Delay: 300 * time.Millisecond})
			cfg := authProvider(url, tc.args...) + manyConfig(10)
			tfresource.ParallelTest(t, tfresource.TestCase{
				ProtoV6ProviderFactories: providerFactories(nil),
				Steps: []tfresource.TestStep{{
					Config: cfg,
					Check: func(*terraform.State) error {
						if err := expectCallCounts(fake, tc.calls); err != nil {
							return err
						}
						if tc.name == "password" && fake.IssuedTokens() != 1 {
							return fmt.Errorf("%d tokens issued, want 1", fake.IssuedTokens())
						}
						return expectSynced(fake, 10)(nil)
					},
				}},
			})
		})
	}
}

// TestAccAuthRefused shows refused credentials with the API's status,
// error_code, error_msg and request id, and what to do about them.
func TestAccAuthRefused(t *testing.T) {
	rid := `request id: [0-9a-f]{32}`
	cases := []struct {
		name   string
		config func(t *testing.T, fake *cbrfake.Server, url string) string
		want   string
		calls  map[string]int
	}{
		{
			name: "wrong secret key",
			config: func(_ *testing.T, _ *cbrfake.Server, url string) string {
				return authProvider(url, "project_id", cbrfake.DefaultProjectID, "access_key", testAK, "secret_key", testTempSK)
			},
			want: `(?s)Unable to Synchronize CBR Backups.*Nothing was synchronized.*HTTP status: 401.*error_code: APIGW.0301.*` +
				`error_msg: Incorrect IAM authentication information: verify aksk signature fail: signature mismatch.*` + rid +
				`.*The request signature was refused. Check access_key and secret_key`,
			calls: map[string]int{cbrfake.KindSync: 1},
		},
		{
			name: "temporary key without its security token",
			config: func(_ *testing.T, _ *cbrfake.Server, url string) string {
				return authProvider(url, "project_id", cbrfake.DefaultProjectID, "access_key", testTempAK, "secret_key", testTempSK)
			},
			want:  `(?s)HTTP status: 401.*error_code: APIGW.0301.*X-Security-Token is missing or invalid.*` + rid,
			calls: map[string]int{cbrfake.KindSync: 1},
		},
		{
			name: "expired token",
			config: func(t *testing.T, fake *cbrfake.Server, url string) string {
				// A token issued by IAM, that has expired since.
				tok := issueToken(t, url)
				fake.ExpireTokens()
				fake.Reset()
				return authProvider(url, "project_id", cbrfake.DefaultProjectID, "auth_token", tok)
			},
			want: `(?s)Unable to Synchronize CBR Backups.*HTTP status: 401.*error_code: APIGW.0307.*error_msg: The token must be updated.*` + rid +
				`.*The IAM token in token \(or HW_AUTH_TOKEN\) was refused. IAM tokens are valid for 24 hours`,
			calls: map[string]int{cbrfake.KindSync: 1, cbrfake.KindIAMToken: 0},
		},
		{
			name: "wrong password",
			config: func(_ *testing.T, _ *cbrfake.Server, url string) string {
				return authProvider(url, "user_name", testUser, "password", "not-the-password", "domain_name", testDomain)
			},
			want: `(?s)Unable to Authenticate.*unable to get an IAM token for user "deployer" of domain "acme" scoped to project "cn-north-4".*` +
				`request to synchronize 1 backup was not sent.*HTTP status: 401.*error_code: IAM.0401.*error_msg: The username or password is wrong.*` + rid +
				`.*IAM refused the password. Check user_name, password and domain_name`,
			calls: map[string]int{cbrfake.KindIAMToken: 1, cbrfake.KindSync: 0},
		},
		{
			// This crashed the provider (nil pointer) before.
			name: "wrong password with project_id",
			config: func(_ *testing.T, _ *cbrfake.Server, url string) string {
				return authProvider(url, "project_id", cbrfake.DefaultProjectID, "user_name", testUser, "password", "not-the-password", "domain_name", testDomain)
			},
			want: `(?s)Unable to Authenticate.*unable to get an IAM token for user "deployer" of domain "acme" scoped to project ` + cbrfake.DefaultProjectID +
				`.*HTTP status: 401.*error_code: IAM.0401.*` + rid + `.*IAM refused the password`,
			calls: map[string]int{cbrfake.KindIAMToken: 1, cbrfake.KindSync: 0},
		},
		{
			name: "IAM 403 to the project lookup",
			config: func(_ *testing.T, fake *cbrfake.Server, url string) string {
				fake.InjectFault(cbrfake.KindIAMAuthProjects, cbrfake.Fault{Status: 403, ErrorCode: "IAM.0002", ErrorMsg: "You are not authorized"})
				return authProvider(url, "access_key", testAK, "secret_key", testSK)
			},
			want:  `(?s)Unable to Authenticate.*look up the ID of project "cn-north-4" in IAM.*HTTP status: 403.*error_code: IAM.0002.*Set project_id \(or HW_PROJECT_ID\) to skip this lookup`,
			calls: map[string]int{cbrfake.KindIAMAuthProjects: 1, cbrfake.KindSync: 0},
		},
		{
			name: "IAM 500 to the token request with project_id",
			config: func(_ *testing.T, fake *cbrfake.Server, url string) string {
				fake.InjectFault(cbrfake.KindIAMToken, cbrfake.Fault{Status: 500}, cbrfake.Fault{Status: 500}, cbrfake.Fault{Status: 500}, cbrfake.Fault{Status: 500})
				return authProvider(url, "project_id", cbrfake.DefaultProjectID, "max_retries", "0", "user_name", testUser, "password", testPassword, "domain_name", testDomain)
			},
			want:  `(?s)Unable to Authenticate.*unable to get an IAM token.*HTTP status: 500`,
			calls: map[string]int{cbrfake.KindIAMToken: 1, cbrfake.KindSync: 0},
		},
		{
			name: "IAM refusing connections",
			config: func(t *testing.T, _ *cbrfake.Server, url string) string {
				return fmt.Sprintf("provider \"cbr\" {\n  region = %q\n  max_retries = 0\n  endpoints = { cbr = %q, iam = %q }\n  user_name = %q\n  password = %q\n  domain_name = %q\n  project_id = %q\n}\n",
					cbrfake.DefaultRegion, url, refusedURL(t), testUser, testPassword, testDomain, cbrfake.DefaultProjectID)
			},
			want:  `(?s)Unable to Authenticate.*unable to get an IAM token.*connection refused`,
			calls: map[string]int{cbrfake.KindIAMToken: 0, cbrfake.KindSync: 0},
		},
		{
			name: "project lookup finds nothing",
			config: func(_ *testing.T, _ *cbrfake.Server, url string) string {
				return strings.Replace(authProvider(url, "access_key", testAK, "secret_key", testSK), `"cn-north-4"`, `"cn-nowhere-9"`, 1)
			},
			want:  `(?s)Unable to Authenticate.*look up the ID of project "cn-nowhere-9" in IAM: IAM lists no project named "cn-nowhere-9" among the 3 projects these credentials may use \(MOS, ap-southeast-1, cn-north-4; request id [0-9a-f]{32}\).*Set project_id \(or HW_PROJECT_ID\) to skip this lookup`,
			calls: map[string]int{cbrfake.KindIAMAuthProjects: 1, cbrfake.KindSync: 0},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake, url := authFake(t, false)
			cfg := tc.config(t, fake, url) + backupsConfig(makeBackups(1))
			tfresource.ParallelTest(t, tfresource.TestCase{
				ProtoV6ProviderFactories: providerFactories(nil),
				Steps:                    []tfresource.TestStep{{Config: cfg, ExpectError: errorLike(tc.want)}},
				CheckDestroy: func(*terraform.State) error {
					if err := expectCallCounts(fake, tc.calls); err != nil {
						return err
					}
					return expectSynced(fake, 0)(nil)
				},
			})
		})
	}
}

// refusedURL returns the URL of a loopback port nothing listens on.
func refusedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// issueToken gets a token from the fake's IAM, as a user would.
func issueToken(t *testing.T, url string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
			"name": testUser, "password": testPassword, "domain": map[string]string{"name": testDomain}}}},
		"scope": map[string]any{"project": map[string]string{"name": cbrfake.DefaultRegion}},
	}})
	resp, err := http.Post(url+"/v3/auth/tokens", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	tok := resp.Header.Get("X-Subject-Token")
	if resp.StatusCode != http.StatusCreated || tok == "" {
		t.Fatalf("token request: HTTP %d", resp.StatusCode)
	}
	return tok
}

// TestAccAuthPasswordTokenRefusedMidRun: CBR refuses the provider's token in
// the middle of an apply (401 APIGW.0307, as for a token that expired or was
// revoked). The provider gets a new token once and sends the request again;
// the backups are synced once.
func TestAccAuthPasswordTokenRefusedMidRun(t *testing.T) {
	fake, url := authFake(t, false)
	fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{Status: 401, ErrorCode: "APIGW.0307", ErrorMsg: "The token must be updated."})
	cfg := authProvider(url, "user_name", testUser, "password", testPassword, "domain_name", testDomain) + backupsConfig(makeBackups(3))
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{{
			Config:            cfg,
			ConfigStateChecks: stateMatchesFake(fake, 3),
			Check: func(*terraform.State) error {
				syncs := requestsOf(fake, cbrfake.KindSync)
				if len(syncs) != 2 || syncs[0].Status != 401 || syncs[1].Status != 200 {
					return fmt.Errorf("%d sync requests, want a refused one and its retry", len(syncs))
				}
				if syncs[0].Header.Get("X-Auth-Token") == syncs[1].Header.Get("X-Auth-Token") || !bytes.Equal(syncs[0].Body, syncs[1].Body) {
					return fmt.Errorf("the retry must carry a new token and the same body")
				}
				if fake.IssuedTokens() != 2 || len(fake.Synced()) != 3 {
					return fmt.Errorf("%d tokens issued, %d backups synced; want 2 and 3", fake.IssuedTokens(), len(fake.Synced()))
				}
				return nil
			},
		}},
	})
}

// TestAccAuthPasswordRefusedTwice: a new token refused too is an error, after
// exactly one retry.
func TestAccAuthPasswordRefusedTwice(t *testing.T) {
	fake, url := authFake(t, false)
	refused := cbrfake.Fault{Status: 401, ErrorCode: "APIGW.0307", ErrorMsg: "The token must be updated."}
	fake.InjectFault(cbrfake.KindSync, refused, refused)
	cfg := authProvider(url, "user_name", testUser, "password", testPassword, "domain_name", testDomain) + backupsConfig(makeBackups(1))
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{{
			Config:      cfg,
			ExpectError: errorLike(`(?s)HTTP status: 401.*error_code: APIGW.0307.*A new IAM token, obtained with user_name and password after the first one was refused, was refused too`),
		}},
		CheckDestroy: func(*terraform.State) error {
			if s, n := fake.Count(cbrfake.KindSync), fake.IssuedTokens(); s != 2 || n != 2 {
				return fmt.Errorf("%d syncs and %d tokens, want 2 and 2", s, n)
			}
			return nil
		},
	})
}

// configureDirect runs the provider's Configure with a provider block of
// string arguments (and endpoints) and returns the client.
func configureDirect(ctx context.Context, t *testing.T, args map[string]string, endpoints map[string]string) (*cbr.Client, diag.Diagnostics) {
	t.Helper()
	p := &cbrProvider{version: "test", getenv: func(string) string { return "" }}
	vals := map[string]tftypes.Value{}
	for k, v := range args {
		vals[k] = tftypes.NewValue(tftypes.String, v)
	}
	eps := map[string]tftypes.Value{}
	for k, v := range endpoints {
		eps[k] = tftypes.NewValue(tftypes.String, v)
	}
	vals["endpoints"] = tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, eps)
	resp := configureIn(ctx, t, p, vals)
	client, _ := resp.DataSourceData.(*cbr.Client)
	return client, resp.Diagnostics
}

// TestSecretsNotLogged configures the provider and makes API calls, good and
// refused, with a logger that records everything, and looks for the secrets
// (and the IAM token the provider got) in the logs and in the errors.
func TestSecretsNotLogged(t *testing.T) {
	cases := []struct {
		name    string
		args    map[string]string
		secrets []string
	}{
		{"token", map[string]string{"auth_token": cbrfake.DefaultToken}, []string{cbrfake.DefaultToken}},
		{"temporary aksk", map[string]string{"access_key": testTempAK, "secret_key": testTempSK, "security_token": testST}, []string{testTempSK, testST}},
		{"password", map[string]string{"user_name": testUser, "password": testPassword, "domain_name": testDomain}, []string{testPassword}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake, url := authFake(t, tc.name == "token")
			var logs bytes.Buffer
			ctx := tflogtest.RootLogger(context.Background(), &logs)
			args := map[string]string{"region": cbrfake.DefaultRegion}
			for k, v := range tc.args {
				args[k] = v
			}
			client, diags := configureDirect(ctx, t, args, map[string]string{"cbr": url, "iam": url})
			if diags.HasError() || client == nil {
				t.Fatalf("Configure: %v", diags)
			}
			if _, err := client.SyncBackups(ctx, syncEntries(makeBackups(2))); err != nil {
				t.Fatal(err)
			}
			secrets := append([]string(nil), tc.secrets...)
			for _, r := range requestsOf(fake, cbrfake.KindSync) {
				if tok := r.Header.Get("X-Auth-Token"); tok != "" {
					secrets = append(secrets, tok)
				}
			}
			// A refused call: its error must not carry the secrets either.
			fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{Status: 401, ErrorCode: "APIGW.0301", ErrorMsg: "Incorrect IAM authentication information"},
				cbrfake.Fault{Status: 401, ErrorCode: "APIGW.0301", ErrorMsg: "Incorrect IAM authentication information"})
			_, err := client.SyncBackups(ctx, syncEntries(makeBackups(1)))
			if err == nil {
				t.Fatal("no error for a refused call")
			}
			shown := describeError(err)
			if !strings.Contains(logs.String(), "configured the CBR client") {
				t.Fatalf("the logs were not captured: %s", logs.String())
			}
			for _, s := range secrets {
				if strings.Contains(logs.String(), s) {
					t.Errorf("a secret (%.4s...) is in the logs", s)
				}
				if strings.Contains(shown, s) {
					t.Errorf("a secret (%.4s...) is in the error: %s", s, shown)
				}
			}
		})
	}
}
