package cbrfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1/model"
)

// listLogs lists operation logs with the query q and decodes the answer with
// the SDK's model.
func listLogs(t *testing.T, base, q string) (result, *model.ListOpLogsResponse) {
	t.Helper()
	r, sdk := sdkGet[model.ListOpLogsResponse](t, base+"/v3/"+DefaultProjectID+"/operation-logs?"+q)
	if sdk == nil {
		return r, nil
	}
	if sdk.OperationLogs == nil || sdk.Count == nil || sdk.Limit == nil || sdk.Offset == nil {
		t.Fatalf("answer lacks a field: %s", r.body)
	}
	return r, sdk
}

func logIDs(sdk *model.ListOpLogsResponse) []string {
	var out []string
	for _, ol := range *sdk.OperationLogs {
		out = append(out, ol.Id)
	}
	return out
}

// syncN syncs n backups (one request each, the clock a second later each
// time) and returns their operation log IDs in order of creation.
func syncN(t *testing.T, base string, clk *clock, n int) []string {
	t.Helper()
	var ids []string
	for i := 0; i < n; i++ {
		e := entry(i)
		e["resource_id"] = fmt.Sprintf("96f7512d-239d-3f31-80cf-%012d", i)
		ids = append(ids, decodeSyncAnswer(t, postSync(t, base, syncBody(e)))[0].OperationLogID)
		clk.Advance(time.Second)
	}
	return ids
}

func TestListOperationLogsPagingAndOrder(t *testing.T) {
	clk := newClock(fixedNow)
	s, base := newStarted(t, Options{Now: clk.Now})
	ids := syncN(t, base, clk, 5)
	// One request of three entries: same creation time, later entries first.
	var three []string
	for _, it := range decodeSyncAnswer(t, postSync(t, base, syncBody(entry(10), entry(11), entry(12)))) {
		three = append(three, it.OperationLogID)
	}
	newestFirst := []string{three[2], three[1], three[0], ids[4], ids[3], ids[2], ids[1], ids[0]}

	_, all := listLogs(t, base, "")
	if got := logIDs(all); fmt.Sprint(got) != fmt.Sprint(newestFirst) || *all.Count != 8 || *all.Limit != MaxListLimit || *all.Offset != 0 {
		t.Fatalf("list %v count %d limit %d, want %v", got, *all.Count, *all.Limit, newestFirst)
	}
	ol := (*all.OperationLogs)[7]
	if ol.Status.Value() != "waiting" || ol.OperationType.Value() != "sync" || ol.ProjectId != DefaultProjectID || ol.CreatedAt != "2026-03-14T09:26:53.589793" {
		t.Errorf("oldest %+v", ol)
	}
	var got []string
	for offset := 0; offset < 8; offset += 3 {
		_, page := listLogs(t, base, fmt.Sprintf("limit=3&offset=%d", offset))
		if *page.Count != 8 || *page.Limit != 3 || int(*page.Offset) != offset {
			t.Errorf("page at %d: count %d limit %d offset %d", offset, *page.Count, *page.Limit, *page.Offset)
		}
		got = append(got, logIDs(page)...)
	}
	if fmt.Sprint(got) != fmt.Sprint(newestFirst) {
		t.Errorf("pages %v, want %v", got, newestFirst)
	}
	_, past := listLogs(t, base, "offset=8")
	if len(*past.OperationLogs) != 0 || *past.Count != 8 {
		t.Errorf("past the end: %+v", past)
	}
	// Each list that carried a log was a read: the first answered
	// waiting, then running (two pages of limit 3 and the full list), the
	// oldest was read by the full list and by the last page.
	if n := s.OperationLogReads(ids[0]); n != 2 {
		t.Errorf("reads %d", n)
	}
	if st, _ := s.OperationLog(ids[0]); st != StatusRunning {
		t.Errorf("status %s", st)
	}
	if n := s.OperationLogGets(ids[0]); n != 0 {
		t.Errorf("gets %d", n)
	}
	if n := s.Count(KindOperationLogs); n != 5 {
		t.Errorf("%d list calls counted", n)
	}
}

func TestListOperationLogsFilters(t *testing.T) {
	clk := newClock(fixedNow)
	s, base := newStarted(t, Options{Now: clk.Now})
	s.ScriptBackup(as[string](t, entry(1)["backup_id"], "backup_id"), Step{Status: StatusFailed})
	ids := syncN(t, base, clk, 4) // created at +0s, +1s, +2s, +3s
	at := func(sec int) string {
		return fixedNow.Add(time.Duration(sec) * time.Second).UTC().Truncate(time.Second).Format(ListTimeFormat)
	}
	cases := []struct {
		query string
		want  []string
	}{
		{"operation_type=sync", []string{ids[3], ids[2], ids[1], ids[0]}},
		{"operation_type=backup", nil},
		{"start_time=" + at(1), []string{ids[3], ids[2], ids[1]}}, // 09:26:54 <= 09:26:54.589793
		{"end_time=" + at(2), []string{ids[1], ids[0]}},           // 09:26:55.589793 > 09:26:55
		{"start_time=" + at(1) + "&end_time=" + at(3), []string{ids[2], ids[1]}},
		{"status=failed", []string{ids[1]}},
		{"resource_id=96f7512d-239d-3f31-80cf-000000000002", []string{ids[2]}},
		{"resource_name=vm-01&provider_id=" + ProviderID + "&vault_id=" + DefaultVaultID + "&vault_name=" + DefaultVaultName + "&enterprise_project_id=all_granted_eps&limit=1", []string{ids[3]}},
		{"provider_id=other", nil},
		{"enterprise_project_id=ep-other", nil},
	}
	for _, c := range cases {
		_, page := listLogs(t, base, c.query)
		if page == nil {
			t.Errorf("%s: refused", c.query)
			continue
		}
		if got := logIDs(page); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v, want %v", c.query, got, c.want)
		}
	}

	// A log hidden from the list is still answered by GET.
	s.HideFromList(ids[0], "unknown")
	_, page := listLogs(t, base, "")
	if got := logIDs(page); fmt.Sprint(got) != fmt.Sprint([]string{ids[3], ids[2], ids[1]}) || *page.Count != 3 {
		t.Errorf("with a hidden log: %v, count %d", got, *page.Count)
	}
	if _, ol := getOpLog(t, base, ids[0]); ol.Id != ids[0] {
		t.Errorf("GET of a hidden log: %+v", ol)
	}
	s.ShowInList(ids[0])
	if _, page := listLogs(t, base, ""); *page.Count != 4 {
		t.Errorf("shown again: count %d", *page.Count)
	}
	// Hidden by backup ID before the sync.
	s.HideBackupsFromList(as[string](t, entry(7)["backup_id"], "backup_id"))
	hidden := decodeSyncAnswer(t, postSync(t, base, syncBody(entry(7))))[0].OperationLogID
	s.HideBackupsFromList()
	visible := decodeSyncAnswer(t, postSync(t, base, syncBody(entry(8))))[0].OperationLogID
	if _, page := listLogs(t, base, ""); *page.Count != 5 || logIDs(page)[0] != visible {
		t.Errorf("hidden by backup ID %s: %v", hidden, logIDs(page))
	}
}

func TestListOperationLogsRefusals(t *testing.T) {
	_, base := newStarted(t, Options{Now: newClock(fixedNow).Now})
	cases := map[string]string{
		"limit=0":                              "limit must be an integer from 1 to 1000",
		"limit=1001":                           "limit must be an integer from 1 to 1000",
		"limit=ten":                            "limit must be an integer",
		"limit=1.5":                            "limit must be an integer",
		"limit=-1":                             "limit must be an integer",
		"limit=+5":                             "limit must be an integer",
		"offset=-1":                            "offset must be an integer from 0",
		"offset=2147483648":                    "offset must be an integer from 0",
		"offset=1e3":                           "offset must be an integer",
		"start_time=2026-03-14":                "start_time must be a UTC time such as 2018-02-01T12:00:00Z",
		"start_time=2026-03-14T09:26:53.589Z":  "start_time must be a UTC time",
		"end_time=2026-03-14T09:26:53%2B08:00": "end_time must be a UTC time",
		"end_time=2026-3-14T09:26:53Z":         "end_time must be a UTC time",
		"start_time=1710408413":                "start_time must be a UTC time",
		"start_time=2026-03-14T10:00:00Z&end_time=2026-03-14T09:00:00Z": "end_time 2026-03-14T09:00:00Z is before start_time 2026-03-14T10:00:00Z",
		"status=done":         `status "done" is not one of`,
		"operation_type=SYNC": `operation_type "SYNC" is not one of`,
		"operationType=sync":  `unknown query parameter "operationType"`,
		"limit=10&limit=20":   "query parameter limit is given 2 times",
		"status=":             "query parameter status is empty",
	}
	for q, msg := range cases {
		r := do(t, http.MethodGet, base+"/v3/"+DefaultProjectID+"/operation-logs?"+q, nil, tokenHeaders())
		t.Run(url.QueryEscape(q), func(t *testing.T) { wantError(t, r, http.StatusBadRequest, "BackupService.9900", msg) })
	}
	// Authentication and the project come first, as for every CBR call.
	wantError(t, do(t, http.MethodGet, base+"/v3/"+DefaultProjectID+"/operation-logs?limit=0", nil, nil), http.StatusUnauthorized, "APIGW.0301", "")
	wantError(t, do(t, http.MethodGet, base+"/v3/"+DefaultProjectID+"/operation-logs?limit=0", nil, map[string]string{"X-Auth-Token": "wrong"}), http.StatusUnauthorized, "APIGW.0301", "")
	wantError(t, do(t, http.MethodGet, base+"/v3/0000/operation-logs", nil, tokenHeaders()), http.StatusForbidden, "BackupService.0006", "")
	r := do(t, http.MethodPost, base+"/v3/"+DefaultProjectID+"/operation-logs", nil, tokenHeaders())
	wantError(t, r, http.StatusMethodNotAllowed, "APIGW.0101", "")
	if r.header.Get("Allow") != http.MethodGet {
		t.Errorf("Allow %q", r.header.Get("Allow"))
	}
}

func TestListOperationLogsFaults(t *testing.T) {
	clk := newClock(fixedNow)
	s, base := newStarted(t, Options{Now: clk.Now})
	ids := syncN(t, base, clk, 1)
	s.InjectFault(KindOperationLogs, Fault{Status: 503, RetryAfter: "1"}, Fault{BrokenJSON: true})
	r, _ := listLogs(t, base, "")
	wantError(t, r, http.StatusServiceUnavailable, "APIGW.0202", "")
	if r.header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
	r = do(t, http.MethodGet, base+"/v3/"+DefaultProjectID+"/operation-logs", nil, tokenHeaders())
	if r.status != 200 || json.Valid(r.body) {
		t.Errorf("broken answer: %d %s", r.status, r.body)
	}
	// The broken answer was applied: it read the log once.
	if _, page := listLogs(t, base, ""); (*page.OperationLogs)[0].Status.Value() != StatusRunning || s.OperationLogReads(ids[0]) != 2 {
		t.Errorf("after the faults: %s, %d reads", (*page.OperationLogs)[0].Status.Value(), s.OperationLogReads(ids[0]))
	}
	if s.Count(KindOperationLogs) != 3 || s.Count(KindOperationLog) != 0 || s.PendingFaults(KindOperationLogs) != 0 {
		t.Errorf("counts: %d lists, %d gets", s.Count(KindOperationLogs), s.Count(KindOperationLog))
	}
}
