package main

import (
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
	var sr scriptRequest
	if !decodePost(w, r, &sr, `{"backup_id": "...", "statuses": [...]}`, func() bool { return sr.BackupID != "" }) {
		return
	}
	steps := make([]cbrfake.Step, 0, len(sr.Statuses))
	for _, st := range sr.Statuses {
		step, err := stepOf(st)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		steps = append(steps, step)
	}
	fake.ScriptBackup(sr.BackupID, steps...)
	w.WriteHeader(http.StatusNoContent)
}
