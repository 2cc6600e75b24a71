package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// kind is what a configuration is written with.
type kind string

const (
	provider kind = "provider" // cbr_backup_sync resources
	floor    kind = "floor"    // terraform_data resources with the same objects
	// list: cbr_backup_sync resources of an older provider (-list-provider,
	// release 0.2.0) whose backups is a list: the same objects, each with its
	// backup_id, in `backups = [ {...}, ... ]`.
	list kind = "list"
)

// backupID is the ID of backup i of resource r in the configuration of n resources.
func backupID(n, r, i int) string {
	return fmt.Sprintf("%08x-%04x-4%03x-8000-%012x", 0xbe000000+n, r, i, n*100000+r*100+i)
}

// writeConfig writes a configuration of n resources of m backups each into dir.
// The provider and the floor carry the very same map of objects keyed by
// backup ID (the form cbr_backup_sync's backups takes), written the same way;
// the list kind carries the same objects in a list, each with its backup_id
// (the form of release 0.2.0).
func writeConfig(dir string, k kind, n, m int, fakeURL string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var b strings.Builder
	if k != floor {
		b.WriteString("terraform {\n  required_providers {\n    cbr = {\n      source = \"cbr-sync/cbr\"\n    }\n  }\n}\n\n")
		b.WriteString("# Credentials from the environment: HW_PROJECT_ID, HW_AUTH_TOKEN (or a user's password).\nprovider \"cbr\" {}\n")
	}
	for r := 0; r < n; r++ {
		switch k {
		case provider:
			fmt.Fprintf(&b, "\nresource \"cbr_backup_sync\" \"r%03d\" {\n  backups = {\n", r)
		case list:
			fmt.Fprintf(&b, "\nresource \"cbr_backup_sync\" \"r%03d\" {\n  backups = [\n", r)
		default:
			fmt.Fprintf(&b, "\nresource \"terraform_data\" \"r%03d\" {\n  input = {\n", r)
		}
		for i := 0; i < m; i++ {
			id := backupID(n, r, i)
			if k == list {
				fmt.Fprintf(&b, "    {\n      backup_id     = %q\n", id)
			} else {
				fmt.Fprintf(&b, "    %q = {\n", id)
			}
			fmt.Fprintf(&b, `      backup_name   = "vm-%03d-%s"
      bucket_name   = "hybrid-backups-cn-north-4"
      image_path    = "6abec15e-7baf-4d79-b5a9-6b98a2da7020/%s/%s"
      resource_id   = "96f7512d-239d-3f31-80cf-%012x"
      resource_name = "vm-%03d"
      resource_type = "OS::Native::Server"
      created_at    = %d
    }%s
`, r, time.Unix(int64(1714521600+86400*i), 0).UTC().Format("2006-01-02"), id, id, r, r, 1714521600+86400*i, map[bool]string{true: ","}[k == list])
		}
		if k == list {
			b.WriteString("  ]\n}\n")
		} else {
			b.WriteString("  }\n}\n")
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	if k != floor {
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
	// JSON: the command ran with -json; its standard output was read to
	// the end by the driver and its diagnostics counted.
	JSON  bool
	Diags diagCount
}

// diagCount counts the diagnostics of a `-json` output stream.
type diagCount struct {
	// Overrides: Terraform's "Provider development overrides are in
	// effect" warning, which the benchmark's CLI configuration causes on
	// both sides (no source range); not in Warnings.
	Overrides int
	Warnings  int
	// Snippets: the warnings with a source range, for each of which the
	// CLI reads the configuration file again to quote the lines.
	Snippets int
	Errors   int
}

// devOverridesWarning is the summary of the warning Terraform gives when the CLI
// configuration has dev_overrides, as the benchmark's has.
const devOverridesWarning = "Provider development overrides are in effect"

// diagCounter reads a `-json` output stream (one JSON message per line) as
// automation does and counts its diagnostic messages.
type diagCounter struct {
	partial []byte
	n       diagCount
	err     error
}

func (c *diagCounter) Write(p []byte) (int, error) {
	c.partial = append(c.partial, p...)
	for {
		i := bytes.IndexByte(c.partial, '\n')
		if i < 0 {
			break
		}
		c.line(c.partial[:i])
		c.partial = c.partial[i+1:]
	}
	// Keep the remainder at the start of the buffer.
	c.partial = append(c.partial[:0:0], c.partial...)
	return len(p), nil
}

// close reads the last line when the stream did not end with a newline.
func (c *diagCounter) close() {
	if len(bytes.TrimSpace(c.partial)) > 0 {
		c.line(c.partial)
	}
	c.partial = nil
}

func (c *diagCounter) line(l []byte) {
	l = bytes.TrimSpace(l)
	if len(l) == 0 || !bytes.Contains(l, []byte(`"diagnostic"`)) {
		return
	}
	var m struct {
		Type       string `json:"type"`
		Diagnostic struct {
			Severity string          `json:"severity"`
			Summary  string          `json:"summary"`
			Range    json.RawMessage `json:"range"`
		} `json:"diagnostic"`
	}
	if err := json.Unmarshal(l, &m); err != nil {
		if c.err == nil {
			c.err = fmt.Errorf("a line of the -json output is not JSON: %w: %.200s", err, l)
		}
		return
	}
	if m.Type != "diagnostic" {
		return
	}
	switch m.Diagnostic.Severity {
	case "warning":
		if m.Diagnostic.Summary == devOverridesWarning {
			c.n.Overrides++
			return
		}
		c.n.Warnings++
		if len(m.Diagnostic.Range) > 0 && string(m.Diagnostic.Range) != "null" {
			c.n.Snippets++
		}
	case "error":
		c.n.Errors++
	}
}

// jsonStream tells whether a Terraform command streams its -json messages
// (plan, apply and destroy with -json).
func jsonStream(args []string) bool {
	return len(args) > 0 && (args[0] == "plan" || args[0] == "apply" || args[0] == "destroy") && slices.Contains(args, "-json")
}

// terraform runs Terraform in dir with env, logging to logFile. A plan run with
// -detailed-exitcode passes when the exit code is in okCodes. With -json, the
// driver reads the standard output through a pipe to its end, as automation
// does (into the log file, counting the diagnostics), and the command's wall
// time includes that reading.
func terraform(ctx context.Context, dir string, env []string, logFile string, okCodes []int, args ...string) (tfResult, error) {
	log, err := os.Create(logFile)
	if err != nil {
		return tfResult{}, err
	}
	defer log.Close()
	cmd := exec.CommandContext(ctx, "terraform", args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, log, log
	var counter *diagCounter
	if jsonStream(args) {
		counter = &diagCounter{}
		cmd.Stdout = io.MultiWriter(log, counter)
	}
	start := time.Now()
	err = cmd.Run()
	res := tfResult{Wall: time.Since(start)}
	if counter != nil {
		counter.close()
		res.JSON, res.Diags = true, counter.n
		if counter.err != nil && err == nil {
			return res, fmt.Errorf("terraform %s in %s: %w; see %s", strings.Join(args, " "), dir, counter.err, logFile)
		}
	}
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
