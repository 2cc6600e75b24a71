package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
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
	backups := make([]backupModel, len(pairs))
	for i, p := range pairs {
		backups[i] = backupModel{
			BackupID: types.StringValue(p[0]), OperationLogID: types.StringValue(p[1]), SyncState: types.StringValue(syncAdopted),
			BackupName: types.StringNull(), BucketName: types.StringNull(), ImagePath: types.StringNull(), ResourceID: types.StringNull(),
			ResourceName: types.StringNull(), ResourceType: types.StringNull(), CreatedAt: types.NumberNull(), Status: types.StringNull(),
		}
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), types.StringValue(id.String()))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("backups"), backups)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("wait_for_completion"), types.BoolValue(false))...)
}

// backupModelV0 is an entry of a version 0 state (release 0.1.0), which had
// no sync_state.
type backupModelV0 struct {
	BackupID       types.String `tfsdk:"backup_id"`
	BackupName     types.String `tfsdk:"backup_name"`
	BucketName     types.String `tfsdk:"bucket_name"`
	ImagePath      types.String `tfsdk:"image_path"`
	ResourceID     types.String `tfsdk:"resource_id"`
	ResourceName   types.String `tfsdk:"resource_name"`
	ResourceType   types.String `tfsdk:"resource_type"`
	CreatedAt      types.Number `tfsdk:"created_at"`
	OperationLogID types.String `tfsdk:"operation_log_id"`
	Status         types.String `tfsdk:"status"`
}

type backupSyncModelV0 struct {
	ID                types.String    `tfsdk:"id"`
	Backups           []backupModelV0 `tfsdk:"backups"`
	WaitForCompletion types.Bool      `tfsdk:"wait_for_completion"`
	Triggers          types.Map       `tfsdk:"triggers"`
	Timeouts          timeouts.Value  `tfsdk:"timeouts"`
}

// UpgradeState reads states of version 0 without any API call. Version 0
// sent the whole list in one request and saved a record only once the
// request could have been applied: an entry with an operation_log_id was
// accepted by CBR; one without was in a request whose outcome is unknown
// (an incomplete or unusable answer), so it is never sent again by itself.
func (r *backupSyncResource) UpgradeState(ctx context.Context) map[int64]resource.StateUpgrader {
	var current resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &current)
	v0 := current.Schema
	v0.Version = 0
	v0.Attributes = map[string]schema.Attribute{}
	for k, a := range current.Schema.Attributes {
		if k != "fail_on_import_failure" { // added in version 1
			v0.Attributes[k] = a
		}
	}
	backups, _ := v0.Attributes["backups"].(schema.ListNestedAttribute)
	nested := map[string]schema.Attribute{}
	for k, a := range backups.NestedObject.Attributes {
		if k != "sync_state" {
			nested[k] = a
		}
	}
	backups.NestedObject.Attributes = nested
	v0.Attributes["backups"] = backups
	return map[int64]resource.StateUpgrader{
		0: {
			PriorSchema: &v0,
			StateUpgrader: func(ctx context.Context, req resource.UpgradeStateRequest, resp *resource.UpgradeStateResponse) {
				var old backupSyncModelV0
				resp.Diagnostics.Append(req.State.Get(ctx, &old)...)
				if resp.Diagnostics.HasError() {
					return
				}
				st := backupSyncModel{ID: old.ID, WaitForCompletion: old.WaitForCompletion, FailOnImport: types.BoolValue(true), Triggers: old.Triggers, Timeouts: old.Timeouts}
				st.Backups = make([]backupModel, len(old.Backups))
				for i, b := range old.Backups {
					state := syncAccepted
					if b.OperationLogID.IsNull() {
						state = syncUnknown
					}
					st.Backups[i] = backupModel{
						BackupID: b.BackupID, BackupName: b.BackupName, BucketName: b.BucketName, ImagePath: b.ImagePath,
						ResourceID: b.ResourceID, ResourceName: b.ResourceName, ResourceType: b.ResourceType, CreatedAt: b.CreatedAt,
						OperationLogID: b.OperationLogID, Status: b.Status, SyncState: types.StringValue(state),
					}
				}
				resp.Diagnostics.Append(resp.State.Set(ctx, &st)...)
			},
		},
	}
}
