// Package credentials owns how the provider block, with the environment
// variables that stand in for its arguments (named as in the official Huawei
// Cloud provider), resolves to the credentials, project and endpoints the
// CBR client is built with: the model of the block (Config, AssumeRole,
// OIDC), the checks that need no environment (ConflictValidator,
// EndpointValue), Resolve with its diagnostics, and the advice given when
// authentication fails (AuthAdvice).
//
// It may import internal/cbr and, of the plugin framework, diag, path, types,
// schema/validator and provider (for ConflictValidator's request types). It
// never imports internal/provider nor any resource: the provider's schema and
// Configure use this package, not the other way round.
package credentials

// How the provider finds its credentials, project and endpoints: the
// environment fallbacks of every argument, the choice between the ways to
// authenticate, and the advice given when authentication fails.

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
)

// Environment variables, named as in the official Huawei Cloud provider.
const (
	EnvRegion        = "HW_REGION_NAME"
	EnvProjectID     = "HW_PROJECT_ID"
	EnvAuthToken     = "HW_AUTH_TOKEN"
	EnvAccessKey     = "HW_ACCESS_KEY"
	EnvSecretKey     = "HW_SECRET_KEY"
	EnvSecurityToken = "HW_SECURITY_TOKEN"
	EnvUserName      = "HW_USER_NAME"
	EnvPassword      = "HW_USER_PASSWORD"
	EnvDomainName    = "HW_DOMAIN_NAME"
	EnvAuthURL       = "HW_AUTH_URL"
	EnvCloud         = "HW_CLOUD"
	EnvInsecure      = "HW_INSECURE"
	EnvCACert        = "HW_CACERT"
	EnvMaxRetries    = "HW_MAX_RETRIES"
	EnvDomainID      = "HW_DOMAIN_ID"
	EnvUserID        = "HW_USER_ID"
	EnvProjectName   = "HW_PROJECT_NAME"

	EnvAssumeAgency      = "HW_ASSUME_ROLE_AGENCY_NAME"
	EnvAssumeDomainName  = "HW_ASSUME_ROLE_DOMAIN_NAME"
	EnvAssumeDomainID    = "HW_ASSUME_ROLE_DOMAIN_ID"
	EnvAssumeDuration    = "HW_ASSUME_ROLE_DURATION"
	EnvAssumeIdpID       = "HW_ASSUME_ROLE_IDP_ID"
	EnvAssumeIDToken     = "HW_ASSUME_ROLE_ID_TOKEN"
	EnvAssumeIDTokenFile = "HW_ASSUME_ROLE_ID_TOKEN_FILE"
	EnvSharedConfigFile  = "HW_SHARED_CONFIG_FILE"
	EnvProfile           = "HW_PROFILE"
	// EnvTFCWorkloadToken is the workload identity token HCP Terraform
	// gives a run whose workspace sets TFC_WORKLOAD_IDENTITY_AUDIENCE.
	EnvTFCWorkloadToken = "TFC_WORKLOAD_IDENTITY_TOKEN"

	DefaultCloud = "myhuaweicloud.com"
	// Regions whose name starts with EuropeRegionPrefix are served under
	// EuropeCloud, as in the official provider.
	EuropeCloud        = "myhuaweicloud.eu"
	EuropeRegionPrefix = "eu-west-1"

	// The range of IAM's duration_seconds of temporary credentials.
	MinAssumeDuration = 900
	MaxAssumeDuration = 86400
)

// AuthMode is the way the provider authenticates.
type AuthMode string

const (
	authNone     AuthMode = ""
	authToken    AuthMode = "token"
	authAKSK     AuthMode = "aksk"
	authOIDC     AuthMode = "oidc"
	authProfile  AuthMode = "profile"
	authPassword AuthMode = "password"
	authMetadata AuthMode = "metadata"
)

// Settings is the provider configuration after environment fallbacks and
// defaults have been applied.
type Settings struct {
	Region, ProjectID, Cloud string
	CBREndpoint              string
	// IAMEndpoint is the identity endpoint (with /v3); empty when neither
	// region, auth_url nor endpoints.iam tells it.
	IAMEndpoint string
	Insecure    bool

	Auth                                AuthMode
	AuthToken                           string
	AccessKey, SecretKey, SecurityToken string
	UserName, Password, DomainName      string
	UserID, DomainID                    string
	// ProjectName is the project looked up when ProjectID is empty.
	ProjectName string
	// OIDC is the ID token exchange of authOIDC.
	OIDC cbr.OIDCAuth
	// AssumeRoles are applied on top of the credentials.
	AssumeRoles []cbr.AssumeRole
	// MetadataEndpoint is the ECS metadata service of authMetadata.
	MetadataEndpoint string

	// CACertFile is the CA bundle's path; CACertSource names where it was
	// set (cacert_file or HW_CACERT), for error messages.
	CACertFile, CACertSource string
	MaxRetries               int
}

// Authenticator returns the cbr authenticator of s.Auth.
func (s Settings) Authenticator() cbr.Authenticator {
	switch s.Auth {
	case authToken:
		return cbr.TokenAuth(s.AuthToken)
	case authAKSK, authProfile:
		return cbr.AKSKAuth{AccessKey: s.AccessKey, SecretKey: s.SecretKey, SecurityToken: s.SecurityToken}
	case authOIDC:
		return s.OIDC
	case authPassword:
		return cbr.PasswordAuth{UserName: s.UserName, Password: s.Password, DomainName: s.DomainName, UserID: s.UserID, DomainID: s.DomainID}
	case authMetadata:
		return cbr.MetadataAuth{Endpoint: s.MetadataEndpoint}
	}
	return nil
}

// Secrets are the secrets of s, for masking.
func (s Settings) Secrets() []string {
	return []string{s.AuthToken, s.SecretKey, s.SecurityToken, s.Password, s.OIDC.IDToken}
}

// resolved is one string setting and where it came from.
type resolved struct {
	attr, env, value string
	fromEnv          bool
}

// String names the setting and its source, for diagnostics.
func (r resolved) String() string {
	if r.fromEnv {
		return fmt.Sprintf("%s (from %s)", r.attr, r.env)
	}
	return r.attr
}

func (r resolved) set() bool { return r.value != "" }

// removal tells how to unset the setting.
func (r resolved) removal() string {
	if r.fromEnv {
		return "unset " + r.env
	}
	return "remove " + r.attr + " from the provider block"
}

// Resolve applies environment fallbacks (configuration wins) and
// defaults, chooses the credentials, and reports what is missing, half given
// or unknown on the attribute's path.
func Resolve(m Config, getenv func(string) string) (Settings, diag.Diagnostics) {
	var diags diag.Diagnostics
	var s Settings

	str := func(attr string, v types.String, env string) resolved {
		r := resolved{attr: attr, env: env}
		switch {
		case v.IsUnknown():
			unknownValue(&diags, attr, "a value known at plan time", env)
		case !v.IsNull():
			r.value = strings.TrimSpace(v.ValueString())
		default:
			r.value = strings.TrimSpace(getenv(env))
			r.fromEnv = r.value != ""
		}
		return r
	}
	region := str("region", m.Region, EnvRegion)
	projectID := str("project_id", m.ProjectID, EnvProjectID)
	token := resolveToken(m, getenv, &diags)
	ak := str("access_key", m.AccessKey, EnvAccessKey)
	sk := str("secret_key", m.SecretKey, EnvSecretKey)
	st := str("security_token", m.SecurityToken, EnvSecurityToken)
	user := str("user_name", m.UserName, EnvUserName)
	userID := str("user_id", m.UserID, EnvUserID)
	password := str("password", m.Password, EnvPassword)
	domain := str("domain_name", m.DomainName, EnvDomainName)
	domainID := str("domain_id", m.DomainID, EnvDomainID)
	projectName := str("project_name", m.ProjectName, EnvProjectName)
	authURL := str("auth_url", m.AuthURL, EnvAuthURL)
	cloud := str("cloud", m.Cloud, EnvCloud)
	configFile := str("shared_config_file", m.SharedConfigFile, EnvSharedConfigFile)
	profileName := str("profile", m.Profile, EnvProfile)
	var prof *profileCredentials
	if configFile.set() || profileName.set() {
		prof = readProfile(configFile, profileName, getenv, &diags)
		if prof != nil {
			// The profile's values win, as in the official provider.
			if prof.Region != "" {
				if region.set() && region.value != prof.Region {
					diags.AddAttributeWarning(path.Root("region"), "Region Taken from the Profile",
						fmt.Sprintf("%s is %q, but the provider uses the region of profile %q, %q.", region, region.value, prof.Name, prof.Region))
				}
				region.value = prof.Region
			}
			if prof.ProjectID != "" {
				projectID.value = prof.ProjectID
			}
		}
	}
	oidc := resolveOIDC(m, getenv, &diags)
	roles := resolveAssumeRoles(m, getenv, oidc != nil, &diags)
	if prof != nil && prof.Agency != nil && len(m.AssumeRole) == 0 && oidc == nil {
		// The profile's agency replaces that of the HW_ASSUME_ROLE_*
		// variables, as in the official provider.
		roles = []cbr.AssumeRole{*prof.Agency}
	}
	s.AssumeRoles = roles
	s.ProjectName = projectName.value
	s.Region, s.ProjectID, s.Cloud = region.value, projectID.value, cloud.value
	if s.Cloud == "" {
		s.Cloud = DefaultCloud
		if strings.HasPrefix(s.Region, EuropeRegionPrefix) {
			s.Cloud = EuropeCloud
		}
	}

	switch {
	case m.Insecure.IsUnknown():
		unknownValue(&diags, "insecure", "true or false", EnvInsecure)
	case !m.Insecure.IsNull():
		s.Insecure = m.Insecure.ValueBool()
	case getenv(EnvInsecure) != "":
		b, err := strconv.ParseBool(strings.TrimSpace(getenv(EnvInsecure)))
		if err != nil {
			diags.AddAttributeError(path.Root("insecure"), "Invalid Environment Variable "+EnvInsecure,
				fmt.Sprintf("%s is %q; it must be true or false.", EnvInsecure, getenv(EnvInsecure)))
		}
		s.Insecure = b
	}

	switch {
	case m.CACertFile.IsUnknown():
		unknownValue(&diags, "cacert_file", "a value known at plan time", EnvCACert)
	case !m.CACertFile.IsNull():
		s.CACertFile, s.CACertSource = strings.TrimSpace(m.CACertFile.ValueString()), "cacert_file"
	case strings.TrimSpace(getenv(EnvCACert)) != "":
		s.CACertFile, s.CACertSource = strings.TrimSpace(getenv(EnvCACert)), EnvCACert
	}

	s.MaxRetries = cbr.DefaultMaxRetries
	switch {
	case m.MaxRetries.IsUnknown():
		unknownValue(&diags, "max_retries", "a number known at plan time", EnvMaxRetries)
	case !m.MaxRetries.IsNull():
		// The attribute's validator reports values out of range.
		s.MaxRetries = int(min(max(m.MaxRetries.ValueInt64(), 0), cbr.MaxRetriesLimit))
	case strings.TrimSpace(getenv(EnvMaxRetries)) != "":
		v := strings.TrimSpace(getenv(EnvMaxRetries))
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > cbr.MaxRetriesLimit {
			diags.AddAttributeError(path.Root("max_retries"), "Invalid Environment Variable "+EnvMaxRetries,
				fmt.Sprintf("%s is %q; it must be a whole number from 0 to %d.", EnvMaxRetries, getenv(EnvMaxRetries), cbr.MaxRetriesLimit))
		} else {
			s.MaxRetries = n
		}
	}

	endpoints := map[string]string{}
	if m.Endpoints.IsUnknown() {
		diags.AddAttributeError(path.Root("endpoints"), "Unknown Provider Value: endpoints",
			"The provider cannot be configured because endpoints is not known until apply. Set it to values known at plan time.")
	} else if !m.Endpoints.IsNull() {
		for k, v := range m.Endpoints.Elements() {
			sv, ok := v.(types.String)
			if !ok || sv.IsUnknown() {
				diags.AddAttributeError(path.Root("endpoints").AtMapKey(k), "Unknown Provider Value: endpoints."+k,
					"The provider cannot be configured because endpoints."+k+" is not known until apply. Set it to a value known at plan time.")
				continue
			}
			u, err := CheckEndpoint(sv.ValueString())
			if err != nil {
				diags.AddAttributeError(path.Root("endpoints").AtMapKey(k), "Invalid Endpoint", fmt.Sprintf("endpoints.%s: %s", k, err))
				continue
			}
			endpoints[k] = u
		}
	}
	if authURL.set() {
		u, err := CheckEndpoint(authURL.value)
		if err != nil {
			diags.AddAttributeError(path.Root("auth_url"), "Invalid Endpoint", fmt.Sprintf("%s: %s", authURL, err))
		}
		authURL.value = withDefaultPath(u, "/v3")
	}
	if diags.HasError() {
		return s, diags
	}

	s.Auth = chooseCredentials(&diags, credentialInputs{token: token, ak: ak, sk: sk, st: st, user: user, userID: userID, password: password,
		domain: domain, domainID: domainID, oidc: oidc, profile: prof})
	switch s.Auth {
	case authToken:
		s.AuthToken = token.value
	case authAKSK:
		s.AccessKey, s.SecretKey, s.SecurityToken = ak.value, sk.value, st.value
	case authProfile:
		s.AccessKey, s.SecretKey, s.SecurityToken = prof.AccessKey, prof.SecretKey, prof.SecurityToken
	case authOIDC:
		s.OIDC = oidc.auth
		// The agency of assume_role_with_oidc comes first.
		s.AssumeRoles = append([]cbr.AssumeRole{oidc.role}, s.AssumeRoles...)
	case authPassword:
		s.UserName, s.Password, s.DomainName = user.value, password.value, domain.value
		s.UserID, s.DomainID = userID.value, domainID.value
		if s.UserID != "" {
			s.UserName, s.DomainName, s.DomainID = "", "", ""
		}
	}

	// The IAM endpoint: endpoints.iam, then auth_url, then the default.
	switch {
	case endpoints["iam"] != "":
		s.IAMEndpoint = endpoints["iam"]
		if !strings.HasSuffix(s.IAMEndpoint, "/v3") {
			s.IAMEndpoint += "/v3"
		}
		if authURL.set() && !authURL.fromEnv {
			diags.AddAttributeWarning(path.Root("auth_url"), "auth_url Ignored",
				fmt.Sprintf("Both auth_url and endpoints.iam are set: the provider uses endpoints.iam (%s) and ignores auth_url (%s).", s.IAMEndpoint, authURL.value))
		}
	case authURL.set():
		s.IAMEndpoint = authURL.value
	case s.Region != "":
		s.IAMEndpoint = fmt.Sprintf("https://iam.%s.%s/v3", s.Region, s.Cloud)
	}

	if s.ProjectID == "" && s.Region == "" {
		diags.AddAttributeError(path.Root("project_id"), "Missing Project ID",
			"The provider needs the ID of the project to synchronize backups into. Set project_id in the provider block or the "+EnvProjectID+
				" environment variable, or set region (or "+EnvRegion+") so that the provider looks up the ID of the project named after the region in IAM.")
	}
	s.CBREndpoint = endpoints["cbr"]
	if s.CBREndpoint == "" {
		if s.Region == "" {
			diags.AddAttributeError(path.Root("region"), "Missing Region",
				"The provider needs a region to find the CBR endpoint. Set region in the provider block or the "+EnvRegion+" environment variable, or set endpoints.cbr.")
		}
		s.CBREndpoint = fmt.Sprintf("https://cbr.%s.%s", s.Region, s.Cloud)
	} else if s.IAMEndpoint == "" && s.ProjectID != "" {
		var what string
		switch {
		case s.Auth == authPassword:
			what = "Password authentication gets its token from IAM"
		case s.Auth == authOIDC:
			what = "An ID token is exchanged for credentials by IAM"
		case len(s.AssumeRoles) > 0:
			what = "An agency's credentials come from IAM"
		}
		if what != "" {
			diags.AddAttributeError(path.Root("region"), "Missing Region",
				what+", at https://iam.{region}.{cloud}/v3 unless auth_url or endpoints.iam says otherwise. "+
					"Set region in the provider block or the "+EnvRegion+" environment variable, or set auth_url (or "+EnvAuthURL+") or endpoints.iam.")
		}
	}
	return s, diags
}

// unknownValue reports that the provider cannot be configured because attr
// is not known until apply: it should be set to want, or left out for the
// environment variable env.
func unknownValue(diags *diag.Diagnostics, attr, want, env string) {
	diags.AddAttributeError(path.Root(attr), "Unknown Provider Value: "+attr,
		fmt.Sprintf("The provider cannot be configured because %s is not known until apply. Set it to %s, or leave it out and set the %s environment variable.", attr, want, env))
}

// credentialInputs are the credentials found in the configuration, the
// environment and the profile.
type credentialInputs struct {
	token, ak, sk, st, user, userID, password, domain, domainID resolved
	oidc                                                        *oidcSettings
	profile                                                     *profileCredentials
}

// chooseCredentials reports half-given credentials and returns the first
// complete set, in the order of the official provider: token; an access
// key pair, from an ID token exchange, a profile or the arguments, in that
// order; password; and the ECS metadata service when nothing is set. A
// warning names the sets that are ignored.
func chooseCredentials(diags *diag.Diagnostics, in credentialInputs) AuthMode {
	token, ak, sk, st, user, password, domain := in.token, in.ak, in.sk, in.st, in.user, in.password, in.domain
	missing := func(have, lacking resolved, summary, why string) {
		diags.AddAttributeError(path.Root(lacking.attr), summary,
			fmt.Sprintf("%s is set but %s is not: %s Set %s in the provider block or the %s environment variable, or %s.",
				have, lacking.attr, why, lacking.attr, lacking.env, have.removal()))
	}
	const akskWhy = "requests are signed with an access key and its secret key together."
	switch {
	case ak.set() && !sk.set():
		missing(ak, sk, "Incomplete Access Key", akskWhy)
	case sk.set() && !ak.set():
		missing(sk, ak, "Incomplete Access Key", akskWhy)
	}
	if st.set() && !ak.set() && !sk.set() {
		diags.AddAttributeError(path.Root("security_token"), "Security Token Without Access Key",
			fmt.Sprintf("%s is set but access_key and secret_key are not: a security token is only used with the temporary access key and secret key it was issued with. "+
				"Set access_key and secret_key (or %s and %s), or %s.", st, EnvAccessKey, EnvSecretKey, st.removal()))
	}
	const passwordWhy = "password authentication needs the user name (or user ID) and the password together."
	userSet := user.set() || in.userID.set()
	switch {
	case user.set() && !password.set():
		missing(user, password, "Incomplete Password Credentials", passwordWhy)
	case in.userID.set() && !password.set():
		missing(in.userID, password, "Incomplete Password Credentials", passwordWhy)
	case password.set() && !userSet:
		missing(password, user, "Incomplete Password Credentials", passwordWhy)
	case user.set() && !in.userID.set() && password.set() && !domain.set() && !in.domainID.set():
		diags.AddAttributeError(path.Root("domain_name"), "Missing Domain Name",
			fmt.Sprintf("%s and %s are set, but domain_name is not: password authentication needs the name of the account (IAM domain) the user belongs to. "+
				"Set domain_name in the provider block or the %s environment variable (or domain_id, %s), or set user_id instead of user_name.", user, password, EnvDomainName, EnvDomainID))
	}
	if diags.HasError() {
		return authNone
	}

	type candidate struct {
		mode AuthMode
		set  bool
		desc string
	}
	profileDesc := ""
	if in.profile != nil {
		profileDesc = fmt.Sprintf("the access key of profile %q of %s", in.profile.Name, in.profile.File)
	}
	candidates := []candidate{
		{authToken, token.set(), token.String()},
		{authOIDC, in.oidc != nil, "assume_role_with_oidc"},
		{authProfile, in.profile != nil, profileDesc},
		{authAKSK, ak.set() && sk.set(), joinSettings(ak, sk, st)},
		{authPassword, password.set() && userSet, joinSettings(user, in.userID, password, domain, in.domainID)},
	}
	var chosen *candidate
	var ignored []string
	for i := range candidates {
		c := &candidates[i]
		switch {
		case !c.set:
		case chosen == nil:
			chosen = c
		default:
			ignored = append(ignored, c.desc)
		}
	}
	if chosen == nil {
		// Nothing set: the agency of the ECS the provider runs on, as the
		// official provider does. Its absence is reported on the first
		// API call, with what to set instead.
		return authMetadata
	}
	if len(ignored) > 0 {
		diags.AddWarning("Several Credentials Set",
			fmt.Sprintf("The provider authenticates with %s, and ignores %s. When several credentials are set, it uses the first of: token; "+
				"assume_role_with_oidc; shared_config_file and profile; access_key and secret_key; user_name (or user_id) and password.",
				chosen.desc, strings.Join(ignored, "; ")))
	}
	return chosen.mode
}

// joinSettings names the settings that are set, e.g. "access_key and secret_key (from HW_SECRET_KEY)".
func joinSettings(rs ...resolved) string {
	var names []string
	for _, r := range rs {
		if r.set() {
			names = append(names, r.String())
		}
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// AuthAdvice tells what to check when err is an authentication failure, in
// terms of the provider's arguments; "" for other errors.
func AuthAdvice(err error) string {
	var credErr *cbr.CredentialsError
	var authErr *cbr.AuthError
	var apiErr *cbr.APIError
	switch {
	case errors.As(err, &credErr) && credErr.Method == cbr.AuthMethodToken:
		return "The IAM token in token (or " + EnvAuthToken + ") was refused. IAM tokens are valid for 24 hours and work only in the project they are scoped to; " +
			"the provider cannot renew a token it was given. Get a new token, or use credentials the provider can renew (see \"Which credentials to use\" in the provider's documentation)."
	case errors.As(err, &credErr) && credErr.Method == cbr.AuthMethodAKSK:
		return "The request signature was refused. Check access_key and secret_key (or " + EnvAccessKey + " and " + EnvSecretKey + "): the access key must exist and be enabled, " +
			"and the secret key must be the one issued with it. Temporary credentials also need their security_token (" + EnvSecurityToken + ") and expire. " +
			"Signatures are also refused when this machine's clock is more than 15 minutes off."
	case errors.As(err, &credErr) && credErr.Method == cbr.AuthMethodPassword && credErr.Renewed:
		return "A new IAM token, obtained with user_name and password after the first one was refused, was refused too. " +
			"Check that the user has permission to use CBR in this project."
	case errors.As(err, &credErr) && credErr.Method == cbr.AuthMethodPassword:
		return "The IAM token obtained with user_name and password was refused. Check that the user has permission to use CBR in this project."
	case errors.As(err, &authErr) && authErr.Step == cbr.AuthStepToken && errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnauthorized:
		return "IAM refused the password. Check user_name, password and domain_name (or " + EnvUserName + ", " + EnvPassword + " and " + EnvDomainName + "): " +
			"domain_name is the account name, and the user must be allowed to use the API (programmatic access)."
	case errors.As(err, &authErr) && authErr.Step == cbr.AuthStepToken:
		return "Check auth_url (or " + EnvAuthURL + ", or endpoints.iam) and region: the token is scoped to the project named after the region, or to project_id when it is set."
	case errors.As(err, &credErr) && (credErr.Method == cbr.AuthMethodAssumeRole || credErr.Method == cbr.AuthMethodOIDC):
		return "The agency's temporary credentials were refused, after being renewed once. Check that the agency has permission to use CBR in this project " +
			"(its policies are granted per project), and that project_id or region is a project of the agency's account."
	case errors.As(err, &credErr) && credErr.Method == cbr.AuthMethodMetadata:
		return "The temporary credentials of the ECS's agency were refused, after being renewed once. Check that the agency attached to this ECS has permission to use CBR in this project."
	case errors.As(err, &authErr) && authErr.Step == cbr.AuthStepAssumeRole && errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound:
		return "IAM found no such agency. Check agency_name and domain_name or domain_id of assume_role (or " + EnvAssumeAgency + ", " + EnvAssumeDomainName + " and " + EnvAssumeDomainID +
			"): the domain is the account the agency belongs to (the account to import into), not the account of the credentials."
	case errors.As(err, &authErr) && authErr.Step == cbr.AuthStepAssumeRole:
		return "The credentials could not obtain the agency's. Check that they may assume the agency (the agency must trust their account, and the user needs the iam:agencies:assume permission), " +
			"and that the agency's maximum session duration is not shorter than duration."
	case errors.As(err, &authErr) && authErr.Step == cbr.AuthStepIDToken && errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnauthorized:
		return "IAM refused the ID token: it has expired, or it was not issued for the identity provider idp_id (" + EnvAssumeIdpID + "), whose client ID must be the token's audience. " +
			"Workload identity tokens live for the length of a run: start a new run rather than reusing a token."
	case errors.As(err, &authErr) && authErr.Step == cbr.AuthStepIDToken:
		return "Check idp_id, and id_token or id_token_file of assume_role_with_oidc (or the " + EnvAssumeIdpID + ", " + EnvAssumeIDToken + " and " + EnvAssumeIDTokenFile + " environment variables)."
	case errors.As(err, &authErr) && authErr.Step == cbr.AuthStepMetadata:
		return "No credentials are set, so the provider asked the ECS metadata service for the temporary credentials of the agency attached to the ECS it runs on. " +
			"That only works on a Huawei Cloud ECS with an agency attached. Elsewhere, set credentials: assume_role_with_oidc (no stored secret), a profile of the " +
			"Huawei Cloud CLI (shared_config_file, profile), access_key and secret_key, user_name and password, or token (see \"Which credentials to use\" in the provider's documentation)."
	case errors.As(err, &authErr) && authErr.Step == cbr.AuthStepProject:
		return "Set project_id (or " + EnvProjectID + ") to skip this lookup, or check region and the IAM endpoint (auth_url, " + EnvAuthURL + " or endpoints.iam)."
	}
	return ""
}
