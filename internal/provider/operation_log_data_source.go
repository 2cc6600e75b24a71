package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
)

var (
	_ datasource.DataSource              = (*operationLogDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*operationLogDataSource)(nil)
)

func newOperationLogDataSource() datasource.DataSource { return &operationLogDataSource{} }

type operationLogDataSource struct {
	client *cbr.Client
}

type operationLogModel struct {
	ID               types.String      `tfsdk:"id"`
	Status           types.String      `tfsdk:"status"`
	OperationType    types.String      `tfsdk:"operation_type"`
	StartedAt        types.String      `tfsdk:"started_at"`
	EndedAt          types.String      `tfsdk:"ended_at"`
	UpdatedAt        types.String      `tfsdk:"updated_at"`
	VaultID          types.String      `tfsdk:"vault_id"`
	VaultName        types.String      `tfsdk:"vault_name"`
	ErrorInfo        *opErrorInfoModel `tfsdk:"error_info"`
	SyncBackupNum    types.Int64       `tfsdk:"sync_backup_num"`
	DeleteBackupNum  types.Int64       `tfsdk:"delete_backup_num"`
	ErrSyncBackupNum types.Int64       `tfsdk:"err_sync_backup_num"`
}

type opErrorInfoModel struct {
	Code    types.String `tfsdk:"code"`
	Message types.String `tfsdk:"message"`
}

func (d *operationLogDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_operation_log"
}

func (d *operationLogDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	count := func(desc string) schema.Int64Attribute {
		return schema.Int64Attribute{MarkdownDescription: desc + " Null for tasks that are not syncs, or when CBR does not report it.", Computed: true}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads a CBR task (operation log), for example the one that imports a backup synchronized by `cbr_backup_sync`, " +
			"to see whether it finished and how. The task is read again on every plan and refresh, so the values show its current state.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The ID of the operation log, such as a `backups[*].operation_log_id` of `cbr_backup_sync`.",
				Required:            true,
				Validators:          []validator.String{notBlank(), operationLogID()},
			},
			"status": computed("The status of the task: `waiting` or `running` while it is in progress; `success`, `skipped`, `failed` or `timeout` once it has ended. " +
				"Other values CBR may add are passed on as they are."),
			"operation_type": computed("The kind of task, for example `sync` for a backup synchronization, `backup` or `restore`."),
			"started_at":     computed("When the task started, as CBR reports it, for example `2019-05-23T14:31:36.007230`."),
			"ended_at":       computed("When the task ended, as CBR reports it. Null while the task is in progress."),
			"updated_at":     computed("When the task was last updated, as CBR reports it."),
			"vault_id":       computed("The ID of the vault the task works on. Null when CBR does not report one."),
			"vault_name":     computed("The name of the vault the task works on. Null when CBR does not report one."),
			"error_info": schema.SingleNestedAttribute{
				MarkdownDescription: "Why the task failed. Always set; `code` and `message` are null when CBR reports no error (CBR sends empty strings then).",
				Computed:            true,
				Attributes: map[string]schema.Attribute{
					"code":    computed("The CBR error code, for example `BackupService.6302`."),
					"message": computed("The error message."),
				},
			},
			"sync_backup_num":     count("For a sync task, the number of backups synchronized."),
			"delete_backup_num":   count("For a sync task, the number of backups deleted."),
			"err_sync_backup_num": count("For a sync task, the number of backups that failed to synchronize."),
		},
	}
}

func (d *operationLogDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = configuredClient(req.ProviderData, "Data Source", &resp.Diagnostics)
}

func (d *operationLogDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m operationLogModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if d.client == nil {
		resp.Diagnostics.AddError("Provider Not Configured", "The cbr provider was not configured. This is always a bug in the provider and should be reported to the provider developers.")
		return
	}
	id := m.ID.ValueString()
	ol, err := d.client.GetOperationLog(ctx, id)
	if cbr.IsNotFound(err) {
		// The call reached CBR, so the project is known (and cached) by now.
		project, _ := d.client.ProjectID(ctx)
		resp.Diagnostics.AddAttributeError(path.Root("id"), "Operation Log Not Found",
			fmt.Sprintf("CBR has no operation log %q in project %s. Check the ID: operation log IDs are returned by the sync request (backups[*].operation_log_id of cbr_backup_sync) and belong to one project.\n\n%s",
				id, project, describeError(err)))
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Unable to Read CBR Operation Log",
			fmt.Sprintf("Reading operation log %q failed.\n\n%s", id, describeError(err)))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, operationLogState(ol))...)
}

// operationLogState turns an operation log into the data source's values.
func operationLogState(ol *cbr.OperationLog) *operationLogModel {
	m := &operationLogModel{
		ID:               types.StringValue(ol.ID),
		Status:           types.StringValue(ol.Status),
		OperationType:    optionalString(ol.OperationType),
		StartedAt:        optionalString(ol.StartedAt),
		EndedAt:          types.StringPointerValue(ol.EndedAt),
		UpdatedAt:        optionalString(ol.UpdatedAt),
		VaultID:          types.StringPointerValue(ol.VaultID),
		VaultName:        types.StringPointerValue(ol.VaultName),
		ErrorInfo:        &opErrorInfoModel{Code: optionalString(ol.ErrorCode), Message: optionalString(ol.ErrorMessage)},
		SyncBackupNum:    types.Int64Null(),
		DeleteBackupNum:  types.Int64Null(),
		ErrSyncBackupNum: types.Int64Null(),
	}
	if ol.Sync != nil {
		m.SyncBackupNum = types.Int64PointerValue(ol.Sync.SyncBackupNum)
		m.DeleteBackupNum = types.Int64PointerValue(ol.Sync.DeleteBackupNum)
		m.ErrSyncBackupNum = types.Int64PointerValue(ol.Sync.ErrSyncBackupNum)
	}
	return m
}

// optionalString is null for an empty string.
func optionalString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}
