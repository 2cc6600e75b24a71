package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// scriptsPath sets the progress of the import task of one backup, before it
// is synced: POST {"backup_id": "...", "statuses": ["running", "failed"]}
// (cbrfake.Server.ScriptBackup; no statuses restores the default script).
const scriptsPath = "/_fake/scripts"

type scriptRequest struct {
	BackupID string   `json:"backup_id"`
	Statuses []string `json:"statuses"`
}

func scriptBackup(fake *cbrfake.Server, w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var sr scriptRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sr); err != nil || sr.BackupID == "" {
		http.Error(w, fmt.Sprintf("want {\"backup_id\": \"...\", \"statuses\": [...]}: %v", err), http.StatusBadRequest)
		return
	}
	steps := make([]cbrfake.Step, 0, len(sr.Statuses))
	for _, st := range sr.Statuses {
		switch st {
		case cbrfake.StatusSuccess, cbrfake.StatusSkipped, cbrfake.StatusFailed, cbrfake.StatusRunning, cbrfake.StatusTimeout, cbrfake.StatusWaiting:
			steps = append(steps, cbrfake.Step{Status: st})
		default:
			http.Error(w, fmt.Sprintf("unknown status %q (want success, skipped, failed, running, timeout or waiting)", st), http.StatusBadRequest)
			return
		}
	}
	fake.ScriptBackup(sr.BackupID, steps...)
	w.WriteHeader(http.StatusNoContent)
}
