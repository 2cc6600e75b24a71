package provider

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
)

// TestResolveCredentialSources checks how each source of credentials is
// read from the provider block and the environment, and the errors of
// each, without Terraform.
func TestResolveCredentialSources(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.json"), cliConfigFile("default"))
	base := map[string]string{envRegion: "r", envProjectID: "p"}
	oidcEnv := map[string]string{envAssumeIdpID: "idp", envAssumeAgency: "ag", envAssumeDomainID: "did"}
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
		model    func(*providerModel)
		env      map[string]string
		check    func(t *testing.T, s settings)
		wantErr  string
		wantWarn string
	}{
		{name: "auth_token is an alias of token", model: func(m *providerModel) { m.AuthToken = types.StringValue("t") }, env: base,
			check: func(t *testing.T, s settings) {
				if s.Auth != authToken || s.AuthToken != "t" {
					t.Errorf("%v %q", s.Auth, s.AuthToken)
				}
			}},
		{name: "token and auth_token equal", model: func(m *providerModel) { m.AuthToken = types.StringValue("t"); m.Token = types.StringValue("t") }, env: base,
			check: func(t *testing.T, s settings) {
				if s.AuthToken != "t" {
					t.Errorf("%q", s.AuthToken)
				}
			}},
		{name: "user_id needs no domain", env: merge(base, map[string]string{envUserID: "uid", envPassword: "pw"}),
			check: func(t *testing.T, s settings) {
				a, ok := s.authenticator().(cbr.PasswordAuth)
				if s.Auth != authPassword || !ok || a.UserID != "uid" || a.UserName != "" || a.Password != "pw" {
					t.Errorf("%+v", s.authenticator())
				}
			}},
		{name: "domain_id instead of domain_name", env: merge(base, map[string]string{envUserName: "u", envPassword: "pw", envDomainID: "did"}),
			check: func(t *testing.T, s settings) {
				if a, _ := s.authenticator().(cbr.PasswordAuth); a.DomainID != "did" || a.UserName != "u" {
					t.Errorf("%+v", a)
				}
			}},
		{name: "project_name", env: merge(map[string]string{envRegion: "r", envAuthToken: "t", envProjectName: "r_backup"}),
			check: func(t *testing.T, s settings) {
				if s.ProjectName != "r_backup" || s.ProjectID != "" {
					t.Errorf("%q %q", s.ProjectName, s.ProjectID)
				}
			}},
		{name: "assume_role from the environment", env: merge(base, map[string]string{envAccessKey: "AK", envSecretKey: "SK", envAssumeAgency: "ag", envAssumeDomainName: "acct", envAssumeDuration: "3600"}),
			check: func(t *testing.T, s settings) {
				want := []cbr.AssumeRole{{AgencyName: "ag", DomainName: "acct", Duration: time.Hour}}
				if s.Auth != authAKSK || len(s.AssumeRoles) != 1 || s.AssumeRoles[0] != want[0] {
					t.Errorf("%v %+v", s.Auth, s.AssumeRoles)
				}
			}},
		{name: "assume_role without its account", env: merge(base, map[string]string{envAccessKey: "AK", envSecretKey: "SK", envAssumeAgency: "ag"}),
			wantErr: "Missing Agency Account: HW_ASSUME_ROLE_AGENCY_NAME is set, but neither HW_ASSUME_ROLE_DOMAIN_NAME nor HW_ASSUME_ROLE_DOMAIN_ID"},
		{name: "assume_role duration out of range", env: merge(base, map[string]string{envAccessKey: "AK", envSecretKey: "SK", envAssumeAgency: "ag", envAssumeDomainName: "a", envAssumeDuration: "60"}),
			wantErr: `Invalid Environment Variable HW_ASSUME_ROLE_DURATION: HW_ASSUME_ROLE_DURATION is "60"; it must be a whole number of seconds from 900 to 86400.`},
		{name: "assume_role block without agency", model: func(m *providerModel) {
			m.AccessKey, m.SecretKey = types.StringValue("AK"), types.StringValue("SK")
			m.AssumeRole = []assumeRoleModel{{DomainName: types.StringValue("a")}}
		}, env: base, wantErr: "Missing Agency Name"},
		{name: "assume_role block takes missing values from the environment", model: func(m *providerModel) {
			m.AccessKey, m.SecretKey = types.StringValue("AK"), types.StringValue("SK")
			m.AssumeRole = []assumeRoleModel{{AgencyName: types.StringValue("ag")}}
		}, env: merge(base, map[string]string{envAssumeDomainID: "did"}),
			check: func(t *testing.T, s settings) {
				if len(s.AssumeRoles) != 1 || s.AssumeRoles[0].DomainID != "did" {
					t.Errorf("%+v", s.AssumeRoles)
				}
			}},
		{name: "OIDC with the HCP Terraform token", env: merge(base, oidcEnv, map[string]string{envTFCWorkloadToken: "jwt"}),
			check: func(t *testing.T, s settings) {
				if s.Auth != authOIDC || s.OIDC.IDToken != "jwt" || s.OIDC.IdpID != "idp" || len(s.AssumeRoles) != 1 || s.AssumeRoles[0].AgencyName != "ag" || s.AssumeRoles[0].DomainID != "did" {
					t.Errorf("%+v %+v", s.OIDC, s.AssumeRoles)
				}
				if !strings.Contains(strings.Join(s.secrets(), " "), "jwt") {
					t.Error("the ID token is not among the secrets")
				}
			}},
		{name: "OIDC's own token wins over HCP Terraform's", env: merge(base, oidcEnv, map[string]string{envTFCWorkloadToken: "jwt", envAssumeIDToken: "mine"}),
			check: func(t *testing.T, s settings) {
				if s.OIDC.IDToken != "mine" {
					t.Errorf("%q", s.OIDC.IDToken)
				}
			}},
		{name: "OIDC without a token", env: merge(base, oidcEnv), wantErr: "Missing ID Token: assume_role_with_oidc needs the ID token"},
		{name: "OIDC with both a token and a file", env: merge(base, oidcEnv, map[string]string{envAssumeIDToken: "a", envAssumeIDTokenFile: "/f"}), wantErr: "Conflicting ID Tokens"},
		{name: "OIDC without agency", env: merge(base, map[string]string{envAssumeIdpID: "idp", envAssumeIDToken: "a"}), wantErr: "Missing agency_name"},
		{name: "token beats OIDC", env: merge(base, oidcEnv, map[string]string{envAssumeIDToken: "a", envAuthToken: "t"}),
			wantWarn: "The provider authenticates with token (from HW_AUTH_TOKEN), and ignores assume_role_with_oidc."},
		{name: "both agency blocks", model: func(m *providerModel) {
			m.AssumeRole = []assumeRoleModel{{AgencyName: types.StringValue("a"), DomainName: types.StringValue("d")}}
			m.AssumeRoleWithOIDC = []oidcModel{{IdpID: types.StringValue("i"), AgencyName: types.StringValue("a"), DomainID: types.StringValue("d"), IDToken: types.StringValue("x")}}
		}, env: base, wantErr: "Conflicting Agencies"},
		{name: "profile with an agency", env: merge(base, map[string]string{envSharedConfigFile: filepath.Join(dir, "config.json")}),
			check: func(t *testing.T, s settings) {
				if s.Auth != authProfile || s.AccessKey != testAK || len(s.AssumeRoles) != 1 || s.AssumeRoles[0].AgencyName != testAgency || s.Region != "cn-north-4" {
					t.Errorf("%v %q %+v %q", s.Auth, s.AccessKey, s.AssumeRoles, s.Region)
				}
			},
			wantWarn: `Region Taken from the Profile: region (from HW_REGION_NAME) is "r", but the provider uses the region of profile "default", "cn-north-4".`},
		{name: "the profile's agency replaces the environment's", env: merge(base, map[string]string{envSharedConfigFile: filepath.Join(dir, "config.json"),
			envRegion: "cn-north-4", envAssumeAgency: "other", envAssumeDomainName: "x"}),
			check: func(t *testing.T, s settings) {
				if len(s.AssumeRoles) != 1 || s.AssumeRoles[0].AgencyName != testAgency {
					t.Errorf("%+v", s.AssumeRoles)
				}
			}},
		{name: "profile beats access_key", env: merge(base, map[string]string{envSharedConfigFile: filepath.Join(dir, "config.json"), envProfile: "sso", envRegion: "cn-north-4", envAccessKey: "AK", envSecretKey: "SK"}),
			check: func(t *testing.T, s settings) {
				if s.AccessKey != testTempAK || s.SecurityToken != testST {
					t.Errorf("%q", s.AccessKey)
				}
			},
			wantWarn: "ignores access_key (from HW_ACCESS_KEY) and secret_key (from HW_SECRET_KEY)"},
	}
	null := providerModel{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := null
			if tc.model != nil {
				tc.model(&m)
			}
			s, diags := resolveSettings(m, func(k string) string { return tc.env[k] })
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
