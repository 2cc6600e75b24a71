// Package provider is the Terraform glue of terraform-provider-cbr: the
// provider, its resources and their schemas. All HTTP work is done by package
// cbr.
package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
)

var _ provider.Provider = (*cbrProvider)(nil)

// New returns a function that builds the provider, for providerserver.Serve.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &cbrProvider{version: version, getenv: os.Getenv}
	}
}

type cbrProvider struct {
	version string
	// getenv reads the environment; tests replace it.
	getenv func(string) string

	// Zero means the cbr package defaults; tests shorten them.
	retryBaseDelay, retryMaxDelay time.Duration
	requestTimeout                time.Duration
}

type providerModel struct {
	Region        types.String `tfsdk:"region"`
	ProjectID     types.String `tfsdk:"project_id"`
	AuthToken     types.String `tfsdk:"auth_token"`
	AccessKey     types.String `tfsdk:"access_key"`
	SecretKey     types.String `tfsdk:"secret_key"`
	SecurityToken types.String `tfsdk:"security_token"`
	UserName      types.String `tfsdk:"user_name"`
	Password      types.String `tfsdk:"password"`
	DomainName    types.String `tfsdk:"domain_name"`
	AuthURL       types.String `tfsdk:"auth_url"`
	Cloud         types.String `tfsdk:"cloud"`
	Endpoints     types.Map    `tfsdk:"endpoints"`
	Insecure      types.Bool   `tfsdk:"insecure"`
	CACertFile    types.String `tfsdk:"cacert_file"`
	MaxRetries    types.Int64  `tfsdk:"max_retries"`
}

// Environment variables, named as in the official Huawei Cloud provider.
const (
	envRegion        = "HW_REGION_NAME"
	envProjectID     = "HW_PROJECT_ID"
	envAuthToken     = "HW_AUTH_TOKEN"
	envAccessKey     = "HW_ACCESS_KEY"
	envSecretKey     = "HW_SECRET_KEY"
	envSecurityToken = "HW_SECURITY_TOKEN"
	envUserName      = "HW_USER_NAME"
	envPassword      = "HW_USER_PASSWORD"
	envDomainName    = "HW_DOMAIN_NAME"
	envAuthURL       = "HW_AUTH_URL"
	envCloud         = "HW_CLOUD"
	envInsecure      = "HW_INSECURE"
	envCACert        = "HW_CACERT"
	envMaxRetries    = "HW_MAX_RETRIES"

	defaultCloud = "myhuaweicloud.com"
	// Regions whose name starts with europeRegionPrefix are served under
	// europeCloud, as in the official provider.
	europeCloud        = "myhuaweicloud.eu"
	europeRegionPrefix = "eu-west-1"
)

// endpointKeys are the services whose endpoint the endpoints map may override.
var endpointKeys = []string{"cbr", "iam"}

func (p *cbrProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "cbr"
	resp.Version = p.version
}

func (p *cbrProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Imports (synchronizes) on-premises VMware backups stored in OBS into Huawei Cloud Backup and Recovery (CBR). " +
			"Authenticates with an IAM token (`auth_token`), an access key and secret key (`access_key`, `secret_key`, and `security_token` for temporary credentials) " +
			"or an IAM user's password (`user_name`, `password`, `domain_name`), in that order of precedence when several are set.",
		Attributes: map[string]schema.Attribute{
			"region": schema.StringAttribute{
				MarkdownDescription: "The Huawei Cloud region, for example `cn-north-4`. Used to build the default endpoints, and as the name of the project " +
					"whose ID is looked up when `project_id` is not set. Can also be set with `" + envRegion + "`. Required, unless `endpoints.cbr` and `project_id` are set " +
					"(and, for password authentication, `auth_url` or `endpoints.iam`).",
				Optional:   true,
				Validators: []validator.String{notBlank()},
			},
			"project_id": schema.StringAttribute{
				MarkdownDescription: "The ID of the project the backups are synchronized into. Can also be set with `" + envProjectID + "`. " +
					"When it is not set, the provider looks up the ID of the project named after `region` in IAM on its first API call " +
					"(`GET /v3/projects?name={region}`; with password authentication the ID comes with the IAM token instead), once per run.",
				Optional:   true,
				Validators: []validator.String{notBlank()},
			},
			"auth_token": schema.StringAttribute{
				MarkdownDescription: "An IAM user token, sent as `X-Auth-Token`. Takes precedence over the other credentials. " +
					"IAM tokens are valid for 24 hours and cannot be renewed by the provider: when a token is refused, get a new one. " +
					"Can also be set with `" + envAuthToken + "`.",
				Optional:   true,
				Sensitive:  true,
				Validators: []validator.String{notBlank()},
			},
			"access_key": schema.StringAttribute{
				MarkdownDescription: "The access key ID (AK) of an access key pair; every request is signed with it and `secret_key` (SDK-HMAC-SHA256). " +
					"Takes precedence over password authentication. Can also be set with `" + envAccessKey + "`.",
				Optional:   true,
				Validators: []validator.String{notBlank()},
			},
			"secret_key": schema.StringAttribute{
				MarkdownDescription: "The secret access key (SK) of `access_key`. Can also be set with `" + envSecretKey + "`.",
				Optional:            true,
				Sensitive:           true,
				Validators:          []validator.String{notBlank()},
			},
			"security_token": schema.StringAttribute{
				MarkdownDescription: "The security token of temporary credentials, for use with the temporary `access_key` and `secret_key` it was issued with. " +
					"Sent as `X-Security-Token` and signed. Can also be set with `" + envSecurityToken + "`.",
				Optional:   true,
				Sensitive:  true,
				Validators: []validator.String{notBlank()},
			},
			"user_name": schema.StringAttribute{
				MarkdownDescription: "The name of an IAM user, for password authentication: the provider exchanges `user_name`, `password` and `domain_name` " +
					"for an IAM token (`POST {auth_url}/auth/tokens`) on its first API call, uses it for every call of the run and renews it before it expires. " +
					"Can also be set with `" + envUserName + "`.",
				Optional:   true,
				Validators: []validator.String{notBlank()},
			},
			"password": schema.StringAttribute{
				MarkdownDescription: "The password of `user_name`. Can also be set with `" + envPassword + "`.",
				Optional:            true,
				Sensitive:           true,
				Validators:          []validator.String{notBlank()},
			},
			"domain_name": schema.StringAttribute{
				MarkdownDescription: "The name of the account (IAM domain) `user_name` belongs to. Required for password authentication, ignored otherwise. " +
					"Can also be set with `" + envDomainName + "`.",
				Optional:   true,
				Validators: []validator.String{notBlank()},
			},
			"auth_url": schema.StringAttribute{
				MarkdownDescription: "The IAM identity endpoint, with its version, used for password authentication and the project ID lookup. " +
					"Can also be set with `" + envAuthURL + "`. Defaults to `https://iam.{region}.{cloud}/v3`. A URL without a path gets `/v3`. " +
					"`endpoints.iam` takes precedence over it.",
				Optional:   true,
				Validators: []validator.String{notBlank(), endpointValue()},
			},
			"cloud": schema.StringAttribute{
				MarkdownDescription: "The domain name of the cloud, used in the default endpoints `https://{service}.{region}.{cloud}`. Can also be set with `" + envCloud + "`. " +
					"Defaults to `" + europeCloud + "` for regions whose name starts with `" + europeRegionPrefix + "` and to `" + defaultCloud + "` for the others.",
				Optional:   true,
				Validators: []validator.String{notBlank()},
			},
			"endpoints": schema.MapAttribute{
				MarkdownDescription: "Custom service endpoints, keyed by service. Supported keys: `cbr` (replaces `https://cbr.{region}.{cloud}`) and " +
					"`iam` (replaces `https://iam.{region}.{cloud}`; takes precedence over `auth_url`, and gets `/v3` unless it ends with it). " +
					"Values are trimmed, and a value without a scheme gets `https://`.",
				Optional:    true,
				ElementType: types.StringType,
				Validators: []validator.Map{
					mapvalidator.KeysAre(stringvalidator.OneOf(endpointKeys...)),
					mapvalidator.ValueStringsAre(notBlank(), endpointValue()),
				},
			},
			"insecure": schema.BoolAttribute{
				MarkdownDescription: "Skip verification of the API's TLS certificate, which lets anyone who can intercept the connection read the credentials. Only for testing: the provider warns when it is set. To trust a private CA, use `cacert_file` instead. Can also be set with `" + envInsecure + "`. Defaults to `false`.",
				Optional:            true,
			},
			"cacert_file": schema.StringAttribute{
				MarkdownDescription: "The path of a PEM file of CA certificates to trust, in addition to the system's, when verifying the API's TLS certificate (for example behind a TLS-inspecting proxy). Can also be set with `" + envCACert + "`. " +
					"Proxies are taken from the `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` environment variables.",
				Optional:   true,
				Validators: []validator.String{notBlank()},
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How many times a request that failed with a temporary error is sent again: %d to %d. Can also be set with `%s`. Defaults to `%d`; `0` disables retries.\n\n", 0, cbr.MaxRetriesLimit, envMaxRetries, cbr.DefaultMaxRetries) +
					cbr.RetryRule + fmt.Sprintf(" Without `Retry-After`, the wait before retry n is random between 0 and %s × 2^(n-1), at most %s; a `Retry-After` of more than %s ends the apply at once.",
					humanDuration(cbr.DefaultRetryBaseDelay), humanDuration(cbr.DefaultRetryMaxDelay), humanDuration(cbr.MaxRetryAfter)),
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(0, cbr.MaxRetriesLimit)},
			},
		},
	}
}

// authMode is the way the provider authenticates.
type authMode string

const (
	authNone     authMode = ""
	authToken    authMode = "token"
	authAKSK     authMode = "aksk"
	authPassword authMode = "password"
)

// humanDuration writes a whole number of minutes or seconds for the docs.
func humanDuration(d time.Duration) string {
	n, unit := d.Seconds(), "second"
	if d >= time.Minute && d%time.Minute == 0 {
		n, unit = d.Minutes(), "minute"
	}
	if n != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%g %s", n, unit)
}

// settings is the provider configuration after environment fallbacks and
// defaults have been applied.
type settings struct {
	Region, ProjectID, Cloud string
	CBREndpoint              string
	// IAMEndpoint is the identity endpoint (with /v3); empty when neither
	// region, auth_url nor endpoints.iam tells it.
	IAMEndpoint string
	Insecure    bool

	Auth                                authMode
	AuthToken                           string
	AccessKey, SecretKey, SecurityToken string
	UserName, Password, DomainName      string

	// CACertFile is the CA bundle's path; CACertSource names where it was
	// set (cacert_file or HW_CACERT), for error messages.
	CACertFile, CACertSource string
	MaxRetries               int
}

// authenticator returns the cbr authenticator of s.Auth.
func (s settings) authenticator() cbr.Authenticator {
	switch s.Auth {
	case authToken:
		return cbr.TokenAuth(s.AuthToken)
	case authAKSK:
		return cbr.AKSKAuth{AccessKey: s.AccessKey, SecretKey: s.SecretKey, SecurityToken: s.SecurityToken}
	case authPassword:
		return cbr.PasswordAuth{UserName: s.UserName, Password: s.Password, DomainName: s.DomainName}
	}
	return nil
}

// Configure validates the configuration and builds the client. It sends no
// request: the client authenticates, and looks the project up, on its first
// API call, so that a plan makes no API call at all.
func (p *cbrProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	s, diags := resolveSettings(m, p.getenv)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}

	if s.Insecure {
		detail := "The provider does not verify the TLS certificate of the CBR API (insecure = true or " + envInsecure + "), so anyone who can intercept the connection can read the credentials and change the answers. Use it only for testing; to trust a private CA, set cacert_file instead."
		if s.CACertFile != "" {
			detail += " The CA bundle " + s.CACertFile + " is not used while insecure is set."
		}
		resp.Diagnostics.AddAttributeWarning(path.Root("insecure"), "TLS Certificate Verification Disabled", detail)
	}
	var caPEM []byte
	if s.CACertFile != "" {
		caPEM = loadCACert(s.CACertFile, s.CACertSource, &resp.Diagnostics)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	hc, err := cbr.NewHTTPClient(cbr.TransportOptions{
		Insecure:  s.Insecure,
		CACertPEM: caPEM,
		Getenv:    p.getenv,
		Timeout:   p.requestTimeout,
	})
	if err != nil {
		resp.Diagnostics.AddError("Unable to Create CBR Client", err.Error())
		return
	}
	client, err := cbr.New(cbr.Config{
		Endpoint:       s.CBREndpoint,
		IAMEndpoint:    s.IAMEndpoint,
		Region:         s.Region,
		ProjectID:      s.ProjectID,
		Auth:           s.authenticator(),
		HTTPClient:     hc,
		UserAgent:      fmt.Sprintf("terraform-provider-cbr/%s terraform/%s", p.version, req.TerraformVersion),
		MaxRetries:     s.MaxRetries,
		RetryBaseDelay: p.retryBaseDelay,
		RetryMaxDelay:  p.retryMaxDelay,
		Secrets:        []string{s.AuthToken, s.SecretKey, s.SecurityToken, s.Password},
	})
	if err != nil {
		resp.Diagnostics.AddError("Unable to Create CBR Client", err.Error())
		return
	}
	project := s.ProjectID
	if project == "" {
		project = "(looked up on the first call)"
	}
	// No secret in here: only where the calls go and how they authenticate.
	tflog.Info(ctx, "configured the CBR client", map[string]any{
		"cbr_endpoint": s.CBREndpoint, "iam_endpoint": s.IAMEndpoint, "region": s.Region,
		"project_id": project, "auth": string(s.Auth),
	})
	resp.ResourceData = client
	resp.DataSourceData = client
	resp.ActionData = client
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

// loadCACert reads and checks a CA bundle, reporting problems on the
// cacert_file attribute.
func loadCACert(file, source string, diags *diag.Diagnostics) []byte {
	data, err := os.ReadFile(file)
	if err != nil {
		diags.AddAttributeError(path.Root("cacert_file"), "Unable to Read CA Certificate File",
			fmt.Sprintf("The CA bundle %q (from %s) cannot be read: %v.", file, source, err))
		return nil
	}
	if _, err := cbr.ParseCABundle(data); err != nil {
		diags.AddAttributeError(path.Root("cacert_file"), "Invalid CA Certificate File",
			fmt.Sprintf("The CA bundle %q (from %s) is not a PEM file of CA certificates: %v.", file, source, err))
		return nil
	}
	return data
}

// resolveSettings applies environment fallbacks (configuration wins) and
// defaults, chooses the credentials, and reports what is missing, half given
// or unknown on the attribute's path.
func resolveSettings(m providerModel, getenv func(string) string) (settings, diag.Diagnostics) {
	var diags diag.Diagnostics
	var s settings

	str := func(attr string, v types.String, env string) resolved {
		r := resolved{attr: attr, env: env}
		switch {
		case v.IsUnknown():
			diags.AddAttributeError(path.Root(attr), "Unknown Provider Value: "+attr,
				fmt.Sprintf("The provider cannot be configured because %s is not known until apply. Set it to a value known at plan time, or leave it out and set the %s environment variable.", attr, env))
		case !v.IsNull():
			r.value = strings.TrimSpace(v.ValueString())
		default:
			r.value = strings.TrimSpace(getenv(env))
			r.fromEnv = r.value != ""
		}
		return r
	}
	region := str("region", m.Region, envRegion)
	projectID := str("project_id", m.ProjectID, envProjectID)
	token := str("auth_token", m.AuthToken, envAuthToken)
	ak := str("access_key", m.AccessKey, envAccessKey)
	sk := str("secret_key", m.SecretKey, envSecretKey)
	st := str("security_token", m.SecurityToken, envSecurityToken)
	user := str("user_name", m.UserName, envUserName)
	password := str("password", m.Password, envPassword)
	domain := str("domain_name", m.DomainName, envDomainName)
	authURL := str("auth_url", m.AuthURL, envAuthURL)
	cloud := str("cloud", m.Cloud, envCloud)
	s.Region, s.ProjectID, s.Cloud = region.value, projectID.value, cloud.value
	if s.Cloud == "" {
		s.Cloud = defaultCloud
		if strings.HasPrefix(s.Region, europeRegionPrefix) {
			s.Cloud = europeCloud
		}
	}

	switch {
	case m.Insecure.IsUnknown():
		diags.AddAttributeError(path.Root("insecure"), "Unknown Provider Value: insecure",
			"The provider cannot be configured because insecure is not known until apply. Set it to true or false, or leave it out and set the "+envInsecure+" environment variable.")
	case !m.Insecure.IsNull():
		s.Insecure = m.Insecure.ValueBool()
	case getenv(envInsecure) != "":
		b, err := strconv.ParseBool(strings.TrimSpace(getenv(envInsecure)))
		if err != nil {
			diags.AddAttributeError(path.Root("insecure"), "Invalid Environment Variable "+envInsecure,
				fmt.Sprintf("%s is %q; it must be true or false.", envInsecure, getenv(envInsecure)))
		}
		s.Insecure = b
	}

	switch {
	case m.CACertFile.IsUnknown():
		diags.AddAttributeError(path.Root("cacert_file"), "Unknown Provider Value: cacert_file",
			"The provider cannot be configured because cacert_file is not known until apply. Set it to a value known at plan time, or leave it out and set the "+envCACert+" environment variable.")
	case !m.CACertFile.IsNull():
		s.CACertFile, s.CACertSource = strings.TrimSpace(m.CACertFile.ValueString()), "cacert_file"
	case strings.TrimSpace(getenv(envCACert)) != "":
		s.CACertFile, s.CACertSource = strings.TrimSpace(getenv(envCACert)), envCACert
	}

	s.MaxRetries = cbr.DefaultMaxRetries
	switch {
	case m.MaxRetries.IsUnknown():
		diags.AddAttributeError(path.Root("max_retries"), "Unknown Provider Value: max_retries",
			"The provider cannot be configured because max_retries is not known until apply. Set it to a number known at plan time, or leave it out and set the "+envMaxRetries+" environment variable.")
	case !m.MaxRetries.IsNull():
		// The attribute's validator reports values out of range.
		s.MaxRetries = int(min(max(m.MaxRetries.ValueInt64(), 0), cbr.MaxRetriesLimit))
	case strings.TrimSpace(getenv(envMaxRetries)) != "":
		v := strings.TrimSpace(getenv(envMaxRetries))
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > cbr.MaxRetriesLimit {
			diags.AddAttributeError(path.Root("max_retries"), "Invalid Environment Variable "+envMaxRetries,
				fmt.Sprintf("%s is %q; it must be a whole number from 0 to %d.", envMaxRetries, getenv(envMaxRetries), cbr.MaxRetriesLimit))
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
			u, err := normalizeEndpoint(sv.ValueString())
			if err != nil {
				diags.AddAttributeError(path.Root("endpoints").AtMapKey(k), "Invalid Endpoint", fmt.Sprintf("endpoints.%s: %s", k, err))
				continue
			}
			endpoints[k] = u
		}
	}
	if authURL.set() {
		u, err := normalizeEndpoint(authURL.value)
		if err != nil {
			diags.AddAttributeError(path.Root("auth_url"), "Invalid Endpoint", fmt.Sprintf("%s: %s", authURL, err))
		}
		authURL.value = withDefaultPath(u, "/v3")
	}
	if diags.HasError() {
		return s, diags
	}

	s.Auth = chooseCredentials(&diags, token, ak, sk, st, user, password, domain)
	switch s.Auth {
	case authToken:
		s.AuthToken = token.value
	case authAKSK:
		s.AccessKey, s.SecretKey, s.SecurityToken = ak.value, sk.value, st.value
	case authPassword:
		s.UserName, s.Password, s.DomainName = user.value, password.value, domain.value
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
			"The provider needs the ID of the project to synchronize backups into. Set project_id in the provider block or the "+envProjectID+
				" environment variable, or set region (or "+envRegion+") so that the provider looks up the ID of the project named after the region in IAM.")
	}
	s.CBREndpoint = endpoints["cbr"]
	if s.CBREndpoint == "" {
		if s.Region == "" {
			diags.AddAttributeError(path.Root("region"), "Missing Region",
				"The provider needs a region to find the CBR endpoint. Set region in the provider block or the "+envRegion+" environment variable, or set endpoints.cbr.")
		}
		s.CBREndpoint = fmt.Sprintf("https://cbr.%s.%s", s.Region, s.Cloud)
	} else if s.Auth == authPassword && s.IAMEndpoint == "" && s.ProjectID != "" {
		diags.AddAttributeError(path.Root("region"), "Missing Region",
			"Password authentication gets its token from IAM, at https://iam.{region}.{cloud}/v3 unless auth_url or endpoints.iam says otherwise. "+
				"Set region in the provider block or the "+envRegion+" environment variable, or set auth_url (or "+envAuthURL+") or endpoints.iam.")
	}
	return s, diags
}

// chooseCredentials reports half-given credentials and returns the first
// complete set, in the order of the official provider: token, AK/SK,
// password. A warning names the sets that are ignored.
func chooseCredentials(diags *diag.Diagnostics, token, ak, sk, st, user, password, domain resolved) authMode {
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
				"Set access_key and secret_key (or %s and %s), or %s.", st, envAccessKey, envSecretKey, st.removal()))
	}
	const passwordWhy = "password authentication needs the user name and the password together."
	switch {
	case user.set() && !password.set():
		missing(user, password, "Incomplete Password Credentials", passwordWhy)
	case password.set() && !user.set():
		missing(password, user, "Incomplete Password Credentials", passwordWhy)
	case user.set() && password.set() && !domain.set():
		diags.AddAttributeError(path.Root("domain_name"), "Missing Domain Name",
			fmt.Sprintf("%s and %s are set, but domain_name is not: password authentication needs the name of the account (IAM domain) the user belongs to. "+
				"Set domain_name in the provider block or the %s environment variable.", user, password, envDomainName))
	}
	if diags.HasError() {
		return authNone
	}

	type candidate struct {
		mode authMode
		set  bool
		desc string
	}
	candidates := []candidate{
		{authToken, token.set(), token.String()},
		{authAKSK, ak.set() && sk.set(), joinSettings(ak, sk, st)},
		{authPassword, user.set() && password.set() && domain.set(), joinSettings(user, password, domain)},
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
		diags.AddError("Missing Credentials",
			"The provider needs credentials to call CBR, and none are set. Set one of:\n"+
				"  - auth_token, or the "+envAuthToken+" environment variable (an IAM token);\n"+
				"  - access_key and secret_key, or "+envAccessKey+" and "+envSecretKey+" (with security_token or "+envSecurityToken+" for temporary credentials);\n"+
				"  - user_name, password and domain_name, or "+envUserName+", "+envPassword+" and "+envDomainName+".\n"+
				"The provider does not read credentials from anywhere else (no metadata service, no shared files).")
		return authNone
	}
	if len(ignored) > 0 {
		diags.AddWarning("Several Credentials Set",
			fmt.Sprintf("The provider authenticates with %s, and ignores %s. When several credentials are set, it uses the first of: auth_token; access_key and secret_key; user_name, password and domain_name.",
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

// withDefaultPath gives a URL without a path the path p.
func withDefaultPath(u, p string) string {
	if i := strings.Index(u, "://"); i >= 0 && !strings.Contains(u[i+3:], "/") {
		return u + p
	}
	return u
}

// normalizeEndpoint trims an endpoint, gives it https:// when it has no
// scheme, and checks it as the client will, so that a bad value is reported
// at plan time on its attribute.
func normalizeEndpoint(v string) (string, error) {
	return checkEndpoint(v)
}

// configuredClient is the client the provider's Configure made, as resources
// and data sources receive it. It is nil until the provider is configured
// (during validation, for example).
func configuredClient(providerData any, kind string, diags *diag.Diagnostics) *cbr.Client {
	if providerData == nil {
		return nil
	}
	client, ok := providerData.(*cbr.Client)
	if !ok {
		diags.AddError("Unexpected "+kind+" Configure Type",
			fmt.Sprintf("Expected *cbr.Client, got %T. This is always a bug in the provider and should be reported to the provider developers.", providerData))
	}
	return client
}

func (p *cbrProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{newBackupSyncResource}
}

func (p *cbrProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{newOperationLogDataSource}
}

// authAdvice tells what to check when err is an authentication failure, in
// terms of the provider's arguments; "" for other errors.
func authAdvice(err error) string {
	var credErr *cbr.CredentialsError
	var authErr *cbr.AuthError
	var apiErr *cbr.APIError
	switch {
	case errors.As(err, &credErr) && credErr.Method == cbr.AuthMethodToken:
		return "The IAM token in auth_token (or " + envAuthToken + ") was refused. IAM tokens are valid for 24 hours and work only in the project they are scoped to; " +
			"the provider cannot renew a token it was given. Get a new token, or set access_key and secret_key, or user_name, password and domain_name, instead."
	case errors.As(err, &credErr) && credErr.Method == cbr.AuthMethodAKSK:
		return "The request signature was refused. Check access_key and secret_key (or " + envAccessKey + " and " + envSecretKey + "): the access key must exist and be enabled, " +
			"and the secret key must be the one issued with it. Temporary credentials also need their security_token (" + envSecurityToken + ") and expire. " +
			"Signatures are also refused when this machine's clock is more than 15 minutes off."
	case errors.As(err, &credErr) && credErr.Method == cbr.AuthMethodPassword && credErr.Renewed:
		return "A new IAM token, obtained with user_name and password after the first one was refused, was refused too. " +
			"Check that the user has permission to use CBR in this project."
	case errors.As(err, &credErr) && credErr.Method == cbr.AuthMethodPassword:
		return "The IAM token obtained with user_name and password was refused. Check that the user has permission to use CBR in this project."
	case errors.As(err, &authErr) && authErr.Step == cbr.AuthStepToken && errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnauthorized:
		return "IAM refused the password. Check user_name, password and domain_name (or " + envUserName + ", " + envPassword + " and " + envDomainName + "): " +
			"domain_name is the account name, and the user must be allowed to use the API (programmatic access)."
	case errors.As(err, &authErr) && authErr.Step == cbr.AuthStepToken:
		return "Check auth_url (or " + envAuthURL + ", or endpoints.iam) and region: the token is scoped to the project named after the region, or to project_id when it is set."
	case errors.As(err, &authErr) && authErr.Step == cbr.AuthStepProject:
		return "Set project_id (or " + envProjectID + ") to skip this lookup, or check region and the IAM endpoint (auth_url, " + envAuthURL + " or endpoints.iam)."
	}
	return ""
}
