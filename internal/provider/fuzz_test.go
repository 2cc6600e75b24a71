package provider

// Fuzz tests of the validators, through the framework's request types. Seed
// corpora are in testdata/fuzz/<FuzzName>/ and run with the normal tests;
// run one for longer with, for example:
//
//	go test ./internal/provider -run '^$' -fuzz '^FuzzCheckBackupsMap$' -fuzztime 30s

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
)

// FuzzNotBlank: a value is rejected exactly when it is only white space,
// with an error on the entry of backups that names the attribute and quotes
// the value.
func FuzzNotBlank(f *testing.F) {
	f.Add(" \t")
	f.Fuzz(func(t *testing.T, v string) {
		p := path.Root("backups").AtMapKey("bk-3").AtName("image_path")
		var resp validator.StringResponse
		notBlank().ValidateString(context.Background(), validator.StringRequest{Path: p, ConfigValue: types.StringValue(v)}, &resp)
		blank := strings.TrimSpace(v) == ""
		if resp.Diagnostics.HasError() != blank {
			t.Fatalf("%q: error = %v, blank = %v", v, resp.Diagnostics.HasError(), blank)
		}
		if blank {
			d := resp.Diagnostics.Errors()[0]
			if !strings.Contains(d.Detail(), fmt.Sprintf("%q", v)) || !strings.Contains(d.Detail(), `backups["bk-3"].image_path`) {
				t.Fatalf("detail %q", d.Detail())
			}
			if withPath, ok := d.(interface{ Path() path.Path }); !ok || !withPath.Path().Equal(path.Root("backups").AtMapKey("bk-3")) {
				t.Fatalf("error not on the entry backups[\"bk-3\"]: %v", d)
			}
		}
	})
}

// backupsElemType is the object type of one entry of the resource's backups map.
func backupsElemType(t *testing.T) types.ObjectType {
	t.Helper()
	var resp resource.SchemaResponse
	newBackupSyncResource().Schema(context.Background(), resource.SchemaRequest{}, &resp)
	m, ok := resp.Schema.Attributes["backups"].GetType().(types.MapType)
	if !ok {
		t.Fatalf("backups has type %T, want types.MapType", resp.Schema.Attributes["backups"].GetType())
	}
	elem, ok := m.ElemType.(types.ObjectType)
	if !ok {
		t.Fatalf("backups has elements of type %T, want types.ObjectType", m.ElemType)
	}
	return elem
}

// FuzzCheckBackupsMap builds a backups map from a comma-separated list of
// entries, each "key" (no backup_id), "key=id" or "key=?" (a backup_id
// unknown at plan time), and checks that every blank key and every known
// backup_id that differs from its key, and only those, are reported, on
// their entries, naming the backup_id and the key, in the order of the keys.
func FuzzCheckBackupsMap(f *testing.F) {
	f.Add("a,b=b,c=x,d=?, =y")
	f.Fuzz(func(t *testing.T, spec string) {
		parts := strings.Split(spec, ",")
		if len(parts) > 60 {
			parts = parts[:60]
		}
		elemType := backupsElemType(t)
		elems := map[string]attr.Value{}
		ids := map[string]string{}
		for _, part := range parts {
			key, id, hasID := strings.Cut(part, "=")
			if _, dup := elems[key]; dup || !utf8.ValidString(key) || !utf8.ValidString(id) {
				continue
			}
			values := map[string]attr.Value{}
			for name, typ := range elemType.AttrTypes {
				values[name] = nullOf(typ)
			}
			switch {
			case hasID && id == "?":
				values["backup_id"] = types.StringUnknown()
			case hasID:
				values["backup_id"] = types.StringValue(id)
				ids[key] = id
			}
			elems[key] = types.ObjectValueMust(elemType.AttrTypes, values)
		}
		keys := make([]string, 0, len(elems))
		for k := range elems {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var wantPaths, wantDetails []string
		for _, k := range keys {
			at := path.Root("backups").AtMapKey(k)
			if strings.TrimSpace(k) == "" {
				wantPaths = append(wantPaths, at.String())
				wantDetails = append(wantDetails, fmt.Sprintf("whose key, its backup_id, is %q", k))
			} else if id, ok := ids[k]; ok && id != k {
				wantPaths = append(wantPaths, at.String())
				wantDetails = append(wantDetails, fmt.Sprintf("%s is %q, but the entry's key is %q", at.AtName("backup_id"), id, k))
			}
		}
		var diags diag.Diagnostics
		if len(elems) > 0 {
			checkBackupsMap(path.Root("backups"), types.MapValueMust(elemType, elems), maxBackupsPerResource, &diags)
		}
		errs := diags.Errors()
		if len(errs) != len(wantPaths) {
			t.Fatalf("%q: %d errors, want %d (%v): %v", spec, len(errs), len(wantPaths), wantPaths, errs)
		}
		for i, d := range errs {
			withPath, ok := d.(interface{ Path() path.Path })
			if !ok || withPath.Path().String() != wantPaths[i] {
				t.Fatalf("%q: error %d is not on %s: %v", spec, i, wantPaths[i], d)
			}
			if !strings.Contains(d.Detail(), wantDetails[i]) {
				t.Fatalf("%q: error %d does not say %s: %s", spec, i, wantDetails[i], d.Detail())
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
