package main

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// statsPath is where the standalone server answers its counters. It is served
// by this command only, in front of the fake API, and is not recorded as a
// request: tests of the library never see it.
const statsPath = "/_fake/stats"

// stats is what GET /_fake/stats answers and -stats-file receives: counters
// since the server started, for scripts that check how many calls a run made.
type stats struct {
	// Requests counts the requests received, per kind ("sync", "iam_token",
	// ...; see package cbrfake), in total and per HTTP status answered
	// ("0" when the connection was reset or the client went away first).
	Requests map[string]kindStats `json:"requests"`
	// SyncedEntries is the number of backup entries applied by sync requests,
	// duplicates included.
	SyncedEntries int `json:"synced_entries"`
	// SyncedBackupIDs is the number of distinct backup IDs applied.
	SyncedBackupIDs int `json:"synced_backup_ids"`
	// SyncedPerBackupID tells how many times each backup ID was applied: a
	// value above 1 is a backup imported more than once.
	SyncedPerBackupID map[string]int `json:"synced_per_backup_id"`
	// DuplicateBackupIDs is the number of backup IDs applied more than once.
	DuplicateBackupIDs int `json:"duplicate_backup_ids"`
	// IssuedTokens is the number of IAM tokens issued by POST /v3/auth/tokens.
	IssuedTokens int `json:"issued_tokens"`
}

type kindStats struct {
	Total    int            `json:"total"`
	ByStatus map[string]int `json:"by_status"`
}

func collectStats(fake *cbrfake.Server) stats {
	st := stats{
		Requests:          map[string]kindStats{},
		SyncedPerBackupID: map[string]int{},
		IssuedTokens:      fake.IssuedTokens(),
	}
	for _, r := range fake.Requests() {
		k, ok := st.Requests[r.Kind]
		if !ok {
			k.ByStatus = map[string]int{}
		}
		k.Total++
		k.ByStatus[strconv.Itoa(r.Status)]++
		st.Requests[r.Kind] = k
	}
	for _, b := range fake.Synced() {
		st.SyncedEntries++
		st.SyncedPerBackupID[b.BackupID]++
	}
	st.SyncedBackupIDs = len(st.SyncedPerBackupID)
	for _, n := range st.SyncedPerBackupID {
		if n > 1 {
			st.DuplicateBackupIDs++
		}
	}
	return st
}

// withStats serves GET /_fake/stats and passes every other request, unchanged,
// to the fake API.
func withStats(fake *cbrfake.Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != statsPath {
			fake.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		data, err := json.Marshal(collectStats(fake))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(data)
	})
}

// writeStatsFile writes the counters to path, atomically.
func writeStatsFile(path string, fake *cbrfake.Server) error {
	data, err := json.MarshalIndent(collectStats(fake), "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(data, '\n'))
}
