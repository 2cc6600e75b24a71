package cbrfake

import (
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// KindOperationLogs is GET /v3/{project_id}/operation-logs, the list of
// operation logs (ListOpLogs).
const KindOperationLogs = "operation_logs"

// Limits of the operation log list.
const (
	// MaxListLimit is the largest limit of a list request (and its default).
	MaxListLimit = 1000
	// MaxListOffset is the largest offset accepted (the SDK models it as int32).
	MaxListOffset = 2147483647
	// ListTimeFormat is the layout of start_time and end_time, documented by
	// the SDK as %YYYY-%mm-%ddT%HH:%MM:%SSZ, e.g. 2018-02-01T12:00:00Z.
	ListTimeFormat = "2006-01-02T15:04:05Z"
)

// listParams are the query parameters of ListOpLogsRequest in the SDK.
//
// The fake refuses any other query parameter, and a parameter given twice or
// empty, with 400 BackupService.9900. The real API may well ignore an unknown
// parameter; refusing it here makes a misspelled filter (operationType,
// start-time) fail in the tests instead of silently listing more logs than
// the client meant to.
var listParams = map[string]bool{
	"end_time": true, "limit": true, "offset": true, "operation_type": true, "provider_id": true, "resource_id": true,
	"resource_name": true, "start_time": true, "status": true, "vault_id": true, "vault_name": true, "enterprise_project_id": true,
}

// listOperationTypes are the operation_type values of ListOpLogsRequest.
var listOperationTypes = map[string]bool{
	"backup": true, "copy": true, "replication": true, "delete": true, "restore": true, "vault_delete": true, "remove_resource": true, "sync": true,
}

var digits = regexp.MustCompile(`^[0-9]+$`)

// HideFromList leaves operation logs out of every list (and its count), as
// if CBR's list had not caught up with them yet; a GET of each still
// answers. Unknown IDs are ignored.
func (s *Server) HideFromList(ids ...string) {
	s.setHidden(true, ids)
}

// HideBackupsFromList hides from every list the operation logs created from
// now on for these backups (call it before the sync, as ScriptBackup), as
// HideFromList does. No backup IDs ends it for every backup.
func (s *Server) HideBackupsFromList(backupIDs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(backupIDs) == 0 {
		s.hiddenBackups = nil
		return
	}
	if s.hiddenBackups == nil {
		s.hiddenBackups = map[string]bool{}
	}
	for _, id := range backupIDs {
		s.hiddenBackups[id] = true
	}
}

// ShowInList undoes HideFromList.
func (s *Server) ShowInList(ids ...string) {
	s.setHidden(false, ids)
}

func (s *Server) setHidden(hidden bool, ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if ol, ok := s.opLogs[id]; ok {
			ol.hidden = hidden
		}
	}
}

// listFilter is a parsed list request.
type listFilter struct {
	limit, offset      int
	start, end         time.Time // zero: not set
	opType, status     string
	provider, resource string
	resourceName       string
	vaultID, vaultName string
	enterpriseProject  string
}

// parseListQuery checks the query of a list request strictly.
func parseListQuery(c *call) (*listFilter, *response) {
	raw := c.r.URL.Query()
	names := make([]string, 0, len(raw))
	for k := range raw {
		names = append(names, k)
	}
	sort.Strings(names)
	f := &listFilter{limit: MaxListLimit}
	// asIs are the parameters whose value is taken as it is.
	asIs := map[string]*string{
		"provider_id": &f.provider, "resource_id": &f.resource, "resource_name": &f.resourceName,
		"vault_id": &f.vaultID, "vault_name": &f.vaultName, "enterprise_project_id": &f.enterpriseProject,
	}
	for _, k := range names {
		vs := raw[k]
		if !listParams[k] {
			return nil, invalidParam(c, "unknown query parameter %q", truncate(k, 64))
		}
		if len(vs) != 1 {
			return nil, invalidParam(c, "query parameter %s is given %d times", k, len(vs))
		}
		v := vs[0]
		if v == "" {
			return nil, invalidParam(c, "query parameter %s is empty", k)
		}
		switch k {
		case "limit", "offset":
			low, high, dst := 1, MaxListLimit, &f.limit
			if k == "offset" {
				low, high, dst = 0, MaxListOffset, &f.offset
			}
			n, err := strconv.Atoi(v)
			if !digits.MatchString(v) || err != nil || n < low || n > high {
				return nil, invalidParam(c, "%s must be an integer from %d to %d, got %q", k, low, high, truncate(v, 32))
			}
			*dst = n
		case "start_time", "end_time":
			t, err := time.Parse(ListTimeFormat, v)
			if err != nil || t.Format(ListTimeFormat) != v {
				return nil, invalidParam(c, "%s must be a UTC time such as 2018-02-01T12:00:00Z, got %q", k, truncate(v, 64))
			}
			if k == "start_time" {
				f.start = t
			} else {
				f.end = t
			}
		case "operation_type":
			if !listOperationTypes[v] {
				return nil, invalidParam(c, "operation_type %q is not one of backup, copy, replication, delete, restore, vault_delete, remove_resource, sync", truncate(v, 32))
			}
			f.opType = v
		case "status":
			if !validStatus(v) {
				return nil, invalidParam(c, "status %q is not one of success, skipped, failed, running, timeout, waiting", truncate(v, 32))
			}
			f.status = v
		default:
			*asIs[k] = v
		}
	}
	if !f.start.IsZero() && !f.end.IsZero() && f.end.Before(f.start) {
		return nil, invalidParam(c, "end_time %s is before start_time %s", f.end.Format(ListTimeFormat), f.start.Format(ListTimeFormat))
	}
	return f, nil
}

// matches reports whether ol is listed by f; s.mu must be held.
func (s *Server) matches(f *listFilter, ol *opLog) bool {
	switch {
	case ol.hidden:
		return false
	case f.opType != "" && f.opType != "sync": // the fake only has sync tasks
		return false
	case f.status != "" && ol.peek().Status != f.status:
		return false
	case !f.start.IsZero() && ol.created.Before(f.start):
		return false
	case !f.end.IsZero() && ol.created.After(f.end):
		return false
	case f.provider != "" && f.provider != ProviderID:
		return false
	case f.resource != "" && (ol.resource == nil || ol.resource.ID != f.resource):
		return false
	case f.resourceName != "" && (ol.resource == nil || ol.resource.Name != f.resourceName):
		return false
	case f.vaultID != "" && f.vaultID != s.opts.VaultID:
		return false
	case f.vaultName != "" && f.vaultName != s.opts.VaultName:
		return false
	case f.enterpriseProject != "" && f.enterpriseProject != "0" && f.enterpriseProject != "all_granted_eps":
		return false
	}
	return true
}

type opLogsEnvelope struct {
	OperationLogs []opLogJSON `json:"operation_logs"`
	Count         int         `json:"count"`
	Limit         int         `json:"limit"`
	Offset        int         `json:"offset"`
}

// handleOperationLogs serves GET /v3/{project_id}/operation-logs: the
// operation logs that match the filters, newest first (ties in creation
// order, the later first), limit of them from offset, and the count of all
// that match. A status filter applies to the status each log would answer
// now; each log of the page counts as one read of it (it advances its
// script, as a GET does).
func (s *Server) handleOperationLogs(c *call) *response {
	return s.readOpLogs(c, func(now time.Time) *response {
		f, errResp := parseListQuery(c)
		if errResp != nil {
			return errResp
		}
		var all []*opLog
		for _, ol := range s.opLogs {
			if s.matches(f, ol) {
				all = append(all, ol)
			}
		}
		sort.Slice(all, func(i, j int) bool {
			if !all[i].created.Equal(all[j].created) {
				return all[i].created.After(all[j].created)
			}
			return all[i].seq > all[j].seq
		})
		out := opLogsEnvelope{OperationLogs: []opLogJSON{}, Count: len(all), Limit: f.limit, Offset: f.offset}
		if f.offset < len(all) {
			page := all[f.offset:min(len(all), f.offset+f.limit)]
			for _, ol := range page {
				out.OperationLogs = append(out.OperationLogs, s.readOpLog(ol, now))
			}
		}
		return jsonResponse(http.StatusOK, out)
	})
}
