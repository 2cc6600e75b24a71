package provider

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
)

func TestResolveSettings(t *testing.T) {
	str := types.StringValue
	endpoints := func(kv ...string) types.Map {
		m := map[string]attr.Value{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = types.StringValue(kv[i+1])
		}
		return types.MapValueMust(types.StringType, m)
	}
	null := providerModel{
		Region: types.StringNull(), ProjectID: types.StringNull(), AuthToken: types.StringNull(),
		AccessKey: types.StringNull(), SecretKey: types.StringNull(), SecurityToken: types.StringNull(),
		UserName: types.StringNull(), Password: types.StringNull(), DomainName: types.StringNull(), AuthURL: types.StringNull(),
		Cloud: types.StringNull(), Endpoints: types.MapNull(types.StringType), Insecure: types.BoolNull(),
		CACertFile: types.StringNull(), MaxRetries: types.Int64Null(),
	}
	with := func(f func(*providerModel)) providerModel { m := null; f(&m); return m }
	// tok is the environment of token auth in region r, project p.
	tok := map[string]string{envRegion: "r", envProjectID: "p", envAuthToken: "t"}
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
	tokenSettings := settings{Region: "r", ProjectID: "p", Cloud: defaultCloud, CBREndpoint: "https://cbr.r.myhuaweicloud.com", IAMEndpoint: "https://iam.r.myhuaweicloud.com/v3", Auth: authToken, AuthToken: "t"}
	withSettings := func(f func(*settings)) settings { s := tokenSettings; f(&s); return s }

	cases := []struct {
		name     string
		model    providerModel
		env      map[string]string
		want     settings
		wantErr  string
		wantWarn string
	}{
		{
			name:  "env only",
			model: null,
			env:   map[string]string{envRegion: "cn-north-4", envProjectID: "p1", envAuthToken: "t1"},
			want:  settings{Region: "cn-north-4", ProjectID: "p1", Cloud: defaultCloud, CBREndpoint: "https://cbr.cn-north-4.myhuaweicloud.com", IAMEndpoint: "https://iam.cn-north-4.myhuaweicloud.com/v3", Auth: authToken, AuthToken: "t1"},
		},
		{
			name:  "env only, all settings",
			model: null,
			env:   map[string]string{envRegion: "cn-north-4", envProjectID: "p1", envAuthToken: "t1", envMaxRetries: " 3 ", envCACert: " /etc/ca.pem ", envInsecure: "false"},
			want: settings{Region: "cn-north-4", ProjectID: "p1", Cloud: defaultCloud, CBREndpoint: "https://cbr.cn-north-4.myhuaweicloud.com", IAMEndpoint: "https://iam.cn-north-4.myhuaweicloud.com/v3", Auth: authToken, AuthToken: "t1",
				MaxRetries: 3, CACertFile: "/etc/ca.pem", CACertSource: envCACert},
		},
		{
			name: "config beats env",
			model: with(func(m *providerModel) {
				m.Region = str("ap-southeast-1")
				m.ProjectID = str("p2")
				m.AuthToken = str("t2")
				m.Cloud = str("example.com")
				m.AuthURL = str("https://iam.example.com/v3")
				m.MaxRetries = types.Int64Value(10)
				m.CACertFile = str("ca.pem")
			}),
			env: map[string]string{envRegion: "cn-north-4", envProjectID: "p1", envAuthToken: "t1", envCloud: "other.com", envInsecure: "true", envAuthURL: "https://iam.other.com/v3", envMaxRetries: "2", envCACert: "/etc/other.pem"},
			want: settings{Region: "ap-southeast-1", ProjectID: "p2", Cloud: "example.com", CBREndpoint: "https://cbr.ap-southeast-1.example.com", IAMEndpoint: "https://iam.example.com/v3", Insecure: true, Auth: authToken, AuthToken: "t2",
				MaxRetries: 10, CACertFile: "ca.pem", CACertSource: "cacert_file"},
		},
		{
			name:  "endpoint override without region, scheme added, trimmed",
			model: with(func(m *providerModel) { m.Endpoints = endpoints("cbr", "  cbr.internal.example:8443/ ") }),
			env:   map[string]string{envProjectID: "p1", envAuthToken: "t1"},
			want:  settings{ProjectID: "p1", Cloud: defaultCloud, CBREndpoint: "https://cbr.internal.example:8443", Auth: authToken, AuthToken: "t1"},
		},
		{
			name:  "insecure in config beats env",
			model: with(func(m *providerModel) { m.Insecure = types.BoolValue(false) }),
			env:   plus(tok, envInsecure, "true"),
			want:  tokenSettings,
		},
		{
			name:  "europe",
			model: null,
			env:   plus(tok, envRegion, "eu-west-101"),
			want: withSettings(func(s *settings) {
				s.Region, s.Cloud = "eu-west-101", "myhuaweicloud.eu"
				s.CBREndpoint, s.IAMEndpoint = "https://cbr.eu-west-101.myhuaweicloud.eu", "https://iam.eu-west-101.myhuaweicloud.eu/v3"
			}),
		},
		{
			name:  "europe with cloud set",
			model: null,
			env:   plus(tok, envRegion, "eu-west-101", envCloud, "example.eu"),
			want: withSettings(func(s *settings) {
				s.Region, s.Cloud = "eu-west-101", "example.eu"
				s.CBREndpoint, s.IAMEndpoint = "https://cbr.eu-west-101.example.eu", "https://iam.eu-west-101.example.eu/v3"
			}),
		},
		{
			name:  "no project id: looked up in the region's IAM",
			model: null,
			env:   map[string]string{envRegion: "r", envAuthToken: "t"},
			want:  withSettings(func(s *settings) { s.ProjectID = "" }),
		},
		{
			name:  "auth_url without a path gets /v3",
			model: null,
			env:   plus(tok, envAuthURL, " iam.example.com/ "),
			want:  withSettings(func(s *settings) { s.IAMEndpoint = "https://iam.example.com/v3" }),
		},
		{
			name:  "auth_url with a path is kept",
			model: with(func(m *providerModel) { m.AuthURL = str("http://gw.example.com/iam/v3.0") }),
			env:   tok,
			want:  withSettings(func(s *settings) { s.IAMEndpoint = "http://gw.example.com/iam/v3.0" }),
		},
		{
			name:  "endpoints.iam beats HW_AUTH_URL and gets /v3",
			model: with(func(m *providerModel) { m.Endpoints = endpoints("iam", "https://iam.internal.example") }),
			env:   plus(tok, envAuthURL, "https://iam.example.com/v3"),
			want:  withSettings(func(s *settings) { s.IAMEndpoint = "https://iam.internal.example/v3" }),
		},
		{
			name: "endpoints.iam beats auth_url, with a warning",
			model: with(func(m *providerModel) {
				m.Endpoints = endpoints("iam", "https://iam.internal.example/v3")
				m.AuthURL = str("https://iam.example.com/v3")
			}),
			env:      tok,
			want:     withSettings(func(s *settings) { s.IAMEndpoint = "https://iam.internal.example/v3" }),
			wantWarn: "auth_url Ignored: Both auth_url and endpoints.iam are set: the provider uses endpoints.iam (https://iam.internal.example/v3) and ignores auth_url (https://iam.example.com/v3).",
		},
		{
			name:  "aksk",
			model: null,
			env:   map[string]string{envRegion: "r", envAccessKey: "AK", envSecretKey: "SK"},
			want: withSettings(func(s *settings) {
				s.ProjectID, s.Auth, s.AuthToken, s.AccessKey, s.SecretKey = "", authAKSK, "", "AK", "SK"
			}),
		},
		{
			name:  "temporary aksk, mixed config and env",
			model: with(func(m *providerModel) { m.AccessKey = str("AK"); m.SecurityToken = str("ST") }),
			env:   map[string]string{envRegion: "r", envProjectID: "p", envSecretKey: "SK"},
			want: withSettings(func(s *settings) {
				s.Auth, s.AuthToken, s.AccessKey, s.SecretKey, s.SecurityToken = authAKSK, "", "AK", "SK", "ST"
			}),
		},
		{
			name:  "password",
			model: null,
			env:   map[string]string{envRegion: "r", envUserName: "u", envPassword: "pw", envDomainName: "d"},
			want: withSettings(func(s *settings) {
				s.ProjectID, s.Auth, s.AuthToken, s.UserName, s.Password, s.DomainName = "", authPassword, "", "u", "pw", "d"
			}),
		},
		{
			name:     "token beats aksk and password",
			model:    with(func(m *providerModel) { m.AccessKey = str("AK"); m.SecretKey = str("SK") }),
			env:      plus(tok, envUserName, "u", envPassword, "pw", envDomainName, "d"),
			want:     tokenSettings,
			wantWarn: "Several Credentials Set: The provider authenticates with token (from HW_AUTH_TOKEN), and ignores access_key and secret_key; user_name (from HW_USER_NAME), password (from HW_USER_PASSWORD) and domain_name (from HW_DOMAIN_NAME).",
		},
		{
			name:     "aksk beats password",
			model:    with(func(m *providerModel) { m.UserName = str("u"); m.Password = str("pw"); m.DomainName = str("d") }),
			env:      map[string]string{envRegion: "r", envProjectID: "p", envAccessKey: "AK", envSecretKey: "SK"},
			want:     withSettings(func(s *settings) { s.Auth, s.AuthToken, s.AccessKey, s.SecretKey = authAKSK, "", "AK", "SK" }),
			wantWarn: "The provider authenticates with access_key (from HW_ACCESS_KEY) and secret_key (from HW_SECRET_KEY), and ignores user_name, password and domain_name.",
		},
		{
			name:  "domain_name alone is ignored",
			model: null,
			env:   plus(tok, envDomainName, "d"),
			want:  tokenSettings,
		},
		{name: "missing project and region", model: with(func(m *providerModel) { m.Endpoints = endpoints("cbr", "https://cbr.example.com") }), env: map[string]string{envAuthToken: "t"},
			wantErr: "Missing Project ID: The provider needs the ID of the project to synchronize backups into. Set project_id in the provider block or the HW_PROJECT_ID environment variable, or set region (or HW_REGION_NAME) so that the provider looks up"},
		{name: "no credentials: the ECS metadata service", model: null, env: map[string]string{envRegion: "r", envProjectID: "p"},
			want: withSettings(func(s *settings) { s.Auth, s.AuthToken = authMetadata, "" })},
		{name: "access key without secret key", model: null, env: plus(tok, envAccessKey, "AK"),
			wantErr: "Incomplete Access Key: access_key (from HW_ACCESS_KEY) is set but secret_key is not: requests are signed with an access key and its secret key together. Set secret_key in the provider block or the HW_SECRET_KEY environment variable, or unset HW_ACCESS_KEY."},
		{name: "secret key without access key", model: with(func(m *providerModel) { m.SecretKey = str("SK") }), env: map[string]string{envRegion: "r"},
			wantErr: "Incomplete Access Key: secret_key is set but access_key is not: requests are signed with an access key and its secret key together. Set access_key in the provider block or the HW_ACCESS_KEY environment variable, or remove secret_key from the provider block."},
		{name: "security token without access key", model: with(func(m *providerModel) { m.SecurityToken = str("ST") }), env: tok,
			wantErr: "Security Token Without Access Key: security_token is set but access_key and secret_key are not"},
		{name: "user without password", model: with(func(m *providerModel) { m.UserName = str("u") }), env: map[string]string{envRegion: "r", envDomainName: "d"},
			wantErr: "Incomplete Password Credentials: user_name is set but password is not: password authentication needs the user name (or user ID) and the password together. Set password in the provider block or the HW_USER_PASSWORD environment variable"},
		{name: "password without user", model: null, env: map[string]string{envRegion: "r", envPassword: "pw", envDomainName: "d"},
			wantErr: "Incomplete Password Credentials: password (from HW_USER_PASSWORD) is set but user_name is not"},
		{name: "password without domain", model: null, env: map[string]string{envRegion: "r", envUserName: "u", envPassword: "pw"},
			wantErr: "Missing Domain Name: user_name (from HW_USER_NAME) and password (from HW_USER_PASSWORD) are set, but domain_name is not"},
		{name: "password without an IAM endpoint", model: with(func(m *providerModel) { m.Endpoints = endpoints("cbr", "https://cbr.example.com") }),
			env:     map[string]string{envProjectID: "p", envUserName: "u", envPassword: "pw", envDomainName: "d"},
			wantErr: "Missing Region: Password authentication gets its token from IAM"},
		{name: "missing region", model: null, env: map[string]string{envProjectID: "p", envAuthToken: "t"}, wantErr: "Set region in the provider block or the HW_REGION_NAME environment variable"},
		{name: "bad insecure env", model: null, env: plus(tok, envInsecure, "yes please"), wantErr: `HW_INSECURE is "yes please"`},
		{name: "unknown token", model: with(func(m *providerModel) { m.AuthToken = types.StringUnknown() }), env: map[string]string{envRegion: "r", envProjectID: "p"}, wantErr: "auth_token is not known until apply"},
		{name: "unknown secret key", model: with(func(m *providerModel) { m.SecretKey = types.StringUnknown() }), env: tok, wantErr: "secret_key is not known until apply"},
		{name: "empty endpoint", model: with(func(m *providerModel) { m.Endpoints = endpoints("cbr", " ") }), env: tok, wantErr: "endpoints.cbr: the endpoint is empty"},
		{name: "ftp endpoint", model: with(func(m *providerModel) { m.Endpoints = endpoints("iam", "ftp://x") }), env: tok, wantErr: "endpoints.iam: \"ftp://x\": only http:// and https://"},
		{name: "ftp auth_url", model: null, env: plus(tok, envAuthURL, "ftp://x"), wantErr: "auth_url (from HW_AUTH_URL): \"ftp://x\": only http:// and https://"},
		{name: "max retries env not a number", model: null, env: plus(tok, envMaxRetries, "five"), wantErr: `HW_MAX_RETRIES is "five"; it must be a whole number from 0 to 10`},
		{name: "max retries env too large", model: null, env: plus(tok, envMaxRetries, "11"), wantErr: `HW_MAX_RETRIES is "11"; it must be a whole number from 0 to 10`},
		{name: "max retries env negative", model: null, env: plus(tok, envMaxRetries, "-1"), wantErr: `HW_MAX_RETRIES is "-1"`},
		{name: "unknown max retries", model: with(func(m *providerModel) { m.MaxRetries = types.Int64Unknown() }), env: tok, wantErr: "max_retries is not known until apply"},
		{name: "unknown cacert", model: with(func(m *providerModel) { m.CACertFile = types.StringUnknown() }), env: tok, wantErr: "cacert_file is not known until apply"},
		{name: "endpoint without host", model: with(func(m *providerModel) { m.Endpoints = endpoints("cbr", "https://") }), env: tok, wantErr: `endpoints.cbr: invalid endpoint "https://": want an http(s) URL`},
		{name: "endpoint with fragment", model: with(func(m *providerModel) { m.Endpoints = endpoints("cbr", "cbr.example.com#top") }), env: tok, wantErr: "a query or fragment is not allowed"},
		{name: "endpoint with credentials", model: with(func(m *providerModel) { m.Endpoints = endpoints("iam", "https://admin:pw-9f3@iam.example.com/v3") }), env: tok, wantErr: `endpoints.iam: invalid endpoint "https://***@iam.example.com/v3": credentials in the URL are not allowed`},
		{name: "auth_url with credentials, ftp", model: null, env: plus(tok, envAuthURL, "ftp://admin:pw-9f3@iam.example.com"), wantErr: `"ftp://***@iam.example.com": only http:// and https://`},
		{name: "endpoint with space", model: with(func(m *providerModel) { m.Endpoints = endpoints("cbr", "cbr.example .com") }), env: tok, wantErr: "it contains white space"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, diags := resolveSettings(tc.model, func(k string) string { return tc.env[k] })
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

// TestAccProviderConfigErrors runs plan with broken provider configurations.
// Every error comes before any API call.
func TestAccProviderConfigErrors(t *testing.T) {
	const res = `
resource "cbr_backup_sync" "test" {
  backups = {
    b1 = {
      backup_name = "n", bucket_name = "bkt", image_path = "p"
      resource_id = "vm", resource_name = "vm", created_at = 1548898428
    }
  }
}
`
	cases := []struct {
		name, provider string
		env            map[string]string
		want           string
	}{
		{"no project and no region", `provider "cbr" { endpoints = { cbr = "https://cbr.example.com" } }`, map[string]string{envAuthToken: "t"}, `(?s)Missing Project ID.*HW_PROJECT_ID.*HW_REGION_NAME`},
		{"no region", `provider "cbr" {}`, map[string]string{envAuthToken: "t", envProjectID: "p"}, `(?s)Missing Region.*HW_REGION_NAME`},
		{"unknown endpoint key", `provider "cbr" { endpoints = { ecs = "https://ecs.example.com" } }`, nil, `(?s)endpoints.*value must be one of`},
		{"blank token", `provider "cbr" { auth_token = " " }`, nil, `(?s)Blank Value.*auth_token must not be empty`},
		{"blank endpoint", `provider "cbr" { endpoints = { iam = "" } }`, nil, `(?s)Blank Value.*endpoints\["iam"\] must not be empty`},
		{"conflicting in the provider block", `provider "cbr" {
  region     = "cn-north-4"
  auth_token = "t"
  access_key = "AK"
  secret_key = "SK"
}`, nil, `(?s)Conflicting Credentials.*The provider block sets auth_token and access_key, secret_key, which are two ways to authenticate`},
		{"conflicting: token and password", `provider "cbr" {
  region     = "cn-north-4"
  auth_token = "t"
  user_name  = "u"
}`, nil, `(?s)Conflicting Credentials.*sets auth_token and user_name`},
		{"access key from the environment without secret key", `provider "cbr" { region = "cn-north-4" }`, map[string]string{envAccessKey: "AK"},
			`(?s)Incomplete Access Key.*access_key \(from HW_ACCESS_KEY\) is set but secret_key is not.*HW_SECRET_KEY.*unset HW_ACCESS_KEY`},
		{"secret key without access key", `provider "cbr" {
  region     = "cn-north-4"
  secret_key = "SK"
}`, nil, `(?s)Incomplete Access Key.*secret_key is set but access_key is not.*remove secret_key from the provider block`},
		{"security token without access key", `provider "cbr" {
  region         = "cn-north-4"
  security_token = "ST"
}`, map[string]string{envAuthToken: "t"}, `(?s)Security Token Without Access Key.*security_token is set but access_key and secret_key are not`},
		{"user without password", `provider "cbr" {
  region      = "cn-north-4"
  user_name   = "u"
  domain_name = "d"
}`, nil, `(?s)Incomplete Password Credentials.*user_name is set but password is not.*HW_USER_PASSWORD`},
		{"password without domain", `provider "cbr" { region = "cn-north-4" }`, map[string]string{envUserName: "u", envPassword: "pw"},
			`(?s)Missing Domain Name.*HW_DOMAIN_NAME`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: providerFactories(tc.env),
				Steps: []resource.TestStep{{
					Config:      tc.provider + res,
					PlanOnly:    true,
					ExpectError: errorLike(tc.want),
				}},
			})
		})
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{time.Second: "1 second", 30 * time.Second: "30 seconds", 2 * time.Minute: "2 minutes", time.Minute: "1 minute", 1500 * time.Millisecond: "1.5 seconds", 90 * time.Second: "90 seconds"} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
