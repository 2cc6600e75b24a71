package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cbr-sync/terraform-provider-cbr/internal/credentials"
)

// TestRecordBook: the book keeps what states record as accepted, adopted or
// unknown (not what was never sent), prefers a known outcome to an unknown
// one, and answers only for the backups asked; two scopes never share it.
func TestRecordBook(t *testing.T) {
	entry := func(id, state, op string) backupModel {
		e := backupModel{BackupID: types.StringValue(id), SyncState: types.StringValue(state), OperationLogID: types.StringNull(), Status: types.StringNull()}
		if op != "" {
			e.OperationLogID = types.StringValue(op)
		}
		return e
	}
	triggers := types.MapValueMust(types.StringType, map[string]attr.Value{"run": types.StringValue("1")})
	book := &recordBook{}
	book.record(&backupSyncModel{Triggers: types.MapNull(types.StringType), Backups: []backupModel{
		entry("a", syncUnknown, ""), entry("b", syncNotSent, ""), entry("c", syncAdopted, "op-c"),
	}})
	book.record(&backupSyncModel{Triggers: triggers, Backups: []backupModel{
		entry("a", syncAccepted, "op-a"), entry("c", syncAccepted, "op-c2"), entry("d", syncUnknown, ""),
	}})
	got := book.carried([]backupModel{entry("a", "", ""), entry("b", "", ""), entry("c", "", ""), entry("e", "", "")})
	if len(got) != 2 {
		t.Fatalf("carried %v, want a and c", got)
	}
	if r := got["a"]; r.entry.OperationLogID.ValueString() != "op-a" || !r.triggers.Equal(triggers) {
		t.Errorf("a: %+v, want the accepted record with its triggers", r)
	}
	if r := got["c"]; r.entry.OperationLogID.ValueString() != "op-c" || r.entry.SyncState.ValueString() != syncAdopted {
		t.Errorf("c: %+v, want the first record", r)
	}
	var none *recordBook
	if none.carried([]backupModel{entry("a", "", "")}) != nil {
		t.Error("a nil book carries something")
	}

	var books recordBooks
	one := books.forScope(bookScope(credentials.Settings{CBREndpoint: "https://cbr.example.com", ProjectID: "p1"}))
	if books.forScope(bookScope(credentials.Settings{CBREndpoint: "https://cbr.example.com/", ProjectID: "p1"})) != one {
		t.Error("the same endpoint and project have two books")
	}
	if books.forScope(bookScope(credentials.Settings{CBREndpoint: "https://cbr.example.com", ProjectID: "p2"})) == one ||
		books.forScope(bookScope(credentials.Settings{CBREndpoint: "https://cbr.other.example.com", ProjectID: "p1"})) == one {
		t.Error("another project or endpoint shares the book")
	}
}
