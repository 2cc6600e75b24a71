package provider

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// resourceServer serves the provider in-process, with the schema of
// cbr_backup_sync, for calls Terraform would make.
type resourceServer struct {
	server  tfprotov6.ProviderServer
	typ     tftypes.Object
	backupT tftypes.Object
}

func newResourceServer(t *testing.T) *resourceServer {
	t.Helper()
	server, err := providerserver.NewProtocol6WithError(&cbrProvider{version: "test", getenv: func(string) string { return "" }})()
	if err != nil {
		t.Fatal(err)
	}
	schemas, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(schemas.Diagnostics) > 0 {
		t.Fatalf("GetProviderSchema: %v %v", err, schemas.Diagnostics)
	}
	typ, ok := schemas.ResourceSchemas["cbr_backup_sync"].ValueType().(tftypes.Object)
	if !ok {
		t.Fatal("the resource type is not an object")
	}
	backups, ok := typ.AttributeTypes["backups"].(tftypes.Map)
	if !ok {
		t.Fatal("backups is not a map")
	}
	backupT, ok := backups.ElementType.(tftypes.Object)
	if !ok {
		t.Fatal("a backup is not an object")
	}
	return &resourceServer{server: server, typ: typ, backupT: backupT}
}

// validate runs ValidateResourceConfig on a configuration whose backups are
// given as attribute values (strings, or numbers as *big.Float); attributes
// not given are null, or valid defaults for the required ones. Each entry is
// keyed by its keyAttr, or else by its backup_id, or else "id-<index>".
func (s *resourceServer) validate(t *testing.T, backups []map[string]any) []*tfprotov6.Diagnostic {
	t.Helper()
	entries := map[string]tftypes.Value{}
	for i, b := range backups {
		key := fmt.Sprintf("id-%d", i)
		if id, ok := b["backup_id"].(string); ok {
			key = id
		}
		if k, ok := b[keyAttr].(string); ok {
			key = k
		}
		if _, dup := entries[key]; dup {
			t.Fatalf("validate: two entries keyed %q", key)
		}
		vals := map[string]tftypes.Value{}
		for name, at := range s.backupT.AttributeTypes {
			var v any
			switch name {
			case "backup_name", "bucket_name", "image_path", "resource_id", "resource_name":
				v = name + "-value"
			case "created_at":
				v = big.NewFloat(1553587260)
			}
			if given, ok := b[name]; ok {
				v = given
			}
			vals[name] = tftypes.NewValue(at, v)
		}
		entries[key] = tftypes.NewValue(s.backupT, vals)
	}
	attrs := map[string]tftypes.Value{}
	for name, at := range s.typ.AttributeTypes {
		attrs[name] = tftypes.NewValue(at, nil)
	}
	attrs["backups"] = tftypes.NewValue(s.typ.AttributeTypes["backups"], entries)
	dv, err := tfprotov6.NewDynamicValue(s.typ, tftypes.NewValue(s.typ, attrs))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.server.ValidateResourceConfig(context.Background(), &tfprotov6.ValidateResourceConfigRequest{TypeName: "cbr_backup_sync", Config: &dv})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Diagnostics
}

// diagAt returns the diagnostic of a severity and summary on an attribute
// path such as backups["bk-1"] ("" for none).
func diagAt(diags []*tfprotov6.Diagnostic, sev tfprotov6.DiagnosticSeverity, at, summary string) *tfprotov6.Diagnostic {
	for _, d := range diags {
		if d.Severity != sev || d.Summary != summary {
			continue
		}
		if d.Attribute == nil && at == "" || d.Attribute != nil && attributePathString(d.Attribute) == at {
			return d
		}
	}
	return nil
}

func attributePathString(p *tftypes.AttributePath) string {
	var b strings.Builder
	for _, step := range p.Steps() {
		switch s := step.(type) {
		case tftypes.AttributeName:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(string(s))
		case tftypes.ElementKeyInt:
			fmt.Fprintf(&b, "[%d]", int64(s))
		case tftypes.ElementKeyString:
			fmt.Fprintf(&b, "[%q]", string(s))
		}
	}
	return b.String()
}

// TestBackupsValidationReportsEverything: a map with an entry whose
// backup_id differs from its key, a blank key and mistakes in other entries
// gets every error at once, each on its entry and naming the attribute; a
// fractional created_at says whole seconds are expected, milliseconds get a
// hint, and the undocumented resource types of several entries are one
// warning.
func TestBackupsValidationReportsEverything(t *testing.T) {
	s := newResourceServer(t)
	long := strings.Repeat("n", 40) + strings.Repeat("é", 30)
	diags := s.validate(t, []map[string]any{
		{"backup_id": "bk-a"},
		{keyAttr: "bk-b", "backup_id": "bk-a", "created_at": big.NewFloat(1553587260.5)},
		{keyAttr: "bk-c", "bucket_name": " ", "backup_name": long},
		{"backup_id": "bk-d", "created_at": big.NewFloat(1714521600000), "resource_type": "OS::Nova::Sever"},
		{"backup_id": "bk-e", "resource_type": "OS::Cinder::Volume", "created_at": big.NewFloat(-5)},
		{keyAttr: "bk-f", "resource_type": "VMware"},
		{keyAttr: " "},
	})
	errs, warns := 0, 0
	for _, d := range diags {
		switch d.Severity {
		case tfprotov6.DiagnosticSeverityError:
			errs++
		case tfprotov6.DiagnosticSeverityWarning:
			warns++
		}
	}
	for _, want := range []struct {
		sev     tfprotov6.DiagnosticSeverity
		at      string
		summary string
		detail  string
	}{
		{tfprotov6.DiagnosticSeverityError, `backups["bk-b"]`, "Backup ID Differs From Its Key", `backups["bk-b"].backup_id is "bk-a", but the entry's key is "bk-b". Each entry is keyed by its backup_id: leave backup_id out, or make it equal to the key.`},
		{tfprotov6.DiagnosticSeverityError, `backups[" "]`, "Blank Backup ID", `backups has an entry whose key, its backup_id, is " ": keys must not be empty or only white space.`},
		{tfprotov6.DiagnosticSeverityError, `backups["bk-b"]`, "Invalid Backup Time", `backups["bk-b"].created_at must be a whole number of seconds since the Unix epoch, got 1553587260.5. CBR takes whole seconds`},
		{tfprotov6.DiagnosticSeverityError, `backups["bk-c"]`, "Blank Value", `backups["bk-c"].bucket_name must not be empty or only white space, got " ".`},
		{tfprotov6.DiagnosticSeverityError, `backups["bk-c"]`, "Backup Name Too Long", `backups["bk-c"].backup_name is 70 characters long, more than the 64 CBR accepts: "` + strings.Repeat("n", 32) + `…".`},
		{tfprotov6.DiagnosticSeverityError, `backups["bk-d"]`, "Invalid Backup Time", `backups["bk-d"].created_at value must be between 1 and 2147483647, got: 1714521600000. created_at is in seconds since the Unix epoch, which the API takes as a 32-bit integer. This looks like milliseconds: in seconds it is 1714521600 (2024-05-01T00:00:00Z).`},
		{tfprotov6.DiagnosticSeverityError, `backups["bk-e"]`, "Invalid Backup Time", `backups["bk-e"].created_at value must be between 1 and 2147483647, got: -5.`},
		// One warning for both entries, on the first by key.
		{tfprotov6.DiagnosticSeverityWarning, `backups["bk-d"]`, "Unknown Resource Type", `2 backups in backups have a resource_type that CBR does not document (it documents OS::Native::Server, OS::Nova::Server, OS::Cinder::Volume`},
		{tfprotov6.DiagnosticSeverityWarning, `backups["bk-d"]`, "Unknown Resource Type", `: bk-d ("OS::Nova::Sever"), bk-f ("VMware"). It is sent as written`},
	} {
		d := diagAt(diags, want.sev, want.at, want.summary)
		if d == nil {
			t.Errorf("no %s on %s; got %d errors and %d warnings: %s", want.summary, want.at, errs, warns, diagText(diags))
			continue
		}
		if !strings.Contains(d.Detail, want.detail) {
			t.Errorf("%s: %q: %q\nwant %q: %q", want.at, d.Summary, d.Detail, want.summary, want.detail)
		}
	}
	if errs != 7 || warns != 1 {
		t.Errorf("%d errors and %d warnings, want 7 and 1: %s", errs, warns, diagText(diags))
	}
	// No hint for a large number that is not milliseconds of a valid time.
	d := diagAt(s.validate(t, []map[string]any{{"created_at": big.NewFloat(2147483648)}}), tfprotov6.DiagnosticSeverityError, `backups["id-0"]`, "Invalid Backup Time")
	if d == nil || strings.Contains(d.Detail, "milliseconds") {
		t.Errorf("created_at 2147483648: %v", d)
	}
	// The documented types, and the default, pass without a warning; so
	// does a backup_id equal to its key, or left out.
	var docs []map[string]any
	for i, rt := range resourceTypes {
		docs = append(docs, map[string]any{"backup_id": fmt.Sprintf("ok-%d", i), "resource_type": rt.name})
	}
	docs = append(docs, map[string]any{"backup_id": "default"}, map[string]any{keyAttr: "left-out"})
	if diags := s.validate(t, docs); len(diags) != 0 {
		t.Errorf("documented resource types: %s", diagText(diags))
	}
}

// TestBackupsMapBounds: an empty map is an error on backups; more than
// maxBackupsPerResource is one short error without an attribute path (so
// that Terraform does not quote the whole expression) that gives the bound
// and how to split the inventory, and it stops the other checks of the map.
func TestBackupsMapBounds(t *testing.T) {
	t.Parallel()
	s := newResourceServer(t)
	diags := s.validate(t, nil)
	if d := diagAt(diags, tfprotov6.DiagnosticSeverityError, "backups", "No Backups"); d == nil || len(diags) != 1 || !strings.Contains(d.Detail, "backups is empty: give at least one backup.") {
		t.Errorf("empty map: %s", diagText(diags))
	}
	many := make([]map[string]any, maxBackupsPerResource+1)
	for i := range many {
		many[i] = map[string]any{"resource_type": "VMware"}
	}
	diags = s.validate(t, many)
	d := diagAt(diags, tfprotov6.DiagnosticSeverityError, "", "Too Many Backups")
	if d == nil || len(diags) != 1 {
		t.Fatalf("%d backups: want one Too Many Backups error without a path: %s", len(many), diagText(diags))
	}
	for _, want := range []string{
		fmt.Sprintf("backups holds %d backups; one cbr_backup_sync holds at most %d", maxBackupsPerResource+1, maxBackupsPerResource),
		"Split the inventory into several cbr_backup_sync resources by something that never changes for a backup",
		"(a backup that moves is sent again)",
	} {
		if !strings.Contains(d.Detail, want) {
			t.Errorf("detail lacks %q: %s", want, d.Detail)
		}
	}
	// At the bound: no error, and one warning for the 5000 undocumented types.
	diags = s.validate(t, many[:maxBackupsPerResource])
	if w := diagAt(diags, tfprotov6.DiagnosticSeverityWarning, `backups["id-0"]`, "Unknown Resource Type"); w == nil || len(diags) != 1 ||
		!strings.Contains(w.Detail, "5000 backups in backups have a resource_type") || !strings.Contains(w.Detail, "and 4995 more") {
		t.Errorf("%d backups: %s", maxBackupsPerResource, diagText(diags))
	}
}

func diagText(diags []*tfprotov6.Diagnostic) string {
	var b strings.Builder
	for _, d := range diags {
		at := ""
		if d.Attribute != nil {
			at = attributePathString(d.Attribute)
		}
		fmt.Fprintf(&b, "\n  %s %s: %s: %s", d.Severity, at, d.Summary, d.Detail)
	}
	return b.String()
}

// TestStateWithIntegerCreatedAtStillReads: created_at is a number attribute
// now (it was an integer one); a state written before reads as it was, with
// no upgrade, and plans no change.
func TestStateWithIntegerCreatedAtStillReads(t *testing.T) {
	s := newResourceServer(t)
	// The state of one backup as the previous version wrote it.
	raw := []byte(`{"backups":[{"backup_id":"bk-1","backup_name":"vm-01-backup","bucket_name":"b","created_at":1553587260,"image_path":"p","operation_log_id":"op-1","resource_id":"r","resource_name":"vm-01","resource_type":"OS::Native::Server","status":null}],"id":"6f1c2c4e-8f5e-4a55-9d38-0d1f6d1b2c3a","timeouts":null,"triggers":null,"wait_for_completion":false}`)
	resp, err := s.server.UpgradeResourceState(context.Background(), &tfprotov6.UpgradeResourceStateRequest{TypeName: "cbr_backup_sync", Version: 0, RawState: &tfprotov6.RawState{JSON: raw}})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("UpgradeResourceState: %v %s", err, diagText(resp.Diagnostics))
	}
	v, err := resp.UpgradedState.Unmarshal(s.typ)
	if err != nil {
		t.Fatal(err)
	}
	var attrs map[string]tftypes.Value
	if err := v.As(&attrs); err != nil {
		t.Fatal(err)
	}
	var entries map[string]tftypes.Value
	if err := attrs["backups"].As(&entries); err != nil || len(entries) != 1 {
		t.Fatalf("backups: %v, %d", err, len(entries))
	}
	var b map[string]tftypes.Value
	if err := entries["bk-1"].As(&b); err != nil {
		t.Fatal(err)
	}
	var n big.Float
	if err := b["created_at"].As(&n); err != nil || n.Cmp(big.NewFloat(1553587260)) != 0 {
		t.Fatalf("created_at = %s, %v", n.String(), err)
	}
}

// TestAccBackupSync_createdAtAndResourceType through the CLI: a fractional
// created_at and one in milliseconds are plan-time errors on the entry,
// while an unknown resource_type is only a warning: the apply sends it.
func TestAccBackupSync_createdAtAndResourceType(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	backups := makeBackups(2)
	plain := backupsConfig(backups)
	at1 := fmt.Sprintf("created_at    = %d", backups[1].CreatedAt)
	fraction := strings.Replace(plain, at1, "created_at    = 1553587260.5", 1)
	millis := strings.Replace(plain, at1, "created_at    = 1714521600000", 1)
	backups[1].ResourceType = "OS::Nova::Sever"
	unknownType := backupsConfig(backups)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{Config: providerConfig(url) + fraction, PlanOnly: true,
				ExpectError: errorLike(`(?s)Invalid Backup Time.*backups\["1f9e6b47-7655-4a19-b563-000000000001"\].created_at must be a whole number of seconds since the Unix epoch, got 1553587260.5\.`)},
			{Config: providerConfig(url) + millis, PlanOnly: true,
				ExpectError: errorLike(`(?s)backups\["1f9e6b47-7655-4a19-b563-000000000001"\].created_at value must be between 1 and 2147483647, got: 1714521600000.*This looks like milliseconds: in seconds it is 1714521600`)},
			{Config: providerConfig(url) + unknownType,
				Check: func(*terraform.State) error {
					synced := fake.Synced()
					if len(synced) != 2 || synced[1].ResourceType != "OS::Nova::Sever" || synced[1].CreatedAt != backups[1].CreatedAt {
						return fmt.Errorf("the fake applied %+v", synced)
					}
					return nil
				}},
		},
	})
}
