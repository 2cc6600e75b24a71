package cbr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// listServer answers list requests from n logs named op-0000..., newest
// first, honouring limit and offset. Each call is recorded.
type listServer struct {
	n     int
	calls []string
}

func (s *listServer) handle(w http.ResponseWriter, r *http.Request) {
	s.calls = append(s.calls, r.URL.RawQuery)
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	offset, _ := strconv.Atoi(q.Get("offset"))
	logs := []map[string]any{}
	for i := offset; i < s.n && i < offset+limit; i++ {
		logs = append(logs, map[string]any{
			"id": fmt.Sprintf("op-%04d", i), "status": "success", "operation_type": "sync",
			"created_at": "2026-03-14T09:26:53.589793", "error_info": map[string]string{"code": "", "message": ""},
			"extra_info": map[string]any{"sync": map[string]int{"sync_backup_num": 1}},
		})
	}
	w.Header().Set("X-Request-Id", "rid-list")
	_ = json.NewEncoder(w).Encode(map[string]any{"operation_logs": logs, "count": s.n, "limit": limit, "offset": offset})
}

func TestListOperationLogsPaging(t *testing.T) {
	for _, n := range []int{0, 1, 999, 1000, 1001, 2500} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			s := &listServer{n: n}
			var path string
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				path = r.URL.Path
				s.handle(w, r)
			})
			start := time.Date(2026, 3, 14, 9, 26, 53, 589793000, time.FixedZone("CET", 3600))
			list, err := c.ListOperationLogs(context.Background(), OpLogFilter{OperationType: OpTypeSync, StartTime: start})
			if err != nil {
				t.Fatal(err)
			}
			if path != "/v3/"+testProject+"/operation-logs" {
				t.Errorf("path %s", path)
			}
			pages := max(1, (n+MaxOpLogPageSize-1)/MaxOpLogPageSize)
			if len(s.calls) != pages || list.Pages != pages || len(list.Logs) != n || list.Count != n {
				t.Fatalf("%d calls, %d pages, %d logs, count %d; want %d calls", len(s.calls), list.Pages, len(list.Logs), list.Count, pages)
			}
			for i, q := range s.calls {
				want := fmt.Sprintf("limit=1000&offset=%d&operation_type=sync&start_time=2026-03-14T08%%3A26%%3A53Z", i*1000)
				if q != want {
					t.Errorf("call %d: query %s, want %s", i, q, want)
				}
			}
			if n > 0 && (list.Logs[n-1].ID != fmt.Sprintf("op-%04d", n-1) || list.Logs[0].Status != "success" || list.Logs[0].RequestID != "rid-list" ||
				list.Logs[0].Sync == nil || *list.Logs[0].Sync.SyncBackupNum != 1) {
				t.Errorf("logs %+v", list.Logs[0])
			}
		})
	}
}

func TestListOperationLogsQuery(t *testing.T) {
	var got string
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.RawQuery
		answerWith(200, `{"operation_logs":[],"count":0}`)(w, r)
	})
	f := OpLogFilter{Status: OpStatusFailed, EndTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), ProviderID: "p", ResourceID: "r", ResourceName: "n",
		VaultID: "v", VaultName: "vn", EnterpriseProjectID: "all_granted_eps", PageSize: 10}
	if _, err := c.ListOperationLogs(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	want := "end_time=2026-01-02T03%3A04%3A05Z&enterprise_project_id=all_granted_eps&limit=10&offset=0&provider_id=p&resource_id=r&resource_name=n&status=failed&vault_id=v&vault_name=vn"
	if got != want {
		t.Errorf("query %s\nwant  %s", got, want)
	}
	for _, bad := range []OpLogFilter{{PageSize: 1001}, {PageSize: -1}, {StartTime: time.Unix(10, 0), EndTime: time.Unix(5, 0)}} {
		if _, err := c.ListOperationLogs(context.Background(), bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func TestListOperationLogsErrors(t *testing.T) {
	cases := map[string]struct {
		status int
		body   string
		want   string
	}{
		"api error":     {400, `{"error_code":"BackupService.9900","error_msg":"Invalid parameter: limit"}`, `HTTP 400 Bad Request, error_code BackupService.9900, error_msg "Invalid parameter: limit", request id rid-op`},
		"no list":       {200, `{"count":0}`, `the answer has no "operation_logs" list`},
		"no count":      {200, `{"operation_logs":[]}`, `the answer has no "count"`},
		"bad count":     {200, `{"operation_logs":[],"count":"many"}`, `count: not a count`},
		"no id":         {200, `{"operation_logs":[{"status":"success"}],"count":1}`, `operation_logs[0] has no id`},
		"no status":     {200, `{"operation_logs":[{"id":"a"}],"count":1}`, `operation_logs[0] (a) has no status`},
		"bad sync info": {200, `{"operation_logs":[{"id":"a","status":"success","extra_info":{"sync":{"sync_backup_num":-1}}}],"count":1}`, `operation_logs[0].extra_info.sync.sync_backup_num: negative count -1`},
		"not json":      {200, `<html>`, `invalid character`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := newTestClient(t, answerWith(tc.status, tc.body))
			_, err := c.ListOperationLogs(context.Background(), OpLogFilter{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), "/operation-logs?limit=1000&offset=0") {
				t.Errorf("err %v does not name the request", err)
			}
		})
	}
}

// TestListOperationLogsRetries: a page that fails with a temporary error is
// retried; once the retries are used up, the logs of the pages read so far
// come back with a *RetryError.
func TestListOperationLogsRetries(t *testing.T) {
	s := &listServer{n: 1500}
	fails := 0
	failFrom := 0
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.RawQuery, "offset=1000") && fails < failFrom {
			fails++
			answerWith(503, `{"error_code":"APIGW.0202","error_msg":"Service temporarily unavailable"}`)(w, r)
			return
		}
		s.handle(w, r)
	})
	c.maxRetries = 2
	c.sleep = func(context.Context, time.Duration) error { return nil }

	failFrom = 2 // two failures, then an answer: retried
	list, err := c.ListOperationLogs(context.Background(), OpLogFilter{})
	if err != nil || len(list.Logs) != 1500 || list.Pages != 2 || len(s.calls) != 2 {
		t.Fatalf("err %v, %d logs, %d pages, %d answered calls", err, len(list.Logs), list.Pages, len(s.calls))
	}

	fails, failFrom, s.calls = 0, 3, nil // three failures: the budget is used up
	list, err = c.ListOperationLogs(context.Background(), OpLogFilter{})
	var retryErr *RetryError
	var apiErr *APIError
	if !errors.As(err, &retryErr) || retryErr.Attempts != 3 || !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || apiErr.RequestID != "rid-op" {
		t.Fatalf("err %v", err)
	}
	if len(list.Logs) != 1000 || list.Pages != 1 {
		t.Errorf("%d logs, %d pages before the error", len(list.Logs), list.Pages)
	}
}

// TestListOperationLogsShiftedPage: a log created between two pages shifts
// the list; the log seen twice is kept once, and a list that ends early
// (an empty page) ends the reading.
func TestListOperationLogsShiftedPage(t *testing.T) {
	page := 0
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		page++
		switch page {
		case 1:
			answerWith(200, `{"operation_logs":[{"id":"b","status":"running"},{"id":"a","status":"running"}],"count":3}`)(w, r)
		case 2:
			answerWith(200, `{"operation_logs":[{"id":"a","status":"success"}],"count":4}`)(w, r)
		default:
			answerWith(200, `{"operation_logs":[],"count":4}`)(w, r)
		}
	})
	list, err := c.ListOperationLogs(context.Background(), OpLogFilter{PageSize: 2})
	if err != nil || len(list.Logs) != 2 || list.Pages != 3 || list.Logs[1].Status != "running" {
		t.Fatalf("err %v, list %+v", err, list)
	}
}
