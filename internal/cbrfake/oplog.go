package cbrfake

import (
	"fmt"
	"net/http"
	"time"
)

// Operation log statuses (OperationLogStatus in the SDK).
const (
	StatusSuccess = "success"
	StatusSkipped = "skipped"
	StatusFailed  = "failed"
	StatusRunning = "running"
	StatusTimeout = "timeout"
	StatusWaiting = "waiting"
)

// OpLogTimeFormat is the layout of operation log timestamps, e.g.
// "2019-05-23T14:35:23.584418" (UTC, microseconds, no zone).
const OpLogTimeFormat = "2006-01-02T15:04:05.000000"

// ProviderID is the provider_id reported in operation logs.
const ProviderID = "0daac4c5-6707-4851-97ba-169e36266b66"

// Step is one state of an operation log script. Status is one of success,
// skipped, failed, running, timeout, waiting. ErrorCode and ErrorMessage fill
// error_info for failed and timeout (defaults are used when empty).
type Step struct {
	Status                  string
	ErrorCode, ErrorMessage string
}

func validStatus(st string) bool {
	switch st {
	case StatusSuccess, StatusSkipped, StatusFailed, StatusRunning, StatusTimeout, StatusWaiting:
		return true
	}
	return false
}

func terminalStatus(st string) bool {
	return st != StatusRunning && st != StatusWaiting
}

func checkSteps(fn string, steps []Step) []Step {
	for _, st := range steps {
		if !validStatus(st.Status) {
			panic(fmt.Sprintf("cbrfake: %s: invalid operation log status %q", fn, st.Status))
		}
	}
	return append([]Step(nil), steps...)
}

// ScriptBackup sets the progress of the operation log created when backupID
// is synced (set it before the sync). Each read of that operation log (a GET
// of it, or a list page that carries it) advances by one step; the last step
// stays. No steps restores the default script.
// The script stays set for later syncs of the same backup. A shared operation
// log (Options.SharedOperationLog) follows the script of the first entry of
// the request that has one.
func (s *Server) ScriptBackup(backupID string, steps ...Step) {
	steps = checkSteps("ScriptBackup", steps)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(steps) == 0 {
		delete(s.scripts, backupID)
		return
	}
	s.scripts[backupID] = steps
}

// SetDefaultScript sets the script of operation logs of backups without their
// own script. The initial default is waiting, running, success; no steps
// restores it.
func (s *Server) SetDefaultScript(steps ...Step) {
	steps = checkSteps("SetDefaultScript", steps)
	if len(steps) == 0 {
		steps = []Step{{Status: StatusWaiting}, {Status: StatusRunning}, {Status: StatusSuccess}}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.defaultScript = steps
}

// OperationLog returns the current status of an operation log: the status
// last answered (by GET or in a list), or the first step if it was never read.
func (s *Server) OperationLog(id string) (status string, ok bool) {
	ok = s.withOpLog(id, func(ol *opLog) { status = ol.steps[ol.current()].Status })
	return status, ok
}

// OperationLogReads returns how many times an operation log was read: by a
// GET of it, or in a page of a list.
func (s *Server) OperationLogReads(id string) (n int) {
	s.withOpLog(id, func(ol *opLog) { n = ol.reads })
	return n
}

// OperationLogGets returns how many times an operation log was read by a GET
// of it (GET /v3/{project_id}/operation-logs/{id}).
func (s *Server) OperationLogGets(id string) (n int) {
	s.withOpLog(id, func(ol *opLog) { n = ol.gets })
	return n
}

// withOpLog calls fn with the operation log id, under s.mu, and reports
// whether there is one.
func (s *Server) withOpLog(id string, fn func(*opLog)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ol, ok := s.opLogs[id]
	if ok {
		fn(ol)
	}
	return ok
}

type opLog struct {
	id    string
	steps []Step
	// reads counts the reads (GETs and list pages), gets the GETs only.
	reads, gets int
	// seq orders logs created at the same time: the later, the larger.
	seq int
	// hidden logs are left out of lists (see HideFromList).
	hidden    bool
	requestID string
	created   time.Time
	updated   time.Time
	ended     time.Time
	syncNum   int
	resource  *opResource
}

func (ol *opLog) current() int {
	i := ol.reads - 1
	if i < 0 {
		i = 0
	}
	if i >= len(ol.steps) {
		i = len(ol.steps) - 1
	}
	return i
}

// newOpLog creates an operation log for entries; s.mu must be held.
func (s *Server) newOpLog(c *call, now time.Time, script []Step, entries []SyncedBackup) *opLog {
	ol := &opLog{
		id:        newUUID(),
		steps:     append([]Step(nil), script...),
		requestID: c.reqID,
		created:   now,
		updated:   now,
		syncNum:   len(entries),
		seq:       len(s.opLogs) + 1,
	}
	for _, e := range entries {
		ol.hidden = ol.hidden || s.hiddenBackups[e.BackupID]
	}
	same := true
	for _, e := range entries[1:] {
		if e.ResourceID != entries[0].ResourceID || e.ResourceName != entries[0].ResourceName || e.ResourceType != entries[0].ResourceType {
			same = false
		}
	}
	if same {
		e := entries[0]
		ol.resource = &opResource{ID: e.ResourceID, Name: e.ResourceName, Type: e.ResourceType}
	}
	s.opLogs[ol.id] = ol
	return ol
}

// JSON shapes of ShowOpLogResponse (field names as in the SDK model).
type opLogEnvelope struct {
	OperationLog opLogJSON `json:"operation_log"`
}

type opLogJSON struct {
	CreatedAt     string      `json:"created_at"`
	EndedAt       string      `json:"ended_at,omitempty"`
	ErrorInfo     opErrorInfo `json:"error_info"`
	ExtraInfo     opExtraInfo `json:"extra_info"`
	ID            string      `json:"id"`
	OperationType string      `json:"operation_type"`
	ProjectID     string      `json:"project_id"`
	ProviderID    string      `json:"provider_id"`
	StartedAt     string      `json:"started_at"`
	Status        string      `json:"status"`
	UpdatedAt     string      `json:"updated_at"`
	VaultID       string      `json:"vault_id"`
	VaultName     string      `json:"vault_name"`
}

type opErrorInfo struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type opExtraInfo struct {
	Common   opCommon    `json:"common"`
	Resource *opResource `json:"resource"`
	Sync     opSync      `json:"sync"`
}

type opCommon struct {
	Progress  int    `json:"progress"`
	RequestID string `json:"request_id"`
}

type opResource struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

type opSync struct {
	SyncBackupNum    int `json:"sync_backup_num"`
	DeleteBackupNum  int `json:"delete_backup_num"`
	ErrSyncBackupNum int `json:"err_sync_backup_num"`
}

// handleOperationLog serves GET /v3/{project_id}/operation-logs/{id}.
func (s *Server) handleOperationLog(c *call) *response {
	return s.readOpLogs(c, func(now time.Time) *response {
		ol, ok := s.opLogs[c.opLogID]
		if !ok {
			return apiError(c, http.StatusNotFound, "BackupService.0012",
				fmt.Sprintf("The operation log does not exist: operation log %s not found", truncate(c.opLogID, 64)))
		}
		ol.gets++
		return jsonResponse(http.StatusOK, opLogEnvelope{OperationLog: s.readOpLog(ol, now)})
	})
}

// readOpLogs answers a read of operation logs: once the credentials and
// the project of the request are checked, with answer called at the time of
// the request with s.mu held.
func (s *Server) readOpLogs(c *call, answer func(now time.Time) *response) *response {
	p, errResp := s.authenticate(c)
	if errResp != nil {
		return errResp
	}
	if errResp := s.checkProject(c, p); errResp != nil {
		return errResp
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	return answer(now)
}

// peek is the step the next read of ol answers.
func (ol *opLog) peek() Step {
	return ol.steps[min(ol.reads, len(ol.steps)-1)]
}

// readOpLog advances ol by one read and renders it; s.mu must be held.
func (s *Server) readOpLog(ol *opLog, now time.Time) opLogJSON {
	prev := ol.steps[ol.current()].Status
	first := ol.reads == 0
	ol.reads++
	step := ol.steps[ol.current()]
	if first || step.Status != prev {
		ol.updated = now
	}
	if terminalStatus(step.Status) {
		if ol.ended.IsZero() {
			ol.ended = now
		}
	} else {
		ol.ended = time.Time{}
	}

	out := opLogJSON{
		CreatedAt:     ol.created.UTC().Format(OpLogTimeFormat),
		ID:            ol.id,
		OperationType: "sync",
		ProjectID:     s.opts.ProjectID,
		ProviderID:    ProviderID,
		StartedAt:     ol.created.UTC().Format(OpLogTimeFormat),
		Status:        step.Status,
		UpdatedAt:     ol.updated.UTC().Format(OpLogTimeFormat),
		VaultID:       s.opts.VaultID,
		VaultName:     s.opts.VaultName,
		ExtraInfo: opExtraInfo{
			Common:   opCommon{RequestID: ol.requestID},
			Resource: ol.resource,
			Sync:     opSync{SyncBackupNum: ol.syncNum},
		},
	}
	if !ol.ended.IsZero() {
		out.EndedAt = ol.ended.UTC().Format(OpLogTimeFormat)
	}
	switch step.Status {
	case StatusWaiting:
		out.ExtraInfo.Common.Progress = 0
	case StatusRunning:
		out.ExtraInfo.Common.Progress = 50
	default:
		out.ExtraInfo.Common.Progress = 100
	}
	switch step.Status {
	case StatusFailed, StatusTimeout:
		code, msg := step.ErrorCode, step.ErrorMessage
		if code == "" {
			code = "BackupService.9999"
		}
		if msg == "" {
			if step.Status == StatusFailed {
				msg = "Synchronizing the backup failed"
			} else {
				msg = "Synchronizing the backup timed out"
			}
		}
		out.ErrorInfo = opErrorInfo{Code: code, Message: msg}
		out.ExtraInfo.Sync.ErrSyncBackupNum = ol.syncNum
	}
	return out
}
