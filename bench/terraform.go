package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// kind is what a configuration is written with.
type kind string

const (
	provider kind = "provider" // cbr_backup_sync resources
	floor    kind = "floor"    // terraform_data resources with the same objects
)

// backupID is the ID of backup i of resource r in the configuration of n resources.
func backupID(n, r, i int) string {
	return fmt.Sprintf("%08x-%04x-4%03x-8000-%012x", 0xbe000000+n, r, i, n*100000+r*100+i)
}

// writeConfig writes a configuration of n resources of m backups each into dir.
// Both kinds carry the very same map of objects keyed by backup ID (the
// form cbr_backup_sync's backups takes), written the same way.
func writeConfig(dir string, k kind, n, m int, fakeURL string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var b strings.Builder
	if k == provider {
		b.WriteString("terraform {\n  required_providers {\n    cbr = {\n      source = \"cbr-sync/cbr\"\n    }\n  }\n}\n\n")
		b.WriteString("# Credentials from the environment: HW_PROJECT_ID, HW_AUTH_TOKEN (or a user's password).\nprovider \"cbr\" {}\n")
	}
	for r := 0; r < n; r++ {
		if k == provider {
			fmt.Fprintf(&b, "\nresource \"cbr_backup_sync\" \"r%03d\" {\n  backups = {\n", r)
		} else {
			fmt.Fprintf(&b, "\nresource \"terraform_data\" \"r%03d\" {\n  input = {\n", r)
		}
		for i := 0; i < m; i++ {
			id := backupID(n, r, i)
			fmt.Fprintf(&b, `    %q = {
      backup_name   = "vm-%03d-%s"
      bucket_name   = "hybrid-backups-cn-north-4"
      image_path    = "6abec15e-7baf-4d79-b5a9-6b98a2da7020/%s/%s"
      resource_id   = "96f7512d-239d-3f31-80cf-%012x"
      resource_name = "vm-%03d"
      resource_type = "OS::Native::Server"
      created_at    = %d
    }
`, id, r, time.Unix(int64(1714521600+86400*i), 0).UTC().Format("2006-01-02"), id, id, r, r, 1714521600+86400*i)
		}
		b.WriteString("  }\n}\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	if k == provider {
		override := fmt.Sprintf("provider \"cbr\" {\n  endpoints = { cbr = %q }\n}\n", fakeURL)
		return os.WriteFile(filepath.Join(dir, "fake_override.tf"), []byte(override), 0o644)
	}
	return nil
}

// tfResult is one timed Terraform command.
type tfResult struct {
	Wall time.Duration
	CPU  time.Duration // user + system of Terraform and the provider processes it waited for
	// MaxRSSKiB is the largest peak resident memory of Terraform and the
	// provider processes it waited for: Terraform's own, in practice.
	MaxRSSKiB int64
}

// terraform runs Terraform in dir with env, logging to logFile. A plan run with
// -detailed-exitcode passes when the exit code is in okCodes.
func terraform(ctx context.Context, dir string, env []string, logFile string, okCodes []int, args ...string) (tfResult, error) {
	log, err := os.Create(logFile)
	if err != nil {
		return tfResult{}, err
	}
	defer log.Close()
	cmd := exec.CommandContext(ctx, "terraform", args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, log, log
	start := time.Now()
	err = cmd.Run()
	res := tfResult{Wall: time.Since(start)}
	if cmd.ProcessState != nil {
		res.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			res.MaxRSSKiB = ru.Maxrss
		}
	}
	code := 0
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		return res, err
	}
	for _, ok := range okCodes {
		if code == ok {
			return res, nil
		}
	}
	return res, fmt.Errorf("terraform %s in %s exited with %d (want %v); see %s", strings.Join(args, " "), dir, code, okCodes, logFile)
}

// removeState deletes the state of dir, for a fresh apply.
func removeState(dir string) error {
	for _, f := range []string{"terraform.tfstate", "terraform.tfstate.backup"} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// fakeStats is the answer of the standalone fake's GET /_fake/stats.
type fakeStats struct {
	// Requests counts requests per kind, Statuses per kind and status.
	Requests          map[string]int            `json:"requests"`
	Statuses          map[string]map[string]int `json:"statuses"`
	SyncedEntries     int                       `json:"synced_entries"`
	SyncedPerBackupID map[string]int            `json:"synced_per_backup_id"`
	IssuedTokens      int                       `json:"issued_tokens"`
}

func getStats(ctx context.Context, fakeURL string) (fakeStats, error) {
	var st fakeStats
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fakeURL+"/_fake/stats", nil)
	if err != nil {
		return st, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("GET /_fake/stats: %s (a cbrfake without the stats endpoint?)", resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// calls is what the fake saw during one Terraform command.
type calls struct {
	PerKind      map[string]int // requests per kind
	Non2xx       int            // requests answered with an error
	Entries      int            // backup entries applied
	Duplicates   int            // backup IDs applied more than once in this command
	Missing      int            // expected backup IDs not applied
	IssuedTokens int
	ExpectedIDs  int
}

// diffCalls compares two snapshots of the fake's counters. wantIDs are the
// backup IDs the command is expected to apply, once each.
func diffCalls(before, after fakeStats, wantIDs []string) calls {
	c := calls{PerKind: map[string]int{}, Entries: after.SyncedEntries - before.SyncedEntries,
		IssuedTokens: after.IssuedTokens - before.IssuedTokens, ExpectedIDs: len(wantIDs)}
	for k, n := range after.Requests {
		if d := n - before.Requests[k]; d != 0 {
			c.PerKind[k] = d
		}
		for status, n := range after.Statuses[k] {
			if !strings.HasPrefix(status, "2") {
				c.Non2xx += n - before.Statuses[k][status]
			}
		}
	}
	for id, n := range after.SyncedPerBackupID {
		if n-before.SyncedPerBackupID[id] > 1 {
			c.Duplicates++
		}
	}
	for _, id := range wantIDs {
		if after.SyncedPerBackupID[id]-before.SyncedPerBackupID[id] == 0 {
			c.Missing++
		}
	}
	return c
}
