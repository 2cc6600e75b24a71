package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// The direct paths of directServer must answer exactly what the framework's own
// server answers. Each test below sends the same requests to both, a bare
// framework server and the server NewServer builds, and compares the answers
// as Terraform reads them: diagnostics, private data, and the values decoded
// with go-cty, the library Terraform and OpenTofu decode them with (msgpack
// from the framework, JSON from the direct path of upgrades).

// serverPair is a bare framework server and the served one, for one provider
// each, configured alike when configure is true.
type serverPair struct {
	framework, served tfprotov6.ProviderServer
	typ               tftypes.Object // cbr_backup_sync
	version           int64
}

func newServerPair(t *testing.T, configure bool, caps *tfprotov6.ConfigureProviderClientCapabilities) serverPair {
	t.Helper()
	ctx := context.Background()
	newP := func() *cbrProvider { return &cbrProvider{version: "test", getenv: func(string) string { return "" }} }
	fw, err := providerserver.NewProtocol6WithError(newP())()
	if err != nil {
		t.Fatal(err)
	}
	// Always in check mode: these tests compare the direct path with the
	// framework, whatever CBR_FRAMEWORK_PATH says.
	served, err := serverFor(func() provider.Provider { return newP() }, serverOptions{check: true, onDifference: recordDifference})()
	if err != nil {
		t.Fatal(err)
	}
	schemas, err := fw.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(schemas.Diagnostics) > 0 {
		t.Fatalf("GetProviderSchema: %v %v", err, schemas.Diagnostics)
	}
	schema := schemas.ResourceSchemas["cbr_backup_sync"]
	typ, ok := schema.ValueType().(tftypes.Object)
	if !ok {
		t.Fatalf("resource type %T", schema.ValueType())
	}
	if configure {
		_, url := startFake(t, cbrfake.Options{})
		config := providerConfigValue(t, schemas, url)
		for _, s := range []tfprotov6.ProviderServer{fw, served} {
			resp, err := s.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "1.11.4", Config: config, ClientCapabilities: caps})
			if err != nil || len(resp.Diagnostics) > 0 {
				t.Fatalf("ConfigureProvider: %v %v", err, resp.Diagnostics)
			}
		}
	}
	return serverPair{framework: fw, served: served, typ: typ, version: schema.Version}
}

// providerConfigValue is a provider configuration for token authentication
// against url, every other attribute null.
func providerConfigValue(tb testing.TB, schemas *tfprotov6.GetProviderSchemaResponse, url string) *tfprotov6.DynamicValue {
	tb.Helper()
	providerType, ok := schemas.Provider.ValueType().(tftypes.Object)
	if !ok {
		tb.Fatalf("provider schema type %T", schemas.Provider.ValueType())
	}
	set := map[string]tftypes.Value{
		"project_id": tftypes.NewValue(tftypes.String, cbrfake.DefaultProjectID),
		"auth_token": tftypes.NewValue(tftypes.String, cbrfake.DefaultToken),
		"endpoints":  tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, map[string]tftypes.Value{"cbr": tftypes.NewValue(tftypes.String, url)}),
	}
	return mustDynamic(tb, providerType, objectWith(providerType, set))
}

// ctyType is the go-cty type of a tftypes type, as Terraform derives it from
// the schema.
func ctyType(t *testing.T, typ tftypes.Type) cty.Type {
	t.Helper()
	switch tt := typ.(type) {
	case tftypes.Object:
		attrs := map[string]cty.Type{}
		for k, v := range tt.AttributeTypes {
			attrs[k] = ctyType(t, v)
		}
		return cty.Object(attrs)
	case tftypes.List:
		return cty.List(ctyType(t, tt.ElementType))
	case tftypes.Map:
		return cty.Map(ctyType(t, tt.ElementType))
	}
	switch {
	case typ.Is(tftypes.String):
		return cty.String
	case typ.Is(tftypes.Number):
		return cty.Number
	case typ.Is(tftypes.Bool):
		return cty.Bool
	}
	t.Fatalf("no cty type for %s", typ)
	return cty.NilType
}

// decodeAsTerraform decodes a DynamicValue the way Terraform's plugin6 client
// does (decodeDynamicValue: msgpack first, then JSON).
func decodeAsTerraform(t *testing.T, v *tfprotov6.DynamicValue, ty cty.Type) cty.Value {
	t.Helper()
	if v == nil {
		return cty.NullVal(ty)
	}
	var out cty.Value
	var err error
	switch {
	case len(v.MsgPack) > 0:
		out, err = ctymsgpack.Unmarshal(v.MsgPack, ty)
	case len(v.JSON) > 0:
		out, err = ctyjson.Unmarshal(v.JSON, ty)
	default:
		out = cty.NullVal(ty)
	}
	if err != nil {
		t.Fatalf("Terraform could not decode the answer: %v", err)
	}
	return out
}

// stateJSON is a cbr_backup_sync state as Terraform stores it, with n
// backups keyed by backup_id, changed by edit (which gets the entries in
// the order of their keys; when it leaves state["backups"] alone, the
// entries are keyed by their backup_id once edited).
func stateJSON(t *testing.T, n int, edit func(state map[string]any, backups []map[string]any)) []byte {
	t.Helper()
	return stateJSONOf(t, n, true, edit)
}

// stateJSONList is stateJSON as schema version 1 (release 0.2.0) stored it:
// backups a list.
func stateJSONList(t *testing.T, n int, edit func(state map[string]any, backups []map[string]any)) []byte {
	t.Helper()
	return stateJSONOf(t, n, false, edit)
}

func stateJSONOf(t *testing.T, n int, keyed bool, edit func(state map[string]any, backups []map[string]any)) []byte {
	t.Helper()
	backups := make([]map[string]any, n)
	for i := range backups {
		backups[i] = numberedBackup(i).accepted(fmt.Sprintf("op-%d", i)).json()
	}
	state := map[string]any{"id": "6f1c2c4e-8f5e-4a55-9d38-0d1f6d1b2c3a", "wait_for_completion": false, "fail_on_import_failure": true, "triggers": nil, "timeouts": nil, "backups": backups}
	if edit != nil {
		edit(state, backups)
	}
	if list, ok := state["backups"].([]map[string]any); ok && keyed {
		m := make(map[string]any, len(list))
		for _, b := range list {
			id, _ := b["backup_id"].(string)
			m[id] = b
		}
		state["backups"] = m
	}
	data, err := json.Marshal(state)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDirectServerUpgradeResourceState(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pair := newServerPair(t, true, nil)
	ty := ctyType(t, pair.typ)
	set := func(k string, v any) func(map[string]any, []map[string]any) {
		return func(s map[string]any, _ []map[string]any) { s[k] = v }
	}
	cases := []struct {
		name    string
		version *int64 // nil: the schema's
		json    []byte
		flatmap map[string]string
		direct  bool // the direct path must answer
	}{
		{name: "stored state", json: stateJSON(t, 50, nil), direct: true},
		{name: "one backup", json: stateJSON(t, 1, nil), direct: true},
		{name: "2000 backups", json: stateJSON(t, 2000, nil), direct: true},
		{name: "statuses, triggers and timeouts", direct: true, json: stateJSON(t, 3, func(s map[string]any, b []map[string]any) {
			s["triggers"] = map[string]any{"run": "2", "why": "re-import"}
			s["timeouts"] = map[string]any{"create": "30m"}
			s["wait_for_completion"] = true
			b[0]["status"], b[1]["status"], b[2]["operation_log_id"] = "success", "failed", nil
		})},
		{name: "null and empty collections", direct: true, json: stateJSON(t, 0, func(s map[string]any, _ []map[string]any) {
			s["triggers"] = map[string]any{}
			s["timeouts"] = map[string]any{"create": nil}
		})},
		{name: "null backups and id", json: stateJSON(t, 0, func(s map[string]any, _ []map[string]any) { s["backups"], s["id"] = nil, nil }), direct: true},
		{name: "decomposed unicode, escapes and spaces", direct: true,
			json: []byte(strings.ReplaceAll(string(stateJSON(t, 2, func(_ map[string]any, b []map[string]any) {
				b[0]["backup_name"] = "vm-e\u0301\u00e9-\"quoted\"\\ \t\n 日本 \U0001F600"
			})), `,"`, ",\n  \""))},
		{name: "large and fractional numbers", direct: true, json: stateJSON(t, 2, func(_ map[string]any, b []map[string]any) {
			b[0]["created_at"] = json.Number("-0.5")
			b[1]["created_at"] = json.Number("123456789012345678901234567890")
		})},
		// Everything below goes to the framework.
		{name: "exponent", json: stateJSON(t, 1, func(_ map[string]any, b []map[string]any) { b[0]["created_at"] = json.Number("1.7e9") })},
		{name: "attribute missing", json: stateJSON(t, 2, func(_ map[string]any, b []map[string]any) { delete(b[1], "status") })},
		{name: "attribute of an older provider", json: stateJSON(t, 2, set("legacy", "x"))},
		{name: "nested attribute of an older provider", json: stateJSON(t, 2, func(_ map[string]any, b []map[string]any) { b[1]["size"] = 3 })},
		{name: "number as a string", json: stateJSON(t, 1, func(_ map[string]any, b []map[string]any) { b[0]["created_at"] = "1714521600" })},
		{name: "string as a number", json: stateJSON(t, 1, set("id", 12))},
		{name: "bool as a string", json: stateJSON(t, 1, set("wait_for_completion", "true"))},
		{name: "list instead of map", json: stateJSON(t, 1, set("backups", []any{}))},
		{name: "list of a version 1 state", json: stateJSONList(t, 2, nil)},
		{name: "escaped attribute name", json: []byte(strings.Replace(string(stateJSON(t, 1, nil)), `"id"`, `"\u0069d"`, 1))},
		{name: "duplicate attribute", json: []byte(strings.Replace(string(stateJSON(t, 1, nil)), `"id":`, `"wait_for_completion":false,"id":`, 1))},
		{name: "not JSON", json: []byte(`{"id":`)},
		{name: "invalid UTF-8", json: []byte(strings.Replace(string(stateJSON(t, 1, nil)), "vm-0-backup", "vm-\xff", 1))},
		{name: "null state", json: []byte(`null`)},
		{name: "trailing data", json: append(stateJSON(t, 1, nil), []byte(` {}`)...)},
		{name: "other version", version: ptr(pair.version + 1), json: stateJSON(t, 2, nil)},
		{name: "older version", version: ptr(pair.version - 1), json: stateJSONList(t, 2, nil)},
		{name: "version 0", version: ptr(int64(0)), json: stateJSONList(t, 2, func(s map[string]any, b []map[string]any) {
			delete(s, "fail_on_import_failure")
			for _, e := range b {
				delete(e, "sync_state")
			}
		})},
		{name: "flatmap", flatmap: map[string]string{"id": "x", "backups.#": "0"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			version := pair.version
			if c.version != nil {
				version = *c.version
			}
			req := func() *tfprotov6.UpgradeResourceStateRequest {
				return &tfprotov6.UpgradeResourceStateRequest{TypeName: "cbr_backup_sync", Version: version,
					RawState: &tfprotov6.RawState{JSON: c.json, Flatmap: c.flatmap}}
			}
			want, err := pair.framework.UpgradeResourceState(ctx, req())
			if err != nil {
				t.Fatal(err)
			}
			got, err := pair.served.UpgradeResourceState(ctx, req())
			if err != nil {
				t.Fatal(err)
			}
			direct := got.UpgradedState != nil && got.UpgradedState.JSON != nil
			if direct != c.direct {
				t.Errorf("answered by the direct path: %v, want %v", direct, c.direct)
			}
			if !reflect.DeepEqual(got.Diagnostics, want.Diagnostics) {
				t.Fatalf("diagnostics:\n got %v\nwant %v", got.Diagnostics, want.Diagnostics)
			}
			if (got.UpgradedState == nil) != (want.UpgradedState == nil) {
				t.Fatalf("upgraded state: got %v, want %v", got.UpgradedState, want.UpgradedState)
			}
			if want.UpgradedState == nil {
				return
			}
			g, w := decodeAsTerraform(t, got.UpgradedState, ty), decodeAsTerraform(t, want.UpgradedState, ty)
			if !g.RawEquals(w) {
				t.Fatalf("Terraform reads a different state:\n got %#v\nwant %#v", g, w)
			}
			if !direct {
				return
			}
			// And the framework reads the same value too (e.g. in a test's
			// import or a later call that receives it back).
			gv, err := got.UpgradedState.Unmarshal(pair.typ)
			if err != nil {
				t.Fatal(err)
			}
			wv, err := want.UpgradedState.Unmarshal(pair.typ)
			if err != nil {
				t.Fatal(err)
			}
			if !gv.Equal(wv) {
				t.Fatalf("tftypes values differ:\n got %s\nwant %s", gv, wv)
			}
		})
	}
}

func TestDirectServerReadResource(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	state := func(t *testing.T, typ tftypes.Object, n int, id any, op any) *tfprotov6.DynamicValue {
		backupsType, _ := typ.AttributeTypes["backups"].(tftypes.Map)
		obj, _ := backupsType.ElementType.(tftypes.Object)
		entries := make(map[string]tftypes.Value, n)
		for i := 0; i < n; i++ {
			attrs := map[string]tftypes.Value{}
			for name, at := range obj.AttributeTypes {
				attrs[name] = tftypes.NewValue(at, nil)
			}
			attrs["backup_id"] = tftypes.NewValue(tftypes.String, fmt.Sprintf("b-%d", i))
			attrs["created_at"] = tftypes.NewValue(tftypes.Number, 1714521600+i)
			attrs["operation_log_id"] = tftypes.NewValue(tftypes.String, op)
			entries[fmt.Sprintf("b-%d", i)] = tftypes.NewValue(obj, attrs)
		}
		attrs := map[string]tftypes.Value{}
		for name, at := range typ.AttributeTypes {
			attrs[name] = tftypes.NewValue(at, nil)
		}
		attrs["id"] = tftypes.NewValue(tftypes.String, id)
		attrs["backups"] = tftypes.NewValue(backupsType, entries)
		return mustDynamic(t, typ, tftypes.NewValue(typ, attrs))
	}
	type readCase struct {
		name    string
		state   *tfprotov6.DynamicValue
		private []byte
		direct  bool
	}
	cases := func(t *testing.T, typ tftypes.Object) []readCase {
		return []readCase{
			{name: "state", state: state(t, typ, 50, "6f1c2c4e", "op"), direct: true},
			{name: "2000 backups", state: state(t, typ, 2000, "6f1c2c4e", "op"), direct: true},
			{name: "null operation logs", state: state(t, typ, 3, "6f1c2c4e", nil), direct: true},
			{name: "unknown values", state: state(t, typ, 3, tftypes.UnknownValue, tftypes.UnknownValue), direct: true},
			{name: "null state", state: mustDynamic(t, typ, tftypes.NewValue(typ, nil)), direct: true},
			// To the framework:
			{name: "private data", state: state(t, typ, 2, "6f1c2c4e", "op"), private: []byte(`{"provider_key":"eyJrIjoidiJ9"}`)},
			{name: "private data after import", state: state(t, typ, 2, "6f1c2c4e", "op"), private: []byte(`{".import_before_read":"dHJ1ZQ=="}`)},
			{name: "state of another type", state: mustDynamic(t, tftypes.String, tftypes.NewValue(tftypes.String, "x"))},
			{name: "not msgpack", state: &tfprotov6.DynamicValue{MsgPack: []byte{0xc1}}},
			{name: "JSON state", state: &tfprotov6.DynamicValue{JSON: stateJSON(t, 2, nil)}},
			{name: "no state"},
		}
	}
	for _, setup := range []struct {
		name      string
		configure bool
		caps      *tfprotov6.ConfigureProviderClientCapabilities
		direct    bool
	}{
		{name: "configured", configure: true, direct: true},
		{name: "not configured", direct: true},
		// Terraform allows deferral in the apply walk; this provider's
		// Configure does not defer, so the direct path still answers.
		{name: "deferral allowed", configure: true, caps: &tfprotov6.ConfigureProviderClientCapabilities{DeferralAllowed: true}, direct: true},
	} {
		t.Run(setup.name, func(t *testing.T) {
			pair := newServerPair(t, setup.configure, setup.caps)
			ty := ctyType(t, pair.typ)
			for _, c := range cases(t, pair.typ) {
				t.Run(c.name, func(t *testing.T) {
					req := func() *tfprotov6.ReadResourceRequest {
						return &tfprotov6.ReadResourceRequest{TypeName: "cbr_backup_sync", CurrentState: c.state, Private: c.private}
					}
					want, err := pair.framework.ReadResource(ctx, req())
					if err != nil {
						t.Fatal(err)
					}
					got, err := pair.served.ReadResource(ctx, req())
					if err != nil {
						t.Fatal(err)
					}
					direct := c.state != nil && got.NewState == c.state
					if wantDirect := c.direct && setup.direct; direct != wantDirect {
						t.Errorf("answered by the direct path: %v, want %v", direct, wantDirect)
					}
					if !reflect.DeepEqual(got.Diagnostics, want.Diagnostics) {
						t.Fatalf("diagnostics:\n got %v\nwant %v", got.Diagnostics, want.Diagnostics)
					}
					if !reflect.DeepEqual(got.Private, want.Private) {
						t.Fatalf("private: got %q, want %q", got.Private, want.Private)
					}
					if !reflect.DeepEqual(got.Deferred, want.Deferred) || !reflect.DeepEqual(got.NewIdentity, want.NewIdentity) {
						t.Fatalf("deferred/identity: got %v %v, want %v %v", got.Deferred, got.NewIdentity, want.Deferred, want.NewIdentity)
					}
					if want.NewState == nil || len(want.Diagnostics) > 0 {
						if !reflect.DeepEqual(got.NewState, want.NewState) {
							t.Fatalf("new state: got %v, want %v", got.NewState, want.NewState)
						}
						return
					}
					if g, w := decodeAsTerraform(t, got.NewState, ty), decodeAsTerraform(t, want.NewState, ty); !g.RawEquals(w) {
						t.Fatalf("Terraform reads a different state:\n got %#v\nwant %#v", g, w)
					}
				})
			}
		})
	}
}

// TestMayDefer: reads and plans go to the framework only when Terraform
// allows deferral and the provider deferred (or cannot tell).
func TestMayDefer(t *testing.T) {
	for _, c := range []struct {
		allowed, deferred, reports, want bool
	}{
		{allowed: false, reports: true, want: false},
		{allowed: true, deferred: false, reports: true, want: false},
		{allowed: true, deferred: true, reports: true, want: true},
		{allowed: true, reports: false, want: true},
		{allowed: false, reports: false, want: false},
	} {
		p := &cbrProvider{}
		p.deferred.Store(c.deferred)
		s := &directServer{provider: p}
		if !c.reports {
			s.provider = struct{ provider.Provider }{p}
		}
		s.deferrable.Store(c.allowed)
		if got := s.mayDefer(); got != c.want {
			t.Errorf("%+v: mayDefer() = %v", c, got)
		}
	}
}

// TestResourceCallGates: the served server skips Read (ReadResource answers
// the prior state) and Delete (a destroy answers a null state) only for
// resources that declare it, and a resource that declares it must have an
// empty Read or Delete: give one logic without withdrawing the declaration
// and this test fails.
func TestResourceCallGates(t *testing.T) {
	ctx := context.Background()
	p := &cbrProvider{version: "test", getenv: func(string) string { return "" }}
	declared := map[string]map[string]bool{"Read": {}, "Delete": {}}
	for _, newResource := range p.Resources(ctx) {
		r := newResource()
		name := reflect.TypeOf(r).Elem().Name()
		if pr, ok := r.(priorStateReader); ok && pr.ReadReturnsPriorState() {
			declared["Read"][name] = true
		}
		if dc, ok := r.(deleteCallsNothing); ok && dc.DeleteCallsNothing() {
			declared["Delete"][name] = true
		}
	}
	for _, method := range []string{"Read", "Delete"} {
		if !declared[method]["backupSyncResource"] {
			t.Errorf("backupSyncResource no longer declares that its %s does nothing: remove this expectation if that is meant (the framework then answers)", method)
		}
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	methods := map[string]map[string]*ast.FuncDecl{"Read": {}, "Delete": {}}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || methods[fn.Name.Name] == nil || len(fn.Recv.List) != 1 {
				continue
			}
			recv := fn.Recv.List[0].Type
			if star, ok := recv.(*ast.StarExpr); ok {
				recv = star.X
			}
			if id, ok := recv.(*ast.Ident); ok {
				methods[fn.Name.Name][id.Name] = fn
			}
		}
	}
	for method, names := range declared {
		for name := range names {
			fn := methods[method][name]
			if fn == nil {
				t.Errorf("%s declares that its %s does nothing but the method was not found", name, method)
				continue
			}
			if fn.Body == nil || len(fn.Body.List) > 0 {
				t.Errorf("%s.%s (%s) has logic, but %s declares that it does nothing, so the served binary skips it: withdraw the declaration (server.go)",
					name, method, fset.Position(fn.Pos()), name)
			}
		}
	}
}

// TestServedServerCapabilities: terraform-plugin-go finds a server's optional
// capabilities (tfprotov6.ProviderServerWith*: actions, list resources,
// state stores...) by type assertion, so a wrapper that lacks a method the
// framework's server has silently hides that capability. Every method of
// every such interface that the framework's server implements must be
// implemented by the served server too. The interfaces are read from the
// tfprotov6 package's source, so a new capability is checked without
// changing this test.
func TestServedServerCapabilities(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}", "github.com/hashicorp/terraform-plugin-go/tfprotov6").Output()
	if err != nil {
		t.Fatalf("go list tfprotov6: %v", err)
	}
	dir := strings.TrimSpace(string(out))
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("tfprotov6 sources in %s: %v", dir, err)
	}
	fset := token.NewFileSet()
	interfaces := map[string]*ast.InterfaceType{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if ts, ok := n.(*ast.TypeSpec); ok {
				if it, ok := ts.Type.(*ast.InterfaceType); ok {
					interfaces[ts.Name.Name] = it
				}
			}
			return true
		})
	}
	// methodsOf lists an interface's methods, embedded interfaces of the
	// package included.
	var methodsOf func(name string) []string
	methodsOf = func(name string) []string {
		var names []string
		for _, f := range interfaces[name].Methods.List {
			switch typ := f.Type.(type) {
			case *ast.FuncType:
				for _, n := range f.Names {
					names = append(names, n.Name)
				}
			case *ast.Ident:
				if interfaces[typ.Name] != nil {
					names = append(names, methodsOf(typ.Name)...)
				}
			}
		}
		return names
	}
	fw, err := providerserver.NewProtocol6WithError(&cbrProvider{version: "test", getenv: func(string) string { return "" }})()
	if err != nil {
		t.Fatal(err)
	}
	served, err := NewServer("test", func(string) string { return "" })()
	if err != nil {
		t.Fatal(err)
	}
	fwType, servedType := reflect.TypeOf(fw), reflect.TypeOf(served)
	checked := 0
	for name := range interfaces {
		if !strings.HasPrefix(name, "ProviderServerWith") {
			continue
		}
		checked++
		methods := methodsOf(name)
		hasAll := func(typ reflect.Type) bool {
			for _, m := range methods {
				if _, ok := typ.MethodByName(m); !ok {
					return false
				}
			}
			return true
		}
		if hasAll(fwType) && !hasAll(servedType) {
			t.Errorf("the framework's server offers tfprotov6.%s but the served server (%s) does not: it hides that capability", name, servedType)
		}
	}
	if checked == 0 {
		t.Fatalf("no tfprotov6.ProviderServerWith* interface found in %s", dir)
	}
}

// TestServedActions: the served server answers the action calls, which
// tf6server finds by a type assertion; a wrapper that loses them makes every
// action fail with "ValidateActionConfig Not Implemented".
func TestServedActions(t *testing.T) {
	srv, err := NewServer("test", func(string) string { return "" })()
	if err != nil {
		t.Fatal(err)
	}
	as, ok := srv.(tfprotov6.ActionServer)
	if !ok {
		t.Fatalf("the served %T does not answer action calls", srv)
	}
	schemas, err := srv.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	schema := schemas.ActionSchemas["cbr_backup_sync"]
	if schema == nil {
		t.Fatal("no action schema for cbr_backup_sync")
	}
	typ := schema.Schema.ValueType()
	cfg, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, nil))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := as.ValidateActionConfig(context.Background(), &tfprotov6.ValidateActionConfigRequest{ActionType: "cbr_backup_sync", Config: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		if strings.Contains(d.Summary, "Not Implemented") {
			t.Errorf("%s: %s", d.Summary, d.Detail)
		}
	}
}
