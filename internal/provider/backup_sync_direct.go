package provider

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/defaults"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
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
// What it knows of the resource it takes from the resource itself, once,
// when it is built (newDirectBackupSync): the attributes are the fields of
// backupSyncData and backupModel, by their tfsdk tags; whether each is
// required, optional or computed, its validators and its default come from
// the schema; the check of the whole configuration is the resource's config
// validator. A schema that uses anything it does not handle refuses the
// direct path, and the framework answers every call.
//
// It answers only where the framework's answer is known to be the same, and
// otherwise says so (ok false) so that the framework answers:
//
//   - validate: when the resource's config validator and every attribute's
//     validators give no error, and the attributes' validators no warning
//     either, the framework's answer is the config validator's warnings, and
//     so is this one. Otherwise the framework validates, so every message
//     keeps its wording and its attribute path.
//   - plan: when the configuration and the state are wholly known. The
//     planned state is the configuration with the schema's defaults, the
//     state's id, and what planBackups decides for each backup.
//   - apply: whenever the provider is configured; the outcome is what
//     applyModel records, as with the framework.
//
// Private state and identity, which the resource does not use, always go to
// the framework. In tests (serverOptions.check) every direct validation and
// plan is compared with the framework's on the same request, and the state
// of every direct apply with the framework's encoding of it.
type directBackupSync struct {
	typ    tftypes.Object
	entry  tftypes.Object
	schema schema.Schema
	// top and entries are the attributes of the resource and of one
	// backup, in the order of the fields of backupSyncData and backupModel.
	top, entries []field
	// backups is the attribute that holds the backups (kindBackups).
	backups path.Path
	// defaulted are the indexes in entries of the attributes with a default.
	defaulted []int
	// check is the resource's config validator.
	check backupsCheckValidator
	// newResource makes the resource, as the framework does for each call.
	newResource func() *backupSyncResource
}

// fieldKind is the Go type of a model field, which decides how its value is
// decoded, encoded, validated and defaulted.
type fieldKind int

const (
	kindString    fieldKind = iota // types.String
	kindBool                       // types.Bool
	kindNumber                     // types.Number
	kindStringMap                  // types.Map of strings
	kindTimeouts                   // timeouts.Value: an object of strings
	kindBackups                    // map[string]backupModel
)

// kindOf is the kind of each Go type a model field may have.
var kindOf = map[reflect.Type]fieldKind{
	reflect.TypeFor[types.String]():           kindString,
	reflect.TypeFor[types.Bool]():             kindBool,
	reflect.TypeFor[types.Number]():           kindNumber,
	reflect.TypeFor[types.Map]():              kindStringMap,
	reflect.TypeFor[timeouts.Value]():         kindTimeouts,
	reflect.TypeFor[map[string]backupModel](): kindBackups,
}

// field is one attribute: the model's field that holds it and what the
// schema says of it.
type field struct {
	name  string
	index int // of the field in its struct; unused for the attributes of timeouts
	kind  fieldKind
	typ   tftypes.Type
	// required: null is refused; readOnly (computed, not optional): any
	// other value than null is refused.
	required, readOnly, computed bool
	// useStateForUnknown: the one plan modifier the direct plan knows.
	useStateForUnknown bool
	// check runs the attribute's validators; nil when it has none.
	check check

	stringDefault defaults.String
	boolDefault   defaults.Bool
	numberDefault defaults.Number

	// nested and attrTypes are the attributes of a timeouts object, all
	// strings, and their framework types.
	nested    []field
	attrTypes map[string]attr.Type
}

func (f *field) hasDefault() bool {
	return f.stringDefault != nil || f.boolDefault != nil || f.numberDefault != nil
}

// newDirectBackupSync returns the direct path for the resource newResource
// makes, from its schema and its config validators, or an error when they
// use anything the direct path does not handle (then the framework answers
// every call).
func newDirectBackupSync(ctx context.Context, newResource func() *backupSyncResource) (*directBackupSync, error) {
	r := newResource()
	if r == nil {
		return nil, errors.New("no resource")
	}
	if _, ok := any(r).(resource.ResourceWithValidateConfig); ok {
		return nil, errors.New("the resource validates its configuration in ValidateConfig")
	}
	var resp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		return nil, fmt.Errorf("the schema has errors: %v", resp.Diagnostics)
	}
	return directFromSchema(ctx, resp.Schema, r.ConfigValidators(ctx), newResource)
}

// directFromSchema is newDirectBackupSync for a given schema and config
// validators.
func directFromSchema(ctx context.Context, s schema.Schema, validators []resource.ConfigValidator, newResource func() *backupSyncResource) (*directBackupSync, error) {
	if len(s.Blocks) > 0 {
		return nil, errors.New("the schema has blocks")
	}
	typ, ok := s.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		return nil, fmt.Errorf("the resource's type is a %s", s.Type().TerraformType(ctx))
	}
	d := &directBackupSync{typ: typ, schema: s, newResource: newResource}
	if len(validators) != 1 {
		return nil, fmt.Errorf("the resource has %d config validators, not the one the direct path knows", len(validators))
	}
	if d.check, ok = validators[0].(backupsCheckValidator); !ok {
		return nil, fmt.Errorf("the resource's config validator is a %T", validators[0])
	}
	var err error
	if d.top, err = fieldsOf(reflect.TypeFor[backupSyncData](), s.Attributes, typ); err != nil {
		return nil, err
	}
	id, _ := reflect.TypeFor[backupSyncData]().FieldByName("ID")
	for _, f := range d.top {
		switch {
		case f.index == id.Index[0]:
			// The direct plan plans the id as UseStateForUnknown does.
			if f.kind != kindString || !f.readOnly || !f.useStateForUnknown || f.hasDefault() {
				return nil, fmt.Errorf("%s is not a computed string kept from the state", f.name)
			}
		case f.useStateForUnknown:
			return nil, fmt.Errorf("%s has a plan modifier", f.name)
		case f.computed && !f.hasDefault():
			return nil, fmt.Errorf("%s is computed without a default", f.name)
		}
		if f.kind != kindBackups {
			continue
		}
		if d.entries != nil {
			return nil, errors.New("two attributes hold backups")
		}
		d.backups = path.Root(f.name)
		nested, ok := s.Attributes[f.name].(schema.MapNestedAttribute)
		if !ok {
			return nil, fmt.Errorf("%s is not a map of objects", f.name)
		}
		mapType, ok := typ.AttributeTypes[f.name].(tftypes.Map)
		if !ok {
			return nil, fmt.Errorf("%s is not a map", f.name)
		}
		if d.entry, ok = mapType.ElementType.(tftypes.Object); !ok {
			return nil, fmt.Errorf("%s has no objects", f.name)
		}
		if d.entries, err = fieldsOf(reflect.TypeFor[backupModel](), nested.NestedObject.Attributes, d.entry); err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if d.entries == nil {
		return nil, errors.New("no attribute holds the backups")
	}
	// The computed attributes of an entry without a default are the ones
	// the plan sets (planSets).
	var probe backupModel
	planned := map[uintptr]bool{}
	for _, p := range planSets(&probe) {
		planned[reflect.ValueOf(p).Pointer()] = true
	}
	entry := reflect.ValueOf(&probe).Elem()
	for i, f := range d.entries {
		switch {
		case f.kind != kindString && f.kind != kindBool && f.kind != kindNumber:
			return nil, fmt.Errorf("backups[*].%s is not a string, bool or number", f.name)
		case f.useStateForUnknown:
			return nil, fmt.Errorf("backups[*].%s has a plan modifier", f.name)
		case f.hasDefault():
			d.defaulted = append(d.defaulted, i)
		case f.computed && !planned[entry.Field(f.index).Addr().Pointer()]:
			return nil, fmt.Errorf("backups[*].%s is computed, without a default, and the plan does not set it", f.name)
		}
	}
	return d, nil
}

// fieldsOf matches the fields of the struct type t, by their tfsdk tags,
// with the attributes of a schema (obj: their protocol types): every field
// must have an attribute and every attribute a field, of a kind the direct
// path knows.
func fieldsOf(t reflect.Type, attrs map[string]schema.Attribute, obj tftypes.Object) ([]field, error) {
	out := make([]field, 0, t.NumField())
	for i := range t.NumField() {
		sf := t.Field(i)
		name := sf.Tag.Get("tfsdk")
		a, ok := attrs[name]
		if !ok {
			return nil, fmt.Errorf("the field %s (tfsdk:%q) has no attribute in the schema", sf.Name, name)
		}
		kind, ok := kindOf[sf.Type]
		if !ok {
			return nil, fmt.Errorf("the field %s is a %s", sf.Name, sf.Type)
		}
		f, err := fieldOf(name, i, kind, a)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		f.typ = obj.AttributeTypes[name]
		out = append(out, f)
	}
	if len(out) != len(attrs) {
		for name := range attrs {
			if !slices.ContainsFunc(out, func(f field) bool { return f.name == name }) {
				return nil, fmt.Errorf("the attribute %s has no field in %s", name, t)
			}
		}
	}
	return out, nil
}

// fieldOf is what the direct path needs to know of the attribute a, held
// in a field of the given kind, or an error when a has a type that is not
// the field's, or a feature the direct path does not handle.
func fieldOf(name string, index int, kind fieldKind, a schema.Attribute) (field, error) {
	f := field{name: name, index: index, kind: kind, required: a.IsRequired(), computed: a.IsComputed(), readOnly: a.IsComputed() && !a.IsOptional()}
	if a.IsWriteOnly() || a.GetDeprecationMessage() != "" {
		return f, errors.New("write-only or deprecated")
	}
	mismatch := fmt.Errorf("a %T does not fit the model's field", a)
	f.check = checkOf(a)
	switch a := a.(type) {
	case schema.StringAttribute:
		if kind != kindString || a.CustomType != nil {
			return f, mismatch
		}
		for _, m := range a.PlanModifiers {
			if !isUseStateForUnknown(m) {
				return f, fmt.Errorf("the plan modifier %T", m)
			}
			f.useStateForUnknown = true
		}
		f.stringDefault = a.Default
	case schema.BoolAttribute:
		if kind != kindBool || a.CustomType != nil || len(a.PlanModifiers) > 0 {
			return f, mismatch
		}
		f.boolDefault = a.Default
	case schema.NumberAttribute:
		if kind != kindNumber || a.CustomType != nil || len(a.PlanModifiers) > 0 {
			return f, mismatch
		}
		f.numberDefault = a.Default
	case schema.MapAttribute:
		if kind != kindStringMap || a.CustomType != nil || !a.ElementType.Equal(types.StringType) || len(a.PlanModifiers) > 0 || a.Default != nil {
			return f, mismatch
		}
	case schema.SingleNestedAttribute:
		if _, ok := a.CustomType.(timeouts.Type); kind != kindTimeouts || !ok || len(a.PlanModifiers) > 0 || a.Default != nil {
			return f, mismatch
		}
		f.attrTypes = map[string]attr.Type{}
		for name, n := range a.Attributes {
			nf, err := fieldOf(name, -1, kindString, n)
			if err != nil {
				return f, fmt.Errorf("%s: %w", name, err)
			}
			if nf.useStateForUnknown || nf.hasDefault() || nf.computed {
				return f, fmt.Errorf("%s is computed or has a plan modifier or a default", name)
			}
			nf.typ = tftypes.String
			f.nested = append(f.nested, nf)
			f.attrTypes[name] = types.StringType
		}
		slices.SortFunc(f.nested, func(a, b field) int { return strings.Compare(a.name, b.name) })
	case schema.MapNestedAttribute:
		o := a.NestedObject
		if kind != kindBackups || a.CustomType != nil || len(a.Validators) > 0 || len(a.PlanModifiers) > 0 || a.Default != nil ||
			o.CustomType != nil || len(o.Validators) > 0 || len(o.PlanModifiers) > 0 {
			// Validators of the map or of its objects would need the
			// framework's values of thousands of entries.
			return f, errors.New("a map of backups with a custom type, validators, plan modifiers or a default")
		}
	default:
		return f, fmt.Errorf("a %T", a)
	}
	return f, nil
}

// isUseStateForUnknown tells whether m is stringplanmodifier.UseStateForUnknown.
func isUseStateForUnknown(m planmodifier.String) bool {
	return reflect.TypeOf(m) == reflect.TypeOf(stringplanmodifier.UseStateForUnknown())
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
	mv := reflect.ValueOf(m).Elem()
	for i := range d.top {
		f := &d.top[i]
		if err := d.decodeField(f, attrs[f.name], mv.Field(f.index)); err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return m, nil
}

// decodeField decodes v into the field to, of the kind of f.
func (d *directBackupSync) decodeField(f *field, v tftypes.Value, to reflect.Value) error {
	var err error
	switch to := to.Addr().Interface().(type) {
	case *types.String:
		*to, err = stringOf(v)
	case *types.Bool:
		*to, err = scalarOf(v, types.BoolUnknown(), types.BoolNull(), types.BoolValue)
	case *types.Number:
		*to, err = scalarOf(v, types.NumberUnknown(), types.NumberNull(), types.NumberValue)
	case *types.Map:
		*to, err = stringMapOf(v)
	case *timeouts.Value:
		*to, err = timeoutsOf(f, v)
	case *map[string]backupModel:
		*to, err = d.decodeBackups(v)
	default:
		err = fmt.Errorf("a field of type %T", to)
	}
	return err
}

// decodeBackups decodes the backups map, entry by entry along d.entries.
func (d *directBackupSync) decodeBackups(v tftypes.Value) (map[string]backupModel, error) {
	if !v.IsKnown() || v.IsNull() {
		return nil, fmt.Errorf("the map is unknown or null")
	}
	var elems map[string]tftypes.Value
	if err := v.As(&elems); err != nil {
		return nil, err
	}
	// Decoded in place in one slice (its elements are addressable), then
	// copied into the map.
	list := make([]backupModel, len(elems))
	lv := reflect.ValueOf(list)
	out := make(map[string]backupModel, len(elems))
	i := 0
	for k, e := range elems {
		if !e.IsKnown() || e.IsNull() {
			return nil, fmt.Errorf("[%q]: the entry is unknown or null", k)
		}
		var attrs map[string]tftypes.Value
		if err := e.As(&attrs); err != nil {
			return nil, fmt.Errorf("[%q]: %w", k, err)
		}
		ev := lv.Index(i)
		for j := range d.entries {
			f := &d.entries[j]
			if err := d.decodeField(f, attrs[f.name], ev.Field(f.index)); err != nil {
				return nil, fmt.Errorf("[%q].%s: %w", k, f.name, err)
			}
		}
		out[k] = list[i]
		i++
	}
	return out, nil
}

// scalarOf decodes a string, bool or number v: unknown, null, or the
// value known makes of its Go value.
func scalarOf[G any, V any](v tftypes.Value, unknown, null V, known func(G) V) (V, error) {
	switch {
	case !v.IsKnown():
		return unknown, nil
	case v.IsNull():
		return null, nil
	}
	var g G
	if err := v.As(&g); err != nil {
		return null, err
	}
	return known(g), nil
}

func stringOf(v tftypes.Value) (types.String, error) {
	return scalarOf(v, types.StringUnknown(), types.StringNull(), types.StringValue)
}

func stringMapOf(v tftypes.Value) (types.Map, error) {
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
		return types.Map{}, errors.New(diags[0].Detail())
	}
	return m, nil
}

// timeoutsOf decodes a timeouts object, whose attributes f.nested are
// strings.
func timeoutsOf(f *field, v tftypes.Value) (timeouts.Value, error) {
	switch {
	case !v.IsKnown():
		return timeouts.Value{Object: types.ObjectUnknown(f.attrTypes)}, nil
	case v.IsNull():
		return timeouts.Value{Object: types.ObjectNull(f.attrTypes)}, nil
	}
	var attrs map[string]tftypes.Value
	if err := v.As(&attrs); err != nil {
		return timeouts.Value{}, err
	}
	values := make(map[string]attr.Value, len(f.nested))
	for _, n := range f.nested {
		s, err := stringOf(attrs[n.name])
		if err != nil {
			return timeouts.Value{}, fmt.Errorf("%s: %w", n.name, err)
		}
		values[n.name] = s
	}
	obj, diags := types.ObjectValue(f.attrTypes, values)
	if diags.HasError() {
		return timeouts.Value{}, errors.New(diags[0].Detail())
	}
	return timeouts.Value{Object: obj}, nil
}

// encode turns the model into a value of the resource's type, as the
// framework's Set would.
func (d *directBackupSync) encode(m *backupSyncModel) (tftypes.Value, error) {
	// The attributes but the backups, through the framework's view; the
	// backups from the list, without building the map.
	rest := *m
	rest.Backups = nil
	data := rest.data()
	dv := reflect.ValueOf(data).Elem()
	attrs := make(map[string]tftypes.Value, len(d.top))
	for i := range d.top {
		f := &d.top[i]
		var err error
		if f.kind == kindBackups {
			attrs[f.name] = d.encodeBackups(f.typ, m.Backups)
		} else if attrs[f.name], err = encodeField(f, dv.Field(f.index).Addr().Interface()); err != nil {
			return tftypes.Value{}, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return tftypes.NewValue(d.typ, attrs), nil
}

// encodeBackups is the backups map of typ holding list, keyed by backup_id.
func (d *directBackupSync) encodeBackups(typ tftypes.Type, list []backupModel) tftypes.Value {
	// The framework stores a nil map of backups as a null map.
	if list == nil {
		return tftypes.NewValue(typ, nil)
	}
	entries := make(map[string]tftypes.Value, len(list))
	lv := reflect.ValueOf(list)
	for i := range list {
		ev := lv.Index(i)
		attrs := make(map[string]tftypes.Value, len(d.entries))
		for j := range d.entries {
			f := &d.entries[j]
			// Entries hold strings, bools and numbers only, which always encode.
			attrs[f.name], _ = encodeField(f, ev.Field(f.index).Addr().Interface())
		}
		entries[list[i].BackupID.ValueString()] = tftypes.NewValue(d.entry, attrs)
	}
	return tftypes.NewValue(typ, entries)
}

// encodeField encodes the field at p, a pointer to a field of the kind of f.
func encodeField(f *field, p any) (tftypes.Value, error) {
	v, ok := p.(attr.Value)
	switch {
	case !ok:
		return tftypes.Value{}, fmt.Errorf("a field of type %T", p)
	case v.IsUnknown():
		return tftypes.NewValue(f.typ, tftypes.UnknownValue), nil
	case v.IsNull():
		return tftypes.NewValue(f.typ, nil), nil
	}
	switch v := p.(type) {
	case *types.String:
		return tftypes.NewValue(f.typ, v.ValueString()), nil
	case *types.Bool:
		return tftypes.NewValue(f.typ, v.ValueBool()), nil
	case *types.Number:
		return tftypes.NewValue(f.typ, v.ValueBigFloat()), nil
	case *types.Map:
		return stringMapValue(f.typ, *v)
	case *timeouts.Value:
		return timeoutsValue(f, *v)
	}
	return tftypes.Value{}, fmt.Errorf("a field of type %T", p)
}

// stringValue encodes a string of the framework.
func stringValue(s types.String) tftypes.Value {
	switch {
	case s.IsUnknown():
		return tftypes.NewValue(tftypes.String, tftypes.UnknownValue)
	case s.IsNull():
		return tftypes.NewValue(tftypes.String, nil)
	}
	return tftypes.NewValue(tftypes.String, s.ValueString())
}

// stringMapValue and timeoutsValue encode a known map of strings and a
// known timeouts object.
func stringMapValue(typ tftypes.Type, m types.Map) (tftypes.Value, error) {
	out := make(map[string]tftypes.Value, len(m.Elements()))
	for k, e := range m.Elements() {
		s, ok := e.(types.String)
		if !ok {
			return tftypes.Value{}, fmt.Errorf("[%q] is a %T", k, e)
		}
		out[k] = stringValue(s)
	}
	return tftypes.NewValue(typ, out), nil
}

func timeoutsValue(f *field, v timeouts.Value) (tftypes.Value, error) {
	out := make(map[string]tftypes.Value, len(f.nested))
	for _, n := range f.nested {
		s, ok := v.Attributes()[n.name].(types.String)
		if !ok {
			return tftypes.Value{}, fmt.Errorf("%s is a %T", n.name, v.Attributes()[n.name])
		}
		out[n.name] = stringValue(s)
	}
	return tftypes.NewValue(f.typ, out), nil
}

// frameworkState is m encoded by the framework (tfsdk.State.Set), which
// check mode compares with encode's answer.
func (d *directBackupSync) frameworkState(ctx context.Context, m *backupSyncModel) (tftypes.Value, diag.Diagnostics) {
	state := tfsdk.State{Schema: d.schema, Raw: tftypes.NewValue(d.typ, nil)}
	diags := state.Set(ctx, m.data())
	return state.Raw, diags
}

// stateCodec is the direct path's codec of cbr_backup_sync, built once,
// for decodeState.
var stateCodec = sync.OnceValues(func() (*directBackupSync, error) {
	return newDirectBackupSync(context.Background(), func() *backupSyncResource {
		r, _ := newBackupSyncResource().(*backupSyncResource)
		return r
	})
})

// decodeState decodes a known, non-null state of cbr_backup_sync into the
// working model: with the direct path's codec, or with the framework's when
// the schema refuses the direct path.
func decodeState(v tftypes.Value) (*backupSyncModel, error) {
	if d, err := stateCodec(); err == nil {
		return d.decode(v)
	}
	ctx := context.Background()
	var resp resource.SchemaResponse
	newBackupSyncResource().Schema(ctx, resource.SchemaRequest{}, &resp)
	var data backupSyncData
	if diags := (tfsdk.State{Schema: resp.Schema, Raw: v}).Get(ctx, &data); diags.HasError() {
		return nil, fmt.Errorf("the state does not decode: %s", diags[0].Detail())
	}
	return data.model(), nil
}

// validation runs the schema's checks of each attribute on a decoded
// configuration, as the framework's schema validation does: required,
// read-only, and the attribute's validators, called with the requests the
// framework would build.
type validation struct {
	ctx    context.Context
	config tfsdk.Config
	caps   validator.ValidateSchemaClientCapabilities
	// diags are the validators' diagnostics.
	diags diag.Diagnostics
}

// check runs validators on the value at p (a pointer to it) of the
// attribute at path at (expression expr).
type check func(in *validation, at path.Path, expr path.Expression, p any)

// checkOf is the check of a's validators, nil when it has none.
func checkOf(a schema.Attribute) check {
	for _, c := range []check{
		validatorsOf(a, schema.StringAttribute.StringValidators, validator.String.ValidateString),
		validatorsOf(a, schema.BoolAttribute.BoolValidators, validator.Bool.ValidateBool),
		validatorsOf(a, schema.NumberAttribute.NumberValidators, validator.Number.ValidateNumber),
		validatorsOf(a, schema.MapAttribute.MapValidators, validator.Map.ValidateMap),
		validatorsOf(a, schema.SingleNestedAttribute.ObjectValidators, validator.Object.ValidateObject),
	} {
		if c != nil {
			return c
		}
	}
	return nil
}

// validatorRequest and validatorResponse are the shapes of the requests and
// responses of every kind of validator (validator.StringRequest, ...), for a
// value of type T.
type validatorRequest[T any] interface {
	~struct {
		Path               path.Path
		PathExpression     path.Expression
		Config             tfsdk.Config
		ConfigValue        T
		ClientCapabilities validator.ValidateSchemaClientCapabilities
	}
}

type validatorResponse interface {
	~struct{ Diagnostics diag.Diagnostics }
}

// validatorsOf is the check that calls validate with each of the validators
// list gives of a, when a is an A that has any (nil otherwise).
func validatorsOf[A schema.Attribute, V any, T any, Req validatorRequest[T], Resp validatorResponse](a schema.Attribute, list func(A) []V, validate func(V, context.Context, Req, *Resp)) check {
	typed, ok := a.(A)
	if !ok || len(list(typed)) == 0 {
		return nil
	}
	vals := list(typed)
	return func(in *validation, at path.Path, expr path.Expression, p any) {
		v, ok := p.(*T)
		if !ok {
			in.diags.AddAttributeError(at, "Unexpected Value Type", fmt.Sprintf("The direct path holds a %T for validators of %T.", p, v))
			return
		}
		req := Req(struct {
			Path               path.Path
			PathExpression     path.Expression
			Config             tfsdk.Config
			ConfigValue        T
			ClientCapabilities validator.ValidateSchemaClientCapabilities
		}{at, expr, in.config, *v, in.caps})
		var resp Resp
		for _, val := range vals {
			resp = Resp{}
			validate(val, in.ctx, req, &resp)
			in.diags.Append(struct{ Diagnostics diag.Diagnostics }(resp).Diagnostics...)
		}
	}
}

// field checks the value at p (a pointer to a field of the kind of f) of
// the attribute f under parent (parentExpr: its expression); false when the
// framework would refuse it or a validator warns.
func (in *validation) field(f *field, parent path.Path, parentExpr path.Expression, p any) bool {
	v, ok := p.(attr.Value)
	if !ok {
		// The backups map: known (decoding refused it otherwise), its
		// entries are checked one by one.
		return f.kind == kindBackups
	}
	if f.required && v.IsNull() || f.readOnly && !v.IsNull() {
		return false
	}
	if f.check == nil && f.nested == nil {
		return true
	}
	at, expr := parent.AtName(f.name), parentExpr.AtName(f.name)
	tv, isTimeouts := p.(*timeouts.Value)
	if f.check != nil && isTimeouts {
		// Object validators take the object inside.
		f.check(in, at, expr, &tv.Object)
	} else if f.check != nil {
		f.check(in, at, expr, p)
	}
	// As the framework: the attributes of a null or unknown object are not
	// checked.
	if isTimeouts && !tv.IsNull() && !tv.IsUnknown() {
		for i := range f.nested {
			s, ok := tv.Attributes()[f.nested[i].name].(types.String)
			if !ok || !in.field(&f.nested[i], at, expr, &s) {
				return false
			}
		}
	}
	return len(in.diags) == 0
}

// validate answers ValidateResourceConfig when the configuration has no
// error, with the warnings the framework would give: those of the resource's
// config validator, which the framework runs first. A validator of an
// attribute that warns sends the call to the framework too (the framework
// walks the attributes in no set order).
func (d *directBackupSync) validate(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, bool) {
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
	var warnings diag.Diagnostics
	if d.check.check(config.Backups, &warnings); warnings.HasError() {
		return nil, false
	}
	in := &validation{ctx: ctx, config: tfsdk.Config{Schema: d.schema, Raw: v}}
	if req.ClientCapabilities != nil {
		in.caps.WriteOnlyAttributesAllowed = req.ClientCapabilities.WriteOnlyAttributesAllowed
	}
	top := reflect.ValueOf(config).Elem()
	for i := range d.top {
		if !in.field(&d.top[i], path.Empty(), path.Empty().Expression(), top.Field(d.top[i].index).Addr().Interface()) {
			return nil, false
		}
	}
	// Each entry is checked in a slice of one, whose element is addressable.
	scratch := make([]backupModel, 1)
	ev := reflect.ValueOf(scratch).Index(0)
	for key, b := range config.Backups {
		scratch[0] = b
		at := d.backups.AtMapKey(key)
		atExpr := at.Expression()
		for i := range d.entries {
			if !in.field(&d.entries[i], at, atExpr, ev.Field(d.entries[i].index).Addr().Interface()) {
				return nil, false
			}
		}
	}
	return &tfprotov6.ValidateResourceConfigResponse{Diagnostics: protoDiagnostics(warnings)}, true
}

// setDefault sets the field at p (a pointer to a field of the kind of f),
// null in the configuration, to the attribute's default, as the framework
// does at plan time; false when the default gives diagnostics.
func setDefault(ctx context.Context, f *field, at path.Path, p any) bool {
	var diags diag.Diagnostics
	switch p := p.(type) {
	case *types.String:
		var resp defaults.StringResponse
		f.stringDefault.DefaultString(ctx, defaults.StringRequest{Path: at}, &resp)
		*p, diags = resp.PlanValue, resp.Diagnostics
	case *types.Bool:
		var resp defaults.BoolResponse
		f.boolDefault.DefaultBool(ctx, defaults.BoolRequest{Path: at}, &resp)
		*p, diags = resp.PlanValue, resp.Diagnostics
	case *types.Number:
		var resp defaults.NumberResponse
		f.numberDefault.DefaultNumber(ctx, defaults.NumberRequest{Path: at}, &resp)
		*p, diags = resp.PlanValue, resp.Diagnostics
	default:
		return false
	}
	return len(diags) == 0
}

// isNullField tells whether the field at p (a pointer to an attribute
// value) is null.
func isNullField(p any) bool {
	v, ok := p.(attr.Value)
	return ok && v.IsNull()
}

// plan answers PlanResourceChange of a wholly known configuration.
func (d *directBackupSync) plan(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest, book *recordBook) (*tfprotov6.PlanResourceChangeResponse, bool) {
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
	configData, err := d.decodeData(configV)
	if err != nil {
		return nil, false
	}
	config := configData.model()

	// What the framework plans before ModifyPlan: the configuration with
	// the defaults of the schema, and the computed id unknown on create and
	// kept from the state (UseStateForUnknown) on update.
	top := *configData
	top.Backups = nil
	tv := reflect.ValueOf(&top).Elem()
	for i := range d.top {
		f := &d.top[i]
		if p := tv.Field(f.index).Addr().Interface(); f.hasDefault() && isNullField(p) && !setDefault(ctx, f, path.Root(f.name), p) {
			return nil, false
		}
	}
	plan := top.model()
	plan.ID = types.StringUnknown()
	if prior != nil {
		plan.ID = prior.ID
	}
	plan.Backups = slices.Clone(config.Backups)
	lv := reflect.ValueOf(plan.Backups)
	for i := range plan.Backups {
		ev := lv.Index(i)
		for _, j := range d.defaulted {
			f := &d.entries[j]
			p := ev.Field(f.index).Addr().Interface()
			if isNullField(p) && !setDefault(ctx, f, d.backups.AtMapKey(plan.Backups[i].BackupID.ValueString()).AtName(f.name), p) {
				return nil, false
			}
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

// apply answers ApplyResourceChange once the provider is configured, and
// returns the model it recorded as the new state (nil when none). Every
// "ask the framework" (ok false) comes before applyModel: once requests may
// have been sent, the answer is this one, so that no request is sent twice.
func (d *directBackupSync) apply(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest, client *cbr.Client, book *recordBook) (*tfprotov6.ApplyResourceChangeResponse, *backupSyncModel, bool) {
	if req.Config == nil || req.PriorState == nil || req.PlannedState == nil || len(req.PlannedPrivate) > 0 || req.PlannedIdentity != nil {
		return nil, nil, false
	}
	plannedV, err := req.PlannedState.Unmarshal(d.typ)
	if err != nil {
		return nil, nil, false
	}
	null, err := tfprotov6.NewDynamicValue(d.typ, tftypes.NewValue(d.typ, nil))
	if err != nil {
		return nil, nil, false
	}
	if plannedV.IsNull() {
		// Destroy: the state is removed (the server handed it to the
		// record book first). Only a resource whose Delete calls nothing
		// says so (deleteCallsNothing); any other is deleted by the
		// framework.
		if dc, ok := any(d.newResource()).(deleteCallsNothing); !ok || !dc.DeleteCallsNothing() {
			return nil, nil, false
		}
		return &tfprotov6.ApplyResourceChangeResponse{NewState: &null}, nil, true
	}
	priorV, err := req.PriorState.Unmarshal(d.typ)
	if err != nil {
		return nil, nil, false
	}
	configV, err := req.Config.Unmarshal(d.typ)
	if err != nil {
		return nil, nil, false
	}
	plan, err := d.decode(plannedV)
	if err != nil {
		return nil, nil, false
	}
	configData, err := d.decodeData(configV)
	if err != nil {
		return nil, nil, false
	}
	var keys diag.Diagnostics
	if checkKeys(configData.Backups, &keys); keys.HasError() {
		return nil, nil, false // the framework reports it, and sends nothing
	}
	config := configData.model()
	var prior *backupSyncModel
	if !priorV.IsNull() {
		if prior, err = d.decode(priorV); err != nil {
			return nil, nil, false
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
		// As the framework says when Create sets no state.
		diags.AddError("Missing Resource State After Create",
			"The Terraform Provider unexpectedly returned no resource state after having no errors in the resource create. "+
				"This is always an issue in the Terraform Provider and should be reported to the provider developers.")
	}
	resp.Diagnostics = protoDiagnostics(diags)
	return resp, saved, true
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
