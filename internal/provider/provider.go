// Package provider is the Terraform glue of terraform-provider-cbr: the
// provider, its resources and their schemas. All HTTP work is done by package
// cbr.
package provider

import (
	"context"
	"fmt"
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
	Region     types.String `tfsdk:"region"`
	ProjectID  types.String `tfsdk:"project_id"`
	AuthToken  types.String `tfsdk:"auth_token"`
	Cloud      types.String `tfsdk:"cloud"`
	Endpoints  types.Map    `tfsdk:"endpoints"`
	Insecure   types.Bool   `tfsdk:"insecure"`
	CACertFile types.String `tfsdk:"cacert_file"`
	MaxRetries types.Int64  `tfsdk:"max_retries"`
}

// Environment variables, named as in the official Huawei Cloud provider.
const (
	envRegion     = "HW_REGION_NAME"
	envProjectID  = "HW_PROJECT_ID"
	envAuthToken  = "HW_AUTH_TOKEN"
	envCloud      = "HW_CLOUD"
	envInsecure   = "HW_INSECURE"
	envCACert     = "HW_CACERT"
	envMaxRetries = "HW_MAX_RETRIES"

	defaultCloud = "myhuaweicloud.com"
)

// endpointKeys are the services whose endpoint the endpoints map may override.
var endpointKeys = []string{"cbr"}

func (p *cbrProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "cbr"
	resp.Version = p.version
}

func (p *cbrProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Imports (synchronizes) on-premises VMware backups stored in OBS into Huawei Cloud Backup and Recovery (CBR).",
		Attributes: map[string]schema.Attribute{
			"region": schema.StringAttribute{
				MarkdownDescription: "The Huawei Cloud region, for example `cn-north-4`. Used to build the default endpoints. Can also be set with `" + envRegion + "`. Required unless `endpoints.cbr` is set.",
				Optional:            true,
				Validators:          []validator.String{notBlank()},
			},
			"project_id": schema.StringAttribute{
				MarkdownDescription: "The ID of the project the backups are synchronized into. Can also be set with `" + envProjectID + "`.",
				Optional:            true,
				Validators:          []validator.String{notBlank()},
			},
			"auth_token": schema.StringAttribute{
				MarkdownDescription: "An IAM user token, sent as `X-Auth-Token`. Can also be set with `" + envAuthToken + "`.",
				Optional:            true,
				Sensitive:           true,
				Validators:          []validator.String{notBlank()},
			},
			"cloud": schema.StringAttribute{
				MarkdownDescription: "The domain name of the cloud, used in the default endpoints `https://{service}.{region}.{cloud}`. Can also be set with `" + envCloud + "`. Defaults to `" + defaultCloud + "`.",
				Optional:            true,
				Validators:          []validator.String{notBlank()},
			},
			"endpoints": schema.MapAttribute{
				MarkdownDescription: "Custom service endpoints, keyed by service. Supported keys: `cbr` (replaces `https://cbr.{region}.{cloud}`). A value without a scheme gets `https://`.",
				Optional:            true,
				ElementType:         types.StringType,
				Validators: []validator.Map{
					mapvalidator.KeysAre(stringvalidator.OneOf(endpointKeys...)),
					mapvalidator.ValueStringsAre(notBlank()),
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
	Region, ProjectID, AuthToken, Cloud string
	CBREndpoint                         string
	Insecure                            bool
	// CACertFile is the CA bundle's path; CACertSource names where it was
	// set (cacert_file or HW_CACERT), for error messages.
	CACertFile, CACertSource string
	MaxRetries               int
}

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
		ProjectID:      s.ProjectID,
		Auth:           cbr.TokenAuth(s.AuthToken),
		HTTPClient:     hc,
		UserAgent:      fmt.Sprintf("terraform-provider-cbr/%s terraform/%s", p.version, req.TerraformVersion),
		MaxRetries:     s.MaxRetries,
		RetryBaseDelay: p.retryBaseDelay,
		RetryMaxDelay:  p.retryMaxDelay,
		Secrets:        []string{s.AuthToken},
	})
	if err != nil {
		resp.Diagnostics.AddError("Unable to Create CBR Client", err.Error())
		return
	}
	resp.ResourceData = client
	resp.DataSourceData = client
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
// defaults, and reports what is missing or unknown on the attribute's path.
func resolveSettings(m providerModel, getenv func(string) string) (settings, diag.Diagnostics) {
	var diags diag.Diagnostics
	var s settings

	str := func(attr string, v types.String, env string) string {
		if v.IsUnknown() {
			diags.AddAttributeError(path.Root(attr), "Unknown Provider Value: "+attr,
				fmt.Sprintf("The provider cannot be configured because %s is not known until apply. Set it to a value known at plan time, or leave it out and set the %s environment variable.", attr, env))
			return ""
		}
		if !v.IsNull() {
			return strings.TrimSpace(v.ValueString())
		}
		return strings.TrimSpace(getenv(env))
	}
	s.Region = str("region", m.Region, envRegion)
	s.ProjectID = str("project_id", m.ProjectID, envProjectID)
	s.AuthToken = str("auth_token", m.AuthToken, envAuthToken)
	s.Cloud = str("cloud", m.Cloud, envCloud)
	if s.Cloud == "" {
		s.Cloud = defaultCloud
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
	if diags.HasError() {
		return s, diags
	}

	if s.ProjectID == "" {
		diags.AddAttributeError(path.Root("project_id"), "Missing Project ID",
			"The provider needs the ID of the project to synchronize backups into. Set project_id in the provider block or the "+envProjectID+" environment variable.")
	}
	if s.AuthToken == "" {
		diags.AddAttributeError(path.Root("auth_token"), "Missing Credentials",
			"The provider needs an IAM token to call CBR. Set auth_token in the provider block or the "+envAuthToken+" environment variable.")
	}
	s.CBREndpoint = endpoints["cbr"]
	if s.CBREndpoint == "" {
		if s.Region == "" {
			diags.AddAttributeError(path.Root("region"), "Missing Region",
				"The provider needs a region to find the CBR endpoint. Set region in the provider block or the "+envRegion+" environment variable, or set endpoints.cbr.")
		}
		s.CBREndpoint = fmt.Sprintf("https://cbr.%s.%s", s.Region, s.Cloud)
	}
	return s, diags
}

// normalizeEndpoint trims an endpoint, gives it https:// when it has no
// scheme, and checks it as the client will, so that a bad value is reported
// at plan time on its attribute.
func normalizeEndpoint(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", fmt.Errorf("the endpoint is empty")
	}
	if !strings.Contains(v, "://") {
		v = "https://" + v
	}
	if !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") {
		return "", fmt.Errorf("%q: only http:// and https:// endpoints are supported", v)
	}
	v = strings.TrimRight(v, "/")
	if _, err := cbr.ParseEndpoint(v); err != nil {
		return "", err
	}
	return v, nil
}

func (p *cbrProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{newBackupSyncResource}
}

func (p *cbrProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return nil
}
