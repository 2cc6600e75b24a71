package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
)

var (
	_ datasource.DataSource                   = (*operationLogsDataSource)(nil)
	_ datasource.DataSourceWithConfigure      = (*operationLogsDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*operationLogsDataSource)(nil)
)

func newOperationLogsDataSource() datasource.DataSource { return &operationLogsDataSource{} }

// operationLogsDataSource is cbr_operation_logs: many operation logs in one
// read, with the list API.
type operationLogsDataSource struct {
	client *cbr.Client
}

type operationLogsModel struct {
	OperationType types.String     `tfsdk:"operation_type"`
	Status        types.String     `tfsdk:"status"`
	StartTime     types.String     `tfsdk:"start_time"`
	EndTime       types.String     `tfsdk:"end_time"`
	IDs           types.Set        `tfsdk:"ids"`
	OperationLogs []opLogItemModel `tfsdk:"operation_logs"`
}

// opLogItemModel is one element of operation_logs: the attributes of
// cbr_operation_log, and created_at.
type opLogItemModel struct {
	ID               types.String      `tfsdk:"id"`
	Status           types.String      `tfsdk:"status"`
	OperationType    types.String      `tfsdk:"operation_type"`
	CreatedAt        types.String      `tfsdk:"created_at"`
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

func (d *operationLogsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_operation_logs"
}

func (d *operationLogsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	count := func(desc string) schema.Int64Attribute {
		return schema.Int64Attribute{MarkdownDescription: desc + " Null for tasks that are not syncs, or when CBR does not report it.", Computed: true}
	}
	timeArg := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{
			MarkdownDescription: desc + " An RFC 3339 time such as `2026-03-14T09:00:00Z` or `2026-03-14T10:00:00+01:00`; CBR filters by whole seconds in UTC.",
			Optional:            true,
			Validators:          []validator.String{rfc3339Time()},
		}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists CBR tasks (operation logs) in one read, for example the imports started by `cbr_backup_sync`, with " +
			"`GET /v3/{project_id}/operation-logs`: 1,000 logs per request, so reading thousands of them takes a few requests instead of one per log. " +
			"The logs are read again on every plan and refresh.\n\n" +
			"Every filter given must match. With `ids`, only these operation logs are returned; those the list does not return " +
			"(for example, created before `start_time`) are read one by one, and an ID CBR does not know is an error.",
		Attributes: map[string]schema.Attribute{
			"operation_type": schema.StringAttribute{
				MarkdownDescription: "The kind of task to list: one of `" + strings.Join(cbr.OpTypes, "`, `") + "`. Defaults to `sync`, the tasks of `cbr_backup_sync`.",
				Optional:            true,
				Computed:            true,
				Validators:          []validator.String{oneOfValues("an operation type", cbr.OpTypes)},
			},
			"status": schema.StringAttribute{
				MarkdownDescription: "Only the tasks with this status: one of `" + strings.Join(cbr.OpStatuses, "`, `") + "`.",
				Optional:            true,
				Validators:          []validator.String{oneOfValues("an operation log status", cbr.OpStatuses)},
			},
			"start_time": timeArg("Only the tasks created at or after this time."),
			"end_time":   timeArg("Only the tasks created at or before this time. Not before `start_time`."),
			"ids": schema.SetAttribute{
				MarkdownDescription: "Only these operation logs, such as the `backups[*].operation_log_id` of `cbr_backup_sync`. " +
					"Those the list does not return are read one by one; an ID CBR does not know is an error.",
				ElementType: types.StringType,
				Optional:    true,
				Validators:  []validator.Set{setOfOperationLogIDs{}},
			},
			"operation_logs": schema.ListNestedAttribute{
				MarkdownDescription: "The operation logs found, the newest first (by `created_at`, then by `id`).",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id": computed("The ID of the operation log."),
					"status": computed("The status of the task: `waiting` or `running` while it is in progress; `success`, `skipped`, `failed` or `timeout` once it has ended. " +
						"Other values CBR may add are passed on as they are."),
					"operation_type": computed("The kind of task, for example `sync`."),
					"created_at":     computed("When the task was created, as CBR reports it, for example `2019-05-23T14:31:36.039365` (UTC)."),
					"started_at":     computed("When the task started, as CBR reports it."),
					"ended_at":       computed("When the task ended, as CBR reports it. Null while the task is in progress."),
					"updated_at":     computed("When the task was last updated, as CBR reports it."),
					"vault_id":       computed("The ID of the vault the task works on. Null when CBR does not report one."),
					"vault_name":     computed("The name of the vault the task works on. Null when CBR does not report one."),
					"error_info": schema.SingleNestedAttribute{
						MarkdownDescription: "Why the task failed. Always set; `code` and `message` are null when CBR reports no error.",
						Computed:            true,
						Attributes: map[string]schema.Attribute{
							"code":    computed("The CBR error code, for example `BackupService.6302`."),
							"message": computed("The error message."),
						},
					},
					"sync_backup_num":     count("For a sync task, the number of backups synchronized."),
					"delete_backup_num":   count("For a sync task, the number of backups deleted."),
					"err_sync_backup_num": count("For a sync task, the number of backups that failed to synchronize."),
				}},
			},
		},
	}
}

func (d *operationLogsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = configuredClient(req.ProviderData, "Data Source", &resp.Diagnostics)
}

// ValidateConfig checks what involves more than one argument: end_time not
// before start_time.
func (d *operationLogsDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var start, end types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("start_time"), &start)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("end_time"), &end)...)
	if resp.Diagnostics.HasError() || start.IsNull() || start.IsUnknown() || end.IsNull() || end.IsUnknown() {
		return
	}
	s, errS := time.Parse(time.RFC3339, start.ValueString())
	e, errE := time.Parse(time.RFC3339, end.ValueString())
	if errS != nil || errE != nil {
		return // reported by the attributes' validators
	}
	if e.Before(s) {
		resp.Diagnostics.AddAttributeError(path.Root("end_time"), "End Time Before Start Time",
			fmt.Sprintf("end_time %q is before start_time %q: the window would hold no task.", end.ValueString(), start.ValueString()))
	}
}

// window turns start_time and end_time into the list's times: start_time
// rounded down and end_time rounded up to whole seconds, so that the window
// CBR is asked for holds the one configured.
func (m operationLogsModel) window() (start, end time.Time) {
	if t, err := time.Parse(time.RFC3339, m.StartTime.ValueString()); err == nil && !m.StartTime.IsNull() {
		start = t.UTC().Truncate(time.Second)
	}
	if t, err := time.Parse(time.RFC3339, m.EndTime.ValueString()); err == nil && !m.EndTime.IsNull() {
		end = t.UTC()
		if end.Truncate(time.Second) != end {
			end = end.Truncate(time.Second).Add(time.Second)
		}
	}
	return start, end
}

func (d *operationLogsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m operationLogsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if d.client == nil {
		resp.Diagnostics.AddError("Provider Not Configured", "The cbr provider was not configured. This is always a bug in the provider and should be reported to the provider developers.")
		return
	}
	if m.OperationType.IsNull() || m.OperationType.ValueString() == "" {
		m.OperationType = types.StringValue(cbr.OpTypeSync)
	}
	var ids []string
	byIDs := !m.IDs.IsNull() // ids = [] selects nothing
	if byIDs {
		resp.Diagnostics.Append(m.IDs.ElementsAs(ctx, &ids, false)...)
		if resp.Diagnostics.HasError() {
			return
		}
		sort.Strings(ids)
	}
	f := cbr.OpLogFilter{OperationType: m.OperationType.ValueString(), Status: m.Status.ValueString()}
	f.StartTime, f.EndTime = m.window()
	list, err := d.client.ListOperationLogs(ctx, f)
	if err != nil {
		resp.Diagnostics.AddError("Unable to List CBR Operation Logs",
			fmt.Sprintf("Listing the operation logs failed (%d pages had been read).\n\n%s", list.Pages, describeError(err)))
		return
	}
	logs := list.Logs
	if byIDs {
		byID := make(map[string]*cbr.OperationLog, len(list.Logs))
		for _, ol := range list.Logs {
			byID[ol.ID] = ol
		}
		logs = logs[:0:0]
		var missing []string
		for _, id := range ids {
			if ol, ok := byID[id]; ok {
				logs = append(logs, ol)
				continue
			}
			ol, err := d.client.GetOperationLog(ctx, id)
			if cbr.IsNotFound(err) {
				missing = append(missing, id)
				continue
			}
			if err != nil {
				resp.Diagnostics.AddAttributeError(path.Root("ids"), "Unable to Read CBR Operation Log",
					fmt.Sprintf("Operation log %q was not in the list, and reading it by ID failed.\n\n%s", id, describeError(err)))
				return
			}
			if matchesFilter(ol, f) {
				logs = append(logs, ol)
			}
		}
		if len(missing) > 0 {
			project, _ := d.client.ProjectID(ctx)
			resp.Diagnostics.AddAttributeError(path.Root("ids"), "Operation Log Not Found",
				fmt.Sprintf("CBR has no operation log %s in project %s. Check the IDs: operation log IDs are returned by the sync request (backups[*].operation_log_id of cbr_backup_sync) and belong to one project.",
					quotedList(missing), project))
			return
		}
	}
	sort.Slice(logs, func(i, j int) bool {
		if logs[i].CreatedAt != logs[j].CreatedAt {
			return logs[i].CreatedAt > logs[j].CreatedAt
		}
		return logs[i].ID < logs[j].ID
	})
	m.OperationLogs = make([]opLogItemModel, len(logs))
	for i, ol := range logs {
		one := operationLogState(ol)
		m.OperationLogs[i] = opLogItemModel{
			ID: one.ID, Status: one.Status, OperationType: one.OperationType, CreatedAt: optionalString(ol.CreatedAt),
			StartedAt: one.StartedAt, EndedAt: one.EndedAt, UpdatedAt: one.UpdatedAt, VaultID: one.VaultID, VaultName: one.VaultName,
			ErrorInfo: one.ErrorInfo, SyncBackupNum: one.SyncBackupNum, DeleteBackupNum: one.DeleteBackupNum, ErrSyncBackupNum: one.ErrSyncBackupNum,
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// opLogTimeLayouts are the layouts of the times of operation logs: CBR's
// "2019-05-23T14:31:36.007230" (UTC), with or without a zone.
var opLogTimeLayouts = []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999Z07:00"}

// matchesFilter reports whether an operation log read by ID matches the
// filters of the list. A time that cannot be read does not exclude it.
func matchesFilter(ol *cbr.OperationLog, f cbr.OpLogFilter) bool {
	if f.OperationType != "" && ol.OperationType != "" && ol.OperationType != f.OperationType {
		return false
	}
	if f.Status != "" && ol.Status != f.Status {
		return false
	}
	created := ol.CreatedAt
	if created == "" {
		created = ol.StartedAt
	}
	for _, layout := range opLogTimeLayouts {
		t, err := time.Parse(layout, created)
		if err != nil {
			continue
		}
		return (f.StartTime.IsZero() || !t.Before(f.StartTime)) && (f.EndTime.IsZero() || !t.After(f.EndTime))
	}
	return true
}

// quotedList is "a", "b" and "c" as `"a", "b", "c"`.
func quotedList(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = fmt.Sprintf("%q", id)
	}
	return strings.Join(q, ", ")
}

// rfc3339Time rejects strings that are not RFC 3339 times.
func rfc3339Time() validator.String { return rfc3339Validator{} }

type rfc3339Validator struct{}

func (rfc3339Validator) Description(context.Context) string {
	return "value must be an RFC 3339 time such as 2026-03-14T09:00:00Z"
}

func (v rfc3339Validator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (rfc3339Validator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	v := req.ConfigValue.ValueString()
	if _, err := time.Parse(time.RFC3339, v); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Time",
			fmt.Sprintf("%s must be an RFC 3339 time such as \"2026-03-14T09:00:00Z\" or \"2026-03-14T10:00:00+01:00\" (date, \"T\", time and zone), got %q.", req.Path, v))
	}
}

// oneOfValues rejects values that are not in values; what names the kind
// of value in messages ("an operation log status").
func oneOfValues(what string, values []string) validator.String {
	return oneOfValuesValidator{what: what, values: values}
}

type oneOfValuesValidator struct {
	what   string
	values []string
}

func (v oneOfValuesValidator) Description(context.Context) string {
	return "value must be one of " + strings.Join(v.values, ", ")
}

func (v oneOfValuesValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v oneOfValuesValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	got := req.ConfigValue.ValueString()
	for _, ok := range v.values {
		if got == ok {
			return
		}
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Invalid Value",
		fmt.Sprintf("%s %q is not %s: want one of %s.", req.Path, got, v.what, strings.Join(v.values, ", ")))
}

// setOfOperationLogIDs checks each element of ids as cbr_operation_log
// checks its id, on the element's path.
type setOfOperationLogIDs struct{}

func (setOfOperationLogIDs) Description(ctx context.Context) string {
	return "every element must be an operation log ID"
}

func (v setOfOperationLogIDs) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (setOfOperationLogIDs) ValidateSet(ctx context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	for _, e := range req.ConfigValue.Elements() {
		s, ok := e.(types.String)
		if !ok || s.IsUnknown() {
			continue
		}
		p := req.Path.AtSetValue(s)
		if s.IsNull() {
			resp.Diagnostics.AddAttributeError(p, "Null Operation Log ID", fmt.Sprintf("%s must not hold a null value.", req.Path))
			continue
		}
		for _, sv := range []validator.String{notBlank(), operationLogID()} {
			r := validator.StringResponse{}
			sv.ValidateString(ctx, validator.StringRequest{Path: p, PathExpression: p.Expression(), ConfigValue: s, Config: req.Config}, &r)
			resp.Diagnostics.Append(r.Diagnostics...)
		}
	}
}
