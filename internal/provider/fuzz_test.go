package provider

// Fuzz tests of the validators, through the framework's request types. Seed
// corpora are in testdata/fuzz/<FuzzName>/ and run with the normal tests;
// run one for longer with, for example:
//
//	go test ./internal/provider -run '^$' -fuzz '^FuzzUniqueBackupIDs$' -fuzztime 30s

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// FuzzNotBlank: a value is rejected exactly when it is only white space,
// with an error on the attribute's path that quotes the value.
func FuzzNotBlank(f *testing.F) {
	f.Add(" \t")
	f.Fuzz(func(t *testing.T, v string) {
		p := path.Root("backups").AtListIndex(3).AtName("image_path")
		var resp validator.StringResponse
		notBlank().ValidateString(context.Background(), validator.StringRequest{Path: p, ConfigValue: types.StringValue(v)}, &resp)
		blank := strings.TrimSpace(v) == ""
		if resp.Diagnostics.HasError() != blank {
			t.Fatalf("%q: error = %v, blank = %v", v, resp.Diagnostics.HasError(), blank)
		}
		if blank {
			d := resp.Diagnostics.Errors()[0]
			if !strings.Contains(d.Detail(), fmt.Sprintf("%q", v)) || !strings.Contains(d.Detail(), "backups[3].image_path") {
				t.Fatalf("detail %q", d.Detail())
			}
		}
	})
}

// backupsElemType is the object type of one entry of the resource's backups list.
func backupsElemType(t *testing.T) types.ObjectType {
	t.Helper()
	var resp resource.SchemaResponse
	newBackupSyncResource().Schema(context.Background(), resource.SchemaRequest{}, &resp)
	list, ok := resp.Schema.Attributes["backups"].GetType().(types.ListType)
	if !ok {
		t.Fatalf("backups has type %T, want types.ListType", resp.Schema.Attributes["backups"].GetType())
	}
	elem, ok := list.ElemType.(types.ObjectType)
	if !ok {
		t.Fatalf("backups has elements of type %T, want types.ObjectType", list.ElemType)
	}
	return elem
}

// FuzzUniqueBackupIDs builds a backups list from a comma-separated list of
// IDs ("?" is an ID unknown at plan time, "~" an entry without one) and
// checks that every repeat of an ID, and only those, is reported, on the
// repeat's path, naming the first index.
func FuzzUniqueBackupIDs(f *testing.F) {
	f.Add("a,b,a")
	f.Fuzz(func(t *testing.T, spec string) {
		ids := strings.Split(spec, ",")
		if len(ids) > 60 {
			ids = ids[:60]
		}
		elemType := backupsElemType(t)
		elems := make([]attr.Value, len(ids))
		first := map[string]int{}
		var wantPaths []string
		for i, id := range ids {
			values := map[string]attr.Value{}
			for name, typ := range elemType.AttrTypes {
				values[name] = nullOf(typ)
			}
			switch id {
			case "?":
				values["backup_id"] = types.StringUnknown()
			case "~":
			default:
				values["backup_id"] = types.StringValue(id)
				if _, seen := first[id]; seen {
					wantPaths = append(wantPaths, fmt.Sprintf("backups[%d].backup_id", i))
				} else {
					first[id] = i
				}
			}
			elems[i] = types.ObjectValueMust(elemType.AttrTypes, values)
		}
		list := types.ListValueMust(elemType, elems)
		var diags diag.Diagnostics
		checkUniqueBackupIDs(path.Root("backups"), list, &diags)
		errs := diags.Errors()
		if len(errs) != len(wantPaths) {
			t.Fatalf("%q: %d errors, want %d (%v)", spec, len(errs), len(wantPaths), wantPaths)
		}
		for i, d := range errs {
			withPath, ok := d.(interface{ Path() path.Path })
			if !ok || withPath.Path().String() != wantPaths[i] {
				t.Fatalf("%q: error %d is not on %s: %v", spec, i, wantPaths[i], d)
			}
			if !strings.Contains(d.Detail(), "is already given by backups[") {
				t.Fatalf("detail %q", d.Detail())
			}
		}
	})
}

func nullOf(typ attr.Type) attr.Value {
	switch typ {
	case types.StringType:
		return types.StringNull()
	case types.Int64Type:
		return types.Int64Null()
	case types.NumberType:
		return types.NumberNull()
	}
	return basetypes.NewDynamicNull()
}

// FuzzNormalizeEndpoint: an accepted endpoint is an http(s) URL the client
// accepts too, normalizing is idempotent, and a value without a scheme gets
// https://.
func FuzzNormalizeEndpoint(f *testing.F) {
	f.Add("cbr.example.com:8443/")
	f.Fuzz(func(t *testing.T, v string) {
		got, err := normalizeEndpoint(v)
		if err != nil {
			if got != "" {
				t.Fatalf("%q: error %v with result %q", v, err, got)
			}
			return
		}
		if !strings.HasPrefix(got, "https://") && !strings.HasPrefix(got, "http://") {
			t.Fatalf("%q gives %q", v, got)
		}
		if again, err := normalizeEndpoint(got); err != nil || again != got {
			t.Fatalf("%q gives %q, which gives %q, %v", v, got, again, err)
		}
		if !strings.Contains(v, "://") && got != "https://"+strings.TrimRight(strings.TrimSpace(v), "/") {
			t.Fatalf("%q gives %q", v, got)
		}
		if _, err := cbr.New(cbr.Config{Endpoint: got, ProjectID: cbrfake.DefaultProjectID, Auth: cbr.TokenAuth("t")}); err != nil {
			t.Fatalf("%q is accepted as %q, but the client rejects it: %v", v, got, err)
		}
	})
}
