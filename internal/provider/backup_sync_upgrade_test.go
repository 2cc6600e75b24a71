package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// v0State is a cbr_backup_sync as release 0.1.0 (schema version 0) wrote it:
// the first backup confirmed by CBR, the second missing from an incomplete
// answer (a tainted record), with wait_for_completion and a timeout.
const v0State = `{
  "backups": [
    {"backup_id": "b-1", "backup_name": "vm-01-backup", "bucket_name": "hybrid-backups", "created_at": 1553587260,
     "image_path": "6abec15e/01/chain", "operation_log_id": "154f0a9d-ba53-4e91-a3e2-a918710a9e0d", "resource_id": "vm-1",
     "resource_name": "vm-01", "resource_type": "OS::Native::Server", "status": "success"},
    {"backup_id": "b-2", "backup_name": "vm-02-backup", "bucket_name": "hybrid-backups", "created_at": 1553587261,
     "image_path": "6abec15e/02/chain", "operation_log_id": null, "resource_id": "vm-2",
     "resource_name": "vm-02", "resource_type": "OS::Cinder::Volume", "status": null}
  ],
  "id": "0e7c7b37-4f8e-4f5e-9a43-2d1f2b6c9a10",
  "timeouts": {"create": "30m"},
  "triggers": {"run": "1"},
  "wait_for_completion": true
}`

// TestBackupSyncUpgradeStateV0 upgrades a version 0 state through the
// provider server, as Terraform does, without any API call (the provider is
// not even configured): confirmed backups become accepted, the others
// unknown, so none of them is sent again.
func TestBackupSyncUpgradeStateV0(t *testing.T) {
	ctx := context.Background()
	server, err := providerserver.NewProtocol6WithError(&cbrProvider{version: "test", getenv: func(string) string { return "" }})()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{}); err != nil {
		t.Fatal(err)
	}
	resp, err := server.UpgradeResourceState(ctx, &tfprotov6.UpgradeResourceStateRequest{
		TypeName: "cbr_backup_sync", Version: 0, RawState: &tfprotov6.RawState{JSON: []byte(v0State)},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Errorf("diagnostic %s: %s", d.Summary, d.Detail)
	}
	if resp.UpgradedState == nil {
		t.Fatal("no upgraded state")
	}
	var sr resource.SchemaResponse
	(&backupSyncResource{}).Schema(ctx, resource.SchemaRequest{}, &sr)
	if sr.Schema.Version != 1 {
		t.Errorf("schema version %d", sr.Schema.Version)
	}
	typ := sr.Schema.Type().TerraformType(ctx)
	v, err := resp.UpgradedState.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]tftypes.Value
	if err := v.As(&top); err != nil {
		t.Fatal(err)
	}
	var backups []tftypes.Value
	if err := top["backups"].As(&backups); err != nil || len(backups) != 2 {
		t.Fatalf("backups %v (%v)", top["backups"], err)
	}
	str := func(v tftypes.Value, name string) *string {
		var m map[string]tftypes.Value
		if err := v.As(&m); err != nil {
			t.Fatal(err)
		}
		var s *string
		if err := m[name].As(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	want := []struct{ op, state, status, typ string }{
		{"154f0a9d-ba53-4e91-a3e2-a918710a9e0d", syncAccepted, "success", "OS::Native::Server"},
		{"", syncUnknown, "", "OS::Cinder::Volume"},
	}
	deref := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	for i, w := range want {
		b := backups[i]
		if got := deref(str(b, "operation_log_id")); got != w.op {
			t.Errorf("backups[%d].operation_log_id = %q, want %q", i, got, w.op)
		}
		if got := deref(str(b, "sync_state")); got != w.state {
			t.Errorf("backups[%d].sync_state = %q, want %q", i, got, w.state)
		}
		if got := deref(str(b, "status")); got != w.status {
			t.Errorf("backups[%d].status = %q, want %q", i, got, w.status)
		}
		if got := deref(str(b, "resource_type")); got != w.typ {
			t.Errorf("backups[%d].resource_type = %q, want %q", i, got, w.typ)
		}
	}
	var id *string
	if err := top["id"].As(&id); err != nil || deref(id) != "0e7c7b37-4f8e-4f5e-9a43-2d1f2b6c9a10" {
		t.Errorf("id %v", top["id"])
	}
	var wait *bool
	if err := top["wait_for_completion"].As(&wait); err != nil || wait == nil || !*wait {
		t.Errorf("wait_for_completion %v", top["wait_for_completion"])
	}
	var tm map[string]tftypes.Value
	if err := top["timeouts"].As(&tm); err != nil {
		t.Fatal(err)
	}
	var create *string
	if err := tm["create"].As(&create); err != nil || deref(create) != "30m" {
		t.Errorf("timeouts %v", top["timeouts"])
	}
}
