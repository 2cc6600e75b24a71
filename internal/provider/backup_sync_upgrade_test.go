package provider

import (
	"context"
	"math/big"
	"strings"
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

// v1State is a cbr_backup_sync as release 0.2.0 (schema version 1) wrote it:
// a list, in configuration order (not the order of the backup IDs), with
// sync_state and fail_on_import_failure: an accepted backup with a status,
// one whose outcome is unknown, one not sent, and one adopted by terraform
// import (only its backup_id and operation_log_id known).
const v1State = `{
  "backups": [
    {"backup_id": "b-3", "backup_name": "vm-03-backup", "bucket_name": "hybrid-backups", "created_at": 1553587262,
     "image_path": "6abec15e/03/chain", "operation_log_id": "2c3e1a7b-0d4f-4b8a-9e6c-5f7a8b9c0d1e", "resource_id": "vm-3",
     "resource_name": "vm-03", "resource_type": "OS::Native::Server", "status": "failed", "sync_state": "accepted"},
    {"backup_id": "b-1", "backup_name": "vm-01-backup", "bucket_name": "hybrid-backups", "created_at": 1553587260,
     "image_path": "6abec15e/01/chain", "operation_log_id": null, "resource_id": "vm-1",
     "resource_name": "vm-01", "resource_type": "OS::Native::Server", "status": null, "sync_state": "unknown"},
    {"backup_id": "b-2", "backup_name": "vm-02-backup", "bucket_name": "hybrid-backups", "created_at": 1553587261,
     "image_path": "6abec15e/02/chain", "operation_log_id": null, "resource_id": "vm-2",
     "resource_name": "vm-02", "resource_type": "OS::Cinder::Volume", "status": null, "sync_state": "not_sent"},
    {"backup_id": "b-0", "backup_name": null, "bucket_name": null, "created_at": null,
     "image_path": null, "operation_log_id": "154f0a9d-ba53-4e91-a3e2-a918710a9e0d", "resource_id": null,
     "resource_name": null, "resource_type": null, "status": null, "sync_state": "adopted"}
  ],
  "fail_on_import_failure": false,
  "id": "0e7c7b37-4f8e-4f5e-9a43-2d1f2b6c9a10",
  "timeouts": null,
  "triggers": null,
  "wait_for_completion": true
}`

// upgradedEntry is what the test checks of an entry of the upgraded state
// ("" for null).
type upgradedEntry struct {
	backupID, op, state, status, typ, name string
	createdAt                              int64
}

// upgrade upgrades a stored state of version through a provider server that
// is not configured, as Terraform does before any plan: no API call can be
// made. It returns the upgraded value and the diagnostics.
func upgrade(t *testing.T, version int64, stored string) (tftypes.Value, []*tfprotov6.Diagnostic) {
	t.Helper()
	ctx := context.Background()
	server, err := providerserver.NewProtocol6WithError(&cbrProvider{version: "test", getenv: func(string) string { return "" }})()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{}); err != nil {
		t.Fatal(err)
	}
	resp, err := server.UpgradeResourceState(ctx, &tfprotov6.UpgradeResourceStateRequest{
		TypeName: "cbr_backup_sync", Version: version, RawState: &tfprotov6.RawState{JSON: []byte(stored)},
	})
	if err != nil {
		t.Fatal(err)
	}
	var sr resource.SchemaResponse
	(&backupSyncResource{}).Schema(ctx, resource.SchemaRequest{}, &sr)
	typ := sr.Schema.Type().TerraformType(ctx)
	if resp.UpgradedState == nil {
		return tftypes.NewValue(typ, nil), resp.Diagnostics
	}
	v, err := resp.UpgradedState.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	return v, resp.Diagnostics
}

// upgradedEntries reads the backups map of an upgraded state, by key.
func upgradedEntries(t *testing.T, top map[string]tftypes.Value) map[string]upgradedEntry {
	t.Helper()
	var backups map[string]tftypes.Value
	if err := top["backups"].As(&backups); err != nil {
		t.Fatalf("backups %v: %v", top["backups"], err)
	}
	out := map[string]upgradedEntry{}
	for k, b := range backups {
		var m map[string]tftypes.Value
		if err := b.As(&m); err != nil {
			t.Fatal(err)
		}
		str := func(name string) string {
			var s *string
			if err := m[name].As(&s); err != nil {
				t.Fatal(err)
			}
			if s == nil {
				return ""
			}
			return *s
		}
		var created *big.Float
		if err := m["created_at"].As(&created); err != nil {
			t.Fatal(err)
		}
		e := upgradedEntry{backupID: str("backup_id"), op: str("operation_log_id"), state: str("sync_state"), status: str("status"),
			typ: str("resource_type"), name: str("backup_name")}
		if created != nil {
			e.createdAt, _ = created.Int64()
		}
		out[k] = e
	}
	return out
}

// TestBackupSyncUpgradeState upgrades states of versions 0 (release 0.1.0)
// and 1 (release 0.2.0), where backups was a list, to the map of version 2,
// from the stored JSON without any API call: every backup is keyed by its
// backup_id and keeps its operation_log_id, status and sync_state (version
// 0, which had no sync_state: confirmed backups become accepted, the others
// unknown), so that none of them is sent again.
func TestBackupSyncUpgradeState(t *testing.T) {
	var sr resource.SchemaResponse
	(&backupSyncResource{}).Schema(context.Background(), resource.SchemaRequest{}, &sr)
	if sr.Schema.Version != 2 {
		t.Errorf("schema version %d, want 2", sr.Schema.Version)
	}
	cases := []struct {
		name      string
		version   int64
		stored    string
		want      map[string]upgradedEntry
		wait      bool
		failOn    bool
		timeout   string
		triggered bool
	}{
		{
			name: "version 0", version: 0, stored: v0State, wait: true, failOn: true, timeout: "30m", triggered: true,
			want: map[string]upgradedEntry{
				"b-1": {"b-1", "154f0a9d-ba53-4e91-a3e2-a918710a9e0d", syncAccepted, "success", "OS::Native::Server", "vm-01-backup", 1553587260},
				"b-2": {"b-2", "", syncUnknown, "", "OS::Cinder::Volume", "vm-02-backup", 1553587261},
			},
		},
		{
			name: "version 1", version: 1, stored: v1State, wait: true, failOn: false,
			want: map[string]upgradedEntry{
				"b-0": {"b-0", "154f0a9d-ba53-4e91-a3e2-a918710a9e0d", syncAdopted, "", "", "", 0},
				"b-1": {"b-1", "", syncUnknown, "", "OS::Native::Server", "vm-01-backup", 1553587260},
				"b-2": {"b-2", "", syncNotSent, "", "OS::Cinder::Volume", "vm-02-backup", 1553587261},
				"b-3": {"b-3", "2c3e1a7b-0d4f-4b8a-9e6c-5f7a8b9c0d1e", syncAccepted, "failed", "OS::Native::Server", "vm-03-backup", 1553587262},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, diags := upgrade(t, c.version, c.stored)
			for _, d := range diags {
				t.Errorf("diagnostic %s: %s", d.Summary, d.Detail)
			}
			if v.IsNull() {
				t.Fatal("no upgraded state")
			}
			var top map[string]tftypes.Value
			if err := v.As(&top); err != nil {
				t.Fatal(err)
			}
			got := upgradedEntries(t, top)
			if len(got) != len(c.want) {
				t.Errorf("%d backups, want %d: %v", len(got), len(c.want), got)
			}
			for k, w := range c.want {
				if g, ok := got[k]; !ok || g != w {
					t.Errorf("backups[%q] = %+v, want %+v", k, g, w)
				}
			}
			var id *string
			if err := top["id"].As(&id); err != nil || id == nil || *id != "0e7c7b37-4f8e-4f5e-9a43-2d1f2b6c9a10" {
				t.Errorf("id %v", top["id"])
			}
			var wait, failOn *bool
			if err := top["wait_for_completion"].As(&wait); err != nil || wait == nil || *wait != c.wait {
				t.Errorf("wait_for_completion %v, want %v", top["wait_for_completion"], c.wait)
			}
			if err := top["fail_on_import_failure"].As(&failOn); err != nil || failOn == nil || *failOn != c.failOn {
				t.Errorf("fail_on_import_failure %v, want %v", top["fail_on_import_failure"], c.failOn)
			}
			if c.timeout == "" {
				if !top["timeouts"].IsNull() {
					t.Errorf("timeouts %v, want null", top["timeouts"])
				}
			} else {
				var tm map[string]tftypes.Value
				if err := top["timeouts"].As(&tm); err != nil {
					t.Fatal(err)
				}
				var create *string
				if err := tm["create"].As(&create); err != nil || create == nil || *create != c.timeout {
					t.Errorf("timeouts %v, want create %q", top["timeouts"], c.timeout)
				}
			}
			var triggers map[string]tftypes.Value
			if err := top["triggers"].As(&triggers); err != nil {
				t.Fatal(err)
			}
			if c.triggered {
				var run *string
				if len(triggers) != 1 || triggers["run"].As(&run) != nil || run == nil || *run != "1" {
					t.Errorf("triggers %v", top["triggers"])
				}
			} else if !top["triggers"].IsNull() {
				t.Errorf("triggers %v, want null", top["triggers"])
			}
		})
	}
}

// TestBackupSyncUpgradeStateRefuses: a stored state that cannot be keyed by
// backup_id is not upgraded (nothing is lost silently), with an error that
// names the entry.
func TestBackupSyncUpgradeStateRefuses(t *testing.T) {
	cases := map[string]struct {
		stored, want string
	}{
		"repeated backup_id": {strings.Replace(v1State, `"backup_id": "b-1"`, `"backup_id": "b-3"`, 1), `backups[1] repeats backup_id "b-3"`},
		"no backup_id":       {strings.Replace(v1State, `"backup_id": "b-2",`, ``, 1), `backups[2] has no backup_id`},
		"not JSON":           {`{"backups": [`, `cannot be read`},
		"unknown sync_state": {strings.Replace(v1State, `"sync_state": "not_sent"`, `"sync_state": "sent"`, 1), `backups[2].sync_state is "sent", which no release wrote`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			v, diags := upgrade(t, 1, c.stored)
			if !v.IsNull() {
				t.Errorf("upgraded to %v", v)
			}
			if len(diags) != 1 || diags[0].Severity != tfprotov6.DiagnosticSeverityError || diags[0].Summary != "Unable to Upgrade State" || !strings.Contains(diags[0].Detail, c.want) {
				t.Errorf("diagnostics %s, want one error containing %q", diagsText(diags), c.want)
			}
		})
	}
}
