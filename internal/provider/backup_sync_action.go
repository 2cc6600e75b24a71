package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1/model"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
)

var (
	_ provider.ProviderWithActions      = (*cbrProvider)(nil)
	_ action.ActionWithConfigure        = (*backupSyncAction)(nil)
	_ action.ActionWithConfigValidators = (*backupSyncAction)(nil)
)

// Actions lists the provider's actions (Terraform 1.14 and later; older CLIs
// and OpenTofu do not ask for them).
func (p *cbrProvider) Actions(_ context.Context) []func() action.Action {
	return []func() action.Action{newBackupSyncAction}
}

func newBackupSyncAction() action.Action { return &backupSyncAction{poll: opLogPolling} }

// backupSyncAction sends a sync of its backups every time it is invoked and
// records nothing in the state. It sends through the same client code as the
// cbr_backup_sync resource (cbr.Client.SyncAll) and follows the same rules: a
// request whose outcome is unknown is never sent again.
type backupSyncAction struct {
	client *cbr.Client
	// poll is how often operation logs are read with wait_for_completion.
	poll pollPolicy
}

type backupSyncActionModel struct {
	Backups           types.Map    `tfsdk:"backups"`
	WaitForCompletion types.Bool   `tfsdk:"wait_for_completion"`
	Timeout           types.String `tfsdk:"timeout"`
}

func (a *backupSyncAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_backup_sync"
}

func (a *backupSyncAction) Schema(ctx context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	backups, diags := actionBackupsAttribute(ctx)
	resp.Diagnostics.Append(diags...)
	resp.Schema = schema.Schema{
		MarkdownDescription: "Synchronizes (imports) on-premises VMware backups from OBS into CBR every time it is invoked: " +
			"`terraform apply -invoke=action.cbr_backup_sync.<name>`, or from a resource's lifecycle with `action_trigger`. " +
			fmt.Sprintf("Any number of backups, sent in requests of at most %d, one request at a time. ", cbr.MaxSyncEntries) +
			"Nothing is recorded in the state: each invocation is a new import, whatever earlier invocations sent. " +
			"For a record in the state that sends each backup exactly once, use the `cbr_backup_sync` resource. Requires Terraform 1.14 or later.",
		Attributes: map[string]schema.Attribute{
			"backups": backups,
			"wait_for_completion": schema.BoolAttribute{
				MarkdownDescription: "Wait, after CBR accepted every request, until it has finished importing every backup, reporting progress " +
					"(backups imported, failed, still running) while it waits. The operation logs are read in rounds " +
					fmt.Sprintf("every %s at first, then less often (up to every %s), within `timeout`, listing 1,000 per request. ", opLogPollInitial, opLogPollMax) +
					"If any import ends `failed` or `timeout`, cannot be checked, or `timeout` runs out, the invocation fails with CBR's error_info. " +
					"Defaults to `false`: the invocation succeeds as soon as CBR accepts the requests.",
				Optional: true,
			},
			"timeout": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("How long the invocation may take, for the sync requests and, with `wait_for_completion`, the waiting: "+
					"a positive duration such as `\"30s\"`, `\"30m\"` or `\"2h45m\"` (units `s`, `m`, `h`). Defaults to `\"%dm\"`.", int(defaultCreateTimeout.Minutes())),
				Optional:   true,
				Validators: []validator.String{durationString(), positiveDuration()},
			},
		},
	}
}

// actionBackupsAttribute is the resource's backups attribute, as an action
// attribute: the same arguments, descriptions and validators (list size,
// blank strings, name length, created_at), without
// the attributes the resource computes. resource_type's default is applied
// by Invoke.
func actionBackupsAttribute(ctx context.Context) (schema.MapNestedAttribute, diag.Diagnostics) {
	var diags diag.Diagnostics
	var rs resource.SchemaResponse
	newBackupSyncResource().Schema(ctx, resource.SchemaRequest{}, &rs)
	diags.Append(rs.Diagnostics...)
	list, ok := rs.Schema.Attributes["backups"].(rschema.MapNestedAttribute)
	if !ok {
		diags.AddError("Unexpected Resource Schema",
			fmt.Sprintf("The backups attribute of cbr_backup_sync is a %T, not a map of objects. "+
				"This is always a bug in the provider and should be reported to the provider developers.", rs.Schema.Attributes["backups"]))
		return schema.MapNestedAttribute{Required: true}, diags
	}
	attrs := map[string]schema.Attribute{}
	for name, ra := range list.NestedObject.Attributes {
		if ra.IsComputed() {
			// What the resource records (operation_log_id, status,
			// sync_state), adopting a backup by its operation_log_id
			// included: the action records nothing and always sends.
			// resource_type's default is applied by Invoke, and backup_id
			// defaults to the entry's key.
			if name != "resource_type" && name != "backup_id" {
				continue
			}
		}
		switch ra := ra.(type) {
		case rschema.StringAttribute:
			attrs[name] = schema.StringAttribute{Required: ra.Required, Optional: ra.Optional, MarkdownDescription: ra.MarkdownDescription, Validators: ra.Validators}
		case rschema.Int64Attribute:
			attrs[name] = schema.Int64Attribute{Required: ra.Required, Optional: ra.Optional, MarkdownDescription: ra.MarkdownDescription, Validators: ra.Validators}
		case rschema.NumberAttribute:
			attrs[name] = schema.NumberAttribute{Required: ra.Required, Optional: ra.Optional, MarkdownDescription: ra.MarkdownDescription, Validators: ra.Validators}
		default:
			diags.AddError("Unexpected Resource Schema",
				fmt.Sprintf("backups.%s of cbr_backup_sync is a %T, which the action does not know. "+
					"This is always a bug in the provider and should be reported to the provider developers.", name, ra))
		}
	}
	return schema.MapNestedAttribute{
		MarkdownDescription: "The backups to synchronize, keyed by `backup_id` as in the `cbr_backup_sync` resource, sent in the order of their keys " + fmt.Sprintf("in requests of at most %d entries", cbr.MaxSyncEntries) +
			". Every invocation sends all of them.",
		Required:     true,
		Validators:   list.Validators,
		NestedObject: schema.NestedAttributeObject{Attributes: attrs},
	}, diags
}

// ConfigValidators checks the backups map as the resource's config
// validators do (keys and backup_id, resource types), without the
// resource's size bound: an invocation records nothing in the state.
func (a *backupSyncAction) ConfigValidators(context.Context) []action.ConfigValidator {
	return []action.ConfigValidator{actionBackupsCheck{}}
}

// actionBackupsCheck checks the backups map with the resource's check.
type actionBackupsCheck struct{}

func (actionBackupsCheck) Description(context.Context) string {
	return "each entry of backups is keyed by its backup_id"
}

func (v actionBackupsCheck) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (actionBackupsCheck) ValidateAction(ctx context.Context, req action.ValidateConfigRequest, resp *action.ValidateConfigResponse) {
	var m types.Map
	if diags := req.Config.GetAttribute(ctx, path.Root("backups"), &m); diags.HasError() {
		return // the schema validation reports what is wrong with the map
	}
	checkBackupsMap(path.Root("backups"), m, 0, &resp.Diagnostics)
}

func (a *backupSyncAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.client = configuredClient(req.ProviderData, "Action", &resp.Diagnostics)
}

// Invoke sends every backup, in requests of at most cbr.MaxSyncEntries, and
// with wait_for_completion waits for CBR to import them, reporting progress.
func (a *backupSyncAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var cfg backupSyncActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if a.client == nil {
		resp.Diagnostics.AddError("Provider Not Configured", "The cbr provider was not configured. This is always a bug in the provider and should be reported to the provider developers.")
		return
	}
	entries, diags := actionSyncEntries(ctx, cfg.Backups)
	resp.Diagnostics.Append(diags...)
	timeout := defaultCreateTimeout
	if !cfg.Timeout.IsNull() && !cfg.Timeout.IsUnknown() {
		d, err := time.ParseDuration(cfg.Timeout.ValueString())
		if err != nil || d <= 0 {
			resp.Diagnostics.AddAttributeError(path.Root("timeout"), "Invalid Timeout",
				fmt.Sprintf("timeout must be a positive duration such as \"30m\", got %q.", cfg.Timeout.ValueString()))
		}
		timeout = d
	}
	if len(entries) == 0 && !resp.Diagnostics.HasError() {
		// The list's validators reject this before Terraform invokes the action.
		resp.Diagnostics.AddAttributeError(path.Root("backups"), "No Backups", "backups is empty: there is nothing to synchronize.")
	}
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	progress := func(msg string) {
		tflog.Info(ctx, msg)
		if resp.SendProgress != nil {
			resp.SendProgress(action.InvokeProgressEvent{Message: msg})
		}
	}
	requests := (len(entries) + cbr.MaxSyncEntries - 1) / cbr.MaxSyncEntries
	progress(fmt.Sprintf("Sending %s to CBR in %s of at most %d.", backupCount(len(entries)), requestCount(requests), cbr.MaxSyncEntries))
	sent, request := 0, 0
	// As the resource does: Ctrl-C lets the request on the wire finish, so
	// that its answer is reported, and no request starts after it.
	sendCtx, stopSending := cbr.GracefulStop(ctx)
	defer stopSending()
	sentAt := syncClock()
	batches, unsent := a.client.SyncAll(sendCtx, entries, func(b cbr.Batch) {
		request++
		if b.Err != nil {
			return
		}
		sent += len(b.Backups)
		progress(fmt.Sprintf("CBR accepted request %d of %d (request id %s): %d of %d backups sent.",
			request, requests, orNone(b.Answer.RequestID), sent, len(entries)))
	})

	opIDs := map[string]string{}
	for i, b := range batches {
		for backup, op := range b.Answer.OperationLogIDs {
			opIDs[backup] = op
		}
		if len(b.Answer.Unrequested) > 0 {
			resp.Diagnostics.AddWarning("CBR Answered Backups That Were Not Requested",
				fmt.Sprintf("CBR's answer to request %d of %d (request id %s) names backups that were not in that request: %s. The provider ignores them.",
					i+1, requests, orNone(b.Answer.RequestID), listIDs(b.Answer.Unrequested, 10)))
		}
	}
	if last := batches[len(batches)-1]; last.Err != nil {
		resp.Diagnostics.Append(actionSyncErrorDiagnostic(batches, unsent, requests, opIDs))
		return
	}
	backupIDs := make([]string, len(entries))
	for i, e := range entries {
		backupIDs[i] = e.BackupId
	}
	if !cfg.WaitForCompletion.ValueBool() {
		progress(fmt.Sprintf("CBR accepted %s; it imports %s in the background (wait_for_completion is not set).", backupCount(len(entries)), itThem(len(entries))))
		return
	}

	waits := distinctOperationLogs(backupIDs, opIDs)
	poll := a.poll
	poll.progress = func(waits []*opLogWait, next time.Duration) {
		c := countWaits(waits)
		unchecked := ""
		if c.unreadable > 0 {
			unchecked = fmt.Sprintf(", %d not checked (their operation logs cannot be read)", c.unreadable)
		}
		progress(fmt.Sprintf("Waiting for CBR: %d of %d backups imported, %d failed, %d still running%s; next check in %s.",
			c.imported, len(entries), c.failed, c.running, unchecked, next))
	}
	waitErr := waitForOperationLogs(ctx, syncLogReader(a.client, sentAt), waits, poll)
	c := countWaits(waits)
	progress(fmt.Sprintf("Done waiting: %d of %d backups imported, %d failed, %d still running, %d not checked.",
		c.imported, len(entries), c.failed, c.running, c.unreadable))
	if d := actionWaitDiagnostic(waitErr, waits, len(entries), requests); d != nil {
		resp.Diagnostics.Append(d)
	}
}

// actionSyncEntries reads the configured backups as entries of the
// resource (what the resource records left null), with backup_id defaulting
// to the key and resource_type as in the resource, and returns what the
// resource would send for them (backupModel.syncEntry). created_at is read
// as whole seconds whether the resource schema makes it an Int64 or a Number.
func actionSyncEntries(ctx context.Context, backups types.Map) ([]model.BackupSync, diag.Diagnostics) {
	var diags diag.Diagnostics
	if backups.IsNull() || backups.IsUnknown() {
		diags.AddAttributeError(path.Root("backups"), "Backups Not Known",
			"The action cannot be invoked because backups is not known. This is always a bug in the provider and should be reported to the provider developers.")
		return nil, diags
	}
	entryType, err := resourceEntryType(ctx)
	if err != nil {
		diags.AddError("Unexpected Resource Schema", err.Error()+". This is always a bug in the provider and should be reported to the provider developers.")
		return nil, diags
	}
	elems := backups.Elements()
	keys := make([]string, 0, len(elems))
	for k := range elems {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	entries := make([]model.BackupSync, 0, len(keys))
	for _, key := range keys {
		at := path.Root("backups").AtMapKey(key)
		obj, ok := elems[key].(types.Object)
		if !ok || obj.IsNull() || obj.IsUnknown() {
			diags.AddAttributeError(at, "Backup Not Known", fmt.Sprintf("%s is null or not known.", at))
			continue
		}
		attrs := obj.Attributes()
		known := true
		for _, name := range slices.Sorted(maps.Keys(attrs)) {
			if v := attrs[name]; v.IsUnknown() || v.IsNull() && name != "resource_type" && name != "backup_id" {
				diags.AddAttributeError(at.AtName(name), "Value Not Known", fmt.Sprintf("%s is null or not known.", at.AtName(name)))
				known = false
			}
		}
		secs, ok := wholeSeconds(attrs["created_at"])
		if known && (!ok || secs < 1 || secs > cbr.MaxCreatedAt) {
			diags.AddAttributeError(at.AtName("created_at"), "Invalid Value",
				fmt.Sprintf("%s must be a whole number of seconds from 1 to %d, got %s.", at.AtName("created_at"), cbr.MaxCreatedAt, attrs["created_at"]))
			continue
		}
		if !known {
			continue
		}
		full := make(map[string]attr.Value, len(entryType.AttrTypes))
		for name, t := range entryType.AttrTypes {
			v, ok := attrs[name]
			if !ok || name == "created_at" {
				null, err := t.ValueFromTerraform(ctx, tftypes.NewValue(t.TerraformType(ctx), nil))
				if err != nil {
					diags.AddError("Unexpected Resource Schema", err.Error())
					return nil, diags
				}
				v = null
			}
			full[name] = v
		}
		entry, d := types.ObjectValue(entryType.AttrTypes, full)
		diags.Append(d...)
		var b backupModel
		diags.Append(entry.As(ctx, &b, basetypes.ObjectAsOptions{})...)
		if diags.HasError() {
			return nil, diags
		}
		if b.BackupID.IsNull() {
			b.BackupID = types.StringValue(key)
		}
		if b.ResourceType.IsNull() {
			b.ResourceType = types.StringValue(cbr.DefaultResourceType)
		}
		b.CreatedAt = types.NumberValue(new(big.Float).SetInt64(secs))
		entries = append(entries, b.syncEntry())
	}
	return entries, diags
}

// resourceEntryType is the type of an entry of the resource's backups.
func resourceEntryType(ctx context.Context) (types.ObjectType, error) {
	var rs resource.SchemaResponse
	newBackupSyncResource().Schema(ctx, resource.SchemaRequest{}, &rs)
	backups, ok := rs.Schema.Attributes["backups"].(rschema.MapNestedAttribute)
	if !ok {
		return types.ObjectType{}, fmt.Errorf("backups of cbr_backup_sync is a %T", rs.Schema.Attributes["backups"])
	}
	t, ok := backups.NestedObject.Type().(types.ObjectType)
	if !ok {
		return types.ObjectType{}, fmt.Errorf("an entry of backups of cbr_backup_sync is a %T", backups.NestedObject.Type())
	}
	return t, nil
}

// wholeSeconds reads a known Int64 or Number value that is a whole number.
func wholeSeconds(v attr.Value) (int64, bool) {
	switch v := v.(type) {
	case types.Int64:
		return v.ValueInt64(), !v.IsNull() && !v.IsUnknown()
	case types.Number:
		f := v.ValueBigFloat()
		if v.IsNull() || v.IsUnknown() || f == nil {
			return 0, false
		}
		n, acc := f.Int64()
		return n, acc == big.Exact
	}
	return 0, false
}

func orNone(requestID string) string {
	if requestID == "" {
		return "(none in the answer)"
	}
	return requestID
}

func requestCount(n int) string {
	if n == 1 {
		return "1 request"
	}
	return fmt.Sprintf("%d requests", n)
}

// actionSyncErrorDiagnostic explains a sync that stopped at a failed
// request: what happened to that request, CBR's error, and which backups were
// accepted, which have an unknown outcome and which were not sent.
func actionSyncErrorDiagnostic(batches []cbr.Batch, unsent []model.BackupSync, requests int, opIDs map[string]string) diag.Diagnostic {
	failed := batches[len(batches)-1]
	err := failed.Err
	n := len(batches)
	var b strings.Builder
	var summary string
	var accepted, unknown, notSynced []string
	for _, bt := range batches[:n-1] {
		for _, e := range bt.Backups {
			accepted = append(accepted, e.BackupId)
		}
	}
	failedIDs := make([]string, len(failed.Backups))
	for i, e := range failed.Backups {
		failedIDs[i] = e.BackupId
	}
	these := fmt.Sprintf("request %d of %d (%s)", n, requests, backupCount(len(failed.Backups)))

	var authErr *cbr.AuthError
	var incomplete *cbr.IncompleteSyncError
	var apiErr *cbr.APIError
	var respErr *cbr.ResponseError
	var tErr *cbr.TransportError
	var netErr net.Error
	switch {
	case errors.As(err, &authErr):
		summary = "Unable to Authenticate"
		fmt.Fprintf(&b, "The provider was unable to %s, so %s was not sent.", authErr.What, these)
		notSynced = failedIDs
	case errors.As(err, &incomplete):
		summary = "Incomplete CBR Backup Sync Answer"
		fmt.Fprintf(&b, "CBR accepted %s, but its answer gives no operation log ID for %d of them.", these, len(incomplete.Missing))
		missing := map[string]bool{}
		for _, id := range incomplete.Missing {
			missing[id] = true
		}
		for _, id := range failedIDs {
			if missing[id] {
				unknown = append(unknown, id)
			} else {
				accepted = append(accepted, id)
			}
		}
	case cbr.MaybeApplied(err):
		summary = "CBR Backup Sync Outcome Unknown"
		switch {
		case errors.As(err, &apiErr):
			fmt.Fprintf(&b, "CBR answered %s with HTTP %d %s. That answer does not tell whether CBR applied the request before failing: "+
				"it may have started importing some or all of its backups.", these, apiErr.StatusCode, http.StatusText(apiErr.StatusCode))
		case errors.As(err, &respErr):
			fmt.Fprintf(&b, "CBR answered %s with HTTP %d, so it most likely applied it, but the answer cannot be read: the operation log IDs are unknown.", these, respErr.StatusCode)
		case errors.Is(err, context.Canceled):
			fmt.Fprintf(&b, "%s was sent, but the invocation was interrupted before the answer came back, so CBR may or may not have applied it.", capitalize(these))
		case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
			fmt.Fprintf(&b, "%s was sent, but no answer came back in time (the provider's request timeout or the action's timeout), so CBR may or may not have applied it.", capitalize(these))
		default:
			fmt.Fprintf(&b, "%s was sent, but the connection failed before an answer came back, so CBR may or may not have applied it.", capitalize(these))
		}
		unknown = failedIDs
	default:
		summary = "Unable to Synchronize CBR Backups"
		switch {
		case errors.As(err, &apiErr):
			fmt.Fprintf(&b, "CBR did not accept %s.", these)
		case errors.As(err, &tErr) && errors.Is(err, context.Canceled):
			fmt.Fprintf(&b, "The invocation was interrupted before %s was sent.", these)
		case errors.As(err, &tErr):
			fmt.Fprintf(&b, "%s could not be sent to CBR.", capitalize(these))
		default:
			fmt.Fprintf(&b, "%s was not sent.", capitalize(these))
		}
		notSynced = failedIDs
	}
	b.WriteString(retryAdvice(err, "Invoke the action again"))
	b.WriteString("\n\n")
	b.WriteString(describeError(err))

	for _, e := range unsent {
		notSynced = append(notSynced, e.BackupId)
	}
	total := len(accepted) + len(unknown) + len(notSynced)
	fmt.Fprintf(&b, "\n\nOf the %s of this invocation:\n", backupCount(total))
	if len(accepted) > 0 {
		pairs := make([]string, len(accepted))
		for i, id := range accepted {
			pairs[i] = id + " (operation log " + opIDs[id] + ")"
		}
		// Pairs are twice as long as IDs: five of them.
		fmt.Fprintf(&b, "- accepted by CBR, which imports them: %d: %s\n", len(accepted), listIDs(pairs, 5))
	}
	if len(unknown) > 0 {
		fmt.Fprintf(&b, "- outcome unknown (may or may not be imported): %d: %s\n", len(unknown), listIDs(unknown, 10))
	}
	if len(notSynced) > 0 {
		fmt.Fprintf(&b, "- not synchronized (not sent, or refused by CBR): %d: %s\n", len(notSynced), listIDs(notSynced, 10))
	}
	b.WriteString("\nThe action does not send a sync request again by itself: the sync API is not idempotent, and a second request could import the same backups twice. " +
		"Nothing is recorded in the state.")
	switch {
	case len(unknown) > 0:
		b.WriteString(" Check in CBR (the backups, or the operation logs of the project) whether the backups whose outcome is unknown were imported, " +
			"then invoke the action again with only the backups that were not imported.")
	case len(notSynced) > 0:
		b.WriteString(" Fix the cause, then invoke the action again with only the backups that were not synchronized.")
	}
	return diag.NewErrorDiagnostic(summary, b.String())
}

// waitCounts counts backups by the state of their operation log.
type waitCounts struct {
	imported, failed, running, unreadable int
}

func countWaits(waits []*opLogWait) waitCounts {
	var c waitCounts
	for _, w := range waits {
		n := len(w.BackupIDs)
		switch {
		case w.Stopped:
			c.unreadable += n
		case w.Last == nil || cbr.OpStatusPending(w.Last.Status):
			c.running += n
		case w.failed():
			c.failed += n
		default:
			c.imported += n
		}
	}
	return c
}

// actionWaitDiagnostic explains, after waiting, every operation log that did
// not end well; nil when all of them succeeded (or were skipped).
func actionWaitDiagnostic(waitErr error, waits []*opLogWait, requested, requests int) diag.Diagnostic {
	c := countWaits(waits)
	if c.failed+c.running+c.unreadable == 0 {
		return nil
	}
	var summary string
	var b strings.Builder
	fmt.Fprintf(&b, "CBR accepted %s (%s). ", backupCount(requested), requestCount(requests))
	var gone *apiGoneError
	if c.running > 0 && errors.As(waitErr, &gone) {
		fmt.Fprintf(&b, "Then reading the operation logs failed even after the provider's retries, so the action stopped waiting: %s. "+
			"Imported (status success or skipped): %d of %d; failed: %d; not finished or not read: %d. "+
			"The tasks go on in CBR: read their status later, for example with the cbr_operation_logs data source.",
			oneLine(gone.Err), c.imported, requested, c.failed, c.running+c.unreadable)
		var open []string
		for _, w := range waits {
			if w.Stopped || w.Last == nil || cbr.OpStatusPending(w.Last.Status) || w.failed() {
				open = append(open, w.ID)
			}
		}
		fmt.Fprintf(&b, " The operation log IDs of the backups not imported: %s.", listIDs(open, waitListLimit))
		return diag.NewErrorDiagnostic("CBR Unreachable While Waiting for Backup Sync", b.String())
	}
	switch {
	case c.running > 0 && errors.Is(waitErr, context.DeadlineExceeded):
		summary = "Timed Out Waiting for CBR Backup Sync"
		b.WriteString("The action's timeout ran out before every import task finished; the tasks go on in CBR.")
	case c.running > 0:
		summary = "Waiting for CBR Backup Sync Interrupted"
		b.WriteString("Waiting was interrupted before every import task finished; the tasks go on in CBR.")
	case c.failed > 0:
		summary = "CBR Backup Sync Failed"
		b.WriteString("Some import tasks did not succeed.")
	default:
		summary = "Unable to Check CBR Backup Sync"
		b.WriteString("Some import tasks could not be checked.")
	}
	fmt.Fprintf(&b, " Imported (status success or skipped): %d of %d; failed: %d; still running: %d; not checked: %d.\n",
		c.imported, requested, c.failed, c.running, c.unreadable)
	b.WriteString("\n")
	var example string
	for _, w := range waits {
		var line string
		switch {
		case w.Stopped:
			line = "could not be read: " + oneLine(w.Err)
			if cbr.IsNotFound(w.Err) {
				line = "could not be read, CBR has no such operation log: " + oneLine(w.Err)
			}
		case w.Last == nil:
			line = "not read yet"
		case cbr.OpStatusPending(w.Last.Status):
			line = "still " + w.Last.Status
		case w.failed():
			line = "status " + w.Last.Status
			if w.Last.ErrorCode != "" {
				line += ", error_code " + w.Last.ErrorCode
			}
			if w.Last.ErrorMessage != "" {
				line += fmt.Sprintf(", error_msg %q", w.Last.ErrorMessage)
			}
		default:
			continue
		}
		if example == "" {
			example = w.ID
		}
		if w.Err != nil && !w.Stopped {
			line += "; last read failed: " + oneLine(w.Err)
		}
		fmt.Fprintf(&b, "- operation log %s (%s): %s\n", w.ID, listIDs(w.BackupIDs, 10), line)
	}
	fmt.Fprintf(&b, "\nThe action does not send these backups again by itself, and records nothing in the state. "+
		"Check the tasks with the cbr_operation_logs data source (for example data \"cbr_operation_logs\" \"check\" { ids = [%q] }) or in the CBR console; "+
		"then, once the cause given by error_msg is fixed, invoke the action again with only the backups that were not imported.", example)
	return diag.NewErrorDiagnostic(summary, b.String())
}

// durationString rejects strings that are not Go durations ("30s", "2h45m").
func durationString() validator.String { return durationStringValidator{} }

type durationStringValidator struct{}

func (durationStringValidator) Description(context.Context) string {
	return "value must be a duration such as \"30m\""
}

func (v durationStringValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (durationStringValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := time.ParseDuration(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Timeout",
			fmt.Sprintf("%s must be a duration such as \"30s\", \"30m\" or \"2h45m\" (units s, m, h), got %q.", req.Path, req.ConfigValue.ValueString()))
	}
}
