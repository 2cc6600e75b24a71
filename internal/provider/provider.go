// Package provider is the Terraform side of terraform-provider-cbr: the
// provider (its schema, and Configure, which builds the CBR client), the
// resource cbr_backup_sync (schema, plan, apply, wait, import, state upgrades
// and the record book of replacements), its action, and the protocol server
// that answers cbr_backup_sync directly (server.go, backup_sync_direct.go).
//
// It imports internal/credentials, which resolves the provider block and the
// environment to credentials, project and endpoints, internal/oplogs, which
// owns the operation log data sources, and internal/cbr, which does all HTTP
// work; internal/cbrfake only in tests. Nothing imports it but main.
package provider

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
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
	"github.com/cbr-sync/terraform-provider-cbr/internal/credentials"
	"github.com/cbr-sync/terraform-provider-cbr/internal/oplogs"
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
	// metadataEndpoint replaces the ECS metadata service's address; tests
	// point it at a fake. Empty means cbr.DefaultMetadataEndpoint.
	metadataEndpoint string

	// client is the client Configure made, for the direct path of
	// cbr_backup_sync (server.go), which answers without the framework's
	// resource data.
	client atomic.Pointer[cbr.Client]
	// deferred tells whether Configure asked Terraform to defer.
	deferred atomic.Bool

	// books are the record books of cbr_backup_sync (recordBook), one per
	// scope, kept for the life of the process; book is the one of the
	// scope Configure chose, for directServer.
	books recordBooks
	book  atomic.Pointer[recordBook]
}

func (p *cbrProvider) configuredClient() *cbr.Client { return p.client.Load() }

func (p *cbrProvider) configuredBook() *recordBook { return p.book.Load() }

func (p *cbrProvider) configureDeferred() bool { return p.deferred.Load() }

func (p *cbrProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "cbr"
	resp.Version = p.version
}

func (p *cbrProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Imports (synchronizes) on-premises VMware backups stored in OBS into Huawei Cloud Backup and Recovery (CBR). " +
			"Authenticates, in this order of precedence when several are set, with an IAM token (`token`); an access key pair (`access_key`, `secret_key`, " +
			"with `security_token` for temporary credentials), taken from an OpenID Connect ID token (`assume_role_with_oidc`) or a Huawei Cloud CLI profile " +
			"(`shared_config_file`, `profile`) when those are set; an IAM user's password (`user_name` or `user_id`, `password`); " +
			"and, when none is set, the temporary credentials of the agency attached to the ECS the provider runs on (ECS metadata service). " +
			"`assume_role` then replaces the credentials by an agency's.",
		Blocks: map[string]schema.Block{
			"assume_role": schema.ListNestedBlock{
				MarkdownDescription: "Use the temporary credentials of an agency instead of the configured credentials: the configured credentials obtain the agency's " +
					"(IAM `POST /v3.0/OS-CREDENTIAL/securitytokens`, method `assume_role`) on the first API call, and those sign every call; they are shared by all " +
					"resources of the run and renewed before they expire. This is how a central account imports into the accounts it serves. " +
					"Several blocks assume a chain of agencies, each with the credentials of the one before. Without a block, `" + credentials.EnvAssumeAgency + "` " +
					"(with `" + credentials.EnvAssumeDomainName + "` or `" + credentials.EnvAssumeDomainID + "`, and `" + credentials.EnvAssumeDuration + "`) sets one.",
				NestedObject: schema.NestedBlockObject{Attributes: map[string]schema.Attribute{
					"agency_name": schema.StringAttribute{
						MarkdownDescription: "The name of the agency. Can also be set with `" + credentials.EnvAssumeAgency + "`.",
						Optional:            true, Validators: []validator.String{notBlank()},
					},
					"domain_name": schema.StringAttribute{
						MarkdownDescription: "The name of the account (IAM domain) the agency belongs to. Can also be set with `" + credentials.EnvAssumeDomainName + "`. One of `domain_name` and `domain_id` is required.",
						Optional:            true, Validators: []validator.String{notBlank()},
					},
					"domain_id": schema.StringAttribute{
						MarkdownDescription: "The ID of the account the agency belongs to, instead of `domain_name`. Can also be set with `" + credentials.EnvAssumeDomainID + "`.",
						Optional:            true, Validators: []validator.String{notBlank()},
					},
					"duration": schema.Int64Attribute{
						MarkdownDescription: fmt.Sprintf("How long the agency's credentials are valid, in seconds: %d to %d. Can also be set with `%s`. Defaults to IAM's default (15 minutes); the provider renews them before they expire.", credentials.MinAssumeDuration, credentials.MaxAssumeDuration, credentials.EnvAssumeDuration),
						Optional:            true, Validators: []validator.Int64{int64validator.Between(credentials.MinAssumeDuration, credentials.MaxAssumeDuration)},
					},
				}},
			},
			"assume_role_with_oidc": schema.ListNestedBlock{
				MarkdownDescription: "Exchange an OpenID Connect ID token (such as the workload identity token HCP Terraform gives each run) for the temporary credentials " +
					"of an agency, with no stored secret at all: IAM `POST /v3.0/OS-AUTH/id-token/tokens` with the identity provider `idp_id`, then temporary credentials " +
					"of the federated user, then the agency's (`assume_role`). Takes precedence over `access_key` and `profile`; `token` takes precedence over it. " +
					"Without a block, `" + credentials.EnvAssumeIdpID + "` sets it, with the other `HW_ASSUME_ROLE_*` variables.",
				Validators: []validator.List{listvalidator.SizeAtMost(1)},
				NestedObject: schema.NestedBlockObject{Attributes: map[string]schema.Attribute{
					"agency_name": schema.StringAttribute{
						MarkdownDescription: "The name of the agency whose credentials sign the calls. Can also be set with `" + credentials.EnvAssumeAgency + "`.",
						Optional:            true, Validators: []validator.String{notBlank()},
					},
					"domain_id": schema.StringAttribute{
						MarkdownDescription: "The ID of the account the agency belongs to. Can also be set with `" + credentials.EnvAssumeDomainID + "`.",
						Optional:            true, Validators: []validator.String{notBlank()},
					},
					"idp_id": schema.StringAttribute{
						MarkdownDescription: "The ID of the OpenID Connect identity provider configured in IAM. Can also be set with `" + credentials.EnvAssumeIdpID + "`.",
						Optional:            true, Validators: []validator.String{notBlank()},
					},
					"id_token": schema.StringAttribute{
						MarkdownDescription: "The ID token. Can also be set with `" + credentials.EnvAssumeIDToken + "`. Set `id_token` or `id_token_file`; when neither is set, " +
							"the provider uses `" + credentials.EnvTFCWorkloadToken + "`, the workload identity token HCP Terraform (Terraform Cloud) gives the run.",
						Optional: true, Sensitive: true, Validators: []validator.String{notBlank()},
					},
					"id_token_file": schema.StringAttribute{
						MarkdownDescription: "The path of a file holding the ID token, read again whenever the credentials are renewed. Can also be set with `" + credentials.EnvAssumeIDTokenFile + "`.",
						Optional:            true, Validators: []validator.String{notBlank()},
					},
					"duration": schema.Int64Attribute{
						MarkdownDescription: fmt.Sprintf("How long the agency's credentials are valid, in seconds: %d to %d. Can also be set with `%s`. Defaults to IAM's default; the provider renews them before they expire.", credentials.MinAssumeDuration, credentials.MaxAssumeDuration, credentials.EnvAssumeDuration),
						Optional:            true, Validators: []validator.Int64{int64validator.Between(credentials.MinAssumeDuration, credentials.MaxAssumeDuration)},
					},
				}},
			},
		},
		Attributes: map[string]schema.Attribute{
			"region": schema.StringAttribute{
				MarkdownDescription: "The Huawei Cloud region, for example `cn-north-4`. Used to build the default endpoints, and as the name of the project " +
					"whose ID is looked up when `project_id` is not set. Can also be set with `" + credentials.EnvRegion + "`. Required, unless `endpoints.cbr` and `project_id` are set " +
					"(and, for password authentication, `auth_url` or `endpoints.iam`).",
				Optional:   true,
				Validators: []validator.String{notBlank()},
			},
			"project_id": schema.StringAttribute{
				MarkdownDescription: "The ID of the project the backups are synchronized into. Can also be set with `" + credentials.EnvProjectID + "`. " +
					"When it is not set, the provider looks up the ID of the project named after `region` in IAM on its first API call " +
					"(`GET /v3/auth/projects`, the projects the credentials may use, which needs no right to list the account's projects; with password authentication the ID comes with the IAM token instead), once per run.",
				Optional:   true,
				Validators: []validator.String{notBlank()},
			},
			"token": schema.StringAttribute{
				MarkdownDescription: "An IAM user token, sent as `X-Auth-Token`. Takes precedence over the other credentials. " +
					"IAM tokens are valid for 24 hours and cannot be renewed by the provider: when a token is refused, get a new one. " +
					"Can also be set with `" + credentials.EnvAuthToken + "`.",
				Optional:   true,
				Sensitive:  true,
				Validators: []validator.String{notBlank()},
			},
			"auth_token": schema.StringAttribute{
				MarkdownDescription: "The former name of `token`, kept as an alias. Can also be set with `" + credentials.EnvAuthToken + "`.",
				DeprecationMessage:  "Use token instead: auth_token is an alias of token, kept so that existing configurations keep working, and will be removed in a future major version.",
				Optional:            true,
				Sensitive:           true,
				Validators:          []validator.String{notBlank()},
			},
			"access_key": schema.StringAttribute{
				MarkdownDescription: "The access key ID (AK) of an access key pair; every request is signed with it and `secret_key` (SDK-HMAC-SHA256). " +
					"Takes precedence over password authentication. Can also be set with `" + credentials.EnvAccessKey + "`.",
				Optional:   true,
				Validators: []validator.String{notBlank()},
			},
			"secret_key": schema.StringAttribute{
				MarkdownDescription: "The secret access key (SK) of `access_key`. Can also be set with `" + credentials.EnvSecretKey + "`.",
				Optional:            true,
				Sensitive:           true,
				Validators:          []validator.String{notBlank()},
			},
			"security_token": schema.StringAttribute{
				MarkdownDescription: "The security token of temporary credentials, for use with the temporary `access_key` and `secret_key` it was issued with. " +
					"Sent as `X-Security-Token` and signed. Can also be set with `" + credentials.EnvSecurityToken + "`.",
				Optional:   true,
				Sensitive:  true,
				Validators: []validator.String{notBlank()},
			},
			"user_name": schema.StringAttribute{
				MarkdownDescription: "The name of an IAM user, for password authentication: the provider exchanges `user_name`, `password` and `domain_name` " +
					"for an IAM token (`POST {auth_url}/auth/tokens`) on its first API call, uses it for every call of the run and renews it before it expires. " +
					"Can also be set with `" + credentials.EnvUserName + "`.",
				Optional:   true,
				Validators: []validator.String{notBlank()},
			},
			"password": schema.StringAttribute{
				MarkdownDescription: "The password of `user_name`. Can also be set with `" + credentials.EnvPassword + "`.",
				Optional:            true,
				Sensitive:           true,
				Validators:          []validator.String{notBlank()},
			},
			"domain_name": schema.StringAttribute{
				MarkdownDescription: "The name of the account (IAM domain) `user_name` belongs to. Password authentication with `user_name` needs it or `domain_id`; ignored otherwise. " +
					"Can also be set with `" + credentials.EnvDomainName + "`.",
				Optional:   true,
				Validators: []validator.String{notBlank()},
			},
			"domain_id": schema.StringAttribute{
				MarkdownDescription: "The ID of the account `user_name` belongs to, instead of `domain_name`. Can also be set with `" + credentials.EnvDomainID + "`.",
				Optional:            true,
				Validators:          []validator.String{notBlank()},
			},
			"user_id": schema.StringAttribute{
				MarkdownDescription: "The ID of an IAM user, for password authentication instead of `user_name` (no domain needed). Can also be set with `" + credentials.EnvUserID + "`.",
				Optional:            true,
				Validators:          []validator.String{notBlank()},
			},
			"project_name": schema.StringAttribute{
				MarkdownDescription: "The name of the project whose ID is looked up when `project_id` is not set, for sub-projects such as `cn-north-4_backup`. " +
					"Can also be set with `" + credentials.EnvProjectName + "`. Defaults to `region`.",
				Optional:   true,
				Validators: []validator.String{notBlank()},
			},
			"shared_config_file": schema.StringAttribute{
				MarkdownDescription: "The path of the Huawei Cloud CLI (KooCLI) configuration file to read credentials from, as the official provider does: " +
					"an access key pair (with its security token), or the temporary credentials of an SSO profile, and the profile's region, project ID " +
					"and agency (`assume_role`). Can also be set with `" + credentials.EnvSharedConfigFile + "`. Defaults to `~/.hcloud/config.json` when `profile` is set. " +
					"Its values replace `access_key`, `secret_key`, `security_token`, `region` and `project_id`.",
				Optional:   true,
				Validators: []validator.String{notBlank()},
			},
			"profile": schema.StringAttribute{
				MarkdownDescription: "The profile of `shared_config_file` to use. Can also be set with `" + credentials.EnvProfile + "`. Defaults to the file's current profile.",
				Optional:            true,
				Validators:          []validator.String{notBlank()},
			},
			"auth_url": schema.StringAttribute{
				MarkdownDescription: "The IAM identity endpoint, with its version, used for password authentication and the project ID lookup. " +
					"Can also be set with `" + credentials.EnvAuthURL + "`. Defaults to `https://iam.{region}.{cloud}/v3`. A URL without a path gets `/v3`. " +
					"`endpoints.iam` takes precedence over it.",
				Optional:   true,
				Validators: []validator.String{notBlank(), credentials.EndpointValue()},
			},
			"cloud": schema.StringAttribute{
				MarkdownDescription: "The domain name of the cloud, used in the default endpoints `https://{service}.{region}.{cloud}`. Can also be set with `" + credentials.EnvCloud + "`. " +
					"Defaults to `" + credentials.EuropeCloud + "` for regions whose name starts with `" + credentials.EuropeRegionPrefix + "` and to `" + credentials.DefaultCloud + "` for the others.",
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
					mapvalidator.KeysAre(stringvalidator.OneOf(credentials.EndpointKeys...)),
					mapvalidator.ValueStringsAre(notBlank(), credentials.EndpointValue()),
				},
			},
			"insecure": schema.BoolAttribute{
				MarkdownDescription: "Skip verification of the API's TLS certificate, which lets anyone who can intercept the connection read the credentials. Only for testing: the provider warns when it is set. To trust a private CA, use `cacert_file` instead. Can also be set with `" + credentials.EnvInsecure + "`. Defaults to `false`.",
				Optional:            true,
			},
			"cacert_file": schema.StringAttribute{
				MarkdownDescription: "The path of a PEM file of CA certificates to trust, in addition to the system's, when verifying the API's TLS certificate (for example behind a TLS-inspecting proxy). Can also be set with `" + credentials.EnvCACert + "`. " +
					"Proxies are taken from the `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` environment variables.",
				Optional:   true,
				Validators: []validator.String{notBlank()},
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How many times a request that failed with a temporary error is sent again: %d to %d. Can also be set with `%s`. Defaults to `%d`; `0` disables retries.\n\n", 0, cbr.MaxRetriesLimit, credentials.EnvMaxRetries, cbr.DefaultMaxRetries) +
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

// Configure validates the configuration and builds the client. It sends no
// request: the client authenticates, and looks the project up, on its first
// API call, so that a plan makes no API call at all.
func (p *cbrProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	// Recorded for directServer, which answers directly only for a provider
	// that did not defer (this one never does).
	defer func() { p.deferred.Store(resp.Deferred != nil) }()
	var m credentials.Config
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	s, diags := credentials.Resolve(m, p.getenv)
	s.MetadataEndpoint = p.metadataEndpoint
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}

	if s.Insecure {
		detail := "The provider does not verify the TLS certificate of the CBR API (insecure = true or " + credentials.EnvInsecure + "), so anyone who can intercept the connection can read the credentials and change the answers. Use it only for testing; to trust a private CA, set cacert_file instead."
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
		ProjectName:    s.ProjectName,
		Auth:           s.Authenticator(),
		AssumeRoles:    s.AssumeRoles,
		HTTPClient:     hc,
		UserAgent:      fmt.Sprintf("terraform-provider-cbr/%s terraform/%s", p.version, req.TerraformVersion),
		MaxRetries:     s.MaxRetries,
		RetryBaseDelay: p.retryBaseDelay,
		RetryMaxDelay:  p.retryMaxDelay,
		Secrets:        s.Secrets(),
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
	book := p.books.forScope(bookScope(s))
	p.client.Store(client)
	p.book.Store(book)
	resp.ResourceData = &resourceData{client: client, book: book}
	resp.DataSourceData = client
	resp.ActionData = client
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

// configuredClient is the client the provider's Configure made, as the
// action and data sources receive it (see oplogs.ConfiguredClient).
var configuredClient = oplogs.ConfiguredClient

func (p *cbrProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{newBackupSyncResource}
}

func (p *cbrProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return oplogs.DataSources(describeError)
}
