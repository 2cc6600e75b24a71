package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
)

// notBlank rejects strings that are empty or only white space.
func notBlank() validator.String { return notBlankValidator{} }

type notBlankValidator struct{}

func (notBlankValidator) Description(context.Context) string {
	return "value must not be empty or only white space"
}

func (v notBlankValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (notBlankValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if strings.TrimSpace(req.ConfigValue.ValueString()) == "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Blank Value",
			fmt.Sprintf("%s must not be empty or only white space, got %q.", req.Path, req.ConfigValue.ValueString()))
	}
}

// uniqueBackupIDs rejects a backups list in which two entries have the same
// backup_id, naming both indexes.
func uniqueBackupIDs() validator.List { return uniqueBackupIDsValidator{} }

type uniqueBackupIDsValidator struct{}

func (uniqueBackupIDsValidator) Description(context.Context) string {
	return "each backup_id may appear only once"
}

func (v uniqueBackupIDsValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (uniqueBackupIDsValidator) ValidateList(_ context.Context, req validator.ListRequest, resp *validator.ListResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	first := map[string]int{}
	for i, elem := range req.ConfigValue.Elements() {
		id, ok := objectString(elem, "backup_id")
		if !ok {
			continue
		}
		if j, seen := first[id]; seen {
			resp.Diagnostics.AddAttributeError(req.Path.AtListIndex(i).AtName("backup_id"), "Duplicate Backup ID",
				fmt.Sprintf("backups[%d].backup_id %q is already given by backups[%d]; each backup can be synchronized only once per request.", i, id, j))
			continue
		}
		first[id] = i
	}
}

// objectString returns a known string attribute of an object value.
func objectString(v attr.Value, name string) (string, bool) {
	obj, ok := v.(types.Object)
	if !ok || obj.IsNull() || obj.IsUnknown() {
		return "", false
	}
	s, ok := obj.Attributes()[name].(types.String)
	if !ok || s.IsNull() || s.IsUnknown() {
		return "", false
	}
	return s.ValueString(), true
}

var _ provider.ProviderWithConfigValidators = (*cbrProvider)(nil)

// ConfigValidators checks what can be checked in the provider block alone,
// whatever the environment holds; Configure checks the rest.
func (p *cbrProvider) ConfigValidators(context.Context) []provider.ConfigValidator {
	return []provider.ConfigValidator{credentialsConflictValidator{}}
}

// credentialGroups are the attributes of each way to authenticate, in order
// of precedence.
var credentialGroups = [][]string{
	{"auth_token"},
	{"access_key", "secret_key", "security_token"},
	{"user_name", "password"},
}

// credentialsConflictValidator rejects a provider block that sets attributes
// of more than one way to authenticate. (Between the provider block and the
// environment, or within the environment, the order of precedence decides.)
type credentialsConflictValidator struct{}

func (credentialsConflictValidator) Description(context.Context) string {
	return "the provider block sets the credentials of one way to authenticate only"
}

func (v credentialsConflictValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (credentialsConflictValidator) ValidateProvider(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
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
				"auth_token; access_key and secret_key (with security_token for temporary credentials); user_name, password and domain_name.",
				strings.Join(groups[0], ", "), strings.Join(g, ", ")))
	}
}

// positiveDuration rejects durations that are zero or negative. Whether the
// value parses at all is checked by the timeouts package's own validator.
func positiveDuration() validator.String { return positiveDurationValidator{} }

type positiveDurationValidator struct{}

func (positiveDurationValidator) Description(context.Context) string {
	return "value must be a positive duration"
}

func (v positiveDurationValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (positiveDurationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	d, err := time.ParseDuration(req.ConfigValue.ValueString())
	if err == nil && d <= 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Timeout",
			fmt.Sprintf("%s must be a positive duration such as \"30m\", got %q.", req.Path, req.ConfigValue.ValueString()))
	}
}

// operationLogID rejects values that cannot be an operation log ID, which
// is sent as a URL path segment. Blank values are left to notBlank.
func operationLogID() validator.String { return operationLogIDValidator{} }

type operationLogIDValidator struct{}

func (operationLogIDValidator) Description(context.Context) string {
	return "value must be an operation log ID: letters, digits, '-', '_', '.' and '~' only"
}

func (v operationLogIDValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (operationLogIDValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	v := req.ConfigValue.ValueString()
	if strings.TrimSpace(v) == "" || cbr.OperationLogIDPattern.MatchString(v) {
		return
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Invalid Operation Log ID",
		fmt.Sprintf("%s %q is not an operation log ID. Operation log IDs are UUIDs such as 154f0a9d-ba53-4e91-a3e2-a918710a9e0d; only letters, digits, '-', '_', '.' and '~' are allowed.", req.Path, v))
}
