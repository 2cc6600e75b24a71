package provider

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
	"github.com/cbr-sync/terraform-provider-cbr/internal/credentials"
)

var (
	_ resource.Resource               = (*backupSyncResource)(nil)
	_ resource.ResourceWithConfigure  = (*backupSyncResource)(nil)
	_ resource.ResourceWithModifyPlan = (*backupSyncResource)(nil)
)

func newBackupSyncResource() resource.Resource { return &backupSyncResource{poll: opLogPolling} }

type backupSyncResource struct {
	client *cbr.Client
	// book is the provider's record book of the configuration's scope (nil
	// until configured, and in tests that make the resource by hand).
	book *recordBook
	// poll is how often operation logs are read with wait_for_completion.
	poll pollPolicy
}

// defaultCreateTimeout bounds Create (the sync request and any waiting)
// unless timeouts.create says otherwise.
const defaultCreateTimeout = 10 * time.Minute

// backupSyncModel is the resource as the plan and the apply work on it:
// Backups holds the entries sorted by backup_id (the order in which they are
// sent), each with its backup_id set to its key in the map.
type backupSyncModel struct {
	ID                types.String
	Backups           []backupModel
	WaitForCompletion types.Bool
	FailOnImport      types.Bool
	Triggers          types.Map
	Timeouts          timeouts.Value
}

// backupSyncData is the resource as the framework reads and writes it:
// backups keyed by backup_id.
type backupSyncData struct {
	ID                types.String           `tfsdk:"id"`
	Backups           map[string]backupModel `tfsdk:"backups"`
	WaitForCompletion types.Bool             `tfsdk:"wait_for_completion"`
	FailOnImport      types.Bool             `tfsdk:"fail_on_import_failure"`
	Triggers          types.Map              `tfsdk:"triggers"`
	Timeouts          timeouts.Value         `tfsdk:"timeouts"`
}

// model turns the framework's view into the working model.
func (d backupSyncData) model() *backupSyncModel {
	return &backupSyncModel{ID: d.ID, Backups: sortedBackups(d.Backups), WaitForCompletion: d.WaitForCompletion,
		FailOnImport: d.FailOnImport, Triggers: d.Triggers, Timeouts: d.Timeouts}
}

// data turns the working model into the framework's view.
func (m *backupSyncModel) data() *backupSyncData {
	return &backupSyncData{ID: m.ID, Backups: keyedBackups(m.Backups), WaitForCompletion: m.WaitForCompletion,
		FailOnImport: m.FailOnImport, Triggers: m.Triggers, Timeouts: m.Timeouts}
}

// sortedBackups lists the entries of a backups map in the order of their
// keys, each with its backup_id set to its key (the configuration may leave
// backup_id out). A nil map gives a nil slice.
func sortedBackups(m map[string]backupModel) []backupModel {
	if m == nil {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]backupModel, len(keys))
	for i, k := range keys {
		out[i] = m[k]
		out[i].BackupID = types.StringValue(k)
	}
	return out
}

// keyedBackups is the backups map of a list of entries, keyed by backup_id.
// A nil slice gives a nil map.
func keyedBackups(list []backupModel) map[string]backupModel {
	if list == nil {
		return nil
	}
	out := make(map[string]backupModel, len(list))
	for _, b := range list {
		out[b.BackupID.ValueString()] = b
	}
	return out
}

// backupModel is one entry of backups.
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
	SyncState      types.String `tfsdk:"sync_state"`
}

func (r *backupSyncResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_backup_sync"
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
	create.MarkdownDescription = fmt.Sprintf("How long an apply that sends backups (a create, or an update that sends some) may take, for the sync requests and, with `wait_for_completion`, the waiting: "+
		"a positive duration such as `\"30s\"`, `\"30m\"` or `\"2h45m\"` (a number and a unit, several in a row: units `h`, `m`, `s`, `ms`, `us`, `ns`). Defaults to `\"%s\"`. "+
		"When it runs out, the apply fails: the backups sent are recorded with the last status seen, and the requests not sent yet are left `not_sent` for the next apply.", fmt.Sprintf("%dm", int(defaultCreateTimeout.Minutes())))
	create.Validators = append(create.Validators, positiveDuration())
	attr.Attributes["create"] = create
	return attr
}

func (r *backupSyncResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if req.ProviderData == nil {
		return
	}
	data, ok := req.ProviderData.(*resourceData)
	if !ok {
		resp.Diagnostics.AddError("Unexpected Resource Configure Type",
			fmt.Sprintf("Expected *backupSyncData, got %T. This is always a bug in the provider and should be reported to the provider developers.", req.ProviderData))
		return
	}
	r.client, r.book = data.client, data.book
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
	b.WriteString(retryAdvice(err, "Apply again"))
	b.WriteString("\n\n")
	b.WriteString(describeError(err))
	return b.String()
}

// retryAdvice says, after a request the client retried, how often it tried
// and what to do: again, naming the way to try again ("Apply again"). A
// connection that never reached CBR points at the endpoint first.
func retryAdvice(err error, again string) string {
	var retryErr *cbr.RetryError
	if !errors.As(err, &retryErr) {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, " The provider tried %d %s and gave up: %s.", retryErr.Attempts, times(retryErr.Attempts), retryErr.Reason)
	var tErr *cbr.TransportError
	if errors.As(err, &tErr) && !tErr.Sent {
		fmt.Fprintf(&b, " No connection reached CBR: check that the endpoint in %s is right and reachable from here (a proxy, a firewall, DNS).", tErr.URL)
	}
	if strings.Contains(retryErr.Reason, "max_retries") {
		fmt.Fprintf(&b, " %s later, or raise max_retries in the provider configuration.", again)
	}
	return b.String()
}

// itThem is "it" for one, "them" for more.
func itThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func times(n int) string {
	if n == 1 {
		return "time"
	}
	return "times"
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
		if advice := credentials.AuthAdvice(err); advice != "" {
			b.WriteString("\n\n" + advice)
		}
		return b.String()
	}
	if advice := credentials.AuthAdvice(err); advice != "" {
		return err.Error() + "\n\n" + advice
	}
	return err.Error()
}
