package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// planIDLimit is how many backup IDs a plan-time warning names before it
// only counts the others.
const planIDLimit = 5

// sendReason tells why a backup is sent, or sendNone.
type sendReason int

const (
	sendNone     sendReason = iota
	sendNew                 // not in the state
	sendChanged             // a field differs from the state
	sendNotSent             // in the state, never sent (sync_state not_sent)
	sendTriggers            // triggers changed: everything is sent again
)

// planEntry decides what happens to one configured backup. prior is the
// state's entry with the same backup_id (nil when there is none), adopt the
// operation_log_id given in the configuration (null when none was), and
// triggersChanged whether the resource's triggers differ from the state's.
//
// It is the one rule of the resource, used by the plan and again by the
// apply: only new backups, backups whose fields changed, backups never sent,
// and every backup when triggers changed are sent. A backup whose sync
// outcome is unknown is never sent by this rule, whatever changes.
func planEntry(prior *backupModel, adopt types.String, triggersChanged bool, want backupModel) sendReason {
	switch {
	case !adopt.IsNull():
		// Adopted in the configuration (known at apply if not yet).
		return sendNone
	case triggersChanged:
		return sendTriggers
	case prior == nil:
		return sendNew
	case prior.SyncState.ValueString() == syncNotSent:
		return sendNotSent
	case prior.SyncState.ValueString() == syncUnknown:
		return sendNone
	case prior.BackupName.IsNull():
		// Adopted by terraform import: the state knows only the backup ID
		// and operation log ID; the configuration fills in the rest.
		return sendNone
	case !sameFields(*prior, want):
		return sendChanged
	}
	return sendNone
}

// sameFields reports whether two entries would send the same sync entry.
func sameFields(a, b backupModel) bool {
	return a.BackupID.Equal(b.BackupID) && a.BackupName.Equal(b.BackupName) && a.BucketName.Equal(b.BucketName) &&
		a.ImagePath.Equal(b.ImagePath) && a.ResourceID.Equal(b.ResourceID) && a.ResourceName.Equal(b.ResourceName) &&
		a.ResourceType.Equal(b.ResourceType) && a.CreatedAt.Equal(b.CreatedAt)
}

// planSets lists the fields of an entry that the plan sets whatever the
// configuration gives: backup_id, the entry's key (sortedBackups), and the
// record of its sync (planBackups: keepRecord, or unknown when sent). The
// direct plan (backup_sync_direct.go) plans no other computed attribute
// without a default.
func planSets(e *backupModel) []*types.String {
	return []*types.String{&e.BackupID, &e.OperationLogID, &e.Status, &e.SyncState}
}

// keepRecord copies what the state knows about a backup that is not sent
// into the planned (or applied) entry.
func keepRecord(e *backupModel, prior *backupModel, adopt types.String) {
	if !adopt.IsNull() {
		if prior != nil && prior.OperationLogID.Equal(adopt) {
			e.OperationLogID, e.Status, e.SyncState = prior.OperationLogID, prior.Status, prior.SyncState
			return
		}
		e.OperationLogID, e.Status, e.SyncState = adopt, types.StringNull(), types.StringValue(syncAdopted)
		return
	}
	if prior == nil {
		// Not reachable through planEntry: a backup without a record is sent.
		e.OperationLogID, e.Status, e.SyncState = types.StringNull(), types.StringNull(), types.StringValue(syncNotSent)
		return
	}
	e.OperationLogID, e.Status, e.SyncState = prior.OperationLogID, prior.Status, prior.SyncState
}

// stateByBackupID indexes a state's entries by backup_id.
func stateByBackupID(backups []backupModel) map[string]*backupModel {
	out := make(map[string]*backupModel, len(backups))
	for i := range backups {
		out[backups[i].BackupID.ValueString()] = &backups[i]
	}
	return out
}

// ModifyPlan matches the configured backups with the state by backup_id and
// plans, for each, whether it is sent: operation_log_id, status and
// sync_state are unknown for the backups the apply will send and known for
// all others, so that the plan's diff shows what the apply sends. It warns,
// once per resource, which backups leave the resource (they stay in CBR) and
// which have an unknown sync outcome.
func (r *backupSyncResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var prior *backupSyncModel
	if !req.State.Raw.IsNull() {
		var data backupSyncData
		resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
		if resp.Diagnostics.HasError() {
			return
		}
		prior = data.model()
	}
	if req.Plan.Raw.IsNull() {
		resp.Diagnostics.Append(planDestroy(prior)...)
		return
	}

	if prior != nil && req.Plan.Raw.Equal(req.State.Raw) {
		// Nothing changed (the usual plan of an applied resource): only
		// backups never sent would be sent, and unknown outcomes are
		// recalled. This skips decoding and re-encoding the plan, which
		// costs seconds for thousands of backups.
		if diags, done := planUnchanged(prior); done {
			resp.Diagnostics.Append(diags...)
			return
		}
	}

	var planMap, configMap types.Map
	var wait types.Bool
	var triggers types.Map
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("backups"), &planMap)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("backups"), &configMap)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("wait_for_completion"), &wait)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("triggers"), &triggers)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !allKnownEntries(planMap) || !allKnownEntries(configMap) {
		// The backups are known at apply only: the plan shows them as
		// such, and the apply follows the same rule.
		return
	}
	var planned, configured map[string]backupModel
	resp.Diagnostics.Append(planMap.ElementsAs(ctx, &planned, false)...)
	resp.Diagnostics.Append(configMap.ElementsAs(ctx, &configured, false)...)
	if resp.Diagnostics.HasError() || len(planned) != len(configured) {
		return
	}
	plannedList := sortedBackups(planned)
	var carried map[string]bookRecord
	if prior == nil {
		carried = r.book.carried(plannedList)
	}
	resp.Diagnostics.Append(planBackups(prior, carried, plannedList, sortedBackups(configured), triggers, wait)...)
	out := keyedBackups(plannedList)
	for key, c := range configured {
		if c.BackupID.IsUnknown() {
			// A configured value known at apply only stays unknown in
			// the plan, as Terraform requires; the apply records the key.
			e := out[key]
			e.BackupID = types.StringUnknown()
			out[key] = e
		}
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("backups"), out)...)
}

// planDestroy is the plan of destroying a resource whose state is prior
// (nil when there is none): it only warns that the backups stay in CBR.
func planDestroy(prior *backupSyncModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if prior == nil {
		return diags
	}
	ids := make([]string, len(prior.Backups))
	for i, b := range prior.Backups {
		ids[i] = b.BackupID.ValueString()
	}
	diags.AddWarning("Backups Stay in CBR",
		fmt.Sprintf("Destroying this cbr_backup_sync only removes its record of %s from the Terraform state: %s. "+
			"The backups stay in CBR; delete them in CBR if they are no longer wanted.", backupCount(len(ids)), listIDs(ids, planIDLimit)))
	return diags
}

// planUnchanged is the plan of a resource whose plan equals its state prior:
// done when nothing is to be sent (no backup is not_sent), with the warning
// that recalls the unknown outcomes; not done when planBackups must decide.
func planUnchanged(prior *backupSyncModel) (diag.Diagnostics, bool) {
	var unknown []string
	for _, b := range prior.Backups {
		switch b.SyncState.ValueString() {
		case syncUnknown:
			unknown = append(unknown, b.BackupID.ValueString())
		case syncNotSent:
			return nil, false
		}
	}
	return warnUnknown(unknown), true
}

// planBackups plans each backup: planned holds the planned entries (the
// configuration's, with defaults), configured the configuration's, in the
// same order; prior is the state (nil on create), triggers and wait the
// planned values of those attributes. On create, carried holds what the
// provider's record book knows of the configured backups (recordBook): each
// is planned as if the state held that record, with the triggers it was
// recorded with, so that a replacement sends nothing its predecessor sent.
// It sets operation_log_id, status and
// sync_state of every planned entry: unknown for the backups the apply will
// send, and what the state knows for the others, so that the plan's diff
// shows what is sent. It returns the plan's warnings, at most one of each
// kind: which backups leave the resource (they stay in CBR), and which have
// an unknown sync outcome.
//
// The framework's ModifyPlan and the served binary's direct plan
// (backup_sync_direct.go) both plan through it.
func planBackups(prior *backupSyncModel, carried map[string]bookRecord, planned, configured []backupModel, triggers types.Map, wait types.Bool) diag.Diagnostics {
	var diags diag.Diagnostics
	byID := map[string]*backupModel{}
	triggersChanged := false
	if prior != nil {
		byID = stateByBackupID(prior.Backups)
		triggersChanged = !triggers.Equal(prior.Triggers)
	}
	plannedStatus := types.StringNull()
	if wait.IsUnknown() || wait.ValueBool() {
		plannedStatus = types.StringUnknown()
	}
	var unknown, kept []string
	for i := range planned {
		e := &planned[i]
		id := e.BackupID.ValueString()
		p, changed := priorOf(prior, byID, carried, id, triggers, triggersChanged)
		reason := planEntry(p, configured[i].OperationLogID, changed, *e)
		if reason == sendNone {
			keepRecord(e, p, configured[i].OperationLogID)
			if e.SyncState.ValueString() == syncUnknown {
				unknown = append(unknown, id)
			}
			if prior == nil && p != nil {
				kept = append(kept, id)
			}
			continue
		}
		e.OperationLogID, e.SyncState, e.Status = types.StringUnknown(), types.StringUnknown(), plannedStatus
	}

	if len(kept) > 0 {
		diags.AddWarning("Backups Carried Over",
			fmt.Sprintf("%s of this new resource %s already recorded as sent (imported, adopted, or with an unknown outcome) by a state of cbr_backup_sync that the provider read or destroyed during this run, "+
				"such as the object this create replaces: they are carried over with that operation_log_id and sync_state, and not sent: %s. Only a change of triggers sends them again. "+
				"(With create_before_destroy, set or inherited, Terraform creates the replacement before destroying the old object, and the apply fails with \"Provider produced inconsistent final plan\" without sending anything: cbr_backup_sync does not support create_before_destroy.)",
				capitalize(backupCount(len(kept))), isAre(len(kept)), listIDs(kept, planIDLimit)))
	}
	if prior != nil {
		inPlan := make(map[string]bool, len(planned))
		for _, e := range planned {
			inPlan[e.BackupID.ValueString()] = true
		}
		var removed []string
		for _, b := range prior.Backups {
			if !inPlan[b.BackupID.ValueString()] {
				removed = append(removed, b.BackupID.ValueString())
			}
		}
		if len(removed) > 0 {
			diags.AddWarning("Backups Stay in CBR",
				fmt.Sprintf("%s %s this cbr_backup_sync and its Terraform state only: %s. "+
					"CBR keeps what it imported; delete the backups in CBR if they are no longer wanted. Adding one back later sends it again.",
					capitalize(backupCount(len(removed))), leaveVerb(len(removed)), listIDs(removed, planIDLimit)))
		}
	}
	diags.Append(warnUnknown(unknown)...)
	return diags
}

// priorOf returns the record planEntry decides one backup on, and whether
// triggers changed for it: on update (prior not nil) the state's entry and
// the resource's triggers; on create what the record book carried over for
// it, with the triggers of the state that recorded it (nil when nothing).
func priorOf(prior *backupSyncModel, byID map[string]*backupModel, carried map[string]bookRecord, id string, triggers types.Map, triggersChanged bool) (*backupModel, bool) {
	if prior != nil {
		return byID[id], triggersChanged
	}
	rec, ok := carried[id]
	if !ok {
		return nil, false
	}
	return &rec.entry, !triggers.Equal(rec.triggers)
}

// warnUnknown recalls, on every plan, the backups whose sync outcome is
// unknown and how to settle them.
func warnUnknown(unknown []string) diag.Diagnostics {
	var diags diag.Diagnostics
	if len(unknown) == 0 {
		return diags
	}
	diags.AddWarning("CBR Backup Sync Outcome Unknown",
		fmt.Sprintf("A request carrying %s was sent, but whether CBR imported them is unknown (their sync_state is \"unknown\"): %s. "+
			"The provider never sends them again by itself. Check in CBR (the backups, or the operation logs of the project) whether they were imported, then: "+
			"if one was, adopt it by setting its operation_log_id in the configuration (or leave it as it is); "+
			"if one was not, send it again explicitly: remove its entry, apply, then add it back (or change triggers to send the whole list again).",
			backupCount(len(unknown)), listIDs(unknown, planIDLimit)))
	return diags
}

// allKnownEntries reports whether a backups map and each of its entries are
// known (the fields of an entry may be unknown).
func allKnownEntries(m types.Map) bool {
	if m.IsUnknown() || m.IsNull() {
		return false
	}
	for _, elem := range m.Elements() {
		obj, ok := elem.(types.Object)
		if !ok || obj.IsUnknown() || obj.IsNull() {
			return false
		}
	}
	return true
}

// leaveVerb is "leaves" for one backup, "leave" for more.
func leaveVerb(n int) string {
	if n == 1 {
		return "leaves"
	}
	return "leave"
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
