package cbrfake

import (
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// syncFields are the fields of one BackupSync entry, all required, in the
// order they are validated.
var syncFields = []string{
	"backup_id", "backup_name", "bucket_name", "image_path",
	"resource_id", "resource_name", "resource_type", "created_at",
}

type syncResponse struct {
	Sync []syncResponseItem `json:"sync"`
}

type syncResponseItem struct {
	BackupID       string `json:"backup_id"`
	OperationLogID string `json:"operation_log_id"`
}

// handleSync serves POST /v3/{project_id}/backups/sync.
func (s *Server) handleSync(c *call) *response {
	if c.tooLarge {
		return bodyTooLarge(c)
	}
	p, errResp := s.authenticate(c)
	if errResp != nil {
		return errResp
	}
	if errResp := s.checkProject(c, p); errResp != nil {
		return errResp
	}
	if errResp := requireJSON(c, func(msg string) *response {
		return apiError(c, http.StatusUnsupportedMediaType, "BackupService.9900", "Invalid parameter: "+msg)
	}); errResp != nil {
		return errResp
	}
	entries, ferr := decodeSync(c.body)
	if ferr != nil {
		return invalidParam(c, "%s", ferr.msg)
	}
	return jsonResponse(http.StatusOK, syncResponse{Sync: s.applySync(c, entries)})
}

func bodyTooLarge(c *call) *response {
	return apiError(c, http.StatusRequestEntityTooLarge, "APIGW.0201",
		fmt.Sprintf("Request entity too large: the request body exceeds %d bytes", MaxBodyBytes))
}

// requireJSON checks that the Content-Type is application/json (parameters
// such as charset allowed).
func requireJSON(c *call, errf func(string) *response) *response {
	cts := c.r.Header.Values("Content-Type")
	if len(cts) == 0 {
		return errf("Content-Type header is required and must be application/json")
	}
	mt, params, err := mime.ParseMediaType(cts[0])
	if len(cts) != 1 || err != nil || mt != "application/json" {
		return errf(fmt.Sprintf("unsupported Content-Type %q, must be application/json", truncate(cts[0], 64)))
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return errf(fmt.Sprintf("unsupported charset %q in Content-Type, must be UTF-8", truncate(cs, 32)))
	}
	return nil
}

// decodeSync strictly decodes and validates a sync request body.
func decodeSync(body []byte) ([]SyncedBackup, *fieldError) {
	list, ferr := parseMember(body, "sync")
	if ferr != nil {
		return nil, ferr
	}
	if list.kind != jArray {
		return nil, fieldErr("sync must be an array, got %s", list.typeName())
	}
	if n := len(list.arr); n < 1 || n > MaxSyncEntries {
		return nil, fieldErr("sync has %d entries, must have 1 to %d", n, MaxSyncEntries)
	}
	out := make([]SyncedBackup, 0, len(list.arr))
	seen := make(map[string]int, len(list.arr))
	for i, e := range list.arr {
		path := fmt.Sprintf("sync[%d]", i)
		if ferr := objectFields(e, path, syncFields...); ferr != nil {
			return nil, ferr
		}
		var b SyncedBackup
		strs := []*string{&b.BackupID, &b.BackupName, &b.BucketName, &b.ImagePath, &b.ResourceID, &b.ResourceName, &b.ResourceType}
		for j, key := range syncFields[:len(strs)] {
			v, ferr := stringField(e, path, key)
			if ferr != nil {
				return nil, ferr
			}
			*strs[j] = v
		}
		if n := utf8.RuneCountInString(b.BackupName); n > MaxBackupNameLen {
			return nil, fieldErr("%s.backup_name length %d exceeds %d", path, n, MaxBackupNameLen)
		}
		ca, ferr := requiredField(e, path, "created_at")
		if ferr != nil {
			return nil, ferr
		}
		if ca.kind != jNumber || !isIntegerLiteral(ca.str) {
			return nil, fieldErr("%s.created_at must be an integer, got %s", path, ca.typeName())
		}
		n, perr := strconv.ParseInt(ca.str, 10, 64)
		if perr != nil || n < 1 || n > MaxCreatedAt {
			return nil, fieldErr("%s.created_at %s is out of range [1, %d]", path, truncate(ca.str, 32), MaxCreatedAt)
		}
		b.CreatedAt = n
		if prev, dup := seen[b.BackupID]; dup {
			return nil, fieldErr("%s.backup_id %q duplicates sync[%d].backup_id", path, truncate(b.BackupID, 64), prev)
		}
		seen[b.BackupID] = i
		out = append(out, b)
	}
	return out, nil
}

// applySync records the entries and creates their operation logs.
func (s *Server) applySync(c *call, entries []SyncedBackup) []syncResponseItem {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	items := make([]syncResponseItem, len(entries))
	if s.opts.SharedOperationLog {
		var script []Step
		for _, e := range entries {
			if sc, ok := s.scripts[e.BackupID]; ok {
				script = sc
				break
			}
		}
		if script == nil {
			script = s.defaultScript
		}
		ol := s.newOpLog(c, now, script, entries)
		for i := range entries {
			entries[i].OperationLogID = ol.id
		}
	} else {
		for i := range entries {
			script, ok := s.scripts[entries[i].BackupID]
			if !ok {
				script = s.defaultScript
			}
			entries[i].OperationLogID = s.newOpLog(c, now, script, entries[i:i+1]).id
		}
	}
	for i, e := range entries {
		s.synced = append(s.synced, e)
		items[i] = syncResponseItem{BackupID: e.BackupID, OperationLogID: e.OperationLogID}
	}
	return items
}
