package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
)

var (
	_ resource.ResourceWithImportState  = (*backupSyncResource)(nil)
	_ resource.ResourceWithUpgradeState = (*backupSyncResource)(nil)
)

// importIDForm is the import ID, as shown in errors.
const importIDForm = "backup_id=operation_log_id[,backup_id=operation_log_id...]"

// parseImportID reads backup_id=operation_log_id pairs, in order.
func parseImportID(id string) ([][2]string, error) {
	example := "for example 1f9e6b47-7655-4a19-b563-21b4ef023025=154f0a9d-ba53-4e91-a3e2-a918710a9e0d,5c3e1d2a-0b9f-4e8d-a7c6-3b2a1f0e9d8c=6d2f1e0a-3b4c-4d5e-8f9a-0b1c2d3e4f5a"
	if strings.TrimSpace(id) == "" {
		return nil, fmt.Errorf("the import ID is empty. Give the backups to adopt as %s, %s", importIDForm, example)
	}
	var out [][2]string
	seen := map[string]int{}
	for i, part := range strings.Split(id, ",") {
		part = strings.TrimSpace(part)
		backupID, opID, ok := strings.Cut(part, "=")
		backupID, opID = strings.TrimSpace(backupID), strings.TrimSpace(opID)
		switch {
		case !ok || backupID == "" || opID == "":
			return nil, fmt.Errorf("entry %d of the import ID, %q, is not backup_id=operation_log_id. Give the backups to adopt as %s, %s", i+1, part, importIDForm, example)
		case !cbr.OperationLogIDPattern.MatchString(opID):
			return nil, fmt.Errorf("entry %d of the import ID gives backup %q the operation log ID %q, which is not one: operation log IDs are UUIDs; only letters, digits, '-', '_', '.' and '~' are allowed", i+1, backupID, opID)
		}
		if j, dup := seen[backupID]; dup {
			return nil, fmt.Errorf("entries %d and %d of the import ID both name backup %q; each backup may be given once", j+1, i+1, backupID)
		}
		if len(out) == maxBackupsPerResource {
			return nil, fmt.Errorf("the import ID names more than %d backups, the most one cbr_backup_sync holds", maxBackupsPerResource)
		}
		seen[backupID] = i
		out = append(out, [2]string{backupID, opID})
	}
	return out, nil
}

// ImportState adopts backups imported outside this resource (in the
// console, by another tool, or by an older state) without calling the API:
// the state knows each backup's ID and operation log ID, and the next plan
// fills in the other fields from the configuration without sending them.
func (r *backupSyncResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	pairs, err := parseImportID(req.ID)
	if err != nil {
		resp.Diagnostics.AddError("Invalid Import ID", err.Error())
		return
	}
	id, err := uuid.NewRandom()
	if err != nil {
		resp.Diagnostics.AddError("Unable to Generate ID", err.Error())
		return
	}
	backups := make(map[string]backupModel, len(pairs))
	for _, p := range pairs {
		backups[p[0]] = backupModel{
			BackupID: types.StringValue(p[0]), OperationLogID: types.StringValue(p[1]), SyncState: types.StringValue(syncAdopted),
			BackupName: types.StringNull(), BucketName: types.StringNull(), ImagePath: types.StringNull(), ResourceID: types.StringNull(),
			ResourceName: types.StringNull(), ResourceType: types.StringNull(), CreatedAt: types.NumberNull(), Status: types.StringNull(),
		}
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), types.StringValue(id.String()))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("backups"), backups)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("wait_for_completion"), types.BoolValue(false))...)
}

// The stored forms of the older schema versions below are frozen: they
// describe what releases 0.1.0 (version 0) and 0.2.0 (version 1) wrote to
// state files, which never changes. They must never change with the current
// schema, nor reference its types or constants.

// storedBackupV0 is an entry of backups in a state of version 0 (release
// 0.1.0), as Terraform stores it in JSON. It must never change.
type storedBackupV0 struct {
	BackupID       *string      `json:"backup_id"`
	BackupName     *string      `json:"backup_name"`
	BucketName     *string      `json:"bucket_name"`
	ImagePath      *string      `json:"image_path"`
	ResourceID     *string      `json:"resource_id"`
	ResourceName   *string      `json:"resource_name"`
	ResourceType   *string      `json:"resource_type"`
	CreatedAt      *json.Number `json:"created_at"`
	OperationLogID *string      `json:"operation_log_id"`
	Status         *string      `json:"status"`
}

// storedBackupSyncV0 is a state of version 0 (release 0.1.0): backups a
// list, without sync_state or fail_on_import_failure. It must never change.
type storedBackupSyncV0 struct {
	ID                *string           `json:"id"`
	Backups           []storedBackupV0  `json:"backups"`
	WaitForCompletion *bool             `json:"wait_for_completion"`
	Triggers          map[string]string `json:"triggers"`
	Timeouts          *struct {
		Create *string `json:"create"`
	} `json:"timeouts"`
}

// storedBackupV1 is an entry of backups in a state of version 1 (release
// 0.2.0): version 0's entry and sync_state. It must never change.
type storedBackupV1 struct {
	storedBackupV0
	SyncState *string `json:"sync_state"`
}

// storedBackupSyncV1 is a state of version 1 (release 0.2.0): backups a
// list with sync_state, and fail_on_import_failure. It must never change.
type storedBackupSyncV1 struct {
	ID                *string           `json:"id"`
	Backups           []storedBackupV1  `json:"backups"`
	WaitForCompletion *bool             `json:"wait_for_completion"`
	FailOnImport      *bool             `json:"fail_on_import_failure"`
	Triggers          map[string]string `json:"triggers"`
	Timeouts          *struct {
		Create *string `json:"create"`
	} `json:"timeouts"`
}

// The values of sync_state that release 0.2.0 wrote (version 1). They
// must never change: they are what state files hold, whatever the current
// values are called.
const (
	storedSyncAcceptedV1 = "accepted"
	storedSyncAdoptedV1  = "adopted"
	storedSyncUnknownV1  = "unknown"
	storedSyncNotSentV1  = "not_sent"
)

// currentSyncState is the current value of each sync_state of version 1.
var currentSyncState = map[string]string{
	storedSyncAcceptedV1: syncAccepted,
	storedSyncAdoptedV1:  syncAdopted,
	storedSyncUnknownV1:  syncUnknown,
	storedSyncNotSentV1:  syncNotSent,
}

// v1 is a state of version 0 as version 1 stores it. Version 0 had no
// sync_state; it sent the whole list in one request and saved a record
// only once the request could have been applied: an entry with an
// operation_log_id was accepted by CBR; one without was in a request whose
// outcome is unknown. fail_on_import_failure did not exist (it stays null,
// so the current default applies).
func (old storedBackupSyncV0) v1() storedBackupSyncV1 {
	out := storedBackupSyncV1{ID: old.ID, WaitForCompletion: old.WaitForCompletion, Triggers: old.Triggers, Timeouts: old.Timeouts}
	for _, b := range old.Backups {
		state := storedSyncAcceptedV1
		if b.OperationLogID == nil {
			state = storedSyncUnknownV1
		}
		out.Backups = append(out.Backups, storedBackupV1{storedBackupV0: b, SyncState: &state})
	}
	return out
}

// UpgradeState reads states of versions 0 and 1, where backups was a list,
// without any API call: every entry keeps its operation_log_id, status and
// sync_state under its backup_id. Version 0 had no sync_state; it sent the
// whole list in one request and saved a record only once the request could
// have been applied: an entry with an operation_log_id was accepted by CBR;
// one without was in a request whose outcome is unknown (an incomplete or
// unusable answer), so it is never sent again by itself.
func (r *backupSyncResource) UpgradeState(context.Context) map[int64]resource.StateUpgrader {
	upgrade := func(version int64) func(context.Context, resource.UpgradeStateRequest, *resource.UpgradeStateResponse) {
		return func(ctx context.Context, req resource.UpgradeStateRequest, resp *resource.UpgradeStateResponse) {
			upgradeStored(ctx, version, req, resp)
		}
	}
	return map[int64]resource.StateUpgrader{0: {StateUpgrader: upgrade(0)}, 1: {StateUpgrader: upgrade(1)}}
}

// upgradeStored upgrades a stored state of version 0 or 1.
func upgradeStored(ctx context.Context, version int64, req resource.UpgradeStateRequest, resp *resource.UpgradeStateResponse) {
	if req.RawState == nil || len(req.RawState.JSON) == 0 {
		resp.Diagnostics.AddError("Unable to Upgrade State", "The stored state of this cbr_backup_sync is empty or not JSON. This is always a bug in the provider and should be reported to the provider developers.")
		return
	}
	dec := json.NewDecoder(bytes.NewReader(req.RawState.JSON))
	dec.UseNumber()
	var old storedBackupSyncV1
	var err error
	if version == 0 {
		var v0 storedBackupSyncV0
		err = dec.Decode(&v0)
		old = v0.v1()
	} else {
		err = dec.Decode(&old)
	}
	if err != nil {
		resp.Diagnostics.AddError("Unable to Upgrade State", fmt.Sprintf("The stored state of this cbr_backup_sync (schema version %d) cannot be read: %s. Nothing was changed.", version, err))
		return
	}
	st, err := upgradedModel(old)
	if err != nil {
		resp.Diagnostics.AddError("Unable to Upgrade State", fmt.Sprintf("The stored state of this cbr_backup_sync cannot be upgraded: %s. Nothing was changed.", err))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, st.data())...)
}

// upgradedModel is the current model of a state of version 1 (or of
// version 0 made one by storedBackupSyncV0.v1).
func upgradedModel(old storedBackupSyncV1) (*backupSyncModel, error) {
	str := func(s *string) types.String {
		if s == nil {
			return types.StringNull()
		}
		return types.StringValue(*s)
	}
	boolean := func(b *bool, def bool) types.Bool {
		if b == nil {
			return types.BoolValue(def)
		}
		return types.BoolValue(*b)
	}
	st := &backupSyncModel{
		ID:                str(old.ID),
		WaitForCompletion: boolean(old.WaitForCompletion, false),
		FailOnImport:      boolean(old.FailOnImport, true),
		Triggers:          types.MapNull(types.StringType),
		Timeouts:          timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{"create": types.StringType})},
	}
	if old.Triggers != nil {
		elems := make(map[string]attr.Value, len(old.Triggers))
		for k, v := range old.Triggers {
			elems[k] = types.StringValue(v)
		}
		st.Triggers = types.MapValueMust(types.StringType, elems)
	}
	if old.Timeouts != nil {
		st.Timeouts = timeouts.Value{Object: types.ObjectValueMust(map[string]attr.Type{"create": types.StringType},
			map[string]attr.Value{"create": str(old.Timeouts.Create)})}
	}
	seen := make(map[string]bool, len(old.Backups))
	st.Backups = make([]backupModel, 0, len(old.Backups))
	for i, b := range old.Backups {
		if b.BackupID == nil {
			return nil, fmt.Errorf("backups[%d] has no backup_id", i)
		}
		if seen[*b.BackupID] {
			return nil, fmt.Errorf("backups[%d] repeats backup_id %q", i, *b.BackupID)
		}
		seen[*b.BackupID] = true
		stored := storedSyncAcceptedV1 // none: as version 0 (see storedBackupSyncV0.v1)
		if b.SyncState != nil {
			stored = *b.SyncState
		} else if b.OperationLogID == nil {
			stored = storedSyncUnknownV1
		}
		current, ok := currentSyncState[stored]
		if !ok {
			return nil, fmt.Errorf("backups[%d].sync_state is %q, which no release wrote", i, stored)
		}
		state := types.StringValue(current)
		created := types.NumberNull()
		if b.CreatedAt != nil {
			f, ok := new(big.Float).SetString(b.CreatedAt.String())
			if !ok {
				return nil, fmt.Errorf("backups[%d].created_at is %s, not a number", i, b.CreatedAt.String())
			}
			created = types.NumberValue(f)
		}
		st.Backups = append(st.Backups, backupModel{
			BackupID: str(b.BackupID), BackupName: str(b.BackupName), BucketName: str(b.BucketName), ImagePath: str(b.ImagePath),
			ResourceID: str(b.ResourceID), ResourceName: str(b.ResourceName), ResourceType: str(b.ResourceType), CreatedAt: created,
			OperationLogID: str(b.OperationLogID), Status: str(b.Status), SyncState: state,
		})
	}
	sort.Slice(st.Backups, func(i, j int) bool {
		return st.Backups[i].BackupID.ValueString() < st.Backups[j].BackupID.ValueString()
	})
	return st, nil
}
