package credentials

// The provider block as the framework reads it, and the checks of the block
// alone, made whatever the environment holds.

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Config is the provider block; the provider's schema declares its
// attributes.
type Config struct {
	Region        types.String `tfsdk:"region"`
	ProjectID     types.String `tfsdk:"project_id"`
	Token         types.String `tfsdk:"token"`
	AuthToken     types.String `tfsdk:"auth_token"`
	AccessKey     types.String `tfsdk:"access_key"`
	SecretKey     types.String `tfsdk:"secret_key"`
	SecurityToken types.String `tfsdk:"security_token"`
	UserName      types.String `tfsdk:"user_name"`
	Password      types.String `tfsdk:"password"`
	DomainName    types.String `tfsdk:"domain_name"`
	DomainID      types.String `tfsdk:"domain_id"`
	UserID        types.String `tfsdk:"user_id"`
	ProjectName   types.String `tfsdk:"project_name"`

	AssumeRole         []AssumeRole `tfsdk:"assume_role"`
	AssumeRoleWithOIDC []OIDC       `tfsdk:"assume_role_with_oidc"`
	SharedConfigFile   types.String `tfsdk:"shared_config_file"`
	Profile            types.String `tfsdk:"profile"`

	AuthURL    types.String `tfsdk:"auth_url"`
	Cloud      types.String `tfsdk:"cloud"`
	Endpoints  types.Map    `tfsdk:"endpoints"`
	Insecure   types.Bool   `tfsdk:"insecure"`
	CACertFile types.String `tfsdk:"cacert_file"`
	MaxRetries types.Int64  `tfsdk:"max_retries"`
}

// AssumeRole is an assume_role block.
type AssumeRole struct {
	AgencyName types.String `tfsdk:"agency_name"`
	DomainName types.String `tfsdk:"domain_name"`
	DomainID   types.String `tfsdk:"domain_id"`
	Duration   types.Int64  `tfsdk:"duration"`
}

// OIDC is an assume_role_with_oidc block.
type OIDC struct {
	AgencyName  types.String `tfsdk:"agency_name"`
	DomainID    types.String `tfsdk:"domain_id"`
	IdpID       types.String `tfsdk:"idp_id"`
	IDToken     types.String `tfsdk:"id_token"`
	IDTokenFile types.String `tfsdk:"id_token_file"`
	Duration    types.Int64  `tfsdk:"duration"`
}

// EndpointKeys are the services whose endpoint the endpoints map may override.
var EndpointKeys = []string{"cbr", "iam"}

// credentialGroups are the attributes of each way to authenticate, in order
// of precedence.
var credentialGroups = [][]string{
	{"token", "auth_token"},
	{"access_key", "secret_key", "security_token"},
	{"user_name", "user_id", "password"},
}

// ConflictValidator rejects a provider block that sets attributes of more
// than one way to authenticate. (Between the provider block and the
// environment, or within the environment, the order of precedence decides.)
func ConflictValidator() provider.ConfigValidator {
	return conflictValidator{"the provider block sets the credentials of one way to authenticate only"}
}

type conflictValidator struct{ description }

func (conflictValidator) ValidateProvider(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var groups [][]string
	for _, g := range credentialGroups {
		var set []string
		for _, attr := range g {
			var v types.String
			resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root(attr), &v)...)
			// A value not known yet is checked by Configure, once known.
			if !v.IsNull() && !v.IsUnknown() {
				set = append(set, attr)
			}
		}
		if len(set) > 0 {
			groups = append(groups, set)
		}
	}
	for _, g := range groups[min(1, len(groups)):] {
		resp.Diagnostics.AddAttributeError(path.Root(g[0]), "Conflicting Credentials",
			fmt.Sprintf("The provider block sets %s and %s, which are two ways to authenticate. Set only one of: "+
				"token; access_key and secret_key (with security_token for temporary credentials); user_name (or user_id), password and domain_name.",
				strings.Join(groups[0], ", "), strings.Join(g, ", ")))
	}
}

// description is the description of a validator, in plain text and
// Markdown alike.
type description string

func (d description) Description(context.Context) string { return string(d) }

func (d description) MarkdownDescription(context.Context) string { return string(d) }
