package cbrfake

import (
	"sort"
	"strconv"
)

// Stats summarizes what a Server has seen, for load runs that must account
// for every request.
type Stats struct {
	// Requests counts the recorded requests by kind.
	Requests map[string]int `json:"requests"`
	// Statuses counts them by kind and answered status ("0": no answer, the
	// connection was reset or the client went away).
	Statuses map[string]map[string]int `json:"statuses"`
	// MaxInFlight is the largest number of requests served at the same time.
	MaxInFlight int `json:"max_in_flight"`
	// SyncedEntries is the number of backup entries applied by sync requests,
	// DistinctBackups the number of different backup IDs among them.
	SyncedEntries   int `json:"synced_entries"`
	DistinctBackups int `json:"distinct_backups"`
	// Duplicates lists, sorted, the backup IDs applied more than once.
	Duplicates []string `json:"duplicates"`
	// SyncedPerBackupID tells how many times each backup ID was applied.
	SyncedPerBackupID map[string]int `json:"synced_per_backup_id"`
	// IssuedTokens is the number of IAM tokens issued by POST /v3/auth/tokens.
	IssuedTokens int `json:"issued_tokens"`
	// Synced lists every applied entry in order.
	Synced []StatsEntry `json:"synced"`
}

// StatsEntry is one applied backup entry.
type StatsEntry struct {
	BackupID       string `json:"backup_id"`
	OperationLogID string `json:"operation_log_id"`
}

// Stats returns a summary of the requests and syncs seen so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{
		Requests:     map[string]int{},
		Statuses:     map[string]map[string]int{},
		MaxInFlight:  s.maxInFlight,
		Duplicates:   []string{},
		Synced:       make([]StatsEntry, 0, len(s.synced)),
		IssuedTokens: s.issuedCount,
	}
	for _, r := range s.requests {
		st.Requests[r.Kind]++
		if st.Statuses[r.Kind] == nil {
			st.Statuses[r.Kind] = map[string]int{}
		}
		st.Statuses[r.Kind][strconv.Itoa(r.Status)]++
	}
	seen := map[string]int{}
	for _, b := range s.synced {
		seen[b.BackupID]++
		st.Synced = append(st.Synced, StatsEntry{BackupID: b.BackupID, OperationLogID: b.OperationLogID})
	}
	st.SyncedEntries = len(s.synced)
	st.DistinctBackups = len(seen)
	st.SyncedPerBackupID = seen
	for id, n := range seen {
		if n > 1 {
			st.Duplicates = append(st.Duplicates, id)
		}
	}
	sort.Strings(st.Duplicates)
	return st
}
