package cbr

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Limits and formats of GET /v3/{project_id}/operation-logs (ListOpLogs).
const (
	// MaxOpLogPageSize is the largest limit a list request may ask for.
	MaxOpLogPageSize = 1000
	// OpLogQueryTimeFormat is the layout of start_time and end_time, which
	// the SDK documents as %YYYY-%mm-%ddT%HH:%MM:%SSZ (UTC, whole seconds),
	// for example 2018-02-01T12:00:00Z.
	OpLogQueryTimeFormat = "2006-01-02T15:04:05Z"
	// maxOpLogPages bounds the pages one ListOperationLogs reads, in case
	// count keeps growing while the list is read.
	maxOpLogPages = 1000
)

// Operation types, as in the SDK's ListOpLogsRequestOperationType.
const (
	OpTypeBackup         = "backup"
	OpTypeCopy           = "copy"
	OpTypeReplication    = "replication"
	OpTypeDelete         = "delete"
	OpTypeRestore        = "restore"
	OpTypeVaultDelete    = "vault_delete"
	OpTypeRemoveResource = "remove_resource"
	OpTypeSync           = "sync"
)

// OpTypes are the operation types the list API filters on.
var OpTypes = []string{OpTypeBackup, OpTypeCopy, OpTypeReplication, OpTypeDelete, OpTypeRestore, OpTypeVaultDelete, OpTypeRemoveResource, OpTypeSync}

// OpStatuses are the statuses the list API filters on.
var OpStatuses = []string{OpStatusSuccess, OpStatusSkipped, OpStatusFailed, OpStatusRunning, OpStatusTimeout, OpStatusWaiting}

// OpLogFilter selects the operation logs ListOperationLogs reads. Empty
// fields (and zero times) are not sent. The names are those of the SDK's
// ListOpLogsRequest.
type OpLogFilter struct {
	OperationType string
	Status        string
	// StartTime and EndTime bound the window of the tasks, sent in
	// OpLogQueryTimeFormat (in UTC, cut to whole seconds).
	StartTime, EndTime  time.Time
	ProviderID          string
	ResourceID          string
	ResourceName        string
	VaultID             string
	VaultName           string
	EnterpriseProjectID string
	// PageSize is the limit of each request; 0 means MaxOpLogPageSize.
	PageSize int
}

// query returns the query string of the page at offset.
func (f OpLogFilter) query(offset int) (url.Values, error) {
	size := f.PageSize
	if size == 0 {
		size = MaxOpLogPageSize
	}
	if size < 1 || size > MaxOpLogPageSize {
		return nil, fmt.Errorf("the page size of an operation log list is 1 to %d, got %d", MaxOpLogPageSize, size)
	}
	if !f.StartTime.IsZero() && !f.EndTime.IsZero() && f.EndTime.Before(f.StartTime) {
		return nil, fmt.Errorf("the end time %s is before the start time %s", f.EndTime.UTC().Format(time.RFC3339), f.StartTime.UTC().Format(time.RFC3339))
	}
	q := url.Values{}
	q.Set("limit", strconv.Itoa(size))
	q.Set("offset", strconv.Itoa(offset))
	for k, v := range map[string]string{
		"operation_type": f.OperationType, "status": f.Status, "provider_id": f.ProviderID, "resource_id": f.ResourceID,
		"resource_name": f.ResourceName, "vault_id": f.VaultID, "vault_name": f.VaultName, "enterprise_project_id": f.EnterpriseProjectID,
	} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if !f.StartTime.IsZero() {
		q.Set("start_time", FormatOpLogQueryTime(f.StartTime))
	}
	if !f.EndTime.IsZero() {
		q.Set("end_time", FormatOpLogQueryTime(f.EndTime))
	}
	return q, nil
}

// FormatOpLogQueryTime writes t as start_time and end_time expect it: UTC,
// cut to whole seconds.
func FormatOpLogQueryTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(OpLogQueryTimeFormat)
}

// OperationLogList is what ListOperationLogs read.
type OperationLogList struct {
	// Logs are the operation logs in the order of the answers (CBR lists
	// the newest first), each once.
	Logs []*OperationLog
	// Count is the count of the last answer: how many logs match.
	Count int
	// Pages is the number of list requests that were answered.
	Pages int
}

// opLogsAnswer mirrors the JSON of ListOpLogsResponse.
type opLogsAnswer struct {
	OperationLogs *[]opLogJSON     `json:"operation_logs"`
	Count         *json.RawMessage `json:"count"`
}

// ListOperationLogs reads every operation log that matches f with
// GET /v3/{project_id}/operation-logs, in pages of f.PageSize (1,000 by
// default): it follows offset until it has read count logs, so listing N
// logs takes ⌈N/1000⌉ requests. Each request is retried like every other
// call (see RetryRule). On an error, the logs of the pages read so far are
// returned with it.
func (c *Client) ListOperationLogs(ctx context.Context, f OpLogFilter) (*OperationLogList, error) {
	out := &OperationLogList{}
	seen := map[string]bool{}
	offset := 0
	for page := 0; page < maxOpLogPages; page++ {
		q, err := f.query(offset)
		if err != nil {
			return out, err
		}
		var answer opLogsAnswer
		requestID, bad, err := c.getOpLogs(ctx, "", q, &answer)
		if err != nil {
			return out, err
		}
		if answer.OperationLogs == nil {
			return out, bad(`the answer has no "operation_logs" list`)
		}
		if answer.Count == nil {
			return out, bad(`the answer has no "count"`)
		}
		count, err := rawCount(*answer.Count)
		if err != nil || count == nil {
			return out, bad("count: not a count: %s", snippet(*answer.Count))
		}
		out.Pages++
		out.Count = int(*count)
		logs := *answer.OperationLogs
		for i := range logs {
			ol := &logs[i]
			if ol.ID == nil || *ol.ID == "" {
				return out, bad("operation_logs[%d] has no id", offset+i)
			}
			if ol.Status == nil || *ol.Status == "" {
				return out, bad("operation_logs[%d] (%s) has no status", offset+i, *ol.ID)
			}
			log, err := ol.decode(*ol.ID, requestID)
			if err != nil {
				return out, bad("operation_logs[%d].%w", offset+i, err)
			}
			// A log created while the pages are read shifts the
			// others down: one may show up twice.
			if !seen[log.ID] {
				seen[log.ID] = true
				out.Logs = append(out.Logs, log)
			}
		}
		offset += len(logs)
		if len(logs) == 0 || offset >= out.Count {
			return out, nil
		}
	}
	return out, fmt.Errorf("listing operation logs: still not at the end after %d pages (count %d)", maxOpLogPages, out.Count)
}

// getOpLogs sends GET /v3/{project_id}/operation-logs followed by sub, with
// the query q, and decodes the JSON answer into answer. It returns the
// answer's request ID and bad, which reports what is wrong with the content
// of the answer as a *ResponseError about it, with the secrets masked.
func (c *Client) getOpLogs(ctx context.Context, sub string, q url.Values, answer any) (requestID string, bad func(format string, args ...any) error, err error) {
	raw, err := c.doProjectQuery(ctx, http.MethodGet, "/operation-logs"+sub, q, nil)
	if err != nil {
		return "", nil, err
	}
	bad = func(format string, args ...any) error {
		return c.maskError(&ResponseError{Method: raw.method, URL: raw.url, StatusCode: raw.status, RequestID: raw.requestID, Body: snippet(raw.body), Err: fmt.Errorf(format, args...)})
	}
	if err := json.Unmarshal(raw.body, answer); err != nil {
		return "", nil, bad("%w", err)
	}
	return raw.requestID, bad, nil
}
