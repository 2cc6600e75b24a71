package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestRunScripts: POST /_fake/scripts sets the statuses the import task of
// one backup goes through, and refuses what it cannot use.
func TestRunScripts(t *testing.T) {
	base, _, stop := startRun(t, "-script", "success")
	for _, bad := range []string{`{}`, `{"backup_id":"b2","statuses":["done"]}`, `{"backup_id":"b2","nope":1}`, `not json`} {
		if status, _ := post(t, base+scriptsPath, "", bad); status != http.StatusBadRequest {
			t.Errorf("POST %s %s: %d, want 400", scriptsPath, bad, status)
		}
	}
	if status, body := post(t, base+scriptsPath, "", `{"backup_id":"b2","statuses":["running","failed"]}`); status != http.StatusNoContent {
		t.Fatalf("POST %s: %d %s", scriptsPath, status, body)
	}
	// b2 follows its script, b3 the default one.
	for id, want := range map[string][]string{"b2": {"running", "failed", "failed"}, "b3": {"success"}} {
		checkScript(t, base, strings.Replace(syncJSON, `"b1"`, `"`+id+`"`, 1), want...)
	}
	stop()
}
