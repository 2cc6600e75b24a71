package oplogs

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

// operationLogsDataSource is cbr_operation_logs: many operation logs in one
// read, with the list API.
type operationLogsDataSource struct{ dataSource }

type operationLogsModel struct {
	OperationType types.String     `tfsdk:"operation_type"`
	Status        types.String     `tfsdk:"status"`
	StartTime     types.String     `tfsdk:"start_time"`
	EndTime       types.String     `tfsdk:"end_time"`
	IDs           types.Set        `tfsdk:"ids"`
	OperationLogs []listedLogModel `tfsdk:"operation_logs"`
}

func (d *operationLogsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_operation_logs"
}

func (d *operationLogsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
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
				NestedObject:        schema.NestedAttributeObject{Attributes: logAttributes(true)},
			},
		},
	}
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
	if !d.readConfig(ctx, req, resp, &m) {
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
			fmt.Sprintf("Listing the operation logs failed (%d pages had been read).\n\n%s", list.Pages, d.describe(err)))
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
					fmt.Sprintf("Operation log %q was not in the list, and reading it by ID failed.\n\n%s", id, d.describe(err)))
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
	m.OperationLogs = make([]listedLogModel, len(logs))
	for i, ol := range logs {
		m.OperationLogs[i] = newListedLogModel(ol)
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
