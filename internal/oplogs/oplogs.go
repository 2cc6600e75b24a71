// Package oplogs owns the operation log data sources of the provider,
// cbr_operation_log and cbr_operation_logs: they read CBR's tasks
// (operation logs), such as the import tasks that cbr_backup_sync starts.
//
// It may import internal/cbr and the Terraform plugin framework; it never
// imports internal/provider, which uses it through DataSources and hands the
// data sources their *cbr.Client as ProviderData.
package oplogs

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
)

// DataSources returns the constructors of cbr_operation_log and
// cbr_operation_logs. describe writes the details of a failed CBR call for
// a diagnostic, in the provider's words.
func DataSources(describe func(error) string) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		func() datasource.DataSource { return &operationLogDataSource{dataSource{describe: describe}} },
		func() datasource.DataSource { return &operationLogsDataSource{dataSource{describe: describe}} },
	}
}

// The interfaces the data sources implement.
var (
	_ datasource.DataSourceWithConfigure      = (*operationLogDataSource)(nil)
	_ datasource.DataSourceWithConfigure      = (*operationLogsDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*operationLogsDataSource)(nil)
)

// ConfiguredClient is the client the provider's Configure made, as
// resources, actions and data sources receive it; kind names the receiver
// ("Data Source", "Action") in the error about another type. It is nil until
// the provider is configured (during validation, for example).
func ConfiguredClient(providerData any, kind string, diags *diag.Diagnostics) *cbr.Client {
	if providerData == nil {
		return nil
	}
	client, ok := providerData.(*cbr.Client)
	if !ok {
		diags.AddError("Unexpected "+kind+" Configure Type",
			fmt.Sprintf("Expected *cbr.Client, got %T. This is always a bug in the provider and should be reported to the provider developers.", providerData))
	}
	return client
}

// dataSource is what both data sources share: the configured client, and
// how to describe a failed call.
type dataSource struct {
	client   *cbr.Client
	describe func(error) string
}

func (d *dataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = ConfiguredClient(req.ProviderData, "Data Source", &resp.Diagnostics)
}

// readConfig reads the configuration into m and reports whether Read can go
// on: the configuration is readable and the client configured.
func (d *dataSource) readConfig(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse, m any) bool {
	resp.Diagnostics.Append(req.Config.Get(ctx, m)...)
	if resp.Diagnostics.HasError() {
		return false
	}
	if d.client == nil {
		resp.Diagnostics.AddError("Provider Not Configured", "The cbr provider was not configured. This is always a bug in the provider and should be reported to the provider developers.")
		return false
	}
	return true
}

// logModel is one operation log: the values of cbr_operation_log, and with
// created_at (listedLogModel) an element of operation_logs in
// cbr_operation_logs.
type logModel struct {
	ID               types.String    `tfsdk:"id"`
	Status           types.String    `tfsdk:"status"`
	OperationType    types.String    `tfsdk:"operation_type"`
	StartedAt        types.String    `tfsdk:"started_at"`
	EndedAt          types.String    `tfsdk:"ended_at"`
	UpdatedAt        types.String    `tfsdk:"updated_at"`
	VaultID          types.String    `tfsdk:"vault_id"`
	VaultName        types.String    `tfsdk:"vault_name"`
	ErrorInfo        *errorInfoModel `tfsdk:"error_info"`
	SyncBackupNum    types.Int64     `tfsdk:"sync_backup_num"`
	DeleteBackupNum  types.Int64     `tfsdk:"delete_backup_num"`
	ErrSyncBackupNum types.Int64     `tfsdk:"err_sync_backup_num"`
}

// listedLogModel is one element of operation_logs: the values of
// cbr_operation_log, and created_at.
type listedLogModel struct {
	logModel
	CreatedAt types.String `tfsdk:"created_at"`
}

type errorInfoModel struct {
	Code    types.String `tfsdk:"code"`
	Message types.String `tfsdk:"message"`
}

// newLogModel turns an operation log into the values of the data sources.
func newLogModel(ol *cbr.OperationLog) logModel {
	m := logModel{
		ID:               types.StringValue(ol.ID),
		Status:           types.StringValue(ol.Status),
		OperationType:    optionalString(ol.OperationType),
		StartedAt:        optionalString(ol.StartedAt),
		EndedAt:          types.StringPointerValue(ol.EndedAt),
		UpdatedAt:        optionalString(ol.UpdatedAt),
		VaultID:          types.StringPointerValue(ol.VaultID),
		VaultName:        types.StringPointerValue(ol.VaultName),
		ErrorInfo:        &errorInfoModel{Code: optionalString(ol.ErrorCode), Message: optionalString(ol.ErrorMessage)},
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

// newListedLogModel is newLogModel with created_at.
func newListedLogModel(ol *cbr.OperationLog) listedLogModel {
	return listedLogModel{logModel: newLogModel(ol), CreatedAt: optionalString(ol.CreatedAt)}
}

// optionalString is null for an empty string.
func optionalString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

// logAttributes are the computed attributes of one operation log. listed
// gives those of an element of operation_logs, with id and created_at;
// otherwise they are those of cbr_operation_log but its id, whose
// descriptions give more examples.
func logAttributes(listed bool) map[string]schema.Attribute {
	// more is what the description of cbr_operation_log adds.
	more := func(s string) string {
		if listed {
			return ""
		}
		return s
	}
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	count := func(desc string) schema.Int64Attribute {
		return schema.Int64Attribute{MarkdownDescription: desc + " Null for tasks that are not syncs, or when CBR does not report it.", Computed: true}
	}
	attrs := map[string]schema.Attribute{
		"status": computed("The status of the task: `waiting` or `running` while it is in progress; `success`, `skipped`, `failed` or `timeout` once it has ended. " +
			"Other values CBR may add are passed on as they are."),
		"operation_type": computed("The kind of task, for example `sync`" + more(" for a backup synchronization, `backup` or `restore`") + "."),
		"started_at":     computed("When the task started, as CBR reports it" + more(", for example `2019-05-23T14:31:36.007230`") + "."),
		"ended_at":       computed("When the task ended, as CBR reports it. Null while the task is in progress."),
		"updated_at":     computed("When the task was last updated, as CBR reports it."),
		"vault_id":       computed("The ID of the vault the task works on. Null when CBR does not report one."),
		"vault_name":     computed("The name of the vault the task works on. Null when CBR does not report one."),
		"error_info": schema.SingleNestedAttribute{
			MarkdownDescription: "Why the task failed. Always set; `code` and `message` are null when CBR reports no error" + more(" (CBR sends empty strings then)") + ".",
			Computed:            true,
			Attributes: map[string]schema.Attribute{
				"code":    computed("The CBR error code, for example `BackupService.6302`."),
				"message": computed("The error message."),
			},
		},
		"sync_backup_num":     count("For a sync task, the number of backups synchronized."),
		"delete_backup_num":   count("For a sync task, the number of backups deleted."),
		"err_sync_backup_num": count("For a sync task, the number of backups that failed to synchronize."),
	}
	if listed {
		attrs["id"] = computed("The ID of the operation log.")
		attrs["created_at"] = computed("When the task was created, as CBR reports it, for example `2019-05-23T14:31:36.039365` (UTC).")
	}
	return attrs
}
