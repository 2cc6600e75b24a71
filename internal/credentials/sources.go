package credentials

// The credentials that do not come from one argument each: the token and
// its deprecated alias, agencies (assume_role), the OpenID Connect ID
// token exchange (assume_role_with_oidc) and Huawei Cloud CLI profiles.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
)

// resolveToken returns token, or its alias auth_token, or HW_AUTH_TOKEN.
func resolveToken(m Config, getenv func(string) string, diags *diag.Diagnostics) resolved {
	for _, a := range []struct {
		name string
		v    types.String
	}{{"token", m.Token}, {"auth_token", m.AuthToken}} {
		if a.v.IsUnknown() {
			unknownValue(diags, a.name, "a value known at plan time", EnvAuthToken)
			return resolved{attr: a.name, env: EnvAuthToken}
		}
	}
	switch {
	case !m.Token.IsNull() && !m.AuthToken.IsNull():
		if strings.TrimSpace(m.Token.ValueString()) != strings.TrimSpace(m.AuthToken.ValueString()) {
			diags.AddAttributeError(path.Root("auth_token"), "Conflicting Tokens",
				"token and auth_token are both set, to different values: auth_token is the former name of token. Remove auth_token.")
		}
		return resolved{attr: "token", env: EnvAuthToken, value: strings.TrimSpace(m.Token.ValueString())}
	case !m.Token.IsNull():
		return resolved{attr: "token", env: EnvAuthToken, value: strings.TrimSpace(m.Token.ValueString())}
	case !m.AuthToken.IsNull():
		return resolved{attr: "auth_token", env: EnvAuthToken, value: strings.TrimSpace(m.AuthToken.ValueString())}
	}
	v := strings.TrimSpace(getenv(EnvAuthToken))
	return resolved{attr: "token", env: EnvAuthToken, value: v, fromEnv: v != ""}
}

// blockString resolves an attribute of a block, with its environment
// fallback.
func blockString(p path.Path, v types.String, env string, getenv func(string) string, diags *diag.Diagnostics) string {
	switch {
	case v.IsUnknown():
		diags.AddAttributeError(p, "Unknown Provider Value", fmt.Sprintf("The provider cannot be configured because %s is not known until apply. Set it to a value known at plan time, or leave it out and set the %s environment variable.", p, env))
		return ""
	case !v.IsNull():
		return strings.TrimSpace(v.ValueString())
	}
	return strings.TrimSpace(getenv(env))
}

// blockDuration resolves a duration of a block, in seconds, with its
// environment fallback; 0 for none.
func blockDuration(p path.Path, v types.Int64, getenv func(string) string, diags *diag.Diagnostics) time.Duration {
	switch {
	case v.IsUnknown():
		diags.AddAttributeError(p, "Unknown Provider Value", fmt.Sprintf("The provider cannot be configured because %s is not known until apply.", p))
		return 0
	case !v.IsNull():
		return time.Duration(v.ValueInt64()) * time.Second
	}
	e := strings.TrimSpace(getenv(EnvAssumeDuration))
	if e == "" {
		return 0
	}
	n, err := strconv.Atoi(e)
	if err != nil || n < MinAssumeDuration || n > MaxAssumeDuration {
		diags.AddAttributeError(p, "Invalid Environment Variable "+EnvAssumeDuration,
			fmt.Sprintf("%s is %q; it must be a whole number of seconds from %d to %d.", EnvAssumeDuration, e, MinAssumeDuration, MaxAssumeDuration))
		return 0
	}
	return time.Duration(n) * time.Second
}

// resolveAssumeRoles returns the agencies of the assume_role blocks, or of
// the HW_ASSUME_ROLE_* variables when there is no block (and they are not
// those of an ID token exchange).
func resolveAssumeRoles(m Config, getenv func(string) string, oidc bool, diags *diag.Diagnostics) []cbr.AssumeRole {
	if len(m.AssumeRole) > 0 && len(m.AssumeRoleWithOIDC) > 0 {
		diags.AddAttributeError(path.Root("assume_role"), "Conflicting Agencies",
			"assume_role and assume_role_with_oidc are both set: assume_role_with_oidc names the agency whose credentials the ID token obtains. Keep one of them.")
		return nil
	}
	if len(m.AssumeRole) == 0 {
		if oidc || strings.TrimSpace(getenv(EnvAssumeAgency)) == "" {
			return nil
		}
		r := cbr.AssumeRole{AgencyName: strings.TrimSpace(getenv(EnvAssumeAgency)), DomainName: strings.TrimSpace(getenv(EnvAssumeDomainName)),
			DomainID: strings.TrimSpace(getenv(EnvAssumeDomainID)), Duration: blockDuration(path.Root("assume_role"), types.Int64Null(), getenv, diags)}
		if r.DomainName == "" && r.DomainID == "" {
			diags.AddAttributeError(path.Root("assume_role"), "Missing Agency Account",
				fmt.Sprintf("%s is set, but neither %s nor %s: the provider needs the name or ID of the account the agency belongs to.", EnvAssumeAgency, EnvAssumeDomainName, EnvAssumeDomainID))
			return nil
		}
		return []cbr.AssumeRole{r}
	}
	var roles []cbr.AssumeRole
	for i, b := range m.AssumeRole {
		p := path.Root("assume_role").AtListIndex(i)
		r := cbr.AssumeRole{
			AgencyName: blockString(p.AtName("agency_name"), b.AgencyName, EnvAssumeAgency, getenv, diags),
			DomainName: blockString(p.AtName("domain_name"), b.DomainName, EnvAssumeDomainName, getenv, diags),
			DomainID:   blockString(p.AtName("domain_id"), b.DomainID, EnvAssumeDomainID, getenv, diags),
			Duration:   blockDuration(p.AtName("duration"), b.Duration, getenv, diags),
		}
		if r.AgencyName == "" {
			diags.AddAttributeError(p.AtName("agency_name"), "Missing Agency Name",
				fmt.Sprintf("assume_role needs the name of the agency: set agency_name, or the %s environment variable.", EnvAssumeAgency))
		}
		if r.DomainName == "" && r.DomainID == "" {
			diags.AddAttributeError(p.AtName("domain_name"), "Missing Agency Account",
				fmt.Sprintf("assume_role needs the account the agency belongs to: set domain_name or domain_id (or %s or %s).", EnvAssumeDomainName, EnvAssumeDomainID))
		}
		roles = append(roles, r)
	}
	return roles
}

// oidcSettings is a resolved ID token exchange.
type oidcSettings struct {
	auth cbr.OIDCAuth
	role cbr.AssumeRole
}

// resolveOIDC returns the ID token exchange of the assume_role_with_oidc
// block, or of HW_ASSUME_ROLE_IDP_ID and the other HW_ASSUME_ROLE_*
// variables when there is no block; nil for none.
func resolveOIDC(m Config, getenv func(string) string, diags *diag.Diagnostics) *oidcSettings {
	b := OIDC{AgencyName: types.StringNull(), DomainID: types.StringNull(), IdpID: types.StringNull(), IDToken: types.StringNull(),
		IDTokenFile: types.StringNull(), Duration: types.Int64Null()}
	p := path.Root("assume_role_with_oidc")
	switch {
	case len(m.AssumeRoleWithOIDC) > 0:
		b, p = m.AssumeRoleWithOIDC[0], p.AtListIndex(0)
	case strings.TrimSpace(getenv(EnvAssumeIdpID)) == "":
		return nil
	}
	o := &oidcSettings{}
	o.auth.IdpID = blockString(p.AtName("idp_id"), b.IdpID, EnvAssumeIdpID, getenv, diags)
	o.auth.IDToken = blockString(p.AtName("id_token"), b.IDToken, EnvAssumeIDToken, getenv, diags)
	o.auth.IDTokenFile = blockString(p.AtName("id_token_file"), b.IDTokenFile, EnvAssumeIDTokenFile, getenv, diags)
	o.role.AgencyName = blockString(p.AtName("agency_name"), b.AgencyName, EnvAssumeAgency, getenv, diags)
	o.role.DomainID = blockString(p.AtName("domain_id"), b.DomainID, EnvAssumeDomainID, getenv, diags)
	o.role.Duration = blockDuration(p.AtName("duration"), b.Duration, getenv, diags)
	for _, req := range []struct{ name, value, env, what string }{
		{"idp_id", o.auth.IdpID, EnvAssumeIdpID, "the ID of the identity provider configured in IAM"},
		{"agency_name", o.role.AgencyName, EnvAssumeAgency, "the name of the agency whose credentials sign the calls"},
		{"domain_id", o.role.DomainID, EnvAssumeDomainID, "the ID of the account the agency belongs to"},
	} {
		if req.value == "" {
			diags.AddAttributeError(p.AtName(req.name), "Missing "+req.name,
				fmt.Sprintf("assume_role_with_oidc needs %s: set %s, or the %s environment variable.", req.what, req.name, req.env))
		}
	}
	switch {
	case o.auth.IDToken != "" && o.auth.IDTokenFile != "":
		diags.AddAttributeError(p.AtName("id_token_file"), "Conflicting ID Tokens",
			fmt.Sprintf("id_token and id_token_file (or %s and %s) are both set: set one of them.", EnvAssumeIDToken, EnvAssumeIDTokenFile))
	case o.auth.IDTokenFile != "":
		if fi, err := os.Stat(o.auth.IDTokenFile); err != nil || fi.IsDir() {
			why := "it is a directory"
			if err != nil {
				why = err.Error()
			}
			diags.AddAttributeError(p.AtName("id_token_file"), "Unable to Read ID Token File",
				fmt.Sprintf("The ID token file %q cannot be read: %s.", o.auth.IDTokenFile, why))
		}
	case o.auth.IDToken == "":
		o.auth.IDToken = strings.TrimSpace(getenv(EnvTFCWorkloadToken))
		if o.auth.IDToken == "" {
			diags.AddAttributeError(p.AtName("id_token"), "Missing ID Token",
				fmt.Sprintf("assume_role_with_oidc needs the ID token: set id_token or id_token_file (or %s or %s). In HCP Terraform, set the workspace variable "+
					"TFC_WORKLOAD_IDENTITY_AUDIENCE so that each run gets its token in %s.", EnvAssumeIDToken, EnvAssumeIDTokenFile, EnvTFCWorkloadToken))
		}
	}
	return o
}

// profileCredentials are the credentials of a Huawei Cloud CLI profile.
type profileCredentials struct {
	File, Name                          string
	AccessKey, SecretKey, SecurityToken string
	Region, ProjectID                   string
	Agency                              *cbr.AssumeRole
}

// cliConfig is the part of the Huawei Cloud CLI (KooCLI) configuration
// file the provider reads, as the official provider does.
type cliConfig struct {
	Current  string `json:"current"`
	Profiles []struct {
		Name             string `json:"name"`
		Mode             string `json:"mode"`
		AccessKeyID      string `json:"accessKeyId"`
		SecretAccessKey  string `json:"secretAccessKey"`
		SecurityToken    string `json:"securityToken"`
		Region           string `json:"region"`
		ProjectID        string `json:"projectId"`
		DomainID         string `json:"domainId"`
		AgencyDomainID   string `json:"agencyDomainId"`
		AgencyDomainName string `json:"agencyDomainName"`
		AgencyName       string `json:"agencyName"`
		SsoAuth          struct {
			StsToken struct {
				AccessKeyID     string `json:"accessKeyId"`
				SecretAccessKey string `json:"secretAccessKey"`
				SecurityToken   string `json:"securityToken"`
			} `json:"stsToken"`
		} `json:"ssoAuth"`
	} `json:"profiles"`
}

// readProfile reads the profile of the CLI configuration file; nil after
// an error, reported on the attribute at fault.
func readProfile(file, name resolved, getenv func(string) string, diags *diag.Diagnostics) *profileCredentials {
	fileAttr := path.Root("shared_config_file")
	f := file.value
	if f == "" {
		home := getenv("HOME")
		if home == "" {
			home = getenv("USERPROFILE")
		}
		f = filepath.Join(home, ".hcloud", "config.json")
	} else if strings.HasPrefix(f, "~/") {
		f = filepath.Join(getenv("HOME"), f[2:])
	}
	data, err := os.ReadFile(f)
	if err != nil {
		diags.AddAttributeError(fileAttr, "Unable to Read the Shared Configuration File",
			fmt.Sprintf("The Huawei Cloud CLI configuration file %q cannot be read: %v. Set shared_config_file (or %s) to the file written by `hcloud configure`.", f, err, EnvSharedConfigFile))
		return nil
	}
	var cfg cliConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		diags.AddAttributeError(fileAttr, "Invalid Shared Configuration File",
			fmt.Sprintf("The Huawei Cloud CLI configuration file %q is not valid JSON: %v.", f, err))
		return nil
	}
	want := name.value
	nameAttr := path.Root("profile")
	if want == "" {
		want = cfg.Current
	}
	var names []string
	for _, pr := range cfg.Profiles {
		names = append(names, strconv.Quote(pr.Name))
	}
	sort.Strings(names)
	listed := strings.Join(names, ", ")
	if listed == "" {
		listed = "none"
	}
	for _, pr := range cfg.Profiles {
		if pr.Name != want || want == "" {
			continue
		}
		out := &profileCredentials{File: f, Name: pr.Name, AccessKey: pr.AccessKeyID, SecretKey: pr.SecretAccessKey, SecurityToken: pr.SecurityToken,
			Region: pr.Region, ProjectID: pr.ProjectID}
		if strings.EqualFold(pr.Mode, "SSO") {
			sts := pr.SsoAuth.StsToken
			out.AccessKey, out.SecretKey, out.SecurityToken = sts.AccessKeyID, sts.SecretAccessKey, sts.SecurityToken
		}
		if out.AccessKey == "" || out.SecretKey == "" {
			what := "accessKeyId and secretAccessKey"
			if strings.EqualFold(pr.Mode, "SSO") {
				what = "ssoAuth.stsToken (log in again with `hcloud configure sso`)"
			}
			diags.AddAttributeError(nameAttr, "Incomplete Profile",
				fmt.Sprintf("Profile %q of %s (mode %q) has no %s.", pr.Name, f, pr.Mode, what))
			return nil
		}
		if pr.AgencyName != "" {
			out.Agency = &cbr.AssumeRole{AgencyName: pr.AgencyName, DomainName: pr.AgencyDomainName, DomainID: pr.AgencyDomainID}
			if out.Agency.DomainName == "" && out.Agency.DomainID == "" {
				diags.AddAttributeError(nameAttr, "Incomplete Profile",
					fmt.Sprintf("Profile %q of %s names agency %q but not its account (agencyDomainName or agencyDomainId).", pr.Name, f, pr.AgencyName))
				return nil
			}
		}
		return out
	}
	if want == "" {
		diags.AddAttributeError(nameAttr, "Missing Profile",
			fmt.Sprintf("%s names no current profile: set profile (or %s) to one of its profiles: %s.", f, EnvProfile, listed))
		return nil
	}
	diags.AddAttributeError(nameAttr, "Profile Not Found",
		fmt.Sprintf("The Huawei Cloud CLI configuration file %s has no profile %q. Its profiles: %s.", f, want, listed))
	return nil
}
