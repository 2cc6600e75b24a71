package provider

import (
	"context"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
	"github.com/cbr-sync/terraform-provider-cbr/internal/credentials"
)

// notBlank rejects strings that are empty or only white space.
func notBlank() validator.String { return notBlankValidator{} }

type notBlankValidator struct{}

func (notBlankValidator) Description(context.Context) string {
	return "value must not be empty or only white space"
}

func (v notBlankValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (notBlankValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if strings.TrimSpace(req.ConfigValue.ValueString()) == "" {
		resp.Diagnostics.AddAttributeError(reportPath(req.Path), "Blank Value",
			fmt.Sprintf("%s must not be empty or only white space, got %q.", req.Path, req.ConfigValue.ValueString()))
	}
}

// reportPath is where a diagnostic about the value at p is reported: the
// entry of backups for an attribute of an entry (backups["<id>"].<name>
// gives backups["<id>"]), p itself otherwise. Terraform finds the source of
// an entry of a map attribute (the entry's value in a literal, the whole
// expression otherwise) but not of an attribute inside it, for which it
// would show the resource's first line; the message names the attribute.
func reportPath(p path.Path) path.Path {
	steps := p.Steps()
	if len(steps) == 3 && steps[0] == path.PathStepAttributeName("backups") {
		if _, ok := steps[1].(path.PathStepElementKeyString); ok {
			return p.ParentPath()
		}
	}
	return p
}

// backupsCheck checks the backups map as a whole: its size, each key
// against the entry's backup_id, and the resource types (one warning for all
// the entries that use an undocumented one). It checks the whole resource
// rather than the map attribute: an error of a map attribute's validator
// stops the validation of its entries, which would hide every other mistake
// in them.
func backupsCheck() resource.ConfigValidator {
	return backupsCheckValidator{limit: maxBackupsPerResource}
}

// backupsCheckValidator is backupsCheck: limit is the most entries backups
// may hold. The framework runs it through ValidateResource, the direct path
// (backup_sync_direct.go) through check, on the map it decoded.
type backupsCheckValidator struct {
	limit int
}

func (v backupsCheckValidator) Description(context.Context) string {
	return fmt.Sprintf("backups holds 1 to %d entries, each keyed by its backup_id", v.limit)
}

func (v backupsCheckValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v backupsCheckValidator) ValidateResource(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m types.Map
	if diags := req.Config.GetAttribute(ctx, path.Root("backups"), &m); diags.HasError() {
		return // the schema validation reports what is wrong with the map
	}
	checkBackupsMap(path.Root("backups"), m, v.limit, &resp.Diagnostics)
}

// check is ValidateResource on a known backups map.
func (v backupsCheckValidator) check(backups map[string]backupModel, diags *diag.Diagnostics) {
	checkBackups(path.Root("backups"), backups, v.limit, diags)
}

// checkBackupsMap is checkBackups on a backups map value at p: nothing when
// the map is null or unknown; an entry that is null or unknown counts as one
// that gives neither backup_id nor resource_type.
func checkBackupsMap(p path.Path, m types.Map, limit int, diags *diag.Diagnostics) {
	if m.IsNull() || m.IsUnknown() {
		return
	}
	elems := m.Elements()
	backups := make(map[string]backupModel, len(elems))
	for k, e := range elems {
		backups[k] = backupModel{BackupID: objectString(e, "backup_id"), ResourceType: objectString(e, "resource_type")}
	}
	checkBackups(p, backups, limit, diags)
}

// checkBackups reports what is wrong with the backups map at p as a whole:
// no entry, more than limit entries (limit 0: no limit), a blank key, an entry
// whose backup_id differs from its key; and it warns once about every entry
// whose resource_type CBR does not document. Only backup_id and
// resource_type of the entries are read, where known.
func checkBackups(p path.Path, backups map[string]backupModel, limit int, diags *diag.Diagnostics) {
	switch n := len(backups); {
	case n == 0:
		diags.AddAttributeError(p, "No Backups", fmt.Sprintf("%s is empty: give at least one backup.", p))
		return
	case limit > 0 && n > limit:
		// Without an attribute path: Terraform would quote the whole
		// expression of backups, which can be thousands of lines.
		diags.AddError("Too Many Backups",
			fmt.Sprintf("%s holds %d backups; one cbr_backup_sync holds at most %d, so that a plan, which compares every backup with the state, stays quick. "+
				"Split the inventory into several cbr_backup_sync resources by something that never changes for a backup, "+
				"such as the year of created_at or the first character of backup_id, so that no backup ever moves from one resource to another "+
				"(a backup that moves is sent again). examples/inventory shows how.", p, n, limit))
		return
	}
	keys := make([]string, 0, len(backups))
	for k := range backups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var typed [][2]string
	for _, k := range keys {
		at := p.AtMapKey(k)
		if strings.TrimSpace(k) == "" {
			diags.AddAttributeError(at, "Blank Backup ID", fmt.Sprintf("%s has an entry whose key, its backup_id, is %q: keys must not be empty or only white space.", p, k))
			continue
		}
		b := backups[k]
		if id := b.BackupID; !id.IsNull() && !id.IsUnknown() && id.ValueString() != k {
			diags.AddAttributeError(at, "Backup ID Differs From Its Key",
				fmt.Sprintf("%s is %q, but the entry's key is %q. Each entry is keyed by its backup_id: leave backup_id out, or make it equal to the key.", at.AtName("backup_id"), id.ValueString(), k))
		}
		if t := b.ResourceType; !t.IsNull() && !t.IsUnknown() {
			typed = append(typed, [2]string{k, t.ValueString()})
		}
	}
	if d := unknownTypesWarning(p, typed); d != nil {
		diags.Append(d)
	}
}

// unknownTypesWarning is the one warning about every entry of the backups
// map at p whose resource_type CBR does not document, given the entries'
// keys and resource types (blank types are left to notBlank); nil when there
// is none. It is on the path of the first such entry, by key (see
// reportPath).
func unknownTypesWarning(p path.Path, typed [][2]string) diag.Diagnostic {
	var odd [][2]string
	for _, kt := range typed {
		if strings.TrimSpace(kt[1]) != "" && !knownType(kt[1]) {
			odd = append(odd, kt)
		}
	}
	if len(odd) == 0 {
		return nil
	}
	sort.Slice(odd, func(i, j int) bool { return odd[i][0] < odd[j][0] })
	shown := make([]string, len(odd))
	for i, kt := range odd {
		shown[i] = fmt.Sprintf("%s (%q)", kt[0], kt[1])
	}
	names := make([]string, len(resourceTypes))
	for i, t := range resourceTypes {
		names[i] = t.name
	}
	return diag.NewAttributeWarningDiagnostic(p.AtMapKey(odd[0][0]), "Unknown Resource Type",
		fmt.Sprintf("%s in %s %s a resource_type that CBR does not document (it documents %s): %s. It is sent as written, and CBR may refuse it or record the backup with a wrong type; "+
			"on-premises VMware backups use %s, the default.", capitalize(backupCount(len(odd))), p, hasHave(len(odd)), strings.Join(names, ", "), listIDs(shown, planIDLimit), cbr.DefaultResourceType))
}

// hasHave is "has" for one, "have" for more.
func hasHave(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}

var _ resource.ResourceWithConfigValidators = (*backupSyncResource)(nil)

// ConfigValidators checks what concerns several attributes of the resource.
func (r *backupSyncResource) ConfigValidators(context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{backupsCheck()}
}

// backupNameLength rejects a backup_name longer than the API accepts, in
// characters, showing the length and the start of the name.
func backupNameLength() validator.String { return backupNameLengthValidator{} }

type backupNameLengthValidator struct{}

func (backupNameLengthValidator) Description(context.Context) string {
	return fmt.Sprintf("value must be at most %d characters long", cbr.MaxBackupNameLength)
}

func (v backupNameLengthValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (backupNameLengthValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	name := req.ConfigValue.ValueString()
	n := utf8.RuneCountInString(name)
	if n <= cbr.MaxBackupNameLength {
		return
	}
	resp.Diagnostics.AddAttributeError(reportPath(req.Path), "Backup Name Too Long",
		fmt.Sprintf("%s is %d characters long, more than the %d CBR accepts: %q.", req.Path, n, cbr.MaxBackupNameLength, shorten(name, 32)))
}

// shorten cuts s after n characters, marking the cut with "…".
func shorten(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos] + "…"
		}
		i++
	}
	return s
}

// createdAt checks a created_at value: a whole number of seconds since the
// Unix epoch that fits the API's 32-bit integer. A fraction is refused with
// the reminder that whole seconds are expected, and a value that reads as
// milliseconds gets a hint.
func createdAt() validator.Number { return createdAtValidator{} }

type createdAtValidator struct{}

func (createdAtValidator) Description(context.Context) string {
	return fmt.Sprintf("value must be a whole number of seconds since the Unix epoch, between 1 and %d", cbr.MaxCreatedAt)
}

func (v createdAtValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (createdAtValidator) ValidateNumber(ctx context.Context, req validator.NumberRequest, resp *validator.NumberResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	f := req.ConfigValue.ValueBigFloat()
	if f == nil {
		return
	}
	if createdAtInRange(f) {
		return
	}
	shown := f.Text('f', -1)
	if !f.IsInt() {
		resp.Diagnostics.AddAttributeError(reportPath(req.Path), "Invalid Backup Time",
			fmt.Sprintf("%s must be a whole number of seconds since the Unix epoch, got %s. CBR takes whole seconds, for example 1548898428.", req.Path, shown))
		return
	}
	detail := fmt.Sprintf("%s value must be between 1 and %d, got: %s. created_at is in seconds since the Unix epoch, which the API takes as a 32-bit integer.", req.Path, cbr.MaxCreatedAt, shown)
	// Milliseconds since the epoch are 1000 times a time in range.
	ms := new(big.Float).Quo(f, big.NewFloat(1000))
	if ms.IsInt() && ms.Cmp(big.NewFloat(1e9)) >= 0 && ms.Cmp(big.NewFloat(cbr.MaxCreatedAt)) <= 0 {
		secs, _ := ms.Int64()
		detail += fmt.Sprintf(" This looks like milliseconds: in seconds it is %d (%s).", secs, time.Unix(secs, 0).UTC().Format(time.RFC3339))
	}
	resp.Diagnostics.AddAttributeError(reportPath(req.Path), "Invalid Backup Time", detail)
}

// knownType reports whether t is one of the resource types CBR documents.
func knownType(t string) bool {
	for _, k := range resourceTypes {
		if k.name == t {
			return true
		}
	}
	return false
}

// createdAtInRange reports whether f is a created_at CBR takes: a whole
// number of seconds from 1 to cbr.MaxCreatedAt.
func createdAtInRange(f *big.Float) bool {
	return f != nil && f.IsInt() && f.Cmp(big.NewFloat(1)) >= 0 && f.Cmp(big.NewFloat(cbr.MaxCreatedAt)) <= 0
}

// createdAtSeconds is the created_at value to send, validated at plan time
// to be a whole number that fits.
func createdAtSeconds(v types.Number) int32 {
	f := v.ValueBigFloat()
	if f == nil {
		return 0
	}
	n, _ := f.Int64()
	return int32(min(max(n, 0), cbr.MaxCreatedAt))
}

// resourceTypes are the resource types CBR documents for the objects it
// backs up (huaweicloud-sdk-go-v3, services/cbr/v1/model, Resource.Type).
var resourceTypes = []struct{ name, what string }{
	{cbr.DefaultResourceType, "servers outside Huawei Cloud, such as on-premises VMware VMs (the default)"},
	{"OS::Nova::Server", "ECS cloud servers"},
	{"OS::Cinder::Volume", "EVS disks"},
	{"OS::Ironic::BareMetalServer", "bare metal servers (BMS)"},
	{"OS::Sfs::Turbo", "SFS Turbo file systems"},
	{"OS::Workspace::DesktopV2", "Workspace desktops"},
}

// resourceTypesMarkdown lists resourceTypes for the docs.
func resourceTypesMarkdown() string {
	parts := make([]string, len(resourceTypes))
	for i, t := range resourceTypes {
		parts[i] = fmt.Sprintf("`%s` for %s", t.name, t.what)
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// objectString returns a string attribute of an object value: null when the
// object is null or unknown, or has no such string attribute.
func objectString(v attr.Value, name string) types.String {
	obj, ok := v.(types.Object)
	if !ok || obj.IsNull() || obj.IsUnknown() {
		return types.StringNull()
	}
	s, ok := obj.Attributes()[name].(types.String)
	if !ok {
		return types.StringNull()
	}
	return s
}

var _ provider.ProviderWithConfigValidators = (*cbrProvider)(nil)

// ConfigValidators checks what can be checked in the provider block alone,
// whatever the environment holds; Configure checks the rest.
func (p *cbrProvider) ConfigValidators(context.Context) []provider.ConfigValidator {
	return []provider.ConfigValidator{credentials.ConflictValidator()}
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
