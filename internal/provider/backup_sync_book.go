package provider

import (
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
	"github.com/cbr-sync/terraform-provider-cbr/internal/credentials"
)

// recordBook is what the states of cbr_backup_sync seen by this provider
// process recorded about each backup: the "record book" that keeps a
// replacement from sending again what its predecessor sent.
//
// Terraform replaces a resource whose create failed (it is tainted), and
// `terraform apply -replace` and `terraform taint` replace one on demand.
// A replacement is planned and applied as a create, which has no prior
// state. But Terraform, in the same plan walk and the same provider
// process, first refreshes the old object (ReadResource), and, in the apply
// walk, destroys it before creating the new one (ApplyResourceChange with a
// null planned state), again in the same process. Both calls carry the old
// object's state, which directServer hands to the book (server.go). A create
// then looks its backups up in the book (planBackups, applyModel): a backup
// recorded as accepted, adopted or unknown is carried over as recorded, by
// the rule planEntry applies to an update, and is not sent.
//
// States are kept as received and decoded only when a create asks, so that
// the refresh of an applied configuration costs nothing but a pointer.
//
// One book is kept per CBR endpoint and project (bookScope), so that two
// provider configurations of one process never share records.
type recordBook struct {
	mu sync.Mutex
	// pending are states received but not decoded yet.
	pending []pendingState
	// byID is what the decoded states recorded, by backup_id: only the
	// entries whose sync_state is accepted, adopted or unknown.
	byID map[string]bookRecord
}

// pendingState is one state object as Terraform sent it, to decode with
// typ.
type pendingState struct {
	raw *tfprotov6.DynamicValue
	typ tftypes.Type
}

// bookRecord is what one state recorded about one backup: its entry
// (fields, operation_log_id, status, sync_state) and the resource's
// triggers.
type bookRecord struct {
	entry    backupModel
	triggers types.Map
}

// addRaw records a state object as Terraform sent it.
func (b *recordBook) addRaw(v *tfprotov6.DynamicValue, typ tftypes.Type) {
	if b == nil || v == nil || typ == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending = append(b.pending, pendingState{raw: v, typ: typ})
}

// carried returns what the book recorded for the given backups (by
// backup_id), nil when it recorded none of them. States that do not decode
// are skipped: they record nothing usable.
func (b *recordBook) carried(backups []backupModel) map[string]bookRecord {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.pending {
		v, err := p.raw.Unmarshal(p.typ)
		if err != nil || v.IsNull() || !v.IsKnown() {
			continue
		}
		m, err := decodeState(v)
		if err != nil {
			continue
		}
		b.record(m)
	}
	b.pending = nil
	var out map[string]bookRecord
	for _, e := range backups {
		if r, ok := b.byID[e.BackupID.ValueString()]; ok && !e.BackupID.IsUnknown() {
			if out == nil {
				out = map[string]bookRecord{}
			}
			out[e.BackupID.ValueString()] = r
		}
	}
	return out
}

// record adds the entries of one state to byID. When two states record the
// same backup, an accepted or adopted record wins over an unknown one, and
// the first one seen over a later one of the same kind.
func (b *recordBook) record(m *backupSyncModel) {
	if b.byID == nil {
		b.byID = map[string]bookRecord{}
	}
	for _, e := range m.Backups {
		if e.BackupID.IsNull() || e.BackupID.IsUnknown() || !carriedOver(e.SyncState.ValueString()) {
			continue
		}
		id := e.BackupID.ValueString()
		if old, ok := b.byID[id]; ok && (old.entry.SyncState.ValueString() != syncUnknown || e.SyncState.ValueString() == syncUnknown) {
			continue
		}
		b.byID[id] = bookRecord{entry: e, triggers: m.Triggers}
	}
}

// carriedOver tells whether a backup with this sync_state may have been
// imported, so that a replacement must not send it by itself.
func carriedOver(syncState string) bool {
	switch syncState {
	case syncAccepted, syncAdopted, syncUnknown:
		return true
	}
	return false
}

// recordBooks holds the books of one provider process, one per scope.
type recordBooks struct {
	mu    sync.Mutex
	books map[string]*recordBook
}

// forScope returns the book of a scope, making it on first use.
func (bs *recordBooks) forScope(scope string) *recordBook {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if bs.books == nil {
		bs.books = map[string]*recordBook{}
	}
	b := bs.books[scope]
	if b == nil {
		b = &recordBook{}
		bs.books[scope] = b
	}
	return b
}

// bookScope names where the backups of a provider configuration go: the
// CBR endpoint and the project (its ID, or, when it is looked up, the region
// and project name together with who looks it up). No secret is part of it.
func bookScope(s credentials.Settings) string {
	endpoint := strings.TrimRight(s.CBREndpoint, "/")
	if s.ProjectID != "" {
		return endpoint + "\x00project\x00" + s.ProjectID
	}
	return strings.Join([]string{endpoint, "lookup", s.Region, s.ProjectName, string(s.Auth), s.AccessKey, s.DomainName, s.DomainID, s.UserName, s.UserID}, "\x00")
}

// resourceData is what Configure hands to cbr_backup_sync: the client and
// the record book of the configuration's scope.
type resourceData struct {
	client *cbr.Client
	book   *recordBook
}
