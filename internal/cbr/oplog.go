package cbr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// Operation log statuses, as in the SDK's OperationLogStatus.
const (
	OpStatusSuccess = "success"
	OpStatusSkipped = "skipped"
	OpStatusFailed  = "failed"
	OpStatusRunning = "running"
	OpStatusTimeout = "timeout"
	OpStatusWaiting = "waiting"
)

// OpStatusPending reports whether an operation log with this status has not
// finished yet.
func OpStatusPending(status string) bool {
	return status == OpStatusRunning || status == OpStatusWaiting
}

// OperationLogIDPattern matches the operation log IDs GetOperationLog
// accepts: the characters that need no escaping in a URL path segment. CBR's
// IDs are UUIDs.
var OperationLogIDPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)

// OperationLog is what GetOperationLog reports about a CBR task. Fields the
// answer leaves out (or sets to null) are nil or empty.
type OperationLog struct {
	ID            string
	Status        string
	OperationType string
	CreatedAt     string
	StartedAt     string
	UpdatedAt     string
	EndedAt       *string
	VaultID       *string
	VaultName     *string
	// ErrorCode and ErrorMessage are error_info.code and error_info.message;
	// CBR sends empty strings when there is no error.
	ErrorCode, ErrorMessage string
	// Sync holds extra_info.sync, present for sync tasks only.
	Sync *OpSyncInfo
	// RequestID is the X-Request-Id of the answer.
	RequestID string
}

// OpSyncInfo is extra_info.sync of a sync task. A nil field was not in the answer.
type OpSyncInfo struct {
	SyncBackupNum, DeleteBackupNum, ErrSyncBackupNum *int64
}

// opLogAnswer mirrors the JSON of ShowOpLogResponse with the field names of
// the SDK's OperationLog, OpErrorInfo and OpExtendInfoSync models, but only
// the fields the provider uses, with plain types. The SDK model itself is not
// used for decoding because it turns a missing or null status into "" or
// "null" without an error (its enum types trim quotes instead of decoding
// JSON), and because it decodes every extra_info section into int32 and
// string fields, so an answer with, say, "progress": 100.0 or a numeric
// error_info.code could not be read at all, although nothing the provider
// needs is wrong with it.
type opLogAnswer struct {
	OperationLog *opLogJSON `json:"operation_log"`
}

// opLogJSON is one operation log of a ShowOpLogResponse or of the
// operation_logs list of a ListOpLogsResponse.
type opLogJSON struct {
	ID            *string `json:"id"`
	Status        *string `json:"status"`
	OperationType *string `json:"operation_type"`
	CreatedAt     *string `json:"created_at"`
	StartedAt     *string `json:"started_at"`
	UpdatedAt     *string `json:"updated_at"`
	EndedAt       *string `json:"ended_at"`
	VaultID       *string `json:"vault_id"`
	VaultName     *string `json:"vault_name"`
	ErrorInfo     *struct {
		Code    json.RawMessage `json:"code"`
		Message *string         `json:"message"`
	} `json:"error_info"`
	ExtraInfo *struct {
		Sync *struct {
			SyncBackupNum    json.RawMessage `json:"sync_backup_num"`
			DeleteBackupNum  json.RawMessage `json:"delete_backup_num"`
			ErrSyncBackupNum json.RawMessage `json:"err_sync_backup_num"`
		} `json:"sync"`
	} `json:"extra_info"`
}

// GetOperationLog reads one operation log with
// GET /v3/{project_id}/operation-logs/{id}. An operation log that does not
// exist gives an *APIError for which IsNotFound is true.
func (c *Client) GetOperationLog(ctx context.Context, id string) (*OperationLog, error) {
	if !OperationLogIDPattern.MatchString(id) {
		return nil, fmt.Errorf("invalid operation log ID %q: only letters, digits, '-', '_', '.' and '~' are allowed", id)
	}
	var answer opLogAnswer
	requestID, bad, err := c.getOpLogs(ctx, "/"+id, nil, &answer)
	if err != nil {
		return nil, err
	}
	ol := answer.OperationLog
	if ol == nil {
		return nil, bad(`the answer has no "operation_log" object`)
	}
	if ol.ID != nil && *ol.ID != id {
		return nil, bad("the answer is about operation log %q, not %q", *ol.ID, id)
	}
	if ol.Status == nil || *ol.Status == "" {
		return nil, bad("the answer has no operation_log.status")
	}
	out, err := ol.decode(id, requestID)
	if err != nil {
		return nil, bad("operation_log.%w", err)
	}
	return out, nil
}

// decode turns one operation log of an answer into an OperationLog with the
// given ID. An error names the field at fault, relative to the log.
func (ol *opLogJSON) decode(id, requestID string) (*OperationLog, error) {
	out := &OperationLog{
		ID:            id,
		Status:        *ol.Status,
		OperationType: deref(ol.OperationType),
		CreatedAt:     deref(ol.CreatedAt),
		StartedAt:     deref(ol.StartedAt),
		UpdatedAt:     deref(ol.UpdatedAt),
		EndedAt:       nonEmpty(ol.EndedAt),
		VaultID:       nonEmpty(ol.VaultID),
		VaultName:     nonEmpty(ol.VaultName),
		RequestID:     requestID,
	}
	if ol.ErrorInfo != nil {
		out.ErrorCode = rawString(ol.ErrorInfo.Code)
		out.ErrorMessage = deref(ol.ErrorInfo.Message)
	}
	if ol.ExtraInfo != nil && ol.ExtraInfo.Sync != nil {
		s := ol.ExtraInfo.Sync
		out.Sync = &OpSyncInfo{}
		for _, f := range []struct {
			name string
			raw  json.RawMessage
			dst  **int64
		}{
			{"sync_backup_num", s.SyncBackupNum, &out.Sync.SyncBackupNum},
			{"delete_backup_num", s.DeleteBackupNum, &out.Sync.DeleteBackupNum},
			{"err_sync_backup_num", s.ErrSyncBackupNum, &out.Sync.ErrSyncBackupNum},
		} {
			n, err := rawCount(f.raw)
			if err != nil {
				return nil, fmt.Errorf("extra_info.sync.%s: %w", f.name, err)
			}
			*f.dst = n
		}
	}
	return out, nil
}

// IsNotFound reports whether err is a 404 answer of the API.
func IsNotFound(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nonEmpty(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	return s
}

// rawCount reads a count sent as a JSON integer (or a string holding one);
// absent or null gives nil.
func rawCount(raw json.RawMessage) (*int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	text := string(raw)
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		text = strings.TrimSpace(s)
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		// Accept integral floats such as 3.0.
		f, ferr := strconv.ParseFloat(text, 64)
		if ferr != nil || f != float64(int64(f)) {
			return nil, fmt.Errorf("not an integer: %s", snippet(raw))
		}
		n = int64(f)
	}
	if n < 0 {
		return nil, fmt.Errorf("negative count %d", n)
	}
	return &n, nil
}
