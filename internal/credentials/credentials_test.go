package credentials

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
)

// The credentials of testdata/hcloud-config.json, a Huawei Cloud CLI
// configuration whose current profile "default" has an access key and an
// agency, and whose profile "sso" has temporary credentials.
const (
	profileAK        = "PROFILEAKEXAMPLE"
	profileAgency    = "cbr_import"
	ssoAK            = "TMPAKEXAMPLE"
	ssoSecurityToken = "TEMPORARYSECURITYTOKEN"
)

// TestResolveCredentialSources checks how each source of credentials is
// read from the provider block and the environment, and the errors of
// each, without Terraform.
func TestResolveCredentialSources(t *testing.T) {
	configFile := filepath.Join("testdata", "hcloud-config.json")
	base := map[string]string{EnvRegion: "r", EnvProjectID: "p"}
	oidcEnv := map[string]string{EnvAssumeIdpID: "idp", EnvAssumeAgency: "ag", EnvAssumeDomainID: "did"}
	merge := func(ms ...map[string]string) map[string]string {
		out := map[string]string{}
		for _, m := range ms {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	cases := []struct {
		name     string
		model    func(*Config)
		env      map[string]string
		check    func(t *testing.T, s Settings)
		wantErr  string
		wantWarn string
	}{
		{name: "auth_token is an alias of token", model: func(m *Config) { m.AuthToken = types.StringValue("t") }, env: base,
			check: func(t *testing.T, s Settings) {
				if s.Auth != authToken || s.AuthToken != "t" {
					t.Errorf("%v %q", s.Auth, s.AuthToken)
				}
			}},
		{name: "token and auth_token equal", model: func(m *Config) { m.AuthToken = types.StringValue("t"); m.Token = types.StringValue("t") }, env: base,
			check: func(t *testing.T, s Settings) {
				if s.AuthToken != "t" {
					t.Errorf("%q", s.AuthToken)
				}
			}},
		{name: "user_id needs no domain", env: merge(base, map[string]string{EnvUserID: "uid", EnvPassword: "pw"}),
			check: func(t *testing.T, s Settings) {
				a, ok := s.Authenticator().(cbr.PasswordAuth)
				if s.Auth != authPassword || !ok || a.UserID != "uid" || a.UserName != "" || a.Password != "pw" {
					t.Errorf("%+v", s.Authenticator())
				}
			}},
		{name: "domain_id instead of domain_name", env: merge(base, map[string]string{EnvUserName: "u", EnvPassword: "pw", EnvDomainID: "did"}),
			check: func(t *testing.T, s Settings) {
				if a, _ := s.Authenticator().(cbr.PasswordAuth); a.DomainID != "did" || a.UserName != "u" {
					t.Errorf("%+v", a)
				}
			}},
		{name: "project_name", env: merge(map[string]string{EnvRegion: "r", EnvAuthToken: "t", EnvProjectName: "r_backup"}),
			check: func(t *testing.T, s Settings) {
				if s.ProjectName != "r_backup" || s.ProjectID != "" {
					t.Errorf("%q %q", s.ProjectName, s.ProjectID)
				}
			}},
		{name: "assume_role from the environment", env: merge(base, map[string]string{EnvAccessKey: "AK", EnvSecretKey: "SK", EnvAssumeAgency: "ag", EnvAssumeDomainName: "acct", EnvAssumeDuration: "3600"}),
			check: func(t *testing.T, s Settings) {
				want := []cbr.AssumeRole{{AgencyName: "ag", DomainName: "acct", Duration: time.Hour}}
				if s.Auth != authAKSK || len(s.AssumeRoles) != 1 || s.AssumeRoles[0] != want[0] {
					t.Errorf("%v %+v", s.Auth, s.AssumeRoles)
				}
			}},
		{name: "assume_role without its account", env: merge(base, map[string]string{EnvAccessKey: "AK", EnvSecretKey: "SK", EnvAssumeAgency: "ag"}),
			wantErr: "Missing Agency Account: HW_ASSUME_ROLE_AGENCY_NAME is set, but neither HW_ASSUME_ROLE_DOMAIN_NAME nor HW_ASSUME_ROLE_DOMAIN_ID"},
		{name: "assume_role duration out of range", env: merge(base, map[string]string{EnvAccessKey: "AK", EnvSecretKey: "SK", EnvAssumeAgency: "ag", EnvAssumeDomainName: "a", EnvAssumeDuration: "60"}),
			wantErr: `Invalid Environment Variable HW_ASSUME_ROLE_DURATION: HW_ASSUME_ROLE_DURATION is "60"; it must be a whole number of seconds from 900 to 86400.`},
		{name: "assume_role block without agency", model: func(m *Config) {
			m.AccessKey, m.SecretKey = types.StringValue("AK"), types.StringValue("SK")
			m.AssumeRole = []AssumeRole{{DomainName: types.StringValue("a")}}
		}, env: base, wantErr: "Missing Agency Name"},
		{name: "assume_role block takes missing values from the environment", model: func(m *Config) {
			m.AccessKey, m.SecretKey = types.StringValue("AK"), types.StringValue("SK")
			m.AssumeRole = []AssumeRole{{AgencyName: types.StringValue("ag")}}
		}, env: merge(base, map[string]string{EnvAssumeDomainID: "did"}),
			check: func(t *testing.T, s Settings) {
				if len(s.AssumeRoles) != 1 || s.AssumeRoles[0].DomainID != "did" {
					t.Errorf("%+v", s.AssumeRoles)
				}
			}},
		{name: "OIDC with the HCP Terraform token", env: merge(base, oidcEnv, map[string]string{EnvTFCWorkloadToken: "jwt"}),
			check: func(t *testing.T, s Settings) {
				if s.Auth != authOIDC || s.OIDC.IDToken != "jwt" || s.OIDC.IdpID != "idp" || len(s.AssumeRoles) != 1 || s.AssumeRoles[0].AgencyName != "ag" || s.AssumeRoles[0].DomainID != "did" {
					t.Errorf("%+v %+v", s.OIDC, s.AssumeRoles)
				}
				if !strings.Contains(strings.Join(s.Secrets(), " "), "jwt") {
					t.Error("the ID token is not among the secrets")
				}
			}},
		{name: "OIDC's own token wins over HCP Terraform's", env: merge(base, oidcEnv, map[string]string{EnvTFCWorkloadToken: "jwt", EnvAssumeIDToken: "mine"}),
			check: func(t *testing.T, s Settings) {
				if s.OIDC.IDToken != "mine" {
					t.Errorf("%q", s.OIDC.IDToken)
				}
			}},
		{name: "OIDC without a token", env: merge(base, oidcEnv), wantErr: "Missing ID Token: assume_role_with_oidc needs the ID token"},
		{name: "OIDC with both a token and a file", env: merge(base, oidcEnv, map[string]string{EnvAssumeIDToken: "a", EnvAssumeIDTokenFile: "/f"}), wantErr: "Conflicting ID Tokens"},
		{name: "OIDC without agency", env: merge(base, map[string]string{EnvAssumeIdpID: "idp", EnvAssumeIDToken: "a"}), wantErr: "Missing agency_name"},
		{name: "token beats OIDC", env: merge(base, oidcEnv, map[string]string{EnvAssumeIDToken: "a", EnvAuthToken: "t"}),
			wantWarn: "The provider authenticates with token (from HW_AUTH_TOKEN), and ignores assume_role_with_oidc."},
		{name: "both agency blocks", model: func(m *Config) {
			m.AssumeRole = []AssumeRole{{AgencyName: types.StringValue("a"), DomainName: types.StringValue("d")}}
			m.AssumeRoleWithOIDC = []OIDC{{IdpID: types.StringValue("i"), AgencyName: types.StringValue("a"), DomainID: types.StringValue("d"), IDToken: types.StringValue("x")}}
		}, env: base, wantErr: "Conflicting Agencies"},
		{name: "profile with an agency", env: merge(base, map[string]string{EnvSharedConfigFile: configFile}),
			check: func(t *testing.T, s Settings) {
				if s.Auth != authProfile || s.AccessKey != profileAK || len(s.AssumeRoles) != 1 || s.AssumeRoles[0].AgencyName != profileAgency || s.Region != "cn-north-4" {
					t.Errorf("%v %q %+v %q", s.Auth, s.AccessKey, s.AssumeRoles, s.Region)
				}
			},
			wantWarn: `Region Taken from the Profile: region (from HW_REGION_NAME) is "r", but the provider uses the region of profile "default", "cn-north-4".`},
		{name: "the profile's agency replaces the environment's", env: merge(base, map[string]string{EnvSharedConfigFile: configFile,
			EnvRegion: "cn-north-4", EnvAssumeAgency: "other", EnvAssumeDomainName: "x"}),
			check: func(t *testing.T, s Settings) {
				if len(s.AssumeRoles) != 1 || s.AssumeRoles[0].AgencyName != profileAgency {
					t.Errorf("%+v", s.AssumeRoles)
				}
			}},
		{name: "profile beats access_key", env: merge(base, map[string]string{EnvSharedConfigFile: configFile, EnvProfile: "sso", EnvRegion: "cn-north-4", EnvAccessKey: "AK", EnvSecretKey: "SK"}),
			check: func(t *testing.T, s Settings) {
				if s.AccessKey != ssoAK || s.SecurityToken != ssoSecurityToken {
					t.Errorf("%q", s.AccessKey)
				}
			},
			wantWarn: "ignores access_key (from HW_ACCESS_KEY) and secret_key (from HW_SECRET_KEY)"},
	}
	null := Config{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := null
			if tc.model != nil {
				tc.model(&m)
			}
			s, diags := Resolve(m, func(k string) string { return tc.env[k] })
			var errs, warns []string
			for _, d := range diags.Errors() {
				errs = append(errs, d.Summary()+": "+d.Detail())
			}
			for _, d := range diags.Warnings() {
				warns = append(warns, d.Summary()+": "+d.Detail())
			}
			if tc.wantErr != "" {
				if !strings.Contains(strings.Join(errs, "\n"), tc.wantErr) {
					t.Fatalf("errors %q lack %q", errs, tc.wantErr)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatalf("errors: %q", errs)
			}
			if !strings.Contains(strings.Join(warns, "\n"), tc.wantWarn) || (tc.wantWarn == "" && len(warns) > 0) {
				t.Errorf("warnings %q, want %q", warns, tc.wantWarn)
			}
			if tc.check != nil {
				tc.check(t, s)
			}
		})
	}
}

// TestResolveSettings checks the environment fallbacks, defaults and
// endpoints of Resolve, and its errors, without Terraform.
func TestResolveSettings(t *testing.T) {
	str := types.StringValue
	endpoints := func(kv ...string) types.Map {
		m := map[string]attr.Value{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = types.StringValue(kv[i+1])
		}
		return types.MapValueMust(types.StringType, m)
	}
	null := Config{
		Region: types.StringNull(), ProjectID: types.StringNull(), AuthToken: types.StringNull(),
		AccessKey: types.StringNull(), SecretKey: types.StringNull(), SecurityToken: types.StringNull(),
		UserName: types.StringNull(), Password: types.StringNull(), DomainName: types.StringNull(), AuthURL: types.StringNull(),
		Cloud: types.StringNull(), Endpoints: types.MapNull(types.StringType), Insecure: types.BoolNull(),
		CACertFile: types.StringNull(), MaxRetries: types.Int64Null(),
	}
	with := func(f func(*Config)) Config { m := null; f(&m); return m }
	// tok is the environment of token auth in region r, project p.
	tok := map[string]string{EnvRegion: "r", EnvProjectID: "p", EnvAuthToken: "t"}
	plus := func(base map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	tokenSettings := Settings{Region: "r", ProjectID: "p", Cloud: DefaultCloud, CBREndpoint: "https://cbr.r.myhuaweicloud.com", IAMEndpoint: "https://iam.r.myhuaweicloud.com/v3", Auth: authToken, AuthToken: "t"}
	withSettings := func(f func(*Settings)) Settings { s := tokenSettings; f(&s); return s }

	cases := []struct {
		name     string
		model    Config
		env      map[string]string
		want     Settings
		wantErr  string
		wantWarn string
	}{
		{
			name:  "env only",
			model: null,
			env:   map[string]string{EnvRegion: "cn-north-4", EnvProjectID: "p1", EnvAuthToken: "t1"},
			want:  Settings{Region: "cn-north-4", ProjectID: "p1", Cloud: DefaultCloud, CBREndpoint: "https://cbr.cn-north-4.myhuaweicloud.com", IAMEndpoint: "https://iam.cn-north-4.myhuaweicloud.com/v3", Auth: authToken, AuthToken: "t1"},
		},
		{
			name:  "env only, all settings",
			model: null,
			env:   map[string]string{EnvRegion: "cn-north-4", EnvProjectID: "p1", EnvAuthToken: "t1", EnvMaxRetries: " 3 ", EnvCACert: " /etc/ca.pem ", EnvInsecure: "false"},
			want: Settings{Region: "cn-north-4", ProjectID: "p1", Cloud: DefaultCloud, CBREndpoint: "https://cbr.cn-north-4.myhuaweicloud.com", IAMEndpoint: "https://iam.cn-north-4.myhuaweicloud.com/v3", Auth: authToken, AuthToken: "t1",
				MaxRetries: 3, CACertFile: "/etc/ca.pem", CACertSource: EnvCACert},
		},
		{
			name: "config beats env",
			model: with(func(m *Config) {
				m.Region = str("ap-southeast-1")
				m.ProjectID = str("p2")
				m.AuthToken = str("t2")
				m.Cloud = str("example.com")
				m.AuthURL = str("https://iam.example.com/v3")
				m.MaxRetries = types.Int64Value(10)
				m.CACertFile = str("ca.pem")
			}),
			env: map[string]string{EnvRegion: "cn-north-4", EnvProjectID: "p1", EnvAuthToken: "t1", EnvCloud: "other.com", EnvInsecure: "true", EnvAuthURL: "https://iam.other.com/v3", EnvMaxRetries: "2", EnvCACert: "/etc/other.pem"},
			want: Settings{Region: "ap-southeast-1", ProjectID: "p2", Cloud: "example.com", CBREndpoint: "https://cbr.ap-southeast-1.example.com", IAMEndpoint: "https://iam.example.com/v3", Insecure: true, Auth: authToken, AuthToken: "t2",
				MaxRetries: 10, CACertFile: "ca.pem", CACertSource: "cacert_file"},
		},
		{
			name:  "endpoint override without region, scheme added, trimmed",
			model: with(func(m *Config) { m.Endpoints = endpoints("cbr", "  cbr.internal.example:8443/ ") }),
			env:   map[string]string{EnvProjectID: "p1", EnvAuthToken: "t1"},
			want:  Settings{ProjectID: "p1", Cloud: DefaultCloud, CBREndpoint: "https://cbr.internal.example:8443", Auth: authToken, AuthToken: "t1"},
		},
		{
			name:  "insecure in config beats env",
			model: with(func(m *Config) { m.Insecure = types.BoolValue(false) }),
			env:   plus(tok, EnvInsecure, "true"),
			want:  tokenSettings,
		},
		{
			name:  "europe",
			model: null,
			env:   plus(tok, EnvRegion, "eu-west-101"),
			want: withSettings(func(s *Settings) {
				s.Region, s.Cloud = "eu-west-101", "myhuaweicloud.eu"
				s.CBREndpoint, s.IAMEndpoint = "https://cbr.eu-west-101.myhuaweicloud.eu", "https://iam.eu-west-101.myhuaweicloud.eu/v3"
			}),
		},
		{
			name:  "europe with cloud set",
			model: null,
			env:   plus(tok, EnvRegion, "eu-west-101", EnvCloud, "example.eu"),
			want: withSettings(func(s *Settings) {
				s.Region, s.Cloud = "eu-west-101", "example.eu"
				s.CBREndpoint, s.IAMEndpoint = "https://cbr.eu-west-101.example.eu", "https://iam.eu-west-101.example.eu/v3"
			}),
		},
		{
			name:  "no project id: looked up in the region's IAM",
			model: null,
			env:   map[string]string{EnvRegion: "r", EnvAuthToken: "t"},
			want:  withSettings(func(s *Settings) { s.ProjectID = "" }),
		},
		{
			name:  "auth_url without a path gets /v3",
			model: null,
			env:   plus(tok, EnvAuthURL, " iam.example.com/ "),
			want:  withSettings(func(s *Settings) { s.IAMEndpoint = "https://iam.example.com/v3" }),
		},
		{
			name:  "auth_url with a path is kept",
			model: with(func(m *Config) { m.AuthURL = str("http://gw.example.com/iam/v3.0") }),
			env:   tok,
			want:  withSettings(func(s *Settings) { s.IAMEndpoint = "http://gw.example.com/iam/v3.0" }),
		},
		{
			name:  "endpoints.iam beats HW_AUTH_URL and gets /v3",
			model: with(func(m *Config) { m.Endpoints = endpoints("iam", "https://iam.internal.example") }),
			env:   plus(tok, EnvAuthURL, "https://iam.example.com/v3"),
			want:  withSettings(func(s *Settings) { s.IAMEndpoint = "https://iam.internal.example/v3" }),
		},
		{
			name: "endpoints.iam beats auth_url, with a warning",
			model: with(func(m *Config) {
				m.Endpoints = endpoints("iam", "https://iam.internal.example/v3")
				m.AuthURL = str("https://iam.example.com/v3")
			}),
			env:      tok,
			want:     withSettings(func(s *Settings) { s.IAMEndpoint = "https://iam.internal.example/v3" }),
			wantWarn: "auth_url Ignored: Both auth_url and endpoints.iam are set: the provider uses endpoints.iam (https://iam.internal.example/v3) and ignores auth_url (https://iam.example.com/v3).",
		},
		{
			name:  "aksk",
			model: null,
			env:   map[string]string{EnvRegion: "r", EnvAccessKey: "AK", EnvSecretKey: "SK"},
			want: withSettings(func(s *Settings) {
				s.ProjectID, s.Auth, s.AuthToken, s.AccessKey, s.SecretKey = "", authAKSK, "", "AK", "SK"
			}),
		},
		{
			name:  "temporary aksk, mixed config and env",
			model: with(func(m *Config) { m.AccessKey = str("AK"); m.SecurityToken = str("ST") }),
			env:   map[string]string{EnvRegion: "r", EnvProjectID: "p", EnvSecretKey: "SK"},
			want: withSettings(func(s *Settings) {
				s.Auth, s.AuthToken, s.AccessKey, s.SecretKey, s.SecurityToken = authAKSK, "", "AK", "SK", "ST"
			}),
		},
		{
			name:  "password",
			model: null,
			env:   map[string]string{EnvRegion: "r", EnvUserName: "u", EnvPassword: "pw", EnvDomainName: "d"},
			want: withSettings(func(s *Settings) {
				s.ProjectID, s.Auth, s.AuthToken, s.UserName, s.Password, s.DomainName = "", authPassword, "", "u", "pw", "d"
			}),
		},
		{
			name:     "token beats aksk and password",
			model:    with(func(m *Config) { m.AccessKey = str("AK"); m.SecretKey = str("SK") }),
			env:      plus(tok, EnvUserName, "u", EnvPassword, "pw", EnvDomainName, "d"),
			want:     tokenSettings,
			wantWarn: "Several Credentials Set: The provider authenticates with token (from HW_AUTH_TOKEN), and ignores access_key and secret_key; user_name (from HW_USER_NAME), password (from HW_USER_PASSWORD) and domain_name (from HW_DOMAIN_NAME).",
		},
		{
			name:     "aksk beats password",
			model:    with(func(m *Config) { m.UserName = str("u"); m.Password = str("pw"); m.DomainName = str("d") }),
			env:      map[string]string{EnvRegion: "r", EnvProjectID: "p", EnvAccessKey: "AK", EnvSecretKey: "SK"},
			want:     withSettings(func(s *Settings) { s.Auth, s.AuthToken, s.AccessKey, s.SecretKey = authAKSK, "", "AK", "SK" }),
			wantWarn: "The provider authenticates with access_key (from HW_ACCESS_KEY) and secret_key (from HW_SECRET_KEY), and ignores user_name, password and domain_name.",
		},
		{
			name:  "domain_name alone is ignored",
			model: null,
			env:   plus(tok, EnvDomainName, "d"),
			want:  tokenSettings,
		},
		{name: "missing project and region", model: with(func(m *Config) { m.Endpoints = endpoints("cbr", "https://cbr.example.com") }), env: map[string]string{EnvAuthToken: "t"},
			wantErr: "Missing Project ID: The provider needs the ID of the project to synchronize backups into. Set project_id in the provider block or the HW_PROJECT_ID environment variable, or set region (or HW_REGION_NAME) so that the provider looks up"},
		{name: "no credentials: the ECS metadata service", model: null, env: map[string]string{EnvRegion: "r", EnvProjectID: "p"},
			want: withSettings(func(s *Settings) { s.Auth, s.AuthToken = authMetadata, "" })},
		{name: "access key without secret key", model: null, env: plus(tok, EnvAccessKey, "AK"),
			wantErr: "Incomplete Access Key: access_key (from HW_ACCESS_KEY) is set but secret_key is not: requests are signed with an access key and its secret key together. Set secret_key in the provider block or the HW_SECRET_KEY environment variable, or unset HW_ACCESS_KEY."},
		{name: "secret key without access key", model: with(func(m *Config) { m.SecretKey = str("SK") }), env: map[string]string{EnvRegion: "r"},
			wantErr: "Incomplete Access Key: secret_key is set but access_key is not: requests are signed with an access key and its secret key together. Set access_key in the provider block or the HW_ACCESS_KEY environment variable, or remove secret_key from the provider block."},
		{name: "security token without access key", model: with(func(m *Config) { m.SecurityToken = str("ST") }), env: tok,
			wantErr: "Security Token Without Access Key: security_token is set but access_key and secret_key are not"},
		{name: "user without password", model: with(func(m *Config) { m.UserName = str("u") }), env: map[string]string{EnvRegion: "r", EnvDomainName: "d"},
			wantErr: "Incomplete Password Credentials: user_name is set but password is not: password authentication needs the user name (or user ID) and the password together. Set password in the provider block or the HW_USER_PASSWORD environment variable"},
		{name: "password without user", model: null, env: map[string]string{EnvRegion: "r", EnvPassword: "pw", EnvDomainName: "d"},
			wantErr: "Incomplete Password Credentials: password (from HW_USER_PASSWORD) is set but user_name is not"},
		{name: "password without domain", model: null, env: map[string]string{EnvRegion: "r", EnvUserName: "u", EnvPassword: "pw"},
			wantErr: "Missing Domain Name: user_name (from HW_USER_NAME) and password (from HW_USER_PASSWORD) are set, but domain_name is not"},
		{name: "password without an IAM endpoint", model: with(func(m *Config) { m.Endpoints = endpoints("cbr", "https://cbr.example.com") }),
			env:     map[string]string{EnvProjectID: "p", EnvUserName: "u", EnvPassword: "pw", EnvDomainName: "d"},
			wantErr: "Missing Region: Password authentication gets its token from IAM"},
		{name: "missing region", model: null, env: map[string]string{EnvProjectID: "p", EnvAuthToken: "t"}, wantErr: "Set region in the provider block or the HW_REGION_NAME environment variable"},
		{name: "bad insecure env", model: null, env: plus(tok, EnvInsecure, "yes please"), wantErr: `HW_INSECURE is "yes please"`},
		{name: "unknown token", model: with(func(m *Config) { m.AuthToken = types.StringUnknown() }), env: map[string]string{EnvRegion: "r", EnvProjectID: "p"}, wantErr: "auth_token is not known until apply"},
		{name: "unknown secret key", model: with(func(m *Config) { m.SecretKey = types.StringUnknown() }), env: tok, wantErr: "secret_key is not known until apply"},
		{name: "empty endpoint", model: with(func(m *Config) { m.Endpoints = endpoints("cbr", " ") }), env: tok, wantErr: "endpoints.cbr: the endpoint is empty"},
		{name: "ftp endpoint", model: with(func(m *Config) { m.Endpoints = endpoints("iam", "ftp://x") }), env: tok, wantErr: "endpoints.iam: \"ftp://x\": only http:// and https://"},
		{name: "ftp auth_url", model: null, env: plus(tok, EnvAuthURL, "ftp://x"), wantErr: "auth_url (from HW_AUTH_URL): \"ftp://x\": only http:// and https://"},
		{name: "max retries env not a number", model: null, env: plus(tok, EnvMaxRetries, "five"), wantErr: `HW_MAX_RETRIES is "five"; it must be a whole number from 0 to 10`},
		{name: "max retries env too large", model: null, env: plus(tok, EnvMaxRetries, "11"), wantErr: `HW_MAX_RETRIES is "11"; it must be a whole number from 0 to 10`},
		{name: "max retries env negative", model: null, env: plus(tok, EnvMaxRetries, "-1"), wantErr: `HW_MAX_RETRIES is "-1"`},
		{name: "unknown max retries", model: with(func(m *Config) { m.MaxRetries = types.Int64Unknown() }), env: tok, wantErr: "max_retries is not known until apply"},
		{name: "unknown cacert", model: with(func(m *Config) { m.CACertFile = types.StringUnknown() }), env: tok, wantErr: "cacert_file is not known until apply"},
		{name: "endpoint without host", model: with(func(m *Config) { m.Endpoints = endpoints("cbr", "https://") }), env: tok, wantErr: `endpoints.cbr: invalid endpoint "https://": want an http(s) URL`},
		{name: "endpoint with fragment", model: with(func(m *Config) { m.Endpoints = endpoints("cbr", "cbr.example.com#top") }), env: tok, wantErr: "a query or fragment is not allowed"},
		{name: "endpoint with credentials", model: with(func(m *Config) { m.Endpoints = endpoints("iam", "https://admin:pw-9f3@iam.example.com/v3") }), env: tok, wantErr: `endpoints.iam: invalid endpoint "https://***@iam.example.com/v3": credentials in the URL are not allowed`},
		{name: "auth_url with credentials, ftp", model: null, env: plus(tok, EnvAuthURL, "ftp://admin:pw-9f3@iam.example.com"), wantErr: `"ftp://***@iam.example.com": only http:// and https://`},
		{name: "endpoint with space", model: with(func(m *Config) { m.Endpoints = endpoints("cbr", "cbr.example .com") }), env: tok, wantErr: "it contains white space"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, diags := Resolve(tc.model, func(k string) string { return tc.env[k] })
			if tc.want.MaxRetries == 0 {
				tc.want.MaxRetries = cbr.DefaultMaxRetries // the cases that do not set it
			}
			text := func(ds diag.Diagnostics) string {
				var all []string
				for _, d := range ds {
					all = append(all, d.Summary()+": "+d.Detail())
				}
				return strings.Join(all, "\n")
			}
			if tc.wantErr != "" {
				if !diags.HasError() {
					t.Fatalf("no error, want %q", tc.wantErr)
				}
				if all := text(diags.Errors()); !strings.Contains(all, tc.wantErr) {
					t.Fatalf("errors %q lack %q", all, tc.wantErr)
				}
				return
			}
			if diags.HasError() {
				t.Fatalf("unexpected errors: %v", diags)
			}
			if warnings := text(diags.Warnings()); tc.wantWarn == "" && warnings != "" || !strings.Contains(warnings, tc.wantWarn) {
				t.Errorf("warnings %q, want %q", warnings, tc.wantWarn)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
