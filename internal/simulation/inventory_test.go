// Package simulation runs examples/inventory night after night against the
// standalone fake CBR API, with the provider binary built from this checkout
// and the Terraform CLI, as a user would.
package simulation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// backup is one inventory entry, as examples/inventory/backups.json has them.
type backup struct {
	BackupID     string `json:"backup_id"`
	BackupName   string `json:"backup_name"`
	BucketName   string `json:"bucket_name"`
	ImagePath    string `json:"image_path"`
	ResourceID   string `json:"resource_id"`
	ResourceName string `json:"resource_name"`
	ResourceType string `json:"resource_type,omitempty"`
	CreatedAt    int64  `json:"created_at"`
}

// stats is the part of the fake's GET /_fake/stats the checks use.
type stats struct {
	Requests          map[string]int `json:"requests"`
	Duplicates        []string       `json:"duplicates"`
	SyncedPerBackupID map[string]int `json:"synced_per_backup_id"`
	Synced            []struct {
		BackupID       string `json:"backup_id"`
		OperationLogID string `json:"operation_log_id"`
	} `json:"synced"`
}

type env struct {
	t    *testing.T
	dir  string // the module
	url  string // the fake
	tfrc string
}

func repoRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found from %s", file)
	}
	return root
}

// start builds the provider and the fake, starts the fake and writes the
// module: examples/inventory/main.tf pointed at the fake.
func start(t *testing.T) *env {
	root := repoRoot(t)
	work := t.TempDir()
	bin := filepath.Join(work, "bin")
	for _, b := range [][]string{{"-o", filepath.Join(bin, "terraform-provider-cbr"), "."}, {"-o", filepath.Join(bin, "cbrfake"), "./internal/cbrfake/cmd/cbrfake"}} {
		cmd := exec.Command("go", append([]string{"build"}, b...)...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %v: %v\n%s", b, err, out)
		}
	}
	urlFile := filepath.Join(work, "fake.url")
	ctx, cancel := context.WithCancel(context.Background())
	fake := exec.CommandContext(ctx, filepath.Join(bin, "cbrfake"), "-listen", "127.0.0.1:0", "-url-file", urlFile, "-script", "success")
	fakeLog, err := os.Create(filepath.Join(work, "fake.log"))
	if err != nil {
		t.Fatal(err)
	}
	fake.Stderr = fakeLog
	dieWithParent(fake)
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = fake.Wait(); fakeLog.Close() })
	var url string
	for i := 0; i < 100 && url == ""; i++ {
		if b, err := os.ReadFile(urlFile); err == nil && len(b) > 0 {
			url = string(b)
		} else {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if url == "" {
		t.Fatal("the fake did not start")
	}
	e := &env{t: t, dir: filepath.Join(work, "module"), url: url, tfrc: filepath.Join(work, "terraformrc")}
	if err := os.MkdirAll(e.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mainTF, err := os.ReadFile(filepath.Join(root, "examples", "inventory", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(e.dir, "main.tf"), mainTF)
	write(t, filepath.Join(e.dir, "fake_override.tf"), []byte(fmt.Sprintf(`provider "cbr" {
  endpoints  = { cbr = %q }
  project_id = "0b1d2f3e4a5c6d7e8f9a0b1c2d3e4f5a"
  auth_token = "fake-cbr-token"
}
`, url)))
	write(t, e.tfrc, []byte(fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"cbr-sync/cbr\" = %q\n  }\n  direct {}\n}\n", bin)))
	return e
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// tf runs terraform in the module and returns its combined output and exit code.
func (e *env) tf(args ...string) (string, int) {
	cmd := exec.Command("terraform", append([]string{"-chdir=" + e.dir}, args...)...)
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+e.tfrc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1",
		"HW_REGION_NAME=", "HW_PROJECT_ID=", "HW_AUTH_TOKEN=", "TF_LOG=")
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			e.t.Fatalf("terraform %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return string(out), code
}

func (e *env) stats() stats {
	resp, err := http.Get(e.url + "/_fake/stats")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var s stats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// failSync makes the (after+1)th next sync request answer status.
func (e *env) failSync(after, status int) {
	body := fmt.Sprintf(`{"kind":"sync","after":%d,"fault":{"Status":%d,"ErrorCode":"BackupService.9900","ErrorMsg":"Invalid parameter: simulated refusal"}}`, after, status)
	resp, err := http.Post(e.url+"/_fake/faults", "application/json", bytes.NewBufferString(body))
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		e.t.Fatalf("queueing a fault: HTTP %d", resp.StatusCode)
	}
}

// stateEntry is one backup of cbr_backup_sync.inventory in terraform show -json.
type stateEntry struct {
	BackupID       string  `json:"backup_id"`
	OperationLogID *string `json:"operation_log_id"`
	SyncState      string  `json:"sync_state"`
	Status         *string `json:"status"`
}

// state is the backups of cbr_backup_sync.inventory, by key, and whether
// the resource is tainted.
func (e *env) state() (map[string]stateEntry, bool) {
	out, code := e.tf("show", "-json")
	if code != 0 {
		e.t.Fatalf("terraform show: %s", out)
	}
	var doc struct {
		Values struct {
			RootModule struct {
				Resources []struct {
					Address string `json:"address"`
					Tainted bool   `json:"tainted"`
					Values  struct {
						Backups map[string]stateEntry `json:"backups"`
					} `json:"values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		e.t.Fatalf("terraform show -json: %v", err)
	}
	for _, r := range doc.Values.RootModule.Resources {
		if r.Address == "cbr_backup_sync.inventory" {
			return r.Values.Backups, r.Tainted
		}
	}
	e.t.Fatal("cbr_backup_sync.inventory is not in the state")
	return nil, false
}

func newBackup(n int) backup {
	vm := n / 4
	b := backup{
		BackupID:     fmt.Sprintf("1f9e6b47-7655-4a19-b563-%012d", n),
		BackupName:   fmt.Sprintf("vm-%04d-nightly-%d", vm, n%4+1),
		BucketName:   "hybrid-backups",
		ImagePath:    fmt.Sprintf("6abec15e-7baf-4d79-b5a9-6b98a2da7020/vm-%04d/chain-%d", vm, n),
		ResourceID:   fmt.Sprintf("96f7512d-239d-3f31-80cf-%012d", vm),
		ResourceName: fmt.Sprintf("vm-%04d", vm),
		CreatedAt:    1553587260 + int64(n)*60,
	}
	if vm%10 == 9 {
		b.ResourceType = "OS::Cinder::Volume"
	}
	return b
}

// TestInventoryNights grows an inventory over nights of random appends,
// late arrivals inserted anywhere and removals, with a create that fails
// part way (then a plain apply, which replaces the tainted resource and
// sends only the backups never sent) and a night whose second request is
// refused, and checks after each night that every backup ever listed was
// imported exactly once and that the state holds the operation log IDs the
// fake issued. SIMULATION_BACKUPS and SIMULATION_NIGHTS set the size; the
// default is small enough for every test run, bench/simulate.sh runs 2,000
// backups over 10 nights.
func TestInventoryNights(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("set TF_ACC=1 to run the inventory simulation through Terraform")
	}
	total, nights := envInt(t, "SIMULATION_BACKUPS", 250), envInt(t, "SIMULATION_NIGHTS", 4)
	began := time.Now()
	e := start(t)
	rng := rand.New(rand.NewPCG(10, uint64(total)))

	next := 0
	var inventory []backup
	ever := map[string]bool{} // every backup listed at an apply
	add := func(n int) (appended, inserted int) {
		for i := 0; i < n; i++ {
			b := newBackup(next)
			next++
			if len(inventory) > 0 && rng.IntN(5) == 0 { // a late arrival
				at := rng.IntN(len(inventory))
				inventory = append(inventory[:at], append([]backup{b}, inventory[at:]...)...)
				inserted++
			} else {
				inventory = append(inventory, b)
				appended++
			}
		}
		return
	}
	// The first night holds at least three requests, so that its failure
	// at the third one leaves something imported.
	first := max(total/5, 120)
	if total < first+nights || nights < 3 {
		t.Fatalf("SIMULATION_BACKUPS=%d and SIMULATION_NIGHTS=%d: at least %d backups and 3 nights", total, nights, first+nights)
	}
	perNight := (total - first) / (nights - 1)
	sent := 0 // sync requests so far
	for night := 1; night <= nights; night++ {
		var removed []string
		count := perNight
		switch night {
		case 1:
			count = first
		case nights:
			count = total - next
		}
		appended, inserted := add(count)
		if night > 2 && night%3 == 0 {
			// Five backups imported on an earlier night leave the inventory.
			for len(removed) < 5 {
				at := rng.IntN(len(inventory))
				if !ever[inventory[at].BackupID] {
					continue
				}
				removed = append(removed, inventory[at].BackupID)
				inventory = append(inventory[:at], inventory[at+1:]...)
			}
		}
		for _, b := range inventory {
			ever[b.BackupID] = true
		}
		data, _ := json.MarshalIndent(inventory, "", "  ")
		write(t, filepath.Join(e.dir, "backups.json"), data)
		start := time.Now()
		var out string
		var code int
		switch night {
		case 1:
			// The create fails at its third request and leaves the resource
			// tainted; the plain next apply replaces it, nothing done by
			// hand, and sends only the backups never sent.
			after := min(2, (count+49)/50-1)
			e.failSync(after, 400)
			out, code = e.tf("apply", "-auto-approve", "-no-color", "-input=false")
			if code == 0 || !strings.Contains(out, "The next apply sends only the backups never sent") || !strings.Contains(out, fmt.Sprintf("Imported: %d backups", after*50)) {
				t.Fatalf("night 1: the failed create did not say what was imported and what the next apply sends:\n%s", out)
			}
			if _, tainted := e.state(); !tainted {
				t.Fatal("night 1: the failed create is not tainted")
			}
			out, code = e.tf("apply", "-auto-approve", "-no-color", "-input=false")
			if code == 0 && !strings.Contains(out, "Backups Carried Over") {
				t.Fatalf("night 1: the replacement did not carry the imported backups over:\n%s", out)
			}
		case nights / 2:
			// An update whose second request (or only one) is refused: the apply fails
			// naming the backups not sent, the next one sends only them.
			e.failSync(min(1, (count+49)/50-1), 400)
			out, code = e.tf("apply", "-auto-approve", "-no-color", "-input=false")
			if code == 0 || !strings.Contains(out, "Not sent:") || !strings.Contains(out, "The next apply sends them, and only them.") {
				t.Fatalf("night %d: the refused request did not fail the apply as expected:\n%s", night, out)
			}
			out, code = e.tf("apply", "-auto-approve", "-no-color", "-input=false")
		default:
			out, code = e.tf("apply", "-auto-approve", "-no-color", "-input=false")
		}
		if code != 0 {
			t.Fatalf("night %d: apply failed:\n%s", night, out)
		}
		if len(removed) > 0 && strings.Count(out, "Backups Stay in CBR") != 1 {
			t.Errorf("night %d: the removal warning appeared %d times, want once:\n%s", night, strings.Count(out, "Backups Stay in CBR"), out)
		}
		applyTime := time.Since(start)

		// Exactly once, and the state holds what the fake issued.
		st := e.stats()
		if len(st.Duplicates) > 0 {
			t.Fatalf("night %d: backups imported more than once: %v", night, st.Duplicates)
		}
		for id := range ever {
			if st.SyncedPerBackupID[id] != 1 {
				t.Fatalf("night %d: backup %s imported %d times", night, id, st.SyncedPerBackupID[id])
			}
		}
		if len(st.SyncedPerBackupID) != len(ever) {
			t.Fatalf("night %d: the fake imported %d distinct backups, the inventory ever listed %d", night, len(st.SyncedPerBackupID), len(ever))
		}
		issued := map[string]string{}
		for _, s := range st.Synced {
			issued[s.BackupID] = s.OperationLogID
		}
		entries, _ := e.state()
		if len(entries) != len(inventory) {
			t.Fatalf("night %d: %d backups in the state, %d in the inventory", night, len(entries), len(inventory))
		}
		for _, b := range inventory {
			s, ok := entries[b.BackupID]
			if !ok {
				t.Fatalf("night %d: backup %s of the inventory is not in the state", night, b.BackupID)
			}
			if s.BackupID != b.BackupID {
				t.Fatalf("night %d: backups[%q] has backup_id %s in the state", night, b.BackupID, s.BackupID)
			}
			if s.OperationLogID == nil || *s.OperationLogID != issued[s.BackupID] || s.SyncState != "accepted" || s.Status == nil || *s.Status != "success" {
				t.Fatalf("night %d: backups[%q]: %+v, the fake issued %q", night, b.BackupID, s, issued[s.BackupID])
			}
		}
		plan, code := e.tf("plan", "-detailed-exitcode", "-no-color", "-input=false")
		if code != 0 {
			t.Fatalf("night %d: the plan after the apply is not empty (exit %d):\n%s", night, code, plan)
		}
		requests := st.Requests["sync"] - sent
		sent = st.Requests["sync"]
		t.Logf("night %2d: +%d appended, +%d inserted, -%d removed: %d backups, %d sync requests, apply %.1fs",
			night, appended, inserted, len(removed), len(inventory), requests, applyTime.Seconds())
	}
	out, code := e.tf("output", "-json", "failed_backups")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("failed_backups output: %s", out)
	}
	out, code = e.tf("destroy", "-auto-approve", "-no-color", "-input=false")
	if code != 0 {
		t.Fatalf("destroy: %s", out)
	}
	if n := strings.Count(out, "Backups Stay in CBR"); n != 1 || !regexp.MustCompile(fmt.Sprintf(`record of %d\s+backups`, len(inventory))).MatchString(out) {
		t.Errorf("destroy: the warning appeared %d times, want once naming %d backups:\n%s", n, len(inventory), out)
	}
	st := e.stats()
	t.Logf("%d backups over %d nights: %d imports, %d sync requests, %d duplicates, %.0fs in all",
		len(ever), nights, len(st.Synced), st.Requests["sync"], len(st.Duplicates), time.Since(began).Seconds())
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	var n int
	if _, err := fmt.Sscan(v, &n); err != nil || n < 1 {
		t.Fatalf("%s=%q is not a positive number", name, v)
	}
	return n
}
