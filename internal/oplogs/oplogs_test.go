package oplogs

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
)

// fixtureLog is a failed sync task as GetOperationLog and ListOperationLogs
// report it, changed by edit when it is not nil.
func fixtureLog(edit func(*cbr.OperationLog)) *cbr.OperationLog {
	s := func(v string) *string { return &v }
	n := func(v int64) *int64 { return &v }
	ol := &cbr.OperationLog{
		ID: "154f0a9d-ba53-4e91-a3e2-a918710a9e0d", Status: cbr.OpStatusFailed, OperationType: cbr.OpTypeSync,
		CreatedAt: "2019-05-23T14:31:36.039365", StartedAt: "2019-05-23T14:31:36.007230", UpdatedAt: "2019-05-23T14:35:23.584418",
		EndedAt: s("2019-05-23T14:35:23.511155"), VaultID: s("3b5816b5-f29c-4172-9d9a-76c719a659ce"), VaultName: s("vault-hybrid"),
		ErrorCode: "BackupService.6302", ErrorMessage: "OBS bucket not found",
		Sync: &cbr.OpSyncInfo{SyncBackupNum: n(3), DeleteBackupNum: n(0), ErrSyncBackupNum: n(2)},
	}
	if edit != nil {
		edit(ol)
	}
	return ol
}

func schemaOf(t *testing.T, d datasource.DataSource) schema.Schema {
	t.Helper()
	var resp datasource.SchemaResponse
	d.Schema(context.Background(), datasource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	if diags := resp.Schema.ValidateImplementation(context.Background()); diags.HasError() {
		t.Fatal(diags)
	}
	return resp.Schema
}

func names(attrs map[string]schema.Attribute) []string {
	var out []string
	for k := range attrs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestSchemas: an element of operation_logs has the attributes of
// cbr_operation_log, and created_at.
func TestSchemas(t *testing.T) {
	ds := DataSources(func(err error) string { return err.Error() })
	one := schemaOf(t, ds[0]()).Attributes
	logs, ok := schemaOf(t, ds[1]()).Attributes["operation_logs"].(schema.ListNestedAttribute)
	if !ok {
		t.Fatalf("operation_logs is a %T", schemaOf(t, ds[1]()).Attributes["operation_logs"])
	}
	list := logs.NestedObject.Attributes
	want := names(list)
	want = append(want[:sort.SearchStrings(want, "created_at")], want[sort.SearchStrings(want, "created_at")+1:]...)
	if got := names(one); !reflect.DeepEqual(got, want) {
		t.Errorf("cbr_operation_log has %v, an element of operation_logs %v and created_at", got, want)
	}
	if id, ok := one["id"].(schema.StringAttribute); !ok || !id.Required || len(id.Validators) != 1 {
		t.Errorf("id %+v", id)
	}
	for name, a := range list {
		if !a.IsComputed() || a.IsOptional() || a.IsRequired() {
			t.Errorf("operation_logs[*].%s is not computed only", name)
		}
	}
	if d, l := one["started_at"].GetMarkdownDescription(), list["started_at"].GetMarkdownDescription(); !strings.HasPrefix(d, strings.TrimSuffix(l, ".")) || d == l {
		t.Errorf("started_at: %q, listed %q", d, l)
	}
}

func TestNewLogModel(t *testing.T) {
	str, num := types.StringValue, types.Int64Value
	got := newLogModel(fixtureLog(nil))
	want := logModel{
		ID: str("154f0a9d-ba53-4e91-a3e2-a918710a9e0d"), Status: str("failed"), OperationType: str("sync"),
		StartedAt: str("2019-05-23T14:31:36.007230"), EndedAt: str("2019-05-23T14:35:23.511155"), UpdatedAt: str("2019-05-23T14:35:23.584418"),
		VaultID: str("3b5816b5-f29c-4172-9d9a-76c719a659ce"), VaultName: str("vault-hybrid"),
		ErrorInfo:     &errorInfoModel{Code: str("BackupService.6302"), Message: str("OBS bucket not found")},
		SyncBackupNum: num(3), DeleteBackupNum: num(0), ErrSyncBackupNum: num(2),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	listed := newListedLogModel(fixtureLog(nil))
	if !reflect.DeepEqual(listed.logModel, want) || listed.CreatedAt != str("2019-05-23T14:31:36.039365") {
		t.Errorf("listed %+v", listed)
	}

	// A running task that is not a sync: what CBR leaves out or sends empty is null.
	sparse := newListedLogModel(fixtureLog(func(ol *cbr.OperationLog) {
		ol.Status, ol.OperationType, ol.CreatedAt, ol.StartedAt, ol.UpdatedAt = cbr.OpStatusRunning, "", "", "", ""
		ol.EndedAt, ol.VaultID, ol.VaultName, ol.ErrorCode, ol.ErrorMessage, ol.Sync = nil, nil, nil, "", "", nil
	}))
	for name, v := range map[string]interface{ IsNull() bool }{
		"operation_type": sparse.OperationType, "created_at": sparse.CreatedAt, "started_at": sparse.StartedAt, "ended_at": sparse.EndedAt,
		"updated_at": sparse.UpdatedAt, "vault_id": sparse.VaultID, "vault_name": sparse.VaultName,
		"error_info.code": sparse.ErrorInfo.Code, "error_info.message": sparse.ErrorInfo.Message,
		"sync_backup_num": sparse.SyncBackupNum, "delete_backup_num": sparse.DeleteBackupNum, "err_sync_backup_num": sparse.ErrSyncBackupNum,
	} {
		if !v.IsNull() {
			t.Errorf("%s = %v, want null", name, v)
		}
	}
}

func TestMatchesFilter(t *testing.T) {
	at := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339, s); return tm }
	cases := []struct {
		name string
		edit func(*cbr.OperationLog)
		f    cbr.OpLogFilter
		want bool
	}{
		{"no filter", nil, cbr.OpLogFilter{}, true},
		{"type and status", nil, cbr.OpLogFilter{OperationType: cbr.OpTypeSync, Status: cbr.OpStatusFailed}, true},
		{"other type", nil, cbr.OpLogFilter{OperationType: cbr.OpTypeBackup}, false},
		{"no type reported", func(ol *cbr.OperationLog) { ol.OperationType = "" }, cbr.OpLogFilter{OperationType: cbr.OpTypeBackup}, true},
		{"other status", nil, cbr.OpLogFilter{Status: cbr.OpStatusSuccess}, false},
		{"in the window", nil, cbr.OpLogFilter{StartTime: at("2019-05-23T14:31:36Z"), EndTime: at("2019-05-23T14:31:37Z")}, true},
		{"before the window", nil, cbr.OpLogFilter{StartTime: at("2019-05-23T14:31:37Z")}, false},
		{"after the window", nil, cbr.OpLogFilter{EndTime: at("2019-05-23T14:31:36Z")}, false},
		{"started_at without created_at", func(ol *cbr.OperationLog) { ol.CreatedAt = "" }, cbr.OpLogFilter{EndTime: at("2019-05-23T14:31:36Z")}, false},
		{"unreadable time", func(ol *cbr.OperationLog) { ol.CreatedAt = "yesterday" }, cbr.OpLogFilter{EndTime: at("2019-05-23T14:31:36Z")}, true},
	}
	for _, tc := range cases {
		if got := matchesFilter(fixtureLog(tc.edit), tc.f); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestWindow(t *testing.T) {
	m := operationLogsModel{StartTime: types.StringValue("2026-03-14T10:30:00.7+01:00"), EndTime: types.StringValue("2026-03-14T10:00:00.5Z")}
	start, end := m.window()
	if start != time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC) || end != time.Date(2026, 3, 14, 10, 0, 1, 0, time.UTC) {
		t.Errorf("window %v to %v", start, end)
	}
	if start, end := (operationLogsModel{StartTime: types.StringNull(), EndTime: types.StringNull()}).window(); !start.IsZero() || !end.IsZero() {
		t.Errorf("no window: %v to %v", start, end)
	}
}

func TestOperationLogID(t *testing.T) {
	entry := path.Root("backups").AtMapKey("b1")
	up := func(p path.Path) path.Path { return p.ParentPath() }
	cases := []struct {
		value, summary string
		v              validator.String
		at             path.Path
	}{
		{"154f0a9d-ba53-4e91-a3e2-a918710a9e0d", "", OperationLogID(nil), path.Root("id")},
		{" ", "Blank Value", OperationLogID(nil), path.Root("id")},
		{"a/b", "Invalid Operation Log ID", OperationLogID(nil), path.Root("id")},
		{"a/b", "Invalid Operation Log ID", OperationLogID(up), entry},
	}
	for _, tc := range cases {
		p := path.Root("id")
		if tc.at.Equal(entry) {
			p = entry.AtName("operation_log_id")
		}
		var resp validator.StringResponse
		tc.v.ValidateString(context.Background(), validator.StringRequest{Path: p, ConfigValue: types.StringValue(tc.value)}, &resp)
		if tc.summary == "" {
			if resp.Diagnostics.HasError() {
				t.Errorf("%q: %v", tc.value, resp.Diagnostics)
			}
			continue
		}
		if len(resp.Diagnostics) != 1 {
			t.Errorf("%q at %s: %v", tc.value, p, resp.Diagnostics)
			continue
		}
		d, ok := resp.Diagnostics[0].(diag.DiagnosticWithPath)
		if !ok || d.Summary() != tc.summary || !d.Path().Equal(tc.at) || !strings.Contains(d.Detail(), p.String()) {
			t.Errorf("%q at %s: %v", tc.value, p, resp.Diagnostics)
		}
	}
}

func TestConfiguredClient(t *testing.T) {
	var diags diag.Diagnostics
	if c := ConfiguredClient(nil, "Data Source", &diags); c != nil || diags.HasError() {
		t.Errorf("nil provider data: %v, %v", c, diags)
	}
	if c := ConfiguredClient("client", "Data Source", &diags); c != nil || !diags.HasError() ||
		diags[0].Summary() != "Unexpected Data Source Configure Type" || !strings.Contains(diags[0].Detail(), "got string") {
		t.Errorf("wrong type: %v, %v", c, diags)
	}
}
