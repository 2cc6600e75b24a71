package provider

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The direct path (backup_sync_direct.go) takes what it knows of
// cbr_backup_sync from the resource's schema, its model's tfsdk tags and its
// config validator. The tests below build it from altered schemas and show
// that it either follows the change or refuses to build, in which case the
// framework answers every call.

// factsSchema is the resource's schema, with its attribute maps (top level
// and entries of backups) copied so that a test may change them.
func factsSchema(t *testing.T) schema.Schema {
	t.Helper()
	var resp resource.SchemaResponse
	newBackupSyncResource().Schema(context.Background(), resource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	s := resp.Schema
	s.Attributes = maps.Clone(s.Attributes)
	backups := as[schema.MapNestedAttribute](s.Attributes["backups"])
	backups.NestedObject.Attributes = maps.Clone(backups.NestedObject.Attributes)
	s.Attributes["backups"] = backups
	return s
}

// entryAttr changes the attribute name of the entries of backups.
func entryAttr[A schema.Attribute](s schema.Schema, name string, change func(*A)) {
	backups := as[schema.MapNestedAttribute](s.Attributes["backups"])
	a := as[A](backups.NestedObject.Attributes[name])
	change(&a)
	backups.NestedObject.Attributes[name] = a
}

// topAttr changes the attribute name of the resource.
func topAttr[A schema.Attribute](s schema.Schema, name string, change func(*A)) {
	a := as[A](s.Attributes[name])
	change(&a)
	s.Attributes[name] = a
}

// factsDirect builds the direct path from s and the given config
// validators (the resource's when nil).
func factsDirect(t *testing.T, s schema.Schema, validators []resource.ConfigValidator) (*directBackupSync, error) {
	t.Helper()
	ctx := context.Background()
	r, _ := newBackupSyncResource().(*backupSyncResource)
	if validators == nil {
		validators = r.ConfigValidators(ctx)
	}
	return directFromSchema(ctx, s, validators, func() *backupSyncResource { return r })
}

// directValid tells whether d answers the validation of config itself.
func directValid(t *testing.T, d *directBackupSync, config tftypes.Value) bool {
	t.Helper()
	_, ok := d.validate(context.Background(), &tfprotov6.ValidateResourceConfigRequest{TypeName: "cbr_backup_sync", Config: mustDynamic(t, d.typ, config)})
	return ok
}

// directPlanned is d's planned state of creating config.
func directPlanned(t *testing.T, d *directBackupSync, config tftypes.Value) tftypes.Value {
	t.Helper()
	null := mustDynamic(t, d.typ, tftypes.NewValue(d.typ, nil))
	resp, ok := d.plan(context.Background(), &tfprotov6.PlanResourceChangeRequest{TypeName: "cbr_backup_sync",
		Config: mustDynamic(t, d.typ, config), PriorState: null, ProposedNewState: mustDynamic(t, d.typ, config)}, nil)
	if !ok {
		t.Fatal("the direct path does not plan")
	}
	planned, err := resp.PlannedState.Unmarshal(d.typ)
	if err != nil {
		t.Fatal(err)
	}
	return planned
}

// plannedAt is the value of planned at the attribute name, or at the
// attribute name of the entry key when key is not empty.
func plannedAt(t *testing.T, planned tftypes.Value, key, name string) tftypes.Value {
	t.Helper()
	p := tftypes.NewAttributePath()
	if key != "" {
		p = p.WithAttributeName("backups").WithElementKeyString(key)
	}
	got, _, err := tftypes.WalkAttributePath(planned, p.WithAttributeName(name))
	if err != nil {
		t.Fatal(err)
	}
	v, ok := got.(tftypes.Value)
	if !ok {
		t.Fatalf("%s is a %T", p, got)
	}
	return v
}

// warnOn is a validator that warns about every known value.
type warnOn struct{}

func (warnOn) Description(context.Context) string         { return "warns" }
func (warnOn) MarkdownDescription(context.Context) string { return "warns" }
func (warnOn) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if !req.ConfigValue.IsNull() && !req.ConfigValue.IsUnknown() {
		resp.Diagnostics.AddAttributeWarning(req.Path, "Warned", "warned")
	}
}

func TestDirectKnowsTheSchema(t *testing.T) {
	ctx := context.Background()
	if _, err := newDirectBackupSync(ctx, func() *backupSyncResource { r, _ := newBackupSyncResource().(*backupSyncResource); return r }); err != nil {
		t.Fatalf("the direct path refuses the resource's own schema: %v", err)
	}
	if _, err := factsDirect(t, factsSchema(t), nil); err != nil {
		t.Fatalf("the direct path refuses a copy of the schema: %v", err)
	}

	t.Run("it follows", func(t *testing.T) {
		// Each case alters the schema, then checks the direct path's answer
		// on values of the altered schema's type.
		edit := func(at int, attrs map[string]any) func(int) map[string]any {
			return func(i int) map[string]any {
				if i == at {
					return attrs
				}
				return nil
			}
		}
		cases := []struct {
			name  string
			alter func(schema.Schema)
			check func(t *testing.T, d *directBackupSync, v directValues)
		}{
			{"a changed default of an entry's attribute", func(s schema.Schema) {
				entryAttr(s, "resource_type", func(a *schema.StringAttribute) { a.Default = stringdefault.StaticString("OS::Nova::Server") })
			}, func(t *testing.T, d *directBackupSync, v directValues) {
				planned := directPlanned(t, d, v.config(2, nil, nil))
				if got := plannedAt(t, planned, directID(1), "resource_type"); !got.Equal(tftypes.NewValue(tftypes.String, "OS::Nova::Server")) {
					t.Errorf("planned resource_type %v", got)
				}
			}},
			{"a changed default of the resource's attribute", func(s schema.Schema) {
				topAttr(s, "wait_for_completion", func(a *schema.BoolAttribute) { a.Default = booldefault.StaticBool(true) })
				topAttr(s, "fail_on_import_failure", func(a *schema.BoolAttribute) { a.Default = booldefault.StaticBool(false) })
			}, func(t *testing.T, d *directBackupSync, v directValues) {
				planned := directPlanned(t, d, v.config(2, nil, nil))
				wait, fail := plannedAt(t, planned, "", "wait_for_completion"), plannedAt(t, planned, "", "fail_on_import_failure")
				if !wait.Equal(tftypes.NewValue(tftypes.Bool, true)) || !fail.Equal(tftypes.NewValue(tftypes.Bool, false)) {
					t.Errorf("planned wait_for_completion %v, fail_on_import_failure %v", wait, fail)
				}
				// Waiting: the status is known after the apply only.
				if got := plannedAt(t, planned, directID(0), "status"); got.IsKnown() {
					t.Errorf("planned status %v, want unknown", got)
				}
			}},
			{"a validator added to bucket_name", func(s schema.Schema) {
				entryAttr(s, "bucket_name", func(a *schema.StringAttribute) {
					a.Validators = append(a.Validators, stringvalidator.NoneOf("forbidden-bucket"))
				})
			}, func(t *testing.T, d *directBackupSync, v directValues) {
				if directValid(t, d, v.config(3, edit(2, map[string]any{"bucket_name": "forbidden-bucket"}), nil)) {
					t.Error("the direct path accepts the value the added validator rejects")
				}
				if !directValid(t, d, v.config(3, nil, nil)) {
					t.Error("the direct path refuses values the added validator accepts")
				}
			}},
			{"a validator that reads the configuration", func(s schema.Schema) {
				// The validator finds resource_type through the request's
				// path expression and configuration, as with the framework.
				entryAttr(s, "bucket_name", func(a *schema.StringAttribute) {
					a.Validators = append(a.Validators, stringvalidator.ConflictsWith(path.MatchRelative().AtParent().AtName("resource_type")))
				})
			}, func(t *testing.T, d *directBackupSync, v directValues) {
				if !directValid(t, d, v.config(3, nil, nil)) {
					t.Error("the direct path refuses entries without resource_type")
				}
				if directValid(t, d, v.config(3, edit(1, map[string]any{"resource_type": "OS::Nova::Server"}), nil)) {
					t.Error("the direct path accepts an entry with both bucket_name and resource_type")
				}
			}},
			{"a validator removed from backup_name", func(s schema.Schema) {
				entryAttr(s, "backup_name", func(a *schema.StringAttribute) { a.Validators = a.Validators[:1] })
			}, func(t *testing.T, d *directBackupSync, v directValues) {
				if !directValid(t, d, v.config(2, edit(1, map[string]any{"backup_name": strings.Repeat("é", 65)}), nil)) {
					t.Error("the direct path still refuses a long name")
				}
				if directValid(t, d, v.config(2, edit(1, map[string]any{"backup_name": " "}), nil)) {
					t.Error("the direct path accepts a blank name")
				}
			}},
			{"a validator that warns", func(s schema.Schema) {
				entryAttr(s, "image_path", func(a *schema.StringAttribute) { a.Validators = append(a.Validators, warnOn{}) })
			}, func(t *testing.T, d *directBackupSync, v directValues) {
				// The framework gives the warnings, in its order.
				if directValid(t, d, v.config(2, nil, nil)) {
					t.Error("the direct path answers a validation with an attribute's warning")
				}
			}},
			{"a validator added to triggers", func(s schema.Schema) {
				topAttr(s, "triggers", func(a *schema.MapAttribute) { a.Validators = append(a.Validators, mapvalidator.SizeAtMost(1)) })
			}, func(t *testing.T, d *directBackupSync, v directValues) {
				two := map[string]tftypes.Value{"a": tftypes.NewValue(tftypes.String, "1"), "b": tftypes.NewValue(tftypes.String, "2")}
				if directValid(t, d, v.config(1, nil, map[string]any{"triggers": two})) {
					t.Error("the direct path accepts two triggers")
				}
			}},
			{"a validator removed from timeouts.create", func(s schema.Schema) {
				topAttr(s, "timeouts", func(a *schema.SingleNestedAttribute) {
					a.Attributes = maps.Clone(a.Attributes)
					create := as[schema.StringAttribute](a.Attributes["create"])
					create.Validators = slicesWithout(create.Validators, positiveDuration())
					a.Attributes["create"] = create
				})
			}, func(t *testing.T, d *directBackupSync, v directValues) {
				timeouts := func(s string) map[string]any {
					return map[string]any{"timeouts": map[string]tftypes.Value{"create": tftypes.NewValue(tftypes.String, s)}}
				}
				if !directValid(t, d, v.config(1, nil, timeouts("0s"))) {
					t.Error("the direct path still refuses a zero timeout")
				}
				if directValid(t, d, v.config(1, nil, timeouts("30 minutes"))) {
					t.Error("the direct path accepts a duration the timeouts package refuses")
				}
			}},
			{"bucket_name no longer required", func(s schema.Schema) {
				entryAttr(s, "bucket_name", func(a *schema.StringAttribute) { a.Required, a.Optional = false, true })
			}, func(t *testing.T, d *directBackupSync, v directValues) {
				config := v.config(2, edit(1, map[string]any{"bucket_name": nil}), nil)
				if !directValid(t, d, config) {
					t.Error("the direct path refuses an optional bucket_name left out")
				}
				if got := plannedAt(t, directPlanned(t, d, config), directID(1), "bucket_name"); !got.IsNull() {
					t.Errorf("planned bucket_name %v, want null", got)
				}
			}},
			{"operation_log_id no longer configurable", func(s schema.Schema) {
				entryAttr(s, "operation_log_id", func(a *schema.StringAttribute) { a.Optional, a.Validators = false, nil })
			}, func(t *testing.T, d *directBackupSync, v directValues) {
				if directValid(t, d, v.config(2, edit(1, map[string]any{"operation_log_id": "154f0a9d-ba53-4e91-a3e2-a918710a9e0d"}), nil)) {
					t.Error("the direct path accepts a value of a read-only attribute")
				}
			}},
			{"a smaller limit of the config validator", nil, func(t *testing.T, _ *directBackupSync, v directValues) {
				d, err := factsDirect(t, factsSchema(t), []resource.ConfigValidator{backupsCheckValidator{limit: 2}})
				if err != nil {
					t.Fatal(err)
				}
				if directValid(t, d, v.config(3, nil, nil)) {
					t.Error("the direct path accepts 3 backups with a limit of 2")
				}
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				s := factsSchema(t)
				if c.alter != nil {
					c.alter(s)
				}
				d, err := factsDirect(t, s, nil)
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				c.check(t, d, newDirectValues(t, d.typ))
			})
		}
	})

	t.Run("it refuses", func(t *testing.T) {
		cases := []struct {
			name       string
			alter      func(schema.Schema)
			validators []resource.ConfigValidator
		}{
			{"an extra attribute of an entry", func(s schema.Schema) {
				as[schema.MapNestedAttribute](s.Attributes["backups"]).NestedObject.Attributes["description"] = schema.StringAttribute{Optional: true}
			}, nil},
			{"an entry's attribute removed", func(s schema.Schema) {
				delete(as[schema.MapNestedAttribute](s.Attributes["backups"]).NestedObject.Attributes, "image_path")
			}, nil},
			{"an extra attribute of the resource", func(s schema.Schema) {
				s.Attributes["region"] = schema.StringAttribute{Optional: true}
			}, nil},
			{"an attribute of another type", func(s schema.Schema) {
				as[schema.MapNestedAttribute](s.Attributes["backups"]).NestedObject.Attributes["created_at"] = schema.StringAttribute{Required: true}
			}, nil},
			{"a computed attribute the plan does not set", func(s schema.Schema) {
				entryAttr(s, "image_path", func(a *schema.StringAttribute) { a.Required, a.Computed, a.Validators = false, true, nil })
			}, nil},
			{"a plan modifier", func(s schema.Schema) {
				entryAttr(s, "bucket_name", func(a *schema.StringAttribute) {
					a.PlanModifiers = append(a.PlanModifiers, stringplanmodifier.RequiresReplace())
				})
			}, nil},
			{"the id without UseStateForUnknown", func(s schema.Schema) {
				topAttr(s, "id", func(a *schema.StringAttribute) { a.PlanModifiers = nil })
			}, nil},
			{"a validator of the backups map", func(s schema.Schema) {
				topAttr(s, "backups", func(a *schema.MapNestedAttribute) {
					a.Validators = []validator.Map{mapvalidator.SizeAtLeast(1)}
				})
			}, nil},
			{"a deprecated attribute", func(s schema.Schema) {
				entryAttr(s, "resource_name", func(a *schema.StringAttribute) { a.DeprecationMessage = "gone" })
			}, nil},
			{"triggers of another element type", func(s schema.Schema) {
				topAttr(s, "triggers", func(a *schema.MapAttribute) { a.ElementType = types.BoolType })
			}, nil},
			{"another config validator", nil, []resource.ConfigValidator{backupsCheck(), backupsCheck()}},
			{"no config validator", nil, []resource.ConfigValidator{}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				s := factsSchema(t)
				if c.alter != nil {
					c.alter(s)
				}
				d, err := factsDirect(t, s, c.validators)
				if err == nil {
					t.Fatalf("built: %v", d.typ)
				}
				t.Logf("refused: %v", err)
			})
		}
	})
}

// slicesWithout is list without the validators equal to drop.
func slicesWithout(list []validator.String, drop validator.String) []validator.String {
	var out []validator.String
	for _, v := range list {
		if v != drop {
			out = append(out, v)
		}
	}
	return out
}

// TestDirectRefusesBlankBucketName: a bucket_name that is empty or only
// white space is never accepted by the direct path; the framework reports it.
func TestDirectRefusesBlankBucketName(t *testing.T) {
	ctx := context.Background()
	pair := newServerPair(t, false, nil)
	v := newDirectValues(t, pair.typ)
	d, err := factsDirect(t, factsSchema(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, blank := range []string{"", " ", "\t\n"} {
		config := v.config(3, func(i int) map[string]any {
			if i == 1 {
				return map[string]any{"bucket_name": blank}
			}
			return nil
		}, nil)
		if directValid(t, d, config) {
			t.Errorf("bucket_name %q: accepted by the direct path", blank)
		}
		resp, err := pair.served.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{TypeName: "cbr_backup_sync", Config: mustDynamic(t, pair.typ, config)})
		if err != nil {
			t.Fatal(err)
		}
		noDifference(t, resp.Diagnostics)
		if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Summary != "Blank Value" || !strings.Contains(resp.Diagnostics[0].Detail, "bucket_name") {
			t.Errorf("bucket_name %q: served answer %v", blank, resp.Diagnostics)
		}
	}
}

// TestDirectApplyChecked: in check mode, the new state of a direct apply is
// compared with the framework's encoding of the same model, and a
// difference is reported.
func TestDirectApplyChecked(t *testing.T) {
	ctx := context.Background()
	var found []string
	s, _ := applyServer(t, serverOptions{check: true, onDifference: func(summary, detail string) { found = append(found, summary+": "+detail) }})
	pair := newServerPair(t, false, nil)
	v := newDirectValues(t, pair.typ)
	null := mustDynamic(t, pair.typ, tftypes.NewValue(pair.typ, nil))
	config := mustDynamic(t, pair.typ, v.config(3, nil, map[string]any{"triggers": map[string]tftypes.Value{"run": tftypes.NewValue(tftypes.String, "1")}}))
	plan, err := s.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: "cbr_backup_sync", Config: config, PriorState: null, ProposedNewState: config})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{TypeName: "cbr_backup_sync", Config: config, PriorState: null, PlannedState: plan.PlannedState})
	if err != nil {
		t.Fatal(err)
	}
	noDifference(t, resp.Diagnostics)
	if len(found) > 0 {
		t.Errorf("differences: %v", found)
	}
	if _, _, applies := directCounts(t, s); applies != 1 {
		t.Errorf("%d applies answered directly, want 1", applies)
	}

	// compareStates reports a state that is not the framework's encoding.
	state, err := resp.NewState.Unmarshal(pair.typ)
	if err != nil {
		t.Fatal(err)
	}
	if got := compareStates(pair.typ, resp.NewState, state, nil); len(got) != 0 {
		t.Errorf("equal states reported: %v", got)
	}
	if got := compareStates(pair.typ, resp.NewState, v.config(3, nil, nil), nil); len(got) != 1 || !strings.Contains(got[0].Detail, "new states differ") {
		t.Errorf("different states: %v", got)
	}
	if got := compareStates(pair.typ, resp.NewState, state, []*tfprotov6.Diagnostic{{Summary: "S", Detail: "D"}}); len(got) != 1 {
		t.Errorf("a state the framework does not encode: %v", got)
	}
}
