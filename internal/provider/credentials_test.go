package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
	"github.com/cbr-sync/terraform-provider-cbr/internal/credentials"
)

const (
	testAgency  = "cbr_import"
	testIdpID   = "tfc-workload"
	testIDToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvcmdhbml6YXRpb246YWNtZSJ9.c2lnbmF0dXJl"
)

// temporaryFake starts a fake whose static credentials belong to another
// account ("central"): CBR refuses them, so a sync only succeeds when it
// is signed with temporary credentials of the served account.
func temporaryFake(t *testing.T, tune func(*cbrfake.Options)) (*cbrfake.Server, string) {
	opts := cbrfake.Options{
		Tokens:       nil,
		AccessKeys:   map[string]string{testAK: testSK},
		Users:        []cbrfake.User{{Domain: testDomain, Name: testUser, Password: testPassword}},
		CallerDomain: "central",
		Agencies:     []string{testAgency},
		IDTokens:     []cbrfake.IDToken{{Token: testIDToken, IdpID: testIdpID}, {Token: "expired." + testIDToken, IdpID: testIdpID, Expired: true}},
	}
	if tune != nil {
		tune(&opts)
	}
	return startFake(t, opts)
}

var accessKeyOf = regexp.MustCompile(`Access=([^,]+),`)

// signedWithTemporary checks that every CBR call (sync and operation logs)
// was signed with temporary credentials of source issued by the fake, with
// their security token, and answered without error. It returns the
// distinct access keys, in order of first use.
func signedWithTemporary(fake *cbrfake.Server, source string) ([]string, error) {
	var aks []string
	seen := map[string]bool{}
	for _, r := range fake.Requests() {
		if r.Kind != cbrfake.KindSync && r.Kind != cbrfake.KindOperationLog && r.Kind != cbrfake.KindOperationLogs && r.Kind != cbrfake.KindIAMAuthProjects {
			continue
		}
		m := accessKeyOf.FindStringSubmatch(r.Header.Get("Authorization"))
		if m == nil {
			return nil, fmt.Errorf("%s %s is not signed (X-Auth-Token %v)", r.Method, r.Path, r.Header.Get("X-Auth-Token") != "")
		}
		st, src, ok := fake.TemporaryCredential(m[1])
		if !ok || src != source {
			return nil, fmt.Errorf("%s %s is signed with %s, not with temporary credentials from %s", r.Method, r.Path, m[1], source)
		}
		if r.Header.Get("X-Security-Token") != st {
			return nil, fmt.Errorf("%s %s lacks the security token of %s", r.Method, r.Path, m[1])
		}
		if r.Status >= 300 {
			return nil, fmt.Errorf("%s %s answered %d", r.Method, r.Path, r.Status)
		}
		if !seen[m[1]] {
			seen[m[1]] = true
			aks = append(aks, m[1])
		}
	}
	if len(aks) == 0 {
		return nil, fmt.Errorf("no CBR call")
	}
	return aks, nil
}

// noSecretsInState checks that no temporary secret the fake issued, nor
// the given secrets, is in the state.
func noSecretsInState(fake *cbrfake.Server, secrets ...string) func(*terraform.State) error {
	return func(s *terraform.State) error {
		text := fmt.Sprintf("%#v", s)
		for _, m := range s.RootModule().Resources {
			text += fmt.Sprintf("%#v", m.Primary.Attributes)
		}
		for _, r := range fake.Requests() {
			if st := r.Header.Get("X-Security-Token"); st != "" {
				secrets = append(secrets, st)
			}
		}
		for _, sec := range secrets {
			if strings.Contains(text, sec) {
				return fmt.Errorf("a secret (%.4s...) is in the state", sec)
			}
		}
		return nil
	}
}

// fakeProvider renders a provider block for the fake in region cn-north-4,
// with extra lines.
func fakeProvider(url string, lines ...string) string {
	return fmt.Sprintf("provider \"cbr\" {\n  region    = %q\n  endpoints = { cbr = %q, iam = %q }\n  %s\n}\n", cbrfake.DefaultRegion, url, url, strings.Join(lines, "\n  "))
}

// credentialCase is one way to configure credentials and what the fake
// must have seen.
type credentialCase struct {
	name   string
	config func(url, dir string) string
	env    func(url, dir string) map[string]string
	// source of the temporary credentials that sign the CBR calls; "" for
	// none (the check is then calls).
	source string
	calls  map[string]int
	tune   func(*cbrfake.Options)
	check  func(fake *cbrfake.Server) error
}

func runCredentialCases(t *testing.T, cases []credentialCase) {
	t.Parallel()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake, url := temporaryFake(t, tc.tune)
			dir := t.TempDir()
			cfg := tc.config(url, dir) + backupsConfig(makeBackups(2))
			var env map[string]string
			if tc.env != nil {
				env = tc.env(url, dir)
			}
			tfresource.ParallelTest(t, tfresource.TestCase{
				ProtoV6ProviderFactories: providerFactoriesWith(env, func(p *cbrProvider) { p.metadataEndpoint = url }),
				Steps: []tfresource.TestStep{
					{Config: cfg, PlanOnly: true, ExpectNonEmptyPlan: true},
					{
						PreConfig:         planCalledNothing(t, fake),
						Config:            cfg,
						ConfigStateChecks: stateMatchesFake(fake, 2),
						Check: tfresource.ComposeTestCheckFunc(
							func(*terraform.State) error {
								if err := expectCallCounts(fake, tc.calls); err != nil {
									return err
								}
								if tc.source != "" {
									if _, err := signedWithTemporary(fake, tc.source); err != nil {
										return err
									}
								}
								if tc.check != nil {
									return tc.check(fake)
								}
								return nil
							},
							noSecretsInState(fake, testSK, testIDToken),
						),
					},
				},
			})
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestAccAssumeRole: the configured access key (of a central account that
// CBR refuses) obtains the agency's temporary credentials once, and those
// sign the project lookup and every CBR call; from the block and from the
// environment, by domain name and by domain ID, and on top of a password.
func TestAccAssumeRole(t *testing.T) {
	exchange := func(wantBody string) func(*cbrfake.Server) error {
		return func(fake *cbrfake.Server) error {
			st := requestsOf(fake, cbrfake.KindIAMSecurityToken)
			if len(st) != 1 || string(st[0].Body) != wantBody || st[0].Status != 201 {
				return fmt.Errorf("exchanges %d, body %s", len(st), st[0].Body)
			}
			if m := accessKeyOf.FindStringSubmatch(st[0].Header.Get("Authorization")); st[0].Header.Get("X-Auth-Token") == "" && (m == nil || m[1] != testAK) {
				return fmt.Errorf("the exchange was not authenticated with the configured credentials")
			}
			return nil
		}
	}
	runCredentialCases(t, []credentialCase{
		{
			name: "block",
			config: func(url, _ string) string {
				return fakeProvider(url, `access_key = "`+testAK+`"`, `secret_key = "`+testSK+`"`,
					`assume_role {`, `  agency_name = "`+testAgency+`"`, `  domain_name = "`+testDomain+`"`, `  duration = 3600`, `}`)
			},
			source: cbrfake.SourceAgency,
			calls:  map[string]int{cbrfake.KindIAMSecurityToken: 1, cbrfake.KindIAMAuthProjects: 1, cbrfake.KindSync: 1},
			check:  exchange(`{"auth":{"identity":{"methods":["assume_role"],"assume_role":{"agency_name":"cbr_import","domain_name":"acme","duration_seconds":3600}}}}`),
		},
		{
			name:   "environment, by domain ID",
			config: func(url, _ string) string { return fakeProvider(url) },
			env: func(string, string) map[string]string {
				return map[string]string{credentials.EnvAccessKey: testAK, credentials.EnvSecretKey: testSK, credentials.EnvAssumeAgency: testAgency, credentials.EnvAssumeDomainID: cbrfake.DomainID(testDomain), credentials.EnvProjectID: cbrfake.DefaultProjectID}
			},
			source: cbrfake.SourceAgency,
			calls:  map[string]int{cbrfake.KindIAMSecurityToken: 1, cbrfake.KindIAMAuthProjects: 0, cbrfake.KindSync: 1},
			check:  exchange(`{"auth":{"identity":{"methods":["assume_role"],"assume_role":{"agency_name":"cbr_import","domain_id":"` + cbrfake.DomainID(testDomain) + `"}}}}`),
		},
		{
			name: "on top of a token",
			config: func(url, _ string) string {
				return fakeProvider(url, `token = "`+cbrfake.DefaultToken+`"`, `assume_role {`, `  agency_name = "`+testAgency+`"`, `  domain_name = "`+testDomain+`"`, `}`)
			},
			source: cbrfake.SourceAgency,
			calls:  map[string]int{cbrfake.KindIAMSecurityToken: 1, cbrfake.KindSync: 1},
		},
	})
}

// TestAccAssumeRoleWithOIDC: an ID token, from the block, a file, the
// environment or HCP Terraform's workload identity variable, is exchanged
// for a federated token, that for temporary credentials, and those for the
// agency's, which sign every CBR call. No other secret is configured.
func TestAccAssumeRoleWithOIDC(t *testing.T) {
	flow := func(fake *cbrfake.Server) error {
		idt := requestsOf(fake, cbrfake.KindIAMIDToken)
		if len(idt) != 1 || idt[0].Header.Get("X-Idp-Id") != testIdpID || string(idt[0].Body) != `{"auth":{"id_token":{"id":"`+testIDToken+`"}}}` {
			return fmt.Errorf("ID token exchanges: %d", len(idt))
		}
		if fake.IssuedTemporary(cbrfake.SourceToken) != 1 || fake.IssuedTemporary(cbrfake.SourceAgency) != 1 {
			return fmt.Errorf("%d federated and %d agency credentials issued", fake.IssuedTemporary(cbrfake.SourceToken), fake.IssuedTemporary(cbrfake.SourceAgency))
		}
		return nil
	}
	block := func(token string) func(url, dir string) string {
		return func(url, dir string) string {
			return fakeProvider(url, `assume_role_with_oidc {`, `  idp_id = "`+testIdpID+`"`, `  agency_name = "`+testAgency+`"`,
				`  domain_id = "`+cbrfake.DomainID(testDomain)+`"`, strings.ReplaceAll(token, "DIR", dir), `}`)
		}
	}
	calls := map[string]int{cbrfake.KindIAMIDToken: 1, cbrfake.KindIAMSecurityToken: 2, cbrfake.KindIAMAuthProjects: 1, cbrfake.KindSync: 1, cbrfake.KindIAMToken: 0}
	runCredentialCases(t, []credentialCase{
		{name: "id_token", config: block(`  id_token = "` + testIDToken + `"`), source: cbrfake.SourceAgency, calls: calls, check: flow},
		{
			name: "id_token_file",
			config: func(url, dir string) string {
				return block(`  id_token_file = "DIR/token"`)(url, dir)
			},
			env: func(_, dir string) map[string]string {
				writeFile(t, filepath.Join(dir, "token"), testIDToken+"\n")
				return nil
			},
			source: cbrfake.SourceAgency, calls: calls, check: flow,
		},
		{
			name:   "HCP Terraform workload identity token",
			config: block(""),
			env: func(string, string) map[string]string {
				return map[string]string{credentials.EnvTFCWorkloadToken: testIDToken}
			},
			source: cbrfake.SourceAgency, calls: calls, check: flow,
		},
		{
			name:   "environment only",
			config: func(url, _ string) string { return fakeProvider(url) },
			env: func(string, string) map[string]string {
				return map[string]string{credentials.EnvAssumeIdpID: testIdpID, credentials.EnvAssumeAgency: testAgency, credentials.EnvAssumeDomainID: cbrfake.DomainID(testDomain), credentials.EnvAssumeIDToken: testIDToken}
			},
			source: cbrfake.SourceAgency, calls: calls, check: flow,
		},
	})
}

// cliConfigFile is a Huawei Cloud CLI configuration with an AK/SK profile,
// an SSO profile, an agency profile and a broken SSO profile.
func cliConfigFile(current string) string {
	return `{
  "current": "` + current + `",
  "profiles": [
    {"name": "default", "mode": "AKSK", "accessKeyId": "` + testAK + `", "secretAccessKey": "` + testSK + `", "region": "cn-north-4", "agencyName": "` + testAgency + `", "agencyDomainName": "` + testDomain + `"},
    {"name": "sso", "mode": "SSO", "region": "cn-north-4", "ssoAuth": {"stsToken": {"accessKeyId": "` + testTempAK + `", "secretAccessKey": "` + testTempSK + `", "securityToken": "` + testST + `"}}},
    {"name": "broken", "mode": "SSO", "region": "cn-north-4"}
  ],
  "language": "en"
}`
}

// TestAccProfile: credentials from a Huawei Cloud CLI profile, named in the
// block or the environment, or the file's current one in the default place.
func TestAccProfile(t *testing.T) {
	tempKeys := func(o *cbrfake.Options) {
		o.AccessKeys[testTempAK] = testTempSK
		o.SecurityTokens = map[string]string{testTempAK: testST}
		o.CallerDomain = ""
	}
	runCredentialCases(t, []credentialCase{
		{
			name: "profile with an agency",
			config: func(url, dir string) string {
				writeFile(t, filepath.Join(dir, "config.json"), cliConfigFile("sso"))
				return fakeProvider(url, `shared_config_file = "`+dir+`/config.json"`, `profile = "default"`)
			},
			source: cbrfake.SourceAgency,
			calls:  map[string]int{cbrfake.KindIAMSecurityToken: 1, cbrfake.KindSync: 1},
		},
		{
			name:   "SSO profile from the environment",
			config: func(url, _ string) string { return fakeProvider(url) },
			env: func(_, dir string) map[string]string {
				writeFile(t, filepath.Join(dir, "config.json"), cliConfigFile("default"))
				return map[string]string{credentials.EnvSharedConfigFile: filepath.Join(dir, "config.json"), credentials.EnvProfile: "sso", credentials.EnvProjectID: cbrfake.DefaultProjectID}
			},
			tune:  tempKeys,
			calls: map[string]int{cbrfake.KindIAMSecurityToken: 0, cbrfake.KindSync: 1},
			check: func(fake *cbrfake.Server) error {
				r := requestsOf(fake, cbrfake.KindSync)[0]
				return checkSigned(r, testTempAK, "accept;host;user-agent;x-project-id;x-sdk-date;x-security-token", cbrfake.DefaultProjectID, testST)
			},
		},
		{
			name:   "current profile of ~/.hcloud/config.json",
			config: func(url, _ string) string { return fakeProvider(url, `profile = "sso"`) },
			env: func(_, dir string) map[string]string {
				writeFile(t, filepath.Join(dir, ".hcloud", "config.json"), cliConfigFile("default"))
				return map[string]string{"HOME": dir}
			},
			tune:  tempKeys,
			calls: map[string]int{cbrfake.KindSync: 1},
		},
	})
}

// TestAccMetadata: with no credentials at all, the provider signs with the
// temporary credentials of the ECS's agency from the metadata service.
func TestAccMetadata(t *testing.T) {
	runCredentialCases(t, []credentialCase{{
		name:   "metadata",
		config: func(url, _ string) string { return fakeProvider(url) },
		tune:   func(o *cbrfake.Options) { o.Metadata = true; o.Tokens = []string{} },
		source: cbrfake.SourceMetadata,
		calls:  map[string]int{cbrfake.KindMetadata: 1, cbrfake.KindIAMAuthProjects: 1, cbrfake.KindSync: 1},
		check: func(fake *cbrfake.Server) error {
			for _, r := range requestsOf(fake, cbrfake.KindMetadata) {
				if r.Header.Get("Authorization") != "" || r.Header.Get("X-Auth-Token") != "" {
					return fmt.Errorf("credentials sent to the metadata service")
				}
			}
			return nil
		},
	}})
}

// TestAccCredentialPrecedence: token, then an ID token, then a profile,
// then access_key, then password, then the metadata service, as in the
// official provider. Each case sets the chosen credentials in the provider
// block and all those after it in the environment (the provider block
// itself may only set one way).
func TestAccCredentialPrecedence(t *testing.T) {
	type source struct {
		name  string
		block string
		env   map[string]string
		check func(*cbrfake.Server) error
	}
	sources := []source{
		{"token", `token = "` + cbrfake.DefaultToken + `"`, map[string]string{credentials.EnvAuthToken: cbrfake.DefaultToken},
			func(fake *cbrfake.Server) error {
				if r := requestsOf(fake, cbrfake.KindSync)[0]; r.Header.Get("X-Auth-Token") != cbrfake.DefaultToken {
					return fmt.Errorf("not the token")
				}
				return nil
			}},
		{"oidc", `assume_role_with_oidc {
    idp_id = "` + testIdpID + `"
    agency_name = "` + testAgency + `"
    domain_id = "` + cbrfake.DomainID(testDomain) + `"
    id_token = "` + testIDToken + `"
  }`, map[string]string{credentials.EnvAssumeIdpID: testIdpID, credentials.EnvAssumeAgency: testAgency, credentials.EnvAssumeDomainID: cbrfake.DomainID(testDomain), credentials.EnvAssumeIDToken: testIDToken},
			func(fake *cbrfake.Server) error {
				_, err := signedWithTemporary(fake, cbrfake.SourceAgency)
				return err
			}},
		{"profile", `shared_config_file = "DIR/config.json"
  profile = "sso"`, map[string]string{credentials.EnvSharedConfigFile: "DIR/config.json", credentials.EnvProfile: "sso"},
			func(fake *cbrfake.Server) error {
				return checkSigned(requestsOf(fake, cbrfake.KindSync)[0], testTempAK, "accept;host;user-agent;x-project-id;x-sdk-date;x-security-token", cbrfake.DefaultProjectID, testST)
			}},
		{"access key", `access_key = "` + testAK + `"
  secret_key = "` + testSK + `"`, map[string]string{credentials.EnvAccessKey: testAK, credentials.EnvSecretKey: testSK},
			func(fake *cbrfake.Server) error {
				return checkSigned(requestsOf(fake, cbrfake.KindSync)[0], testAK, "accept;host;user-agent;x-project-id;x-sdk-date", cbrfake.DefaultProjectID, "")
			}},
		{"password", `user_name = "` + testUser + `"
  password = "` + testPassword + `"
  domain_name = "` + testDomain + `"`, map[string]string{credentials.EnvUserName: testUser, credentials.EnvPassword: testPassword, credentials.EnvDomainName: testDomain},
			func(fake *cbrfake.Server) error {
				if fake.IssuedTokens() != 1 || fake.Count(cbrfake.KindMetadata) != 0 {
					return fmt.Errorf("%d IAM tokens issued", fake.IssuedTokens())
				}
				return nil
			}},
		{"metadata", "", nil, func(fake *cbrfake.Server) error {
			_, err := signedWithTemporary(fake, cbrfake.SourceMetadata)
			return err
		}},
	}
	var cases []credentialCase
	for i := range sources {
		for _, inBlock := range []bool{true, false} {
			if sources[i].name == "metadata" && !inBlock {
				continue
			}
			where := "block"
			if !inBlock {
				where = "environment"
			}
			cases = append(cases, credentialCase{
				name: sources[i].name + " first, from the " + where,
				config: func(url, dir string) string {
					writeFile(t, filepath.Join(dir, "config.json"), cliConfigFile("default"))
					lines := []string{`project_id = "` + cbrfake.DefaultProjectID + `"`}
					if inBlock {
						lines = append(lines, sources[i].block)
					}
					return strings.ReplaceAll(fakeProvider(url, lines...), "DIR", dir)
				},
				env: func(_, dir string) map[string]string {
					env := map[string]string{}
					from := i + 1
					if !inBlock {
						from = i
					}
					for _, later := range sources[from:] {
						for k, v := range later.env {
							env[k] = strings.ReplaceAll(v, "DIR", dir)
						}
					}
					return env
				},
				tune: func(o *cbrfake.Options) {
					o.AccessKeys[testTempAK] = testTempSK
					o.SecurityTokens = map[string]string{testTempAK: testST}
					o.CallerDomain = ""
					o.Metadata = true
				},
				calls: map[string]int{cbrfake.KindSync: 1},
				check: sources[i].check,
			})
		}
	}
	runCredentialCases(t, cases)
}

// TestAccTemporaryRenewal: temporary credentials that live 4 seconds are
// renewed before they expire during an apply of five resources created one
// after the other: no CBR call is refused, and several credentials are
// used.
func TestAccTemporaryRenewal(t *testing.T) {
	fake, url := temporaryFake(t, func(o *cbrfake.Options) { o.TemporaryTTL = 4 * time.Second })
	// Each sync is answered 1.5 s after it was applied.
	for i := 0; i < 5; i++ {
		fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{Apply: true, Delay: 1500 * time.Millisecond})
	}
	var cfg strings.Builder
	cfg.WriteString(fakeProvider(url, `access_key = "`+testAK+`"`, `secret_key = "`+testSK+`"`, `project_id = "`+cbrfake.DefaultProjectID+`"`,
		`assume_role {`, `  agency_name = "`+testAgency+`"`, `  domain_name = "`+testDomain+`"`, `}`))
	for i := 0; i < 5; i++ {
		dep := ""
		if i > 0 {
			dep = fmt.Sprintf("depends_on = [cbr_backup_sync.chain%d]", i-1)
		}
		fmt.Fprintf(&cfg, `
resource "cbr_backup_sync" "chain%d" {
  %s
  wait_for_completion = false
  backups = {
    "7d3c1a52-0e4b-4f6a-8c2d-00000000000%d" = {
      backup_name   = "vm-%d-backup"
      bucket_name   = "hybrid-backups"
      image_path    = "chains/%d"
      resource_id   = "5b0f2e61-3d7a-4c19-9e8b-00000000000%d"
      resource_name = "vm-%d"
      created_at    = 1553587260
    }
  }
}
`, i, dep, i, i, i, i, i)
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{{
			Config: cfg.String(),
			Check: func(*terraform.State) error {
				aks, err := signedWithTemporary(fake, cbrfake.SourceAgency)
				if err != nil {
					return err
				}
				if len(aks) < 2 || fake.IssuedTemporary(cbrfake.SourceAgency) != len(aks) {
					return fmt.Errorf("%d credentials used, %d issued: want renewals", len(aks), fake.IssuedTemporary(cbrfake.SourceAgency))
				}
				return expectSynced(fake, 5)(nil)
			},
		}},
	})
}

// TestAccCredentialErrors: each way temporary credentials can fail ends in
// a clear error, before anything is synchronized.
func TestAccCredentialErrors(t *testing.T) {
	rid := `request id: [0-9a-f]{32}`
	cases := []struct {
		name   string
		config func(url, dir string) string
		env    map[string]string
		tune   func(*cbrfake.Options)
		want   string
	}{
		{
			name: "agency not found",
			config: func(url, _ string) string {
				return fakeProvider(url, `access_key = "`+testAK+`"`, `secret_key = "`+testSK+`"`, `assume_role {`, `  agency_name = "nope"`, `  domain_name = "`+testDomain+`"`, `}`)
			},
			want: `(?s)Unable to Authenticate.*unable to get temporary credentials of agency "nope" of acme.*HTTP status: 404.*error_code: IAM.0013.*` + rid + `.*IAM found no such agency`,
		},
		{
			name: "ID token expired",
			config: func(url, _ string) string {
				return fakeProvider(url, `assume_role_with_oidc {`, `  idp_id = "`+testIdpID+`"`, `  agency_name = "`+testAgency+`"`,
					`  domain_id = "`+cbrfake.DomainID(testDomain)+`"`, `  id_token = "expired.`+testIDToken+`"`, `}`)
			},
			want: `(?s)Unable to Authenticate.*exchange the ID token for credentials with identity provider "tfc-workload".*HTTP status: 401.*The id_token has expired.*` + rid + `.*IAM refused the ID token: it has expired`,
		},
		{
			name: "ID token file missing",
			config: func(url, dir string) string {
				return fakeProvider(url, `assume_role_with_oidc {`, `  idp_id = "`+testIdpID+`"`, `  agency_name = "`+testAgency+`"`,
					`  domain_id = "`+cbrfake.DomainID(testDomain)+`"`, `  id_token_file = "`+dir+`/nope"`, `}`)
			},
			want: `(?s)Unable to Read ID Token File.*nope.*no such file or directory`,
		},
		{
			name: "profile missing",
			config: func(url, dir string) string {
				writeFile(t, filepath.Join(dir, "config.json"), cliConfigFile("default"))
				return fakeProvider(url, `shared_config_file = "`+dir+`/config.json"`, `profile = "prod"`)
			},
			want: `(?s)Profile Not Found.*has no profile "prod". Its profiles: "broken", "default", "sso"`,
		},
		{
			name: "SSO profile without its credentials",
			config: func(url, dir string) string {
				writeFile(t, filepath.Join(dir, "config.json"), cliConfigFile("broken"))
				return fakeProvider(url, `shared_config_file = "`+dir+`/config.json"`)
			},
			want: `(?s)Incomplete Profile.*Profile "broken" .* has no ssoAuth.stsToken`,
		},
		{
			name:   "configuration file missing",
			config: func(url, dir string) string { return fakeProvider(url, `profile = "default"`) },
			env:    map[string]string{"HOME": "/nonexistent-home"},
			want:   `(?s)Unable to Read the Shared Configuration File.*/nonexistent-home/.hcloud/config.json`,
		},
		{
			name:   "metadata unreachable",
			config: func(url, _ string) string { return fakeProvider(url, `max_retries = 0`) },
			tune:   func(o *cbrfake.Options) { o.Tokens = []string{} },
			want: `(?s)Unable to Authenticate.*unable to get temporary credentials from the ECS metadata service at http://127.0.0.1:[0-9]+.*connection refused.*` +
				`No credentials are set, so the provider asked the ECS metadata service`,
		},
		{
			name:   "no agency attached to the ECS",
			config: func(url, _ string) string { return fakeProvider(url) },
			tune:   func(o *cbrfake.Options) { o.Tokens = []string{} },
			want:   `(?s)Unable to Authenticate.*ECS metadata service.*HTTP status: 404.*No credentials are set`,
		},
		{
			name:   "token and auth_token differ",
			config: func(url, _ string) string { return fakeProvider(url, `token = "a"`, `auth_token = "b"`) },
			want:   `(?s)Conflicting Tokens.*auth_token is the former name of token`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake, url := temporaryFake(t, tc.tune)
			metadata := url
			if tc.name == "metadata unreachable" {
				metadata = refusedURL(t)
			}
			cfg := tc.config(url, t.TempDir()) + backupsConfig(makeBackups(1))
			tfresource.ParallelTest(t, tfresource.TestCase{
				ProtoV6ProviderFactories: providerFactoriesWith(tc.env, func(p *cbrProvider) { p.metadataEndpoint = metadata }),
				Steps:                    []tfresource.TestStep{{Config: cfg, ExpectError: errorLike(tc.want)}},
				CheckDestroy: func(*terraform.State) error {
					if n := fake.Count(cbrfake.KindSync); n != 0 || len(fake.Synced()) != 0 {
						return fmt.Errorf("%d sync requests", n)
					}
					return nil
				},
			})
		})
	}
}

// TestAccProjectNameUserIDDomainID: project_name names a sub-project
// (looked up by exact name, or the scope of a password's token), user_id
// replaces user_name and its domain, domain_id replaces domain_name; from
// the provider block and from the environment.
func TestAccProjectNameUserIDDomainID(t *testing.T) {
	const sub = "cn-north-4_backup"
	subProject := func(o *cbrfake.Options) { o.Region = sub; o.CallerDomain = "" }
	scope := func(want string) func(*cbrfake.Server) error {
		return func(fake *cbrfake.Server) error {
			tr := requestsOf(fake, cbrfake.KindIAMToken)
			if len(tr) != 1 || !strings.Contains(string(tr[0].Body), want) {
				return fmt.Errorf("token request %s, want %s", tr[0].Body, want)
			}
			return nil
		}
	}
	runCredentialCases(t, []credentialCase{
		{
			name: "token and project_name",
			config: func(url, _ string) string {
				return fakeProvider(url, `token = "`+cbrfake.DefaultToken+`"`, `project_name = "`+sub+`"`)
			},
			tune:  subProject,
			calls: map[string]int{cbrfake.KindIAMAuthProjects: 1, cbrfake.KindSync: 1},
		},
		{
			name:   "access key and HW_PROJECT_NAME",
			config: func(url, _ string) string { return fakeProvider(url) },
			env: func(string, string) map[string]string {
				return map[string]string{credentials.EnvAccessKey: testAK, credentials.EnvSecretKey: testSK, credentials.EnvProjectName: sub}
			},
			tune:  subProject,
			calls: map[string]int{cbrfake.KindIAMAuthProjects: 1, cbrfake.KindSync: 1},
		},
		{
			name: "user_id and project_name",
			config: func(url, _ string) string {
				return fakeProvider(url, `user_id = "`+cbrfake.UserID(testDomain, testUser)+`"`, `password = "`+testPassword+`"`, `project_name = "`+sub+`"`)
			},
			tune:  subProject,
			calls: map[string]int{cbrfake.KindIAMToken: 1, cbrfake.KindIAMAuthProjects: 0, cbrfake.KindSync: 1},
			check: scope(`"user":{"id":"` + cbrfake.UserID(testDomain, testUser) + `","password":"` + testPassword + `"}}},"scope":{"project":{"name":"` + sub + `"}}`),
		},
		{
			name:   "HW_DOMAIN_ID",
			config: func(url, _ string) string { return fakeProvider(url) },
			env: func(string, string) map[string]string {
				return map[string]string{credentials.EnvUserName: testUser, credentials.EnvPassword: testPassword, credentials.EnvDomainID: cbrfake.DomainID(testDomain), credentials.EnvProjectName: sub}
			},
			tune:  subProject,
			calls: map[string]int{cbrfake.KindIAMToken: 1, cbrfake.KindSync: 1},
			check: scope(`"domain":{"id":"` + cbrfake.DomainID(testDomain) + `"}`),
		},
	})
}

// TestAccTemporaryManyResourcesOneRun: ten resources created in parallel in
// one apply share one exchange for temporary credentials, agency's or
// metadata service's, even when IAM is slow to answer.
func TestAccTemporaryManyResourcesOneRun(t *testing.T) {
	cases := []struct {
		name, kind, source string
		lines              []string
	}{
		{"assume_role", cbrfake.KindIAMSecurityToken, cbrfake.SourceAgency, []string{`access_key = "` + testAK + `"`, `secret_key = "` + testSK + `"`,
			`assume_role {`, `  agency_name = "` + testAgency + `"`, `  domain_name = "` + testDomain + `"`, `}`}},
		{"metadata", cbrfake.KindMetadata, cbrfake.SourceMetadata, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake, url := temporaryFake(t, func(o *cbrfake.Options) { o.Metadata = true })
			fake.InjectFault(tc.kind, cbrfake.Fault{Delay: 300 * time.Millisecond})
			cfg := fakeProvider(url, tc.lines...) + manyConfig(10)
			tfresource.ParallelTest(t, tfresource.TestCase{
				ProtoV6ProviderFactories: providerFactoriesWith(nil, func(p *cbrProvider) { p.metadataEndpoint = url }),
				Steps: []tfresource.TestStep{{
					Config: cfg,
					Check: func(*terraform.State) error {
						if n, issued := fake.Count(tc.kind), fake.IssuedTemporary(""); n != 1 || issued != 1 {
							return fmt.Errorf("%d exchanges and %d credentials issued, want 1 and 1", n, issued)
						}
						if _, err := signedWithTemporary(fake, tc.source); err != nil {
							return err
						}
						if err := expectSynced(fake, 10)(nil); err != nil {
							return err
						}
						return expectCalls(fake, cbrfake.KindIAMAuthProjects, 1)()
					},
				}},
			})
		})
	}
}

// TestTokenSchema: token is the argument, auth_token its deprecated alias;
// both are sensitive, as are every other secret argument.
func TestTokenSchema(t *testing.T) {
	var resp provider.SchemaResponse
	(&cbrProvider{}).Schema(context.Background(), provider.SchemaRequest{}, &resp)
	attrs := resp.Schema.Attributes
	tok, ok1 := attrs["token"].(schema.StringAttribute)
	alias, ok2 := attrs["auth_token"].(schema.StringAttribute)
	if !ok1 || !ok2 || !tok.Sensitive || !alias.Sensitive || tok.DeprecationMessage != "" || !strings.Contains(alias.DeprecationMessage, "Use token instead") {
		t.Errorf("token %+v, auth_token %+v", tok, alias)
	}
	oidc, ok := resp.Schema.Blocks["assume_role_with_oidc"].(schema.ListNestedBlock)
	if !ok {
		t.Fatal("no assume_role_with_oidc block")
	}
	if idt, ok := oidc.NestedObject.Attributes["id_token"].(schema.StringAttribute); !ok || !idt.Sensitive {
		t.Error("id_token is not sensitive")
	}
	for _, name := range []string{"secret_key", "security_token", "password"} {
		if a, ok := attrs[name].(schema.StringAttribute); !ok || !a.Sensitive {
			t.Errorf("%s is not sensitive", name)
		}
	}
}
