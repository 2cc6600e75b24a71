// Package simulation runs examples/inventory night after night against the
// standalone fake CBR API, with the provider binary built from this checkout
// and the Terraform CLI, as a user would. It imports no package of this
// module: it drives the built binaries (the provider and cmd/cbrfake) only.
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
	"sort"
	"strconv"
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
	Requests          map[string]int            `json:"requests"`
	Statuses          map[string]map[string]int `json:"statuses"`
	Duplicates        []string                  `json:"duplicates"`
	SyncedPerBackupID map[string]int            `json:"synced_per_backup_id"`
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

// command is terraform in the module, with the environment of the run.
func (e *env) command(args ...string) *exec.Cmd {
	cmd := exec.Command("terraform", append([]string{"-chdir=" + e.dir}, args...)...)
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+e.tfrc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1",
		"HW_REGION_NAME=", "HW_PROJECT_ID=", "HW_AUTH_TOKEN=", "TF_LOG=")
	return cmd
}

// exitCode is the exit code of a terraform that ran.
func (e *env) exitCode(args []string, err error) int {
	if err == nil {
		return 0
	}
	ee, ok := err.(*exec.ExitError)
	if !ok {
		e.t.Fatalf("terraform %v: %v", args, err)
	}
	return ee.ExitCode()
}

// tf runs terraform in the module and returns its combined output and exit code.
func (e *env) tf(args ...string) (string, int) {
	out, err := e.command(args...).CombinedOutput()
	return string(out), e.exitCode(args, err)
}

// interruptedApply runs terraform with args and sends it SIGINT (Ctrl-C)
// as soon as the fake has received more than syncs sync requests, that is
// while the next one is on the wire (queue a slow answer for it first).
func (e *env) interruptedApply(args []string, syncs int) (string, int) {
	cmd := e.command(args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(5 * time.Minute)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for signalled := false; ; {
		select {
		case err := <-done:
			if !signalled {
				e.t.Fatalf("terraform %v ended before its sync request was on the wire:\n%s", args, out.String())
			}
			return out.String(), e.exitCode(args, err)
		case <-deadline:
			_ = cmd.Process.Kill()
			e.t.Fatalf("terraform %v: no sync request, or no end, within 5 minutes:\n%s", args, out.String())
		case <-tick.C:
			if !signalled && e.stats().Requests["sync"] > syncs {
				if err := cmd.Process.Signal(os.Interrupt); err != nil {
					e.t.Fatal(err)
				}
				signalled = true
			}
		}
	}
}

// output decodes a root module output into v, and tells whether the state
// has it (Terraform saves no output whose value is null).
func (e *env) output(name string, v any) bool {
	out, code := e.tf("output", "-no-color", "-json", name)
	if code != 0 && strings.Contains(out, "not found") {
		return false
	}
	if code != 0 {
		e.t.Fatalf("terraform output %s: %s", name, out)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		e.t.Fatalf("terraform output %s: %v: %s", name, err, out)
	}
	return true
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
	e.post("/_fake/faults", fmt.Sprintf(`{"kind":"sync","after":%d,"fault":{"Status":%d,"ErrorCode":"BackupService.9900","ErrorMsg":"Invalid parameter: simulated refusal"}}`, after, status))
}

// slowSync makes the fake hold the (after+1)th next sync request for delay
// before processing and answering it as usual.
func (e *env) slowSync(after int, delay time.Duration) {
	e.post("/_fake/faults", fmt.Sprintf(`{"kind":"sync","after":%d,"fault":{"Delay":%d}}`, after, delay.Nanoseconds()))
}

// scriptBackup sets the statuses the import task of a backup goes through.
func (e *env) scriptBackup(backupID string, statuses ...string) {
	body, _ := json.Marshal(map[string]any{"backup_id": backupID, "statuses": statuses})
	e.post("/_fake/scripts", string(body))
}

func (e *env) post(path, body string) {
	resp, err := http.Post(e.url+path, "application/json", bytes.NewBufferString(body))
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		e.t.Fatalf("POST %s %s: HTTP %d", path, body, resp.StatusCode)
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

// What happens on a night besides the plain apply.
type event int

const (
	plain          event = iota
	createFails          // the create fails at its third request, then a plain apply (which replaces it)
	refused              // the second sync request is refused (HTTP 400), then a plain apply
	interrupted          // Ctrl-C while the first sync request is on the wire, then a plain apply
	unknownOutcome       // the first sync request is applied but answered 500, then a plain apply
)

func (ev event) String() string {
	return [...]string{"plain", "create fails at request 3", "request 2 refused", "Ctrl-C during request 1", "request 1 applied, answered 500"}[ev]
}

// schedule gives the mode and the events of a night: the nights alternate
// wait_for_completion true (odd nights) and false (even nights); night 1
// is a create that fails part way, night 2 has a refused request, nights 3
// and 4 are interrupted with Ctrl-C (one in each mode), night 5 (of longer
// runs) has a refused request in the waiting mode, and on night 6 a
// request CBR applied is answered 500, so that the outcome of its backups is
// unknown to the provider (it never sends them again); on nights 2 and 3
// (one in each mode) the import of one new backup fails in CBR.
func schedule(night int) (wait bool, ev event, failImport bool) {
	wait = night%2 == 1
	switch night {
	case 1:
		ev = createFails
	case 2, 5:
		ev = refused
	case 3, 4:
		ev = interrupted
	case 6:
		ev = unknownOutcome
	}
	return wait, ev, night == 2 || night == 3
}

// TestInventoryNights grows an inventory over nights of random appends,
// late arrivals inserted anywhere and removals, through examples/inventory
// with wait_for_completion true and false on alternate nights (see
// schedule): a create that fails part way, nights whose first apply is
// refused part way or interrupted with Ctrl-C while a (slow) sync request
// is on the wire, each followed by a plain apply that must send exactly the
// backups never sent, and imports that fail in CBR, which must show in the
// failed_backups output and the check block's warning. After each night it
// checks that every backup ever listed was imported exactly once, that the
// state holds the operation log IDs the fake issued, that without waiting
// the statuses read by the cbr_operation_logs data source (checked_statuses)
// account for every backup, and that the next plan is empty.
// SIMULATION_BACKUPS and SIMULATION_NIGHTS set the size; the default is
// small enough for every test run, bench/simulate.sh runs 2,000 backups
// over 10 nights.
func TestInventoryNights(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("set TF_ACC=1 to run the inventory simulation through Terraform")
	}
	total, nights := envInt(t, "SIMULATION_BACKUPS", 300), envInt(t, "SIMULATION_NIGHTS", 4)
	began := time.Now()
	e := start(t)
	rng := rand.New(rand.NewPCG(10, uint64(total)))

	next := 0
	var inventory []backup
	ever := map[string]bool{} // every backup listed at an apply
	add := func(n int) (added []string, appended, inserted int) {
		for i := 0; i < n; i++ {
			b := newBackup(next)
			next++
			added = append(added, b.BackupID)
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
	// at the third one leaves something imported; every other night at
	// least two, so that a refused or interrupted request leaves backups
	// sent and backups never sent.
	first := max(total/5, 120)
	perNight := 0
	if nights > 1 {
		perNight = (total - first) / (nights - 1)
	}
	if nights < 4 || perNight < 51 {
		t.Fatalf("SIMULATION_BACKUPS=%d and SIMULATION_NIGHTS=%d: at least 4 nights and %d backups", total, nights, first+51*(nights-1))
	}

	scripted := map[string]bool{} // backups whose import fails in CBR
	sentOn := map[string]int{}    // the night each backup was imported
	interruptedSends := map[string]bool{}
	unknown := map[string]bool{} // backups CBR imported from a request answered 500
	sync, imports := 0, 0        // sync requests and imports so far
	for night := 1; night <= nights; night++ {
		wait, ev, failImport := schedule(night)
		vars := []string{"-var", "wait_for_completion=" + strconv.FormatBool(wait)}
		apply := append([]string{"apply", "-auto-approve", "-no-color", "-input=false"}, vars...)
		mode := "wait"
		if !wait {
			mode = "no-wait"
		}

		var removed []string
		count := perNight
		switch night {
		case 1:
			count = first
		case nights:
			count = total - next
		}
		added, appended, inserted := add(count)
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
		if failImport {
			// The newest backup sorts last, so it is in the last request
			// of the night, the one the second apply of a failure night sends.
			id := added[len(added)-1]
			e.scriptBackup(id, "failed")
			scripted[id] = true
		}
		data, _ := json.MarshalIndent(inventory, "", "  ")
		write(t, filepath.Join(e.dir, "backups.json"), data)

		began := time.Now()
		var out string
		var code int
		firstApply := "" // what the first apply of the night said
		firstNote := ""
		if ev != plain {
			before := e.stats()
			switch ev {
			case createFails:
				// The create fails at its third request and leaves the
				// resource tainted; the plain next apply replaces it,
				// nothing done by hand.
				e.failSync(2, 400)
				out, code = e.tf(apply...)
				if code == 0 || !strings.Contains(out, "The next apply sends only the backups never sent") || !strings.Contains(out, "Imported: 100 backups") {
					t.Fatalf("night %d: the failed create did not say what was imported and what the next apply sends:\n%s", night, out)
				}
				if _, tainted := e.state(); !tainted {
					t.Fatalf("night %d: the failed create is not tainted", night)
				}
			case refused:
				// An update whose second request is refused: the apply
				// fails naming the backups not sent.
				e.failSync(1, 400)
				out, code = e.tf(apply...)
				if code == 0 || !strings.Contains(out, "Not sent:") || !strings.Contains(out, "The next apply sends them, and only them.") {
					t.Fatalf("night %d: the refused request did not fail the apply as expected:\n%s", night, out)
				}
			case unknownOutcome:
				// CBR applies the first request but answers 500: the apply
				// fails, its backups are "unknown" (never sent again) and
				// those of the later requests not sent.
				e.post("/_fake/faults", `{"kind":"sync","after":0,"fault":{"Status":500,"Apply":true}}`)
				out, code = e.tf(apply...)
				if code == 0 || !strings.Contains(out, "Outcome unknown:") || !strings.Contains(out, "Not sent:") {
					t.Fatalf("night %d: the request answered 500 did not fail the apply as expected:\n%s", night, out)
				}
			case interrupted:
				// Ctrl-C while the first sync request is on the wire (the
				// fake holds it for 3 s): the provider lets it finish and
				// records its answer, and sends nothing after it.
				e.slowSync(0, 3*time.Second)
				out, code = e.interruptedApply(apply, before.Requests["sync"])
				if code == 0 || !strings.Contains(out, "Interrupt received") {
					t.Fatalf("night %d: the interrupted apply did not stop as expected (exit %d):\n%s", night, code, out)
				}
			}
			firstApply = out
			// What the next apply must send: every backup of the
			// inventory not recorded as sent, and nothing else.
			after := e.stats()
			entries, _ := e.state()
			toSend := map[string]bool{}
			for _, b := range inventory {
				s, ok := entries[b.BackupID]
				switch {
				case !ok || s.SyncState == "not_sent":
					toSend[b.BackupID] = true
				case s.SyncState == "unknown" && ev == unknownOutcome && s.OperationLogID == nil:
					unknown[b.BackupID] = true
				case s.SyncState == "unknown":
					t.Fatalf("night %d (%s): backup %s has an unknown outcome after the failed apply", night, ev, b.BackupID)
				}
			}
			firstImports := len(after.Synced) - len(before.Synced)
			if ev == unknownOutcome && len(unknown) == 0 {
				t.Fatalf("night %d: no backup has an unknown outcome after a request answered 500", night)
			}
			if firstImports == 0 || len(toSend) == 0 || firstImports+len(toSend) != count {
				t.Fatalf("night %d (%s): the failed apply imported %d backups and left %d to send, of %d new", night, ev, firstImports, len(toSend), count)
			}
			if ev == interrupted {
				for _, s := range after.Synced[len(before.Synced):] {
					interruptedSends[s.BackupID] = true
				}
				if n := after.Statuses["sync"]["0"]; n != 0 {
					t.Fatalf("night %d: %d sync requests went unanswered", night, n)
				}
			}
			firstNote = fmt.Sprintf(" (first apply: %d sync requests, %d imports, %.1fs, exit %d)",
				after.Requests["sync"]-before.Requests["sync"], firstImports, time.Since(began).Seconds(), code)

			// The plain apply again: it sends exactly the backups never sent.
			out, code = e.tf(apply...)
			if code != 0 {
				t.Fatalf("night %d: the apply after the failed one failed:\n%s", night, out)
			}
			final := e.stats()
			for _, s := range final.Synced[len(after.Synced):] {
				if !toSend[s.BackupID] {
					t.Fatalf("night %d (%s): the second apply sent %s, which the failed apply had recorded as sent", night, ev, s.BackupID)
				}
				delete(toSend, s.BackupID)
			}
			if len(toSend) > 0 {
				t.Fatalf("night %d (%s): the second apply did not send %d backups never sent", night, ev, len(toSend))
			}
			if ev == createFails && !strings.Contains(out, "Backups Carried Over") {
				t.Fatalf("night %d: the replacement did not carry the imported backups over:\n%s", night, out)
			}
		} else {
			out, code = e.tf(apply...)
			if code != 0 {
				t.Fatalf("night %d: apply failed:\n%s", night, out)
			}
		}
		applyTime := time.Since(began)
		if len(removed) > 0 {
			if n := strings.Count(firstApply+out, "Backups Stay in CBR"); n < 1 || strings.Count(out, "Backups Stay in CBR") > 1 {
				t.Errorf("night %d: the removal warning appeared %d times:\n%s\n%s", night, n, firstApply, out)
			}
		}

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
		for _, s := range st.Synced[imports:] {
			sentOn[s.BackupID] = night
		}
		if n := len(st.Synced) - imports; n != count {
			t.Fatalf("night %d: %d imports for %d new backups", night, n, count)
		}
		entries, _ := e.state()
		if len(entries) != len(inventory) {
			t.Fatalf("night %d: %d backups in the state, %d in the inventory", night, len(entries), len(inventory))
		}
		var recordedFailed, unsettled []string
		interruptedStatus := map[string]int{} // of the backups sent, while waiting, by interrupted applies so far
		for _, b := range inventory {
			s, ok := entries[b.BackupID]
			if !ok {
				t.Fatalf("night %d: backup %s of the inventory is not in the state", night, b.BackupID)
			}
			if s.BackupID != b.BackupID {
				t.Fatalf("night %d: backups[%q] has backup_id %s in the state", night, b.BackupID, s.BackupID)
			}
			if unknown[b.BackupID] {
				// CBR imported it (once) but never answered its operation
				// log ID: the state records that the outcome is unknown.
				if s.OperationLogID != nil || s.SyncState != "unknown" || s.Status != nil {
					t.Fatalf("night %d: backups[%q]: %+v, want an unknown outcome", night, b.BackupID, s)
				}
				unsettled = append(unsettled, b.BackupID)
				continue
			}
			if s.OperationLogID == nil || *s.OperationLogID != issued[s.BackupID] || s.SyncState != "accepted" {
				t.Fatalf("night %d: backups[%q]: %+v, the fake issued %q", night, b.BackupID, s, issued[s.BackupID])
			}
			// status: what the apply that sent it saw when waiting.
			sentWaiting, _, _ := schedule(sentOn[b.BackupID])
			status := "<null>"
			if s.Status != nil {
				status = *s.Status
			}
			want := "<null>"
			switch {
			case !sentWaiting:
			case scripted[b.BackupID]:
				want = "failed"
			default:
				want = "success"
			}
			if sentWaiting && interruptedSends[b.BackupID] {
				interruptedStatus[status]++
			}
			if sentWaiting && interruptedSends[b.BackupID] {
				// Ctrl-C ends the wait at once: the apply read no status.
				want = "<null>"
			}
			if status != want {
				t.Fatalf("night %d: backups[%q] has status %s, want %s (sent on night %d)", night, b.BackupID, status, want, sentOn[b.BackupID])
			}
			if status == "failed" {
				recordedFailed = append(recordedFailed, b.BackupID)
			}
		}

		// The outputs: with waiting, failed_backups lists the failures the
		// applies recorded; without, the data source reads every task, so
		// checked_statuses accounts for every backup and failed_backups
		// lists every failed import still in the inventory.
		wantFailed := recordedFailed
		if !wait {
			wantFailed = nil
			for _, b := range inventory {
				if scripted[b.BackupID] {
					wantFailed = append(wantFailed, b.BackupID)
				}
			}
		}
		sort.Strings(wantFailed)
		var failed []string
		e.output("failed_backups", &failed)
		if strings.Join(failed, ",") != strings.Join(wantFailed, ",") {
			t.Fatalf("night %d: failed_backups is %v, want %v", night, failed, wantFailed)
		}
		warning := fmt.Sprintf("The import of %d backups failed or timed out in CBR", len(wantFailed))
		if got := strings.Contains(out, "Check block assertion failed") && strings.Contains(out, warning); got != (len(wantFailed) > 0) {
			t.Fatalf("night %d: the check block's warning (%q) shown: %v, want %v:\n%s", night, warning, got, len(wantFailed) > 0, out)
		}
		var gotUnsettled []string
		e.output("unsettled_backups", &gotUnsettled)
		sort.Strings(unsettled)
		if strings.Join(gotUnsettled, ",") != strings.Join(unsettled, ",") {
			t.Fatalf("night %d: unsettled_backups is %v, want %v", night, gotUnsettled, unsettled)
		}
		var checked map[string]int
		found := e.output("checked_statuses", &checked)
		checkedNote := ""
		if wait {
			if found {
				t.Fatalf("night %d: checked_statuses is %v with wait_for_completion", night, checked)
			}
		} else {
			if !found {
				t.Fatalf("night %d: no checked_statuses output without wait_for_completion", night)
			}
			sum := 0
			for _, n := range checked {
				sum += n
			}
			if sum != len(inventory) || checked["success"] != len(inventory)-len(wantFailed)-len(unsettled) || checked["failed"] != len(wantFailed) || checked["unknown"] != len(unsettled) {
				t.Fatalf("night %d: checked_statuses %v for %d backups, %d of them failed, %d with an unknown outcome", night, checked, len(inventory), len(wantFailed), len(unsettled))
			}
			checkedNote = fmt.Sprintf(", checked_statuses %v", checked)
		}
		if len(interruptedStatus) > 0 {
			checkedNote += fmt.Sprintf(", status of the backups sent by interrupted waiting applies so far %v", interruptedStatus)
		}

		plan, code := e.tf(append([]string{"plan", "-detailed-exitcode", "-no-color", "-input=false"}, vars...)...)
		if code != 0 {
			t.Fatalf("night %d: the plan after the apply is not empty (exit %d):\n%s", night, code, plan)
		}
		if strings.Contains(plan, warning) != (len(wantFailed) > 0) {
			t.Fatalf("night %d: the plan's check warning does not match %d failed imports:\n%s", night, len(wantFailed), plan)
		}
		t.Logf("night %2d [%s, %s]: +%d appended, +%d inserted, -%d removed: %d backups; %d sync requests, %d imports%s; %d failed imports, %d unknown outcomes%s; %.1fs",
			night, mode, ev, appended, inserted, len(removed), len(inventory), st.Requests["sync"]-sync, len(st.Synced)-imports,
			firstNote, len(wantFailed), len(unsettled), checkedNote, applyTime.Seconds())
		sync, imports = st.Requests["sync"], len(st.Synced)
	}
	wait, _, _ := schedule(nights)
	out, code := e.tf("destroy", "-auto-approve", "-no-color", "-input=false", "-var", "wait_for_completion="+strconv.FormatBool(wait))
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
