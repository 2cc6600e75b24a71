package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1/model"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
)

var (
	_ resource.Resource               = (*backupSyncResource)(nil)
	_ resource.ResourceWithConfigure  = (*backupSyncResource)(nil)
	_ resource.ResourceWithModifyPlan = (*backupSyncResource)(nil)
)

func newBackupSyncResource() resource.Resource { return &backupSyncResource{poll: opLogPolling} }

type backupSyncResource struct {
	client *cbr.Client
	// poll is how often operation logs are read with wait_for_completion.
	poll pollPolicy
}

// defaultCreateTimeout bounds Create (the sync request and any waiting)
// unless timeouts.create says otherwise.
const defaultCreateTimeout = 10 * time.Minute

type backupSyncModel struct {
	ID                types.String   `tfsdk:"id"`
	Backups           []backupModel  `tfsdk:"backups"`
	WaitForCompletion types.Bool     `tfsdk:"wait_for_completion"`
	Triggers          types.Map      `tfsdk:"triggers"`
	Timeouts          timeouts.Value `tfsdk:"timeouts"`
}

type backupModel struct {
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

func (r *backupSyncResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_backup_sync"
}

func (r *backupSyncResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	required := func(desc string, more ...validator.String) schema.StringAttribute {
		return schema.StringAttribute{
			MarkdownDescription: desc,
			Required:            true,
			Validators:          append([]validator.String{notBlank()}, more...),
		}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Synchronizes (imports) up to " + fmt.Sprint(cbr.MaxSyncEntries) + " on-premises VMware backups from OBS into CBR with one API call. " +
			"By default the sync is fire-and-forget: creating the resource sends the request once and records the operation log IDs CBR returns, " +
			"without waiting for CBR to import the backups; set `wait_for_completion` to wait and fail the apply when an import fails, " +
			"or read the tasks later with the `cbr_operation_log` data source. " +
			"Reading the resource calls nothing; changing `backups` or `triggers` replaces it (sending a new request); " +
			"changing `wait_for_completion` or `timeouts` only updates the state. " +
			"Destroying it only removes it from the state: the backups stay in CBR.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "A UUID the provider generates when the sync request is sent. It identifies this request in the state only; CBR knows the request by the `operation_log_id`s of its backups.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"backups": schema.ListNestedAttribute{
				MarkdownDescription: fmt.Sprintf("The backups to synchronize, sent in this order in one request: 1 to %d entries, each `backup_id` at most once. Changing anything replaces the resource and synchronizes the whole list again.", cbr.MaxSyncEntries),
				Required:            true,
				Validators: []validator.List{
					listvalidator.SizeBetween(1, cbr.MaxSyncEntries),
				},
				PlanModifiers: []planmodifier.List{listplanmodifier.RequiresReplace()},
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"backup_id":     required("The ID of the backup, as written by the backup appliance."),
						"backup_name":   required(fmt.Sprintf("The name of the backup: 1 to %d characters.", cbr.MaxBackupNameLength), backupNameLength()),
						"bucket_name":   required("The name of the OBS bucket holding the backup chain."),
						"image_path":    required("The path of the backup chain in the bucket."),
						"resource_id":   required("The ID of the backed-up object (the VMware VM)."),
						"resource_name": required("The name of the backed-up object."),
						"resource_type": schema.StringAttribute{
							MarkdownDescription: "The resource type of the backed-up object. CBR documents these types: " + resourceTypesMarkdown() + ". Another value is sent as written, with a warning at plan time. Defaults to `" + cbr.DefaultResourceType + "`.",
							Optional:            true,
							Computed:            true,
							Default:             stringdefault.StaticString(cbr.DefaultResourceType),
							Validators:          []validator.String{notBlank(), knownResourceType()},
						},
						"created_at": schema.NumberAttribute{
							MarkdownDescription: fmt.Sprintf("When the backup was taken, in whole seconds since the Unix epoch, for example `1548898428` (not milliseconds). The API takes a 32-bit integer: 1 to %d.", cbr.MaxCreatedAt),
							Required:            true,
							Validators:          []validator.Number{createdAt()},
						},
						"operation_log_id": schema.StringAttribute{
							MarkdownDescription: "The ID of the CBR task (operation log) that imports this backup, as returned by the sync request. Null when CBR's answer did not cover this backup. " +
								"Several backups may share one operation log.",
							Computed:      true,
							PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
						},
						"status": schema.StringAttribute{
							MarkdownDescription: "With `wait_for_completion`, the status of this backup's import task when waiting ended: `success`, `skipped`, `failed` or `timeout`, " +
								"or `waiting` or `running` when the create timeout ran out or the apply was interrupted first. " +
								"Null without `wait_for_completion`, when the task could not be read, or when there is no `operation_log_id`. " +
								"It is not refreshed afterwards; use the `cbr_operation_log` data source for the current status.",
							Computed:      true,
							PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
						},
					},
				},
			},
			"wait_for_completion": schema.BoolAttribute{
				MarkdownDescription: "Wait, after sending the sync request, until CBR has finished importing every backup: each distinct operation log is read " +
					fmt.Sprintf("every %s at first, then less often (up to every %s), until its status is no longer `waiting` or `running`, within the create timeout. ", opLogPollInitial, opLogPollMax) +
					"If any import ends `failed` or `timeout` (or cannot be checked, or the timeout runs out), the apply fails with CBR's error_info, " +
					"and the resource is kept in the state as tainted, with each backup's `status`, since the request was sent. " +
					"Defaults to `false`: the apply succeeds as soon as CBR accepts the request. " +
					"Changing it later updates the state only: it neither sends the request again nor waits for the earlier one.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"triggers": schema.MapAttribute{
				MarkdownDescription: "Arbitrary values that, when changed, replace the resource and so send the sync request again, for example to re-run an import on purpose " +
					"(`triggers = { run = \"2\" }`). Not sent to CBR.",
				Optional:      true,
				ElementType:   types.StringType,
				PlanModifiers: []planmodifier.Map{mapplanmodifier.RequiresReplace()},
			},
			"timeouts": createTimeoutAttribute(ctx, &resp.Diagnostics),
		},
	}
}

// createTimeoutAttribute is the timeouts attribute with its create timeout,
// documented, and checked to be positive. When the timeouts package builds
// the attribute in a shape this code does not know, it adds an error to diags
// and returns the attribute as built.
func createTimeoutAttribute(ctx context.Context, diags *diag.Diagnostics) schema.Attribute {
	built := timeouts.Attributes(ctx, timeouts.Opts{Create: true})
	unexpected := func(what string, got any, want string) schema.Attribute {
		diags.AddError("Unexpected Timeouts Attribute",
			fmt.Sprintf("The timeouts package built %s as a %T instead of a %s. "+
				"This is always a bug in the provider and should be reported to the provider developers.", what, got, want))
		return built
	}
	attr, ok := built.(schema.SingleNestedAttribute)
	if !ok {
		return unexpected("the timeouts attribute", built, "schema.SingleNestedAttribute")
	}
	attr.MarkdownDescription = "How long operations may take, as a nested attribute: `timeouts = { create = \"30m\" }`."
	create, ok := attr.Attributes["create"].(schema.StringAttribute)
	if !ok {
		return unexpected("timeouts.create", attr.Attributes["create"], "schema.StringAttribute")
	}
	create.Description = ""
	create.MarkdownDescription = fmt.Sprintf("How long creating may take, for the sync request and, with `wait_for_completion`, the waiting: "+
		"a positive duration such as `\"30s\"`, `\"30m\"` or `\"2h45m\"` (a number and a unit, several in a row: units `h`, `m`, `s`, `ms`, `us`, `ns`). Defaults to `\"%s\"`. "+
		"When it runs out while waiting, the apply fails and the resource is kept in the state as tainted.", fmt.Sprintf("%dm", int(defaultCreateTimeout.Minutes())))
	create.Validators = append(create.Validators, positiveDuration())
	attr.Attributes["create"] = create
	return attr
}

func (r *backupSyncResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.client = configuredClient(req.ProviderData, "Resource", &resp.Diagnostics)
}

// ModifyPlan warns, before the user confirms, that destroying keeps the
// backups, and plans a null status for each backup of a new resource that
// will not wait.
func (r *backupSyncResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() && !req.State.Raw.IsNull() {
		resp.Diagnostics.AddWarning("Backups Stay in CBR",
			"Destroying cbr_backup_sync only removes it from the Terraform state. The backups it synchronized stay in CBR; delete them in CBR if they are no longer wanted.")
	}
	if req.Plan.Raw.IsNull() || !req.State.Raw.IsNull() {
		return
	}
	var wait types.Bool
	var backups types.List
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("wait_for_completion"), &wait)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("backups"), &backups)...)
	if resp.Diagnostics.HasError() || wait.IsUnknown() || wait.ValueBool() || backups.IsNull() || backups.IsUnknown() {
		return
	}
	for i, elem := range backups.Elements() {
		if elem.IsUnknown() || elem.IsNull() {
			continue
		}
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("backups").AtListIndex(i).AtName("status"), types.StringNull())...)
	}
}

func (r *backupSyncResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan backupSyncModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if r.client == nil {
		resp.Diagnostics.AddError("Provider Not Configured", "The cbr provider was not configured. This is always a bug in the provider and should be reported to the provider developers.")
		return
	}
	createTimeout, diags := plan.Timeouts.Create(ctx, defaultCreateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	// The create timeout covers the sync request and the waiting. The
	// context is also cancelled when Terraform is interrupted (Ctrl-C).
	ctx, cancel := context.WithTimeout(ctx, createTimeout)
	defer cancel()

	entries := make([]model.BackupSync, len(plan.Backups))
	for i, b := range plan.Backups {
		entries[i] = model.BackupSync{
			BackupId:     b.BackupID.ValueString(),
			BackupName:   b.BackupName.ValueString(),
			BucketName:   b.BucketName.ValueString(),
			ImagePath:    b.ImagePath.ValueString(),
			ResourceId:   b.ResourceID.ValueString(),
			ResourceName: b.ResourceName.ValueString(),
			ResourceType: b.ResourceType.ValueString(),
			CreatedAt:    createdAtSeconds(b.CreatedAt), // validated to fit at plan time
		}
	}
	id, err := uuid.NewRandom()
	if err != nil {
		resp.Diagnostics.AddError("Unable to Generate ID", err.Error())
		return
	}

	tflog.Debug(ctx, "synchronizing CBR backups", map[string]any{"backups": len(entries), "id": id.String(), "create_timeout": createTimeout.String()})
	opIDs, err := r.client.SyncBackups(ctx, entries)
	var authErr *cbr.AuthError
	if errors.As(err, &authErr) {
		resp.Diagnostics.AddError("Unable to Authenticate",
			fmt.Sprintf("The provider was unable to %s, so the request to synchronize %s was not sent. Nothing was synchronized and nothing was saved in the state.\n\n%s",
				authErr.What, backupCount(len(entries)), describeError(err)))
		return
	}
	if err != nil && !cbr.MaybeApplied(err) {
		resp.Diagnostics.AddError("Unable to Synchronize CBR Backups", notAppliedDetail(err, len(entries)))
		return
	}

	// From here on the request may have been applied: record it, so the
	// state tells what happened even when the answer is lost or partial.
	plan.ID = types.StringValue(id.String())
	backupIDs := make([]string, len(entries))
	for i := range plan.Backups {
		backupIDs[i] = entries[i].BackupId
		plan.Backups[i].Status = types.StringNull()
		if op, ok := opIDs[entries[i].BackupId]; ok {
			plan.Backups[i].OperationLogID = types.StringValue(op)
		} else {
			plan.Backups[i].OperationLogID = types.StringNull()
		}
	}
	if err != nil {
		// No waiting: the apply fails anyway, and the tainted record
		// tells what is known.
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		resp.Diagnostics.Append(appliedErrorDiagnostic(err, backupIDs, len(opIDs)))
		return
	}
	if !plan.WaitForCompletion.ValueBool() {
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}

	waits := distinctOperationLogs(backupIDs, opIDs)
	tflog.Debug(ctx, "waiting for CBR to import the backups", map[string]any{"id": id.String(), "operation_logs": len(waits)})
	waitErr := waitForOperationLogs(ctx, r.client.GetOperationLog, waits, r.poll)
	byBackup := map[string]*opLogWait{}
	for _, w := range waits {
		for _, b := range w.BackupIDs {
			byBackup[b] = w
		}
	}
	for i := range plan.Backups {
		if w := byBackup[backupIDs[i]]; w != nil && w.Last != nil {
			plan.Backups[i].Status = types.StringValue(w.Last.Status)
		}
	}
	// Saved whatever the outcome: the request was sent. With an error
	// below, Terraform keeps it as tainted.
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	if d := waitDiagnostic(waitErr, waits, len(entries)); d != nil {
		resp.Diagnostics.Append(d)
	}
}

// notAppliedDetail explains a sync that failed before CBR could apply it.
func notAppliedDetail(err error, requested int) string {
	var b strings.Builder
	var apiErr *cbr.APIError
	var tErr *cbr.TransportError
	switch {
	case errors.As(err, &apiErr):
		fmt.Fprintf(&b, "CBR did not accept the request to synchronize %s.", backupCount(requested))
	case errors.As(err, &tErr) && errors.Is(err, context.Canceled):
		fmt.Fprintf(&b, "The apply was interrupted before the request to synchronize %s was sent.", backupCount(requested))
	case errors.As(err, &tErr):
		fmt.Fprintf(&b, "The request to synchronize %s could not be sent to CBR.", backupCount(requested))
	default:
		fmt.Fprintf(&b, "The request to synchronize %s was not sent.", backupCount(requested))
	}
	b.WriteString(" Nothing was synchronized and nothing was saved in the state.")
	var retryErr *cbr.RetryError
	if errors.As(err, &retryErr) {
		fmt.Fprintf(&b, " The provider tried %d %s and gave up: %s.", retryErr.Attempts, times(retryErr.Attempts), retryErr.Reason)
		if strings.Contains(retryErr.Reason, "max_retries") {
			b.WriteString(" Apply again later, or raise max_retries in the provider configuration.")
		}
	}
	b.WriteString("\n\n")
	b.WriteString(describeError(err))
	return b.String()
}

func times(n int) string {
	if n == 1 {
		return "time"
	}
	return "times"
}

// appliedErrorDiagnostic explains a sync whose request may have been applied
// although the answer was unusable or incomplete.
func appliedErrorDiagnostic(err error, backupIDs []string, confirmed int) diag.Diagnostic {
	requested := len(backupIDs)
	var incomplete *cbr.IncompleteSyncError
	if errors.As(err, &incomplete) {
		const next = "The resource is saved in the state as tainted, so the next apply replaces it and sends the whole list again, " +
			"which may import the same backups twice. Check the backups in CBR first. If they were all imported, keep this record with " +
			"`terraform untaint`; otherwise, remove the imported ones from this resource's list before applying again."
		return diag.NewErrorDiagnostic("Incomplete CBR Backup Sync Answer",
			fmt.Sprintf("CBR accepted the request to synchronize %s, but its answer gives no operation log ID for %d of them: %s. "+
				"The operation log IDs of the other %d are saved in the state; operation_log_id is null for the missing ones.\n\n%s\n\n%s",
				backupCount(requested), len(incomplete.Missing), strings.Join(incomplete.Missing, ", "), confirmed, describeError(err), next))
	}

	var b strings.Builder
	var apiErr *cbr.APIError
	var respErr *cbr.ResponseError
	var netErr net.Error
	switch {
	case errors.As(err, &apiErr):
		fmt.Fprintf(&b, "CBR answered the request to synchronize %s with HTTP %d %s. That answer does not tell whether CBR applied the request before failing: "+
			"it may have started importing some or all of the backups.", backupCount(requested), apiErr.StatusCode, http.StatusText(apiErr.StatusCode))
	case errors.As(err, &respErr):
		fmt.Fprintf(&b, "CBR answered the request to synchronize %s with HTTP %d, so it most likely applied it, but the answer cannot be read: "+
			"the operation log IDs are unknown.", backupCount(requested), respErr.StatusCode)
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(&b, "The request to synchronize %s was sent, but the apply was interrupted before the answer came back, so CBR may or may not have applied it.", backupCount(requested))
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		fmt.Fprintf(&b, "The request to synchronize %s was sent, but no answer came back in time (the provider's request timeout or the resource's create timeout), "+
			"so CBR may or may not have applied it.", backupCount(requested))
	default:
		fmt.Fprintf(&b, "The request to synchronize %s was sent, but the connection failed before an answer came back, so CBR may or may not have applied it.", backupCount(requested))
	}
	b.WriteString(" The provider does not send a sync request again in this case: the sync API is not idempotent, and a second request could import the same backups twice. " +
		"No operation log IDs are known; they are null in the state.\n\n")
	b.WriteString(describeError(err))
	fmt.Fprintf(&b, "\n\nThe resource is saved in the state as tainted, so the next apply replaces it and sends the whole list again. Before that, check in CBR "+
		"(the backups, or the operation logs of the project) whether these backups were imported: %s. If they all were, keep this record with `terraform untaint`; "+
		"if none were, apply again; if only some were, remove those from this resource's list before applying again.", listIDs(backupIDs, 10))
	return diag.NewErrorDiagnostic("CBR Backup Sync Outcome Unknown", b.String())
}

// listIDs joins up to limit IDs and says how many more there are.
func listIDs(ids []string, limit int) string {
	if len(ids) <= limit {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:limit], ", "), len(ids)-limit)
}

// describeError lays out an API error's details, one per line.
func describeError(err error) string {
	var apiErr *cbr.APIError
	if errors.As(err, &apiErr) {
		var b strings.Builder
		fmt.Fprintf(&b, "HTTP status: %d\n", apiErr.StatusCode)
		if apiErr.Code != "" {
			fmt.Fprintf(&b, "error_code: %s\n", apiErr.Code)
		}
		if apiErr.Message != "" {
			fmt.Fprintf(&b, "error_msg: %s\n", apiErr.Message)
		}
		if apiErr.Body != "" {
			fmt.Fprintf(&b, "body: %s\n", apiErr.Body)
		}
		if apiErr.RequestID != "" {
			fmt.Fprintf(&b, "request id: %s\n", apiErr.RequestID)
		} else {
			b.WriteString("request id: (none in the answer)\n")
		}
		fmt.Fprintf(&b, "request: %s %s", apiErr.Method, apiErr.URL)
		var retryErr *cbr.RetryError
		if errors.As(err, &retryErr) {
			fmt.Fprintf(&b, "\nattempts: %d (%s)", retryErr.Attempts, retryErr.Reason)
		}
		if advice := authAdvice(err); advice != "" {
			b.WriteString("\n\n" + advice)
		}
		return b.String()
	}
	if advice := authAdvice(err); advice != "" {
		return err.Error() + "\n\n" + advice
	}
	return err.Error()
}

// Read makes no API call: everything there is to know about a sync request is
// in the state, and CBR has no object that represents the request itself.
func (r *backupSyncResource) Read(_ context.Context, _ resource.ReadRequest, _ *resource.ReadResponse) {
}

// Update makes no API call. Only wait_for_completion and timeouts can change
// in place; they govern how Create works, so they only change in the state.
// backups and triggers require replacement, so the recorded results
// (id, operation_log_id, status) are kept as they are.
func (r *backupSyncResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state backupSyncModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.ID = state.ID
	for i := range plan.Backups {
		if i < len(state.Backups) {
			plan.Backups[i].OperationLogID = state.Backups[i].OperationLogID
			plan.Backups[i].Status = state.Backups[i].Status
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Delete makes no API call: synchronized backups are not deleted.
func (r *backupSyncResource) Delete(_ context.Context, _ resource.DeleteRequest, resp *resource.DeleteResponse) {
	resp.Diagnostics.AddWarning("Backups Stay in CBR",
		"cbr_backup_sync was removed from the Terraform state only. The backups it synchronized stay in CBR; delete them in CBR if they are no longer wanted.")
}
