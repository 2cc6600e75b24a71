package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// TestRunScripts: POST /_fake/scripts sets the statuses the import task of
// one backup goes through, and refuses what it cannot use.
func TestRunScripts(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var stderr syncBuffer
	go func() { done <- run(ctx, []string{"-script", "success"}, &stderr, ready) }()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	}
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
		status, body := post(t, base+"/v3/"+cbrfake.DefaultProjectID+"/backups/sync", cbrfake.DefaultToken, strings.Replace(syncJSON, `"b1"`, `"`+id+`"`, 1))
		var answer struct {
			Sync []struct {
				OperationLogID string `json:"operation_log_id"`
			} `json:"sync"`
		}
		if err := json.Unmarshal([]byte(body), &answer); status != 200 || err != nil || len(answer.Sync) != 1 {
			t.Fatalf("sync %s: %d %s", id, status, body)
		}
		for _, w := range want {
			req, _ := http.NewRequest(http.MethodGet, base+"/v3/"+cbrfake.DefaultProjectID+"/operation-logs/"+answer.Sync[0].OperationLogID, nil)
			req.Header.Set("X-Auth-Token", cbrfake.DefaultToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var ol struct {
				OperationLog struct {
					Status string `json:"status"`
				} `json:"operation_log"`
			}
			err = json.NewDecoder(resp.Body).Decode(&ol)
			resp.Body.Close()
			if err != nil || ol.OperationLog.Status != w {
				t.Errorf("%s: status %q (%v), want %q", id, ol.OperationLog.Status, err, w)
			}
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
