package provider

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
)

// directBackupSync answers ValidateResourceConfig, PlanResourceChange and
// ApplyResourceChange of cbr_backup_sync from the protocol's values, without
// the framework's per-value work: each value is decoded once into the
// resource's model, planned or applied by the very functions the framework
// path calls (planBackups, planDestroy, planUnchanged, applyModel), and
// encoded once.
//
// It answers only where the framework's answer is known to be the same, and
// otherwise says so (ok false) so that the framework answers:
//
//   - validate: when every check of the schema's validators passes, the
//     framework's answer is "no diagnostics", and so is this one. As soon as
//     any value would get a diagnostic (an error or a warning, such as an
//     unknown resource_type), the framework validates, so every message keeps
//     its wording and its attribute path.
//   - plan: when the configuration and the state are wholly known. The
//     planned state is the configuration with the schema's defaults, the
//     state's id, and what planBackups decides for each backup.
//   - apply: whenever the provider is configured; the outcome is what
//     applyModel records, as with the framework.
//
// Private state and identity, which the resource does not use, always go to
// the framework. In tests (serverOptions.check) every direct validation and
// plan is compared with the framework's on the same request.
type directBackupSync struct {
	typ      tftypes.Object
	entry    tftypes.Object
	triggers tftypes.Map
	timeouts tftypes.Object
	// timeoutAttrs are the attribute types of timeouts, as the framework
	// builds them.
	timeoutAttrs map[string]attr.Type
	// newResource makes the resource, as the framework does for each call.
	newResource func() *backupSyncResource
}

// backupSyncAttributes and backupEntryAttributes are the attributes the
// direct path knows; newDirectBackupSync refuses a schema with any other.
var (
	backupSyncAttributes  = []string{"id", "backups", "wait_for_completion", "fail_on_import_failure", "triggers", "timeouts"}
	backupEntryAttributes = []string{"backup_id", "backup_name", "bucket_name", "image_path", "resource_id", "resource_name", "resource_type", "created_at", "operation_log_id", "status", "sync_state"}
)

// newDirectBackupSync returns the direct path for a resource of type typ,
// or an error when typ is not the shape it knows (then the framework answers
// every call).
func newDirectBackupSync(typ tftypes.Type, newResource func() *backupSyncResource) (*directBackupSync, error) {
	obj, ok := typ.(tftypes.Object)
	if !ok || len(obj.OptionalAttributes) > 0 || len(obj.AttributeTypes) != len(backupSyncAttributes) {
		return nil, fmt.Errorf("resource type %s is not the one the direct path knows", typ)
	}
	d := &directBackupSync{typ: obj, newResource: newResource}
	backups, ok := obj.AttributeTypes["backups"].(tftypes.Map)
	if !ok {
		return nil, fmt.Errorf("backups is a %s", obj.AttributeTypes["backups"])
	}
	if d.entry, ok = backups.ElementType.(tftypes.Object); !ok || len(d.entry.AttributeTypes) != len(backupEntryAttributes) || len(d.entry.OptionalAttributes) > 0 {
		return nil, fmt.Errorf("backups has elements of type %s", backups.ElementType)
	}
	for _, name := range backupEntryAttributes {
		want := tftypes.String
		if name == "created_at" {
			want = tftypes.Number
		}
		if t, ok := d.entry.AttributeTypes[name]; !ok || !t.Equal(want) {
			return nil, fmt.Errorf("backups[*].%s is missing or not a %s", name, want)
		}
	}
	for _, name := range backupSyncAttributes {
		if _, ok := obj.AttributeTypes[name]; !ok {
			return nil, fmt.Errorf("attribute %s is missing", name)
		}
	}
	if !obj.AttributeTypes["id"].Equal(tftypes.String) || !obj.AttributeTypes["wait_for_completion"].Equal(tftypes.Bool) || !obj.AttributeTypes["fail_on_import_failure"].Equal(tftypes.Bool) {
		return nil, fmt.Errorf("id, wait_for_completion or fail_on_import_failure has another type")
	}
	if d.triggers, ok = obj.AttributeTypes["triggers"].(tftypes.Map); !ok || !d.triggers.ElementType.Equal(tftypes.String) {
		return nil, fmt.Errorf("triggers is a %s", obj.AttributeTypes["triggers"])
	}
	if d.timeouts, ok = obj.AttributeTypes["timeouts"].(tftypes.Object); !ok || len(d.timeouts.AttributeTypes) != 1 || !d.timeouts.AttributeTypes["create"].Equal(tftypes.String) {
		return nil, fmt.Errorf("timeouts is a %s", obj.AttributeTypes["timeouts"])
	}
	d.timeoutAttrs = map[string]attr.Type{"create": types.StringType}
	return d, nil
}

// decode turns a known, non-null value of the resource's type into the
// working model (backups sorted by key, each backup_id set to its key).
func (d *directBackupSync) decode(v tftypes.Value) (*backupSyncModel, error) {
	data, err := d.decodeData(v)
	if err != nil {
		return nil, err
	}
	return data.model(), nil
}

// decodeData turns a known, non-null value of the resource's type into the
// framework's view, as the framework's Get would. Unknown values inside
// become unknown values of the model; an unknown or null backups map or
// entry is an error.
func (d *directBackupSync) decodeData(v tftypes.Value) (*backupSyncData, error) {
	if !v.IsKnown() || v.IsNull() {
		return nil, fmt.Errorf("the value is unknown or null")
	}
	var attrs map[string]tftypes.Value
	if err := v.As(&attrs); err != nil {
		return nil, err
	}
	m := &backupSyncData{}
	var err error
	if m.ID, err = stringOf(attrs["id"]); err != nil {
		return nil, err
	}
	if m.WaitForCompletion, err = boolOf(attrs["wait_for_completion"]); err != nil {
		return nil, err
	}
	if m.FailOnImport, err = boolOf(attrs["fail_on_import_failure"]); err != nil {
		return nil, err
	}
	if m.Triggers, err = d.decodeTriggers(attrs["triggers"]); err != nil {
		return nil, err
	}
	if m.Timeouts, err = d.decodeTimeouts(attrs["timeouts"]); err != nil {
		return nil, err
	}
	backups := attrs["backups"]
	if !backups.IsKnown() || backups.IsNull() {
		return nil, fmt.Errorf("backups is unknown or null")
	}
	var elems map[string]tftypes.Value
	if err := backups.As(&elems); err != nil {
		return nil, err
	}
	m.Backups = make(map[string]backupModel, len(elems))
	for k, e := range elems {
		if m.Backups[k], err = decodeEntry(e); err != nil {
			return nil, fmt.Errorf("backups[%q]: %w", k, err)
		}
	}
	return m, nil
}

func decodeEntry(v tftypes.Value) (backupModel, error) {
	var b backupModel
	if !v.IsKnown() || v.IsNull() {
		return b, fmt.Errorf("the entry is unknown or null")
	}
	var attrs map[string]tftypes.Value
	if err := v.As(&attrs); err != nil {
		return b, err
	}
	for _, f := range []struct {
		name string
		to   *types.String
	}{
		{"backup_id", &b.BackupID}, {"backup_name", &b.BackupName}, {"bucket_name", &b.BucketName},
		{"image_path", &b.ImagePath}, {"resource_id", &b.ResourceID}, {"resource_name", &b.ResourceName},
		{"resource_type", &b.ResourceType}, {"operation_log_id", &b.OperationLogID}, {"status", &b.Status},
		{"sync_state", &b.SyncState},
	} {
		s, err := stringOf(attrs[f.name])
		if err != nil {
			return b, fmt.Errorf("%s: %w", f.name, err)
		}
		*f.to = s
	}
	created := attrs["created_at"]
	switch {
	case !created.IsKnown():
		b.CreatedAt = types.NumberUnknown()
	case created.IsNull():
		b.CreatedAt = types.NumberNull()
	default:
		f := big.NewFloat(0)
		if err := created.As(&f); err != nil {
			return b, fmt.Errorf("created_at: %w", err)
		}
		b.CreatedAt = types.NumberValue(f)
	}
	return b, nil
}

func stringOf(v tftypes.Value) (types.String, error) {
	switch {
	case !v.IsKnown():
		return types.StringUnknown(), nil
	case v.IsNull():
		return types.StringNull(), nil
	}
	var s string
	if err := v.As(&s); err != nil {
		return types.String{}, err
	}
	return types.StringValue(s), nil
}

func boolOf(v tftypes.Value) (types.Bool, error) {
	switch {
	case !v.IsKnown():
		return types.BoolUnknown(), nil
	case v.IsNull():
		return types.BoolNull(), nil
	}
	var b bool
	if err := v.As(&b); err != nil {
		return types.Bool{}, err
	}
	return types.BoolValue(b), nil
}

func (d *directBackupSync) decodeTriggers(v tftypes.Value) (types.Map, error) {
	switch {
	case !v.IsKnown():
		return types.MapUnknown(types.StringType), nil
	case v.IsNull():
		return types.MapNull(types.StringType), nil
	}
	var elems map[string]tftypes.Value
	if err := v.As(&elems); err != nil {
		return types.Map{}, err
	}
	out := make(map[string]attr.Value, len(elems))
	for k, e := range elems {
		s, err := stringOf(e)
		if err != nil {
			return types.Map{}, err
		}
		out[k] = s
	}
	m, diags := types.MapValue(types.StringType, out)
	if diags.HasError() {
		return types.Map{}, fmt.Errorf("triggers: %s", diags[0].Detail())
	}
	return m, nil
}

func (d *directBackupSync) decodeTimeouts(v tftypes.Value) (timeouts.Value, error) {
	switch {
	case !v.IsKnown():
		return timeouts.Value{Object: types.ObjectUnknown(d.timeoutAttrs)}, nil
	case v.IsNull():
		return timeouts.Value{Object: types.ObjectNull(d.timeoutAttrs)}, nil
	}
	var attrs map[string]tftypes.Value
	if err := v.As(&attrs); err != nil {
		return timeouts.Value{}, err
	}
	create, err := stringOf(attrs["create"])
	if err != nil {
		return timeouts.Value{}, err
	}
	obj, diags := types.ObjectValue(d.timeoutAttrs, map[string]attr.Value{"create": create})
	if diags.HasError() {
		return timeouts.Value{}, fmt.Errorf("timeouts: %s", diags[0].Detail())
	}
	return timeouts.Value{Object: obj}, nil
}

// encode turns the model into a value of the resource's type, as the
// framework's Set would.
func (d *directBackupSync) encode(m *backupSyncModel) (tftypes.Value, error) {
	entries := make(map[string]tftypes.Value, len(m.Backups))
	for _, b := range m.Backups {
		created := tftypes.NewValue(tftypes.Number, nil)
		switch {
		case b.CreatedAt.IsUnknown():
			created = tftypes.NewValue(tftypes.Number, tftypes.UnknownValue)
		case !b.CreatedAt.IsNull():
			created = tftypes.NewValue(tftypes.Number, b.CreatedAt.ValueBigFloat())
		}
		entries[b.BackupID.ValueString()] = tftypes.NewValue(d.entry, map[string]tftypes.Value{
			"backup_id":        stringValue(b.BackupID),
			"backup_name":      stringValue(b.BackupName),
			"bucket_name":      stringValue(b.BucketName),
			"image_path":       stringValue(b.ImagePath),
			"resource_id":      stringValue(b.ResourceID),
			"resource_name":    stringValue(b.ResourceName),
			"resource_type":    stringValue(b.ResourceType),
			"created_at":       created,
			"operation_log_id": stringValue(b.OperationLogID),
			"status":           stringValue(b.Status),
			"sync_state":       stringValue(b.SyncState),
		})
	}
	// The framework stores a nil map of backups as a null map.
	backups := tftypes.NewValue(tftypes.Map{ElementType: d.entry}, nil)
	if m.Backups != nil {
		backups = tftypes.NewValue(tftypes.Map{ElementType: d.entry}, entries)
	}
	triggers, err := d.encodeTriggers(m.Triggers)
	if err != nil {
		return tftypes.Value{}, err
	}
	tmo, err := d.encodeTimeouts(m.Timeouts)
	if err != nil {
		return tftypes.Value{}, err
	}
	return tftypes.NewValue(d.typ, map[string]tftypes.Value{
		"id":                     stringValue(m.ID),
		"backups":                backups,
		"wait_for_completion":    boolValue(m.WaitForCompletion),
		"fail_on_import_failure": boolValue(m.FailOnImport),
		"triggers":               triggers,
		"timeouts":               tmo,
	}), nil
}

func stringValue(s types.String) tftypes.Value {
	switch {
	case s.IsUnknown():
		return tftypes.NewValue(tftypes.String, tftypes.UnknownValue)
	case s.IsNull():
		return tftypes.NewValue(tftypes.String, nil)
	}
	return tftypes.NewValue(tftypes.String, s.ValueString())
}

func boolValue(b types.Bool) tftypes.Value {
	switch {
	case b.IsUnknown():
		return tftypes.NewValue(tftypes.Bool, tftypes.UnknownValue)
	case b.IsNull():
		return tftypes.NewValue(tftypes.Bool, nil)
	}
	return tftypes.NewValue(tftypes.Bool, b.ValueBool())
}

func (d *directBackupSync) encodeTriggers(m types.Map) (tftypes.Value, error) {
	switch {
	case m.IsUnknown():
		return tftypes.NewValue(d.triggers, tftypes.UnknownValue), nil
	case m.IsNull():
		return tftypes.NewValue(d.triggers, nil), nil
	}
	out := make(map[string]tftypes.Value, len(m.Elements()))
	for k, e := range m.Elements() {
		s, ok := e.(types.String)
		if !ok {
			return tftypes.Value{}, fmt.Errorf("triggers[%q] is a %T", k, e)
		}
		out[k] = stringValue(s)
	}
	return tftypes.NewValue(d.triggers, out), nil
}

func (d *directBackupSync) encodeTimeouts(v timeouts.Value) (tftypes.Value, error) {
	switch {
	case v.IsUnknown():
		return tftypes.NewValue(d.timeouts, tftypes.UnknownValue), nil
	case v.IsNull():
		return tftypes.NewValue(d.timeouts, nil), nil
	}
	create, ok := v.Attributes()["create"].(types.String)
	if !ok {
		return tftypes.Value{}, fmt.Errorf("timeouts.create is a %T", v.Attributes()["create"])
	}
	return tftypes.NewValue(d.timeouts, map[string]tftypes.Value{"create": stringValue(create)}), nil
}

// valid reports whether the schema's validators and the resource's config
// validators would pass config with no error, and returns the warnings they
// would give: each check here is one of theirs, on the values they check
// (known ones). ok false means "ask the framework", which then reports each
// problem in its own words.
func valid(config *backupSyncData) (warnings diag.Diagnostics, ok bool) {
	if !config.ID.IsNull() {
		return nil, false // computed only: Terraform does not send a value
	}
	if n := len(config.Backups); n < 1 || n > maxBackupsPerResource {
		return nil, false
	}
	var typed [][2]string
	for key, b := range config.Backups {
		if strings.TrimSpace(key) == "" || !b.Status.IsNull() || !b.SyncState.IsNull() {
			return nil, false
		}
		if id := b.BackupID; !id.IsNull() && !id.IsUnknown() && id.ValueString() != key {
			return nil, false
		}
		for _, s := range []types.String{b.BackupName, b.BucketName, b.ImagePath, b.ResourceID, b.ResourceName} {
			if s.IsNull() || !s.IsUnknown() && strings.TrimSpace(s.ValueString()) == "" {
				return nil, false
			}
		}
		if !b.BackupName.IsUnknown() && utf8.RuneCountInString(b.BackupName.ValueString()) > cbr.MaxBackupNameLength {
			return nil, false
		}
		if t := b.ResourceType; !t.IsNull() && !t.IsUnknown() {
			if strings.TrimSpace(t.ValueString()) == "" {
				return nil, false
			}
			typed = append(typed, [2]string{key, t.ValueString()})
		}
		if op := b.OperationLogID; !op.IsNull() && !op.IsUnknown() && !cbr.OperationLogIDPattern.MatchString(op.ValueString()) {
			return nil, false
		}
		if c := b.CreatedAt; c.IsNull() || !c.IsUnknown() && !createdAtInRange(c.ValueBigFloat()) {
			return nil, false
		}
	}
	if t := config.Timeouts; !t.IsNull() && !t.IsUnknown() {
		create, ok := t.Attributes()["create"].(types.String)
		if !ok {
			return nil, false
		}
		if !create.IsNull() && !create.IsUnknown() {
			d, err := time.ParseDuration(create.ValueString())
			if err != nil || d <= 0 {
				return nil, false
			}
		}
	}
	if d := unknownTypesWarning(path.Root("backups"), typed); d != nil {
		warnings.Append(d)
	}
	return warnings, true
}

// validate answers ValidateResourceConfig when the configuration has no
// error, with the warnings the framework would give.
func (d *directBackupSync) validate(req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, bool) {
	if req.Config == nil {
		return nil, false
	}
	v, err := req.Config.Unmarshal(d.typ)
	if err != nil {
		return nil, false
	}
	config, err := d.decodeData(v)
	if err != nil {
		return nil, false
	}
	warnings, ok := valid(config)
	if !ok {
		return nil, false
	}
	return &tfprotov6.ValidateResourceConfigResponse{Diagnostics: protoDiagnostics(warnings)}, true
}

// plan answers PlanResourceChange of a wholly known configuration.
func (d *directBackupSync) plan(req *tfprotov6.PlanResourceChangeRequest, book *recordBook) (*tfprotov6.PlanResourceChangeResponse, bool) {
	if req.Config == nil || req.PriorState == nil || req.ProposedNewState == nil || len(req.PriorPrivate) > 0 || req.PriorIdentity != nil {
		return nil, false
	}
	priorV, err := req.PriorState.Unmarshal(d.typ)
	if err != nil || !priorV.IsFullyKnown() {
		return nil, false
	}
	var prior *backupSyncModel
	if !priorV.IsNull() {
		if prior, err = d.decode(priorV); err != nil || prior.ID.IsNull() {
			return nil, false
		}
	}
	destroy, ok := isNull(req.ProposedNewState)
	if !ok {
		return nil, false
	}
	if destroy {
		// Destroy: the planned state is null.
		return &tfprotov6.PlanResourceChangeResponse{PlannedState: req.ProposedNewState, Diagnostics: protoDiagnostics(planDestroy(prior))}, true
	}
	configV, err := req.Config.Unmarshal(d.typ)
	if err != nil || !configV.IsFullyKnown() {
		return nil, false
	}
	config, err := d.decode(configV)
	if err != nil {
		return nil, false
	}

	// What the framework plans before ModifyPlan: the configuration with
	// the defaults of the schema, and the computed id unknown on create and
	// kept from the state (UseStateForUnknown) on update.
	plan := &backupSyncModel{
		ID:                types.StringUnknown(),
		Backups:           make([]backupModel, len(config.Backups)),
		WaitForCompletion: config.WaitForCompletion,
		FailOnImport:      config.FailOnImport,
		Triggers:          config.Triggers,
		Timeouts:          config.Timeouts,
	}
	if prior != nil {
		plan.ID = prior.ID
	}
	if plan.WaitForCompletion.IsNull() {
		plan.WaitForCompletion = types.BoolValue(false)
	}
	if plan.FailOnImport.IsNull() {
		plan.FailOnImport = types.BoolValue(true)
	}
	copy(plan.Backups, config.Backups)
	for i := range plan.Backups {
		if plan.Backups[i].ResourceType.IsNull() {
			plan.Backups[i].ResourceType = types.StringValue(cbr.DefaultResourceType)
		}
	}

	var carried map[string]bookRecord
	if prior == nil {
		carried = book.carried(plan.Backups)
	}
	diags := planBackups(prior, carried, plan.Backups, config.Backups, plan.Triggers, plan.WaitForCompletion)
	planned, err := d.encode(plan)
	if err != nil {
		return nil, false
	}
	out, err := tfprotov6.NewDynamicValue(d.typ, planned)
	if err != nil {
		return nil, false
	}
	return &tfprotov6.PlanResourceChangeResponse{PlannedState: &out, Diagnostics: protoDiagnostics(diags)}, true
}

// isNull reports whether v is a null value, without decoding it (the plan
// uses the proposed new state only to tell a destroy); ok is false when v
// holds no value at all.
func isNull(v *tfprotov6.DynamicValue) (null, ok bool) {
	switch {
	case len(v.MsgPack) > 0:
		return len(v.MsgPack) == 1 && v.MsgPack[0] == 0xc0, true // msgpack nil
	case len(v.JSON) > 0:
		return strings.TrimSpace(string(v.JSON)) == "null", true
	}
	return false, false
}

// apply answers ApplyResourceChange once the provider is configured. Every
// "ask the framework" (ok false) comes before applyModel: once requests may
// have been sent, the answer is this one, so that no request is sent twice.
func (d *directBackupSync) apply(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest, client *cbr.Client, book *recordBook) (*tfprotov6.ApplyResourceChangeResponse, bool) {
	if req.Config == nil || req.PriorState == nil || req.PlannedState == nil || len(req.PlannedPrivate) > 0 || req.PlannedIdentity != nil {
		return nil, false
	}
	plannedV, err := req.PlannedState.Unmarshal(d.typ)
	if err != nil {
		return nil, false
	}
	null, err := tfprotov6.NewDynamicValue(d.typ, tftypes.NewValue(d.typ, nil))
	if err != nil {
		return nil, false
	}
	if plannedV.IsNull() {
		// Destroy: the state is removed (the server handed it to the
		// record book first). Only a resource whose Delete calls nothing
		// says so (deleteCallsNothing); any other is deleted by the
		// framework.
		if dc, ok := any(d.newResource()).(deleteCallsNothing); !ok || !dc.DeleteCallsNothing() {
			return nil, false
		}
		return &tfprotov6.ApplyResourceChangeResponse{NewState: &null}, true
	}
	priorV, err := req.PriorState.Unmarshal(d.typ)
	if err != nil {
		return nil, false
	}
	configV, err := req.Config.Unmarshal(d.typ)
	if err != nil {
		return nil, false
	}
	plan, err := d.decode(plannedV)
	if err != nil {
		return nil, false
	}
	configData, err := d.decodeData(configV)
	if err != nil {
		return nil, false
	}
	var keys diag.Diagnostics
	if checkKeys(configData.Backups, &keys); keys.HasError() {
		return nil, false // the framework reports it, and sends nothing
	}
	config := configData.model()
	var prior *backupSyncModel
	if !priorV.IsNull() {
		if prior, err = d.decode(priorV); err != nil {
			return nil, false
		}
	}

	r := d.newResource()
	r.client, r.book = client, book
	var diags diag.Diagnostics
	var saved *backupSyncModel
	r.applyModel(ctx, plan, config.Backups, prior, func(m *backupSyncModel) { saved = m }, &diags)
	resp := &tfprotov6.ApplyResourceChangeResponse{NewState: &null}
	if saved != nil {
		v, err := d.encode(saved)
		if err == nil {
			var out tfprotov6.DynamicValue
			if out, err = tfprotov6.NewDynamicValue(d.typ, v); err == nil {
				resp.NewState = &out
			}
		}
		if err != nil {
			diags.AddError("Unable to Record the State", fmt.Sprintf("The new state could not be encoded: %s. This is always a bug in the provider and should be reported to the provider developers.", err))
		}
	} else if prior != nil {
		// As the framework answers an update that sets no state (it
		// failed before sending anything): the prior state, unchanged.
		resp.NewState = req.PriorState
	} else if !diags.HasError() {
		// As the framework says when Create or Update sets no state.
		what := "create"
		if prior != nil {
			what = "update"
		}
		diags.AddError("Missing Resource State After "+capitalize(what),
			"The Terraform Provider unexpectedly returned no resource state after having no errors in the resource "+what+". "+
				"This is always an issue in the Terraform Provider and should be reported to the provider developers.")
	}
	resp.Diagnostics = protoDiagnostics(diags)
	return resp, true
}

// protoDiagnostics converts diagnostics as the framework does when it
// answers Terraform.
func protoDiagnostics(diags diag.Diagnostics) []*tfprotov6.Diagnostic {
	if len(diags) == 0 {
		return nil
	}
	out := make([]*tfprotov6.Diagnostic, 0, len(diags))
	for _, d := range diags {
		p := &tfprotov6.Diagnostic{Summary: d.Summary(), Detail: d.Detail(), Severity: tfprotov6.DiagnosticSeverityInvalid}
		switch d.Severity() {
		case diag.SeverityError:
			p.Severity = tfprotov6.DiagnosticSeverityError
		case diag.SeverityWarning:
			p.Severity = tfprotov6.DiagnosticSeverityWarning
		}
		if wp, ok := d.(diag.DiagnosticWithPath); ok {
			p.Attribute = protoPath(wp.Path())
		}
		out = append(out, p)
	}
	return out
}

func protoPath(p path.Path) *tftypes.AttributePath {
	steps := p.Steps()
	if len(steps) == 0 {
		return nil
	}
	out := tftypes.NewAttributePath()
	for _, s := range steps {
		switch s := s.(type) {
		case path.PathStepAttributeName:
			out = out.WithAttributeName(string(s))
		case path.PathStepElementKeyInt:
			out = out.WithElementKeyInt(int(s))
		case path.PathStepElementKeyString:
			out = out.WithElementKeyString(string(s))
		}
	}
	return out
}
