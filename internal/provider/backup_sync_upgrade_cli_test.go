package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// v020State is a terraform.tfstate holding one cbr_backup_sync as release
// 0.2.0 wrote it: schema version 1, backups a list (in configuration order,
// which is not the order of their IDs) with sync_state, and
// fail_on_import_failure; every backup accepted by CBR.
func v020State(providerHost string, backups []testBackup, opLogIDs map[string]string) string {
	entries := make([]map[string]any, len(backups))
	for i, b := range backups {
		entries[i] = b.accepted(opLogIDs[b.BackupID]).json()
	}
	state := map[string]any{
		"version": 4, "terraform_version": "1.11.4", "serial": 3, "lineage": "5d0c7a43-9f4e-4c1b-8a2e-6b7f3d1e9c20",
		"outputs": map[string]any{}, "check_results": nil,
		"resources": []any{map[string]any{
			"mode": "managed", "type": "cbr_backup_sync", "name": "test",
			"provider": fmt.Sprintf("provider[%q]", providerHost+"/cbr-sync/cbr"),
			"instances": []any{map[string]any{
				"schema_version": 1,
				"attributes": map[string]any{
					"id": "0e7c7b37-4f8e-4f5e-9a43-2d1f2b6c9a10", "backups": entries, "wait_for_completion": false,
					"fail_on_import_failure": true, "triggers": nil, "timeouts": nil,
				},
				"sensitive_attributes": []any{},
			}},
		}},
	}
	data, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		panic(err)
	}
	return string(data)
}

// TestAccBackupSync_upgradeFrom020 runs the built provider through the CLI
// on a state written by release 0.2.0 (schema version 1, backups a list of
// 3 accepted backups) with a configuration in the map form naming the same
// backups: the plan is empty (terraform plan -detailed-exitcode exits 0),
// the apply sends nothing, and the state is then the map of version 2, each
// backup keeping its operation_log_id and sync_state. A backup added then is
// the only one the plan shows as sent, and the only one sent.
func TestAccBackupSync_upgradeFrom020(t *testing.T) {
	cli := acceptanceCLI(t)
	t.Parallel()
	fake, url := startFake(t, cbrfake.Options{})
	r := newCLIRun(t, cli)
	host := "registry.terraform.io"
	if isOpenTofu(cli) {
		host = "registry.opentofu.org"
	}
	all := makeBackups(3)
	all[1].ResourceType = "OS::Cinder::Volume"
	ops := map[string]string{
		all[0].BackupID: "154f0a9d-ba53-4e91-a3e2-a918710a9e0d",
		all[1].BackupID: "2c3e1a7b-0d4f-4b8a-9e6c-5f7a8b9c0d1e",
		all[2].BackupID: "7a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9",
	}
	r.write("terraform.tfstate", v020State(host, []testBackup{all[2], all[0], all[1]}, ops))
	r.write("main.tf", requiredProviders+providerConfig(url)+backupsConfig(all))

	out, ok := r.run("plan", "-detailed-exitcode", "-no-color", "-input=false")
	if !ok {
		t.Fatalf("terraform plan -detailed-exitcode did not exit 0 (an empty plan) on the state of 0.2.0:\n%s", out)
	}
	if !strings.Contains(out, "No changes.") {
		t.Errorf("the plan does not say No changes:\n%s", out)
	}
	for _, routine := range []string{"Backups to Import", "Backups Stay in CBR", "Known at Apply", "Unable to Upgrade State"} {
		if strings.Contains(out, routine) {
			t.Errorf("the plan says %q:\n%s", routine, out)
		}
	}
	out, ok = r.run("apply", "-auto-approve", "-no-color", "-input=false")
	if !ok {
		t.Fatalf("terraform apply failed:\n%s", out)
	}
	if n := fake.Count(cbrfake.KindSync); n != 0 {
		t.Errorf("the fake received %d sync requests, want none", n)
	}
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("the fake received %d requests, want none: the upgrade reads the stored state only", n)
	}

	resources, out := r.show()
	if n := len(resources); n != 1 {
		t.Fatalf("%d resources in the state:\n%s", n, out)
	}
	res := resources[0]
	if res.Address != testAddr || res.SchemaVersion != 2 || len(res.Values.Backups) != len(all) || !res.Values.FailOnImport {
		t.Errorf("the state after the apply: %s, schema version %d, %d backups, fail_on_import_failure %v; want %s, 2, %d, true",
			res.Address, res.SchemaVersion, len(res.Values.Backups), res.Values.FailOnImport, testAddr, len(all))
	}
	for _, b := range all {
		e, ok := res.Values.Backups[b.BackupID]
		if !ok {
			t.Errorf("backups[%q] is not in the state: %v", b.BackupID, res.Values.Backups)
			continue
		}
		if e.BackupID != b.BackupID || e.opLogID() != ops[b.BackupID] || e.SyncState != syncAccepted || e.ResourceType != b.ResourceType || e.Status != nil {
			t.Errorf("backups[%q] = %+v (operation_log_id %q), want operation_log_id %s, accepted", b.BackupID, e, e.opLogID(), ops[b.BackupID])
		}
	}

	// The state file itself was written again at version 2, as a map.
	data, err := os.ReadFile(filepath.Join(r.dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Resources []struct {
			Instances []struct {
				SchemaVersion int `json:"schema_version"`
				Attributes    struct {
					Backups map[string]json.RawMessage `json:"backups"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(data, &file); err != nil || len(file.Resources) != 1 || len(file.Resources[0].Instances) != 1 {
		t.Fatalf("terraform.tfstate after the apply (%v):\n%s", err, data)
	}
	if inst := file.Resources[0].Instances[0]; inst.SchemaVersion != 2 || len(inst.Attributes.Backups) != len(all) {
		t.Errorf("terraform.tfstate after the apply: schema_version %d with %d backups, want 2 with %d:\n%s", inst.SchemaVersion, len(inst.Attributes.Backups), len(all), data)
	}

	// And the next plan is empty too.
	if out, ok := r.run("plan", "-detailed-exitcode", "-no-color", "-input=false"); !ok {
		t.Errorf("the plan after the apply is not empty:\n%s", out)
	}
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("the fake received %d requests, want none", n)
	}

	// A backup added to the upgraded resource: the plan's diff shows it,
	// and only it, as what the apply sends (its operation_log_id and
	// sync_state known after apply), with no warning about it.
	added := makeBackups(4)[3]
	added.BackupID = "0a6e3c1d-7655-4a19-b563-000000000003"
	r.write("main.tf", requiredProviders+providerConfig(url)+backupsConfig(append([]testBackup{added}, all...)))
	out, _ = r.run("plan", "-no-color", "-input=false")
	if !strings.Contains(out, "1 to change") || !strings.Contains(out, fmt.Sprintf("+ %q = {", added.BackupID)) ||
		strings.Count(out, "(known after apply)") != 2 || strings.Contains(out, "Backups to Import") {
		t.Errorf("the plan of one added backup does not show it alone as sent (operation_log_id and sync_state known after apply), without a warning:\n%s", out)
	}
	if out, ok := r.run("apply", "-auto-approve", "-no-color", "-input=false"); !ok {
		t.Fatalf("terraform apply of one added backup failed:\n%s", out)
	}
	if err := expectCalls(fake, cbrfake.KindSync, 1)(); err != nil {
		t.Error(err)
	}
	if err := expectSyncBody(fake, []testBackup{added})(); err != nil {
		t.Error(err)
	}
}
