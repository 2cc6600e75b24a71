package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1/model"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
)

// failureIDLimit is how many backup IDs an apply error names per group
// before it only counts the others.
const failureIDLimit = 20

func (r *backupSyncResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.apply(ctx, req.Plan, req.Config, nil, &resp.State, &resp.Diagnostics)
}

// Update sends the backups the plan marked (operation_log_id unknown) and
// that the rule of planEntry still sends now that every value is known, and
// keeps the record of all others.
func (r *backupSyncResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var prior backupSyncData
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.apply(ctx, req.Plan, req.Config, prior.model(), &resp.State, &resp.Diagnostics)
}

// Read makes no API call: everything there is to know about the syncs is in
// the state, and CBR has no object that represents a sync request.
func (r *backupSyncResource) Read(_ context.Context, _ resource.ReadRequest, _ *resource.ReadResponse) {
}

// Delete makes no API call: synchronized backups are not deleted. The plan
// already warned that they stay in CBR.
func (r *backupSyncResource) Delete(_ context.Context, _ resource.DeleteRequest, _ *resource.DeleteResponse) {
}

// syncOutcome is what one apply learnt, backup IDs in configuration order.
type syncOutcome struct {
	accepted, unknown, notSent []string
	// failed is the request that failed, nil when none did; failedIndex is
	// its position (0-based) among the requests, requests their number.
	failed                *cbr.Batch
	failedIndex, requests int
	unrequested           []string
}

// apply is Create (prior nil) and Update.
func (r *backupSyncResource) apply(ctx context.Context, planData tfsdk.Plan, config tfsdk.Config, prior *backupSyncModel, state *tfsdk.State, diags *diag.Diagnostics) {
	var plan backupSyncData
	var configured map[string]backupModel
	diags.Append(planData.Get(ctx, &plan)...)
	diags.Append(config.GetAttribute(ctx, path.Root("backups"), &configured)...)
	if diags.HasError() {
		return
	}
	if checkKeys(configured, diags); diags.HasError() {
		return
	}
	r.applyModel(ctx, plan.model(), sortedBackups(configured), prior, func(m *backupSyncModel) { diags.Append(state.Set(ctx, m.data())...) }, diags)
}

// checkKeys reports, before anything is sent, a configured backup_id known
// only now (it was unknown at plan time, when validation let it through)
// that differs from its key.
func checkKeys(configured map[string]backupModel, diags *diag.Diagnostics) {
	for key, b := range configured {
		if !b.BackupID.IsNull() && !b.BackupID.IsUnknown() && b.BackupID.ValueString() != key {
			diags.AddAttributeError(path.Root("backups").AtMapKey(key), "Backup ID Differs From Its Key",
				fmt.Sprintf("backups[%q].backup_id is %q, but the entry's key is %q. Each entry is keyed by its backup_id: leave backup_id out, or make it equal to the key. Nothing was sent.", key, b.BackupID.ValueString(), key))
		}
	}
}

// applyModel sends what plan (the planned state) says to send and records
// the outcome: configured are the configured backups, in the plan's order,
// prior the state (nil on create). It calls save with the new state, once,
// whenever there is one to record (before adding the diagnostics that
// explain a failure), and not at all when nothing may have been applied.
//
// The framework's Create and Update and the served binary's direct apply
// (backup_sync_direct.go) both apply through it.
func (r *backupSyncResource) applyModel(ctx context.Context, plan *backupSyncModel, configured []backupModel, prior *backupSyncModel, save func(*backupSyncModel), diags *diag.Diagnostics) {
	creating := prior == nil
	if len(configured) != len(plan.Backups) {
		diags.AddError("Unexpected Plan", fmt.Sprintf("The plan has %d backups but the configuration %d. This is always a bug in the provider and should be reported to the provider developers.", len(plan.Backups), len(configured)))
		return
	}
	for i := range configured {
		if !configured[i].BackupID.Equal(plan.Backups[i].BackupID) {
			diags.AddError("Unexpected Plan", fmt.Sprintf("The plan has backup %s where the configuration has %s. This is always a bug in the provider and should be reported to the provider developers.", plan.Backups[i].BackupID, configured[i].BackupID))
			return
		}
	}
	if creating {
		id, err := uuid.NewRandom()
		if err != nil {
			diags.AddError("Unable to Generate ID", err.Error())
			return
		}
		plan.ID = types.StringValue(id.String())
	} else {
		plan.ID = prior.ID
	}

	byID := map[string]*backupModel{}
	triggersChanged := false
	var carried map[string]bookRecord
	if prior != nil {
		byID = stateByBackupID(prior.Backups)
		triggersChanged = !plan.Triggers.Equal(prior.Triggers)
	} else if anyUnknownRecord(plan.Backups) {
		// A create: what the book learnt since the plan (the state the
		// destroy of a replaced object carried, without a refresh first)
		// keeps those backups from being sent too.
		carried = r.book.carried(plan.Backups)
	}
	var send []int
	for i := range plan.Backups {
		e := &plan.Backups[i]
		p, changed := priorOf(prior, byID, carried, e.BackupID.ValueString(), plan.Triggers, triggersChanged)
		if e.OperationLogID.IsUnknown() && planEntry(p, configured[i].OperationLogID, changed, *e) != sendNone {
			send = append(send, i)
			e.OperationLogID, e.Status, e.SyncState = types.StringNull(), types.StringNull(), types.StringValue(syncNotSent)
			continue
		}
		if e.OperationLogID.IsUnknown() || e.SyncState.IsUnknown() || e.Status.IsUnknown() {
			keepRecord(e, p, configured[i].OperationLogID)
		}
	}
	if len(send) == 0 {
		save(plan)
		return
	}
	if r.client == nil {
		diags.AddError("Provider Not Configured", "The cbr provider was not configured. This is always a bug in the provider and should be reported to the provider developers.")
		return
	}
	timeout, d := plan.Timeouts.Create(ctx, defaultCreateTimeout)
	diags.Append(d...)
	if diags.HasError() {
		return
	}
	// The create timeout covers the sync requests and the waiting. The
	// context is also cancelled when Terraform is interrupted (Ctrl-C: its
	// StopProvider cancels every call's context).
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// The requests are sent with a context that Ctrl-C does not cut short:
	// a request on the wire runs to its answer (within the request timeout
	// and the create timeout), so that its answer is recorded instead of
	// turning its backups "unknown"; after Ctrl-C no request starts.
	sendCtx, stopSending := cbr.GracefulStop(ctx)
	defer stopSending()

	entries := make([]model.BackupSync, len(send))
	index := make(map[string]int, len(send))
	for k, i := range send {
		b := plan.Backups[i]
		index[b.BackupID.ValueString()] = i
		entries[k] = b.syncEntry()
	}
	tflog.Debug(ctx, "synchronizing CBR backups", map[string]any{"backups": len(entries), "of": len(plan.Backups), "id": plan.ID.ValueString(), "timeout": timeout.String()})

	var out syncOutcome
	out.requests = (len(entries) + cbr.MaxSyncEntries - 1) / cbr.MaxSyncEntries
	sentAt := syncClock() // the window of the operation logs waited for starts here
	batches, _ := r.client.SyncAll(sendCtx, entries, nil)
	sentOK := map[string]string{}
	for k := range batches {
		b := &batches[k]
		out.unrequested = append(out.unrequested, b.Answer.Unrequested...)
		maybe := b.Err != nil && cbr.MaybeApplied(b.Err)
		if b.Err != nil {
			out.failed, out.failedIndex = b, k
		}
		for _, s := range b.Backups {
			e := &plan.Backups[index[s.BackupId]]
			if op, ok := b.Answer.OperationLogIDs[s.BackupId]; ok {
				e.OperationLogID, e.SyncState = types.StringValue(op), types.StringValue(syncAccepted)
				sentOK[s.BackupId] = op
			} else if maybe {
				e.SyncState = types.StringValue(syncUnknown)
			}
		}
	}
	for _, i := range send {
		e := plan.Backups[i]
		switch e.SyncState.ValueString() {
		case syncAccepted:
			out.accepted = append(out.accepted, e.BackupID.ValueString())
		case syncUnknown:
			out.unknown = append(out.unknown, e.BackupID.ValueString())
		default:
			out.notSent = append(out.notSent, e.BackupID.ValueString())
		}
	}
	if len(out.unrequested) > 0 {
		diags.AddWarning("CBR Answered for Backups Not Requested",
			fmt.Sprintf("CBR's answer to a sync request named %s that the request did not carry: %s. They were ignored: nothing is recorded for them. "+
				"If this happens again, report it to Huawei Cloud support with the request ID in the provider's debug log (TF_LOG_PROVIDER=DEBUG).",
				backupCount(len(out.unrequested)), listIDs(out.unrequested, failureIDLimit)))
	}

	if out.failed != nil && creating && len(out.accepted)+len(out.unknown) == 0 && len(send) == len(plan.Backups) {
		// Nothing may have been applied, and nothing was carried over or
		// adopted: nothing to keep.
		diags.Append(notAppliedDiagnostic(out.failed.Err, len(entries)))
		return
	}
	var waitProblems *waitFindings
	if plan.WaitForCompletion.ValueBool() && len(sentOK) > 0 {
		// Even after a failed request, the backups CBR accepted are waited
		// for, so that their status is known.
		sentIDs := make([]string, len(entries))
		for k, e := range entries {
			sentIDs[k] = e.BackupId
		}
		waits := distinctOperationLogs(sentIDs, sentOK)
		tflog.Debug(ctx, "waiting for CBR to import the backups", map[string]any{"id": plan.ID.ValueString(), "operation_logs": len(waits)})
		waitErr := waitForOperationLogs(ctx, syncLogReader(r.client, sentAt), waits, r.poll)
		for _, w := range waits {
			if w.Last == nil {
				continue
			}
			for _, b := range w.BackupIDs {
				plan.Backups[index[b]].Status = types.StringValue(w.Last.Status)
			}
		}
		if f, bad := findWaitProblems(waitErr, waits, len(sentOK)); bad {
			waitProblems = &f
		}
	}
	// Saved whatever the outcome: requests were sent.
	save(plan)
	if out.failed != nil {
		diags.Append(syncFailureDiagnostic(creating, out))
	}
	if waitProblems != nil {
		if plan.FailOnImport.IsNull() || plan.FailOnImport.ValueBool() {
			advice := waitAdvice(creating && out.failed == nil, *waitProblems)
			diags.AddError(waitProblems.Summary, waitProblems.Detail+advice)
		} else {
			// fail_on_import_failure = false: the apply succeeds (so
			// nothing is tainted), with each backup's status recorded.
			diags.AddWarning(waitProblems.Summary, waitProblems.Detail+waitAdvice(false, *waitProblems)+
				" This is a warning, not an error, because fail_on_import_failure is false.")
		}
	}
}

// anyUnknownRecord tells whether some entry's record is left to the apply.
func anyUnknownRecord(backups []backupModel) bool {
	for _, e := range backups {
		if e.OperationLogID.IsUnknown() || e.SyncState.IsUnknown() {
			return true
		}
	}
	return false
}

// waitAdvice is what to do after waiting found problems.
func waitAdvice(creating bool, f waitFindings) string {
	var b strings.Builder
	b.WriteString("\nEvery backup sent is recorded in the state with its operation_log_id and the last status seen (backups[*].status); none of them is sent again by the next apply. ")
	if len(f.Pending)+len(f.Unreadable) > 0 {
		example := ""
		if len(f.Pending) > 0 {
			example = f.Pending[0].ID
		} else {
			example = f.Unreadable[0].ID
		}
		fmt.Fprintf(&b, "Follow the tasks with the cbr_operation_logs data source (for example data \"cbr_operation_logs\" \"check\" { ids = [%q] }) or in the CBR console. ", example)
	}
	b.WriteString("A failed import is not sent again by itself either, not even when Terraform replaces the resource. To import a failed backup again once the cause is fixed, remove its entry, apply, and add it back (or change triggers to send the whole list again).")
	if creating {
		b.WriteString(" " + replaceAdvice)
	}
	return b.String()
}

// replaceAdvice tells what happens after a create that failed after
// sending backups: Terraform replaces the tainted resource, and the
// replacement sends nothing the state records as sent (recordBook).
const replaceAdvice = "Terraform marks a resource whose creation failed as tainted and plans to replace it on the next apply; nothing needs to be done by hand (no `terraform untaint`). " +
	"The next apply sends only the backups never sent (sync_state \"not_sent\"): the replacement Terraform plans sends nothing already recorded in this state " +
	"(sync_state \"accepted\", \"adopted\" or \"unknown\"), which it carries over with its operation_log_id; its plan shows them as known values."

// notAppliedDiagnostic explains a create whose first request failed before
// CBR could apply it.
func notAppliedDiagnostic(err error, requested int) diag.Diagnostic {
	var authErr *cbr.AuthError
	if errors.As(err, &authErr) {
		return diag.NewErrorDiagnostic("Unable to Authenticate",
			fmt.Sprintf("The provider was unable to %s, so the request to synchronize %s was not sent. Nothing was synchronized and nothing was saved in the state.\n\n%s",
				authErr.What, backupCount(requested), describeError(err)))
	}
	return diag.NewErrorDiagnostic("Unable to Synchronize CBR Backups", notAppliedDetail(err, requested))
}

// syncFailureDiagnostic explains an apply whose requests did not all get a
// usable answer, after the state recorded what is known.
func syncFailureDiagnostic(creating bool, out syncOutcome) diag.Diagnostic {
	err := out.failed.Err
	n := len(out.failed.Backups)
	var b strings.Builder
	if out.requests > 1 {
		fmt.Fprintf(&b, "Request %d of %d failed. ", out.failedIndex+1, out.requests)
	}
	summary := "Unable to Synchronize CBR Backups"
	var incomplete *cbr.IncompleteSyncError
	var authErr *cbr.AuthError
	switch {
	case errors.As(err, &incomplete):
		summary = "Incomplete CBR Backup Sync Answer"
		fmt.Fprintf(&b, "CBR accepted the request to synchronize %s, but its answer gives no operation log ID for %d of them", backupCount(n), len(incomplete.Missing))
		if len(incomplete.Conflicting) > 0 {
			fmt.Fprintf(&b, " (it names %s more than once with different operation log IDs, so which one CBR issued cannot be told: %s)",
				backupCount(len(incomplete.Conflicting)), listIDs(incomplete.Conflicting, failureIDLimit))
		}
		fmt.Fprintf(&b, ": %s.", listIDs(incomplete.Missing, failureIDLimit))
	case cbr.MaybeApplied(err):
		summary = "CBR Backup Sync Outcome Unknown"
		b.WriteString(describeMaybeApplied(err, n))
	case errors.As(err, &authErr):
		summary = "Unable to Authenticate"
		fmt.Fprintf(&b, "The provider was unable to %s, so the request to synchronize %s was not sent.", authErr.What, backupCount(n))
	default:
		b.WriteString(strings.TrimSuffix(strings.SplitN(notAppliedDetail(err, n), " Nothing was synchronized", 2)[0], "."))
		b.WriteString(".")
	}
	b.WriteString("\n\n")
	b.WriteString(describeError(err))
	b.WriteString("\n\n")
	fmt.Fprintf(&b, "Imported: %s, recorded in the state with the operation_log_id CBR answered (sync_state \"accepted\")", backupCount(len(out.accepted)))
	if len(out.accepted) > 0 {
		fmt.Fprintf(&b, ": %s", listIDs(out.accepted, failureIDLimit))
	}
	b.WriteString(".")
	if len(out.unknown) > 0 {
		fmt.Fprintf(&b, "\nOutcome unknown: %s (sync_state \"unknown\", operation_log_id null): %s. "+
			"The provider does not send them again by itself: the sync API is not idempotent, and a second request could import the same backups twice. "+
			"Check in CBR (the backups, or the operation logs of the project) whether they were imported; if one was, adopt it by setting its operation_log_id in the configuration "+
			"(or leave it as it is); if one was not, send it again explicitly: remove its entry, apply, then add it back.",
			backupCount(len(out.unknown)), listIDs(out.unknown, failureIDLimit))
	}
	if len(out.notSent) > 0 {
		fmt.Fprintf(&b, "\nNot sent: %s (sync_state \"not_sent\"): %s. The next apply sends them, and only them.", backupCount(len(out.notSent)), listIDs(out.notSent, failureIDLimit))
	}
	if creating {
		b.WriteString("\n\n" + replaceAdvice)
	}
	return diag.NewErrorDiagnostic(summary, b.String())
}

// describeMaybeApplied explains a request CBR may have applied although its
// answer was lost or unusable.
func describeMaybeApplied(err error, requested int) string {
	var apiErr *cbr.APIError
	var respErr *cbr.ResponseError
	var netErr net.Error
	switch {
	case errors.As(err, &apiErr):
		return fmt.Sprintf("CBR answered the request to synchronize %s with HTTP %d %s. That answer does not tell whether CBR applied the request before failing: "+
			"it may have started importing some or all of the backups.", backupCount(requested), apiErr.StatusCode, http.StatusText(apiErr.StatusCode))
	case errors.As(err, &respErr):
		return fmt.Sprintf("CBR answered the request to synchronize %s with HTTP %d, so it most likely applied it, but the answer cannot be read: "+
			"the operation log IDs are unknown.", backupCount(requested), respErr.StatusCode)
	case errors.Is(err, context.Canceled):
		return fmt.Sprintf("The request to synchronize %s was sent, but the apply was interrupted before the answer came back, so CBR may or may not have applied it.", backupCount(requested))
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("The request to synchronize %s was sent, but no answer came back in time (the provider's request timeout or the resource's create timeout), "+
			"so CBR may or may not have applied it.", backupCount(requested))
	}
	return fmt.Sprintf("The request to synchronize %s was sent, but the connection failed before an answer came back, so CBR may or may not have applied it.", backupCount(requested))
}

// syncEntry is the entry of a sync request that sends b: the one place that
// maps the fields of a backup to the API's, for the resource and the action.
func (b *backupModel) syncEntry() model.BackupSync {
	return model.BackupSync{
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
