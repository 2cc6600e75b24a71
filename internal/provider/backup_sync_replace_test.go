package provider

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// Tests of the record book (recordBook): after a create that fails part
// way, the plain next apply replaces the tainted resource and sends only the
// backups never sent; -replace and taint send nothing; only triggers send
// everything again. startFake fails every test that imports a backup twice.

// chunks splits backups into the requests of 50 the provider sends.
func chunks(bs []testBackup) [][]testBackup {
	var out [][]testBackup
	for len(bs) > 0 {
		n := min(len(bs), 50)
		out = append(out, bs[:n])
		bs = bs[n:]
	}
	return out
}

// recordsAre checks, in the state, the sync_state of each backup by index,
// and that accepted ones have the operation_log_id the fake issued and
// unknown ones none.
func recordsAre(fake *cbrfake.Server, want map[int]string) []statecheck.StateCheck {
	var out []statecheck.StateCheck
	for i, w := range want {
		id := testBackupID(i)
		out = append(out, statecheck.ExpectKnownValue(testAddr, syncStatePath(id), knownvalue.StringExact(w)))
		switch w {
		case syncAccepted:
			out = append(out, opLogCheck{fake: fake, backupID: id})
		case syncUnknown, syncNotSent:
			out = append(out, statecheck.ExpectKnownValue(testAddr, opPath(id), knownvalue.Null()))
		}
	}
	return out
}

// testBackupID is the backup_id of makeBackups' i-th backup.
func testBackupID(i int) string { return makeBackups(i + 1)[i].BackupID }

// byIndex is makeBackups' backups at these indexes.
func byIndex(idx []int) []testBackup {
	out := make([]testBackup, len(idx))
	for k, i := range idx {
		out[k] = makeBackups(i + 1)[i]
	}
	return out
}

// statesByID keys sync states by makeBackups' IDs instead of indexes.
func statesByID(want map[int]string) map[string]string {
	out := make(map[string]string, len(want))
	for i, w := range want {
		out[testBackupID(i)] = w
	}
	return out
}

// plannedRecords checks, in a plan, that the backups recorded as accepted
// are planned with a known operation_log_id, those recorded as unknown as
// known "unknown" without one, and those to send as unknown values.
func plannedRecords(accepted, unknown, send []int) []plancheck.PlanCheck {
	out := planOps(byIndex(accepted), byIndex(send))
	for _, i := range accepted {
		out = append(out, plancheck.ExpectKnownValue(testAddr, syncStatePath(testBackupID(i)), knownvalue.StringExact(syncAccepted)))
	}
	for _, i := range unknown {
		out = append(out, plancheck.ExpectKnownValue(testAddr, opPath(testBackupID(i)), knownvalue.Null()),
			plancheck.ExpectKnownValue(testAddr, syncStatePath(testBackupID(i)), knownvalue.StringExact(syncUnknown)))
	}
	return out
}

// TestAccBackupSync_failedCreateNotResent: a create of 120 backups (three
// requests) fails at its 2nd or 3rd request, in every way a request can
// fail, or while waiting. The plain next apply replaces the tainted
// resource, sends only the backups never sent (refused ones included), and
// shows the carried-over operation_log_ids as known in its plan; the plan
// after it is empty.
func TestAccBackupSync_failedCreateNotResent(t *testing.T) {
	exhausted := func(status int) []cbrfake.Fault {
		// The default max_retries is 5: six answers exhaust it.
		out := make([]cbrfake.Fault, 6)
		for i := range out {
			out[i] = cbrfake.Fault{Status: status}
		}
		return out
	}
	cases := []struct {
		name string
		// at is the request (1-based) that fails; faults are its answers.
		at     int
		faults []cbrfake.Fault
		// unknown: the failed request's backups end "unknown" (else
		// "not_sent", sent by the next apply).
		unknown bool
		// extra arguments of the resource; setup scripts the fake.
		extra string
		setup func(fake *cbrfake.Server, all []testBackup)
		want  string
	}{
		{name: "400 at request 2", at: 2, faults: []cbrfake.Fault{{Status: 400}}, want: `HTTP status: 400`},
		{name: "403 at request 3", at: 3, faults: []cbrfake.Fault{{Status: 403}}, want: `HTTP status: 403`},
		{name: "500 at request 2", at: 2, faults: []cbrfake.Fault{{Status: 500}}, unknown: true, want: `HTTP 500`},
		{name: "502 at request 3", at: 3, faults: []cbrfake.Fault{{Status: 502}}, unknown: true, want: `HTTP 502`},
		{name: "504 applied at request 2", at: 2, faults: []cbrfake.Fault{{Status: 504, Apply: true}}, unknown: true, want: `HTTP 504`},
		{name: "connection lost after sending at request 3", at: 3, faults: []cbrfake.Fault{{Reset: true, Apply: true}}, unknown: true, want: `the connection failed before an answer came back`},
		{name: "unreadable answer at request 2", at: 2, faults: []cbrfake.Fault{{BrokenJSON: true}}, unknown: true, want: `the answer cannot be read`},
		{name: "429 retries exhausted at request 2", at: 2, faults: exhausted(429), want: `max_retries \(5\) reached`},
		{name: "503 retries exhausted at request 3", at: 3, faults: exhausted(503), want: `max_retries \(5\) reached`},
		{name: "create timeout while sending request 2", at: 2, faults: []cbrfake.Fault{{Delay: 20 * time.Second}}, unknown: true,
			extra: `  timeouts = { create = "2s" }`, want: `no answer came back in time`},
		{name: "create timeout while waiting", extra: "  wait_for_completion = true\n  timeouts = { create = \"3s\" }",
			setup: func(fake *cbrfake.Server, all []testBackup) {
				fake.ScriptBackup(all[60].BackupID, cbrfake.Step{Status: cbrfake.StatusRunning})
			},
			want: `Timed Out Waiting for CBR Backup Sync`},
		{name: "failed import while waiting", extra: "  wait_for_completion = true\n  fail_on_import_failure = true",
			setup: func(fake *cbrfake.Server, all []testBackup) {
				fake.ScriptBackup(all[60].BackupID, cbrfake.Step{Status: cbrfake.StatusFailed, ErrorCode: "BackupService.6302", ErrorMessage: "The backup chain in the bucket is incomplete"})
			},
			want: `CBR Backup Sync Failed`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake, url := startFake(t, cbrfake.Options{})
			all := makeBackups(120)
			requests := 3 // sent by the failed apply
			if tc.at > 0 {
				var queue []cbrfake.Fault // zero faults answer normally
				for range tc.at - 1 {
					queue = append(queue, cbrfake.Fault{})
				}
				fake.InjectFault(cbrfake.KindSync, append(queue, tc.faults...)...)
				requests = tc.at - 1 + len(tc.faults)
			}
			if tc.setup != nil {
				tc.setup(fake, all)
			}
			cfg := providerConfig(url) + syncConfig(all, tc.extra)

			// What the failed apply records, and what the next one sends.
			accepted, unknown, send := []int{}, []int{}, []int{}
			states := map[int]string{}
			acceptedUpTo, resendFrom := len(all), len(all)
			if tc.at > 0 {
				acceptedUpTo, resendFrom = 50*(tc.at-1), 50*(tc.at-1)
				if tc.unknown {
					resendFrom = min(50*tc.at, len(all))
				}
			}
			for _, i := range []int{0, 49, 50, 99, 100, 119} {
				switch {
				case i < acceptedUpTo:
					accepted = append(accepted, i)
					states[i] = syncAccepted
				case i < resendFrom:
					unknown = append(unknown, i)
					states[i] = syncUnknown
				default:
					send = append(send, i)
					states[i] = syncNotSent
				}
			}
			final := map[int]string{}
			for i, s := range states {
				final[i] = s
				if s == syncNotSent {
					final[i] = syncAccepted
				}
			}
			tfresource.ParallelTest(t, tfresource.TestCase{
				ProtoV6ProviderFactories: providerFactories(nil),
				Steps: []tfresource.TestStep{
					{Config: cfg, ExpectError: errorLike(`(?s)` + tc.want + `.*The next apply sends only the backups never sent`)},
					{
						Config: cfg,
						ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: append([]plancheck.PlanCheck{
							plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionDestroyBeforeCreate),
							taintedInPriorState{address: testAddr, someOps: true},
							priorSyncStates(statesByID(states)),
						}, plannedRecords(accepted, unknown, send)...)},
						ConfigStateChecks: append(recordsAre(fake, final), expectSent(fake, requests, chunks(all[resendFrom:])...)),
					},
					{Config: cfg, PlanOnly: true},
				},
			})
		})
	}
}

// TestAccBackupSync_taintSendsNothing: `terraform taint` (and so
// `terraform apply -replace`, which plans the same replacement) replaces
// the resource without sending anything; with triggers changed as well,
// the replacement sends every backup again, as triggers ask.
func TestAccBackupSync_taintSendsNothing(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	all := makeBackups(3)
	allowImports(fake, 2, ids(all)...)
	cfg := providerConfig(url) + backupsConfig(all)
	retriggered := providerConfig(url) + syncConfig(all, `  triggers = { run = "2" }`)
	everything := map[int]string{0: syncAccepted, 1: syncAccepted, 2: syncAccepted}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{Config: cfg, ConfigStateChecks: stateMatchesFake(fake, 3)},
			{
				Taint:  []string{testAddr},
				Config: cfg,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: append([]plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}, plannedRecords([]int{0, 1, 2}, nil, nil)...)},
				ConfigStateChecks: append(recordsAre(fake, everything), checkFunc(expectCalls(fake, cbrfake.KindSync, 1))),
			},
			{
				Taint:  []string{testAddr},
				Config: retriggered,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: append([]plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}, plannedRecords(nil, nil, []int{0, 1, 2})...)},
				ConfigStateChecks: append(recordsAre(fake, everything), expectSent(fake, 1, all)),
			},
			{Config: retriggered, PlanOnly: true},
		},
		CheckDestroy: func(*terraform.State) error { return expectCalls(fake, cbrfake.KindSync, 2)() },
	})
}

// TestAccBackupSync_createBeforeDestroy: with create_before_destroy,
// Terraform creates the replacement before destroying the old object, and
// plans it again while applying, in a provider process that never saw the
// old object. The plan carries the records over (it refreshed the old
// object); the apply then fails with Terraform's "inconsistent final plan"
// and sends nothing: create_before_destroy is not supported, but it never
// imports a backup twice either.
func TestAccBackupSync_createBeforeDestroy(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	all := makeBackups(60)
	fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{}, cbrfake.Fault{Status: 400})
	cbd := providerConfig(url) + syncConfig(all, "  lifecycle {\n    create_before_destroy = true\n  }")
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{Config: cbd, ExpectError: errorLike(`(?s)HTTP status: 400.*The next apply sends only the backups never sent`)},
			{
				Config: cbd,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: append([]plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionCreateBeforeDestroy),
				}, plannedRecords([]int{0, 49}, nil, []int{50, 59})...)},
				ExpectError: errorLike(`Provider produced inconsistent final plan`),
			},
		},
		CheckDestroy: func(*terraform.State) error { return expectCalls(fake, cbrfake.KindSync, 2)() },
	})
}

// cliRecords reads, with `show -json`, whether the resource is tainted and
// its backups' operation_log_id and sync_state, in order.
func cliRecords(t *testing.T, r *cliRun) (tainted bool, ops, states []string) {
	t.Helper()
	resources, out := r.show()
	for _, res := range resources {
		if res.Address != testAddr {
			continue
		}
		// In the order of the keys: makeBackups' order.
		for _, key := range slices.Sorted(maps.Keys(res.Values.Backups)) {
			b := res.Values.Backups[key]
			ops, states = append(ops, b.opLogID()), append(states, b.SyncState)
		}
		return res.Tainted, ops, states
	}
	t.Fatalf("%s is not in the state:\n%s", testAddr, out)
	return false, nil, nil
}

// TestAccBackupSync_cliInterruptAndReplace runs the real CLI against the
// built provider: Ctrl-C (SIGINT to terraform, as HCP Terraform's cancel)
// while the 2nd of 3 requests of a create is on the wire lets that request
// finish and record its answer, and sends no 3rd request; the plain next
// apply replaces the tainted resource and sends only the 3rd request's
// backups; `apply -replace` sends nothing, with or without -refresh=false
// (then the record comes from the destroy of the replaced object); the plan
// after that is empty. Every backup is imported exactly once.
func TestAccBackupSync_cliInterruptAndReplace(t *testing.T) {
	cli := acceptanceCLI(t)
	t.Parallel()
	fake, url := startFake(t, cbrfake.Options{})
	all := makeBackups(120)
	fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{}, cbrfake.Fault{Delay: 6 * time.Second})
	r := newCLIRun(t, cli)
	r.write("main.tf", requiredProviders+providerConfig(url)+backupsConfig(all))

	cmd := exec.Command(r.cli, "apply", "-auto-approve", "-no-color")
	cmd.Dir, cmd.Env = r.dir, r.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for fake.Count(cbrfake.KindSync) < 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	// The 2nd request follows the 1st at once and waits 6 s for its answer.
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatalf("the interrupted apply succeeded:\n%s", out.String())
	}
	text := regexp.MustCompile(`\s+`).ReplaceAllString(out.String(), " ")
	for _, want := range []string{
		"Request 3 of 3 failed. The apply was interrupted before the request to synchronize 20 backups was sent",
		"Imported: 100 backups",
		"The next apply sends only the backups never sent",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the interrupted apply does not say %q:\n%s", want, out.String())
		}
	}
	if n := fake.Count(cbrfake.KindSync); n != 2 || len(fake.Synced()) != 100 {
		t.Fatalf("the interrupted apply sent %d requests and imported %d backups, want 2 and 100 (the request on the wire finishes, no new one starts)", n, len(fake.Synced()))
	}
	tainted, ops, states := cliRecords(t, r)
	if !tainted || len(states) != 120 {
		t.Fatalf("after the interrupted apply: tainted %v, %d backups", tainted, len(states))
	}
	synced := map[string]string{}
	for _, s := range fake.Synced() {
		synced[s.BackupID] = s.OperationLogID
	}
	for i, b := range all {
		want, wantOp := syncNotSent, ""
		if i < 100 {
			want, wantOp = syncAccepted, synced[b.BackupID]
		}
		if states[i] != want || ops[i] != wantOp {
			t.Fatalf("after the interrupted apply, backups[%d] is %s with operation_log_id %q, want %s with %q", i, states[i], ops[i], want, wantOp)
		}
	}

	// The plain next apply: the replacement sends only the 20 never sent.
	o, ok := r.run("apply", "-auto-approve", "-no-color")
	// Terraform says "is tainted, so must be replaced", OpenTofu "is tainted, so it must be replaced".
	if !ok || !regexp.MustCompile(`is tainted, so (it )?must be replaced`).MatchString(o) || !strings.Contains(o, "Backups Carried Over") {
		t.Fatalf("the next apply (ok %v) did not replace the tainted resource carrying its backups over:\n%s", ok, o)
	}
	if err := expectSent(fake, 2, all[100:])(); err != nil {
		t.Fatal(err)
	}
	_, before, _ := cliRecords(t, r)

	// -replace, refreshed or not: nothing sent, the same records.
	for _, args := range [][]string{
		{"apply", "-replace=" + testAddr, "-auto-approve", "-no-color"},
		{"apply", "-refresh=false", "-replace=" + testAddr, "-auto-approve", "-no-color"},
	} {
		o, ok := r.run(args...)
		if !ok || !strings.Contains(o, "will be replaced, as requested") {
			t.Fatalf("%s (ok %v):\n%s", strings.Join(args, " "), ok, o)
		}
		if n := fake.Count(cbrfake.KindSync); n != 3 {
			t.Fatalf("%s sent %d requests, want none:\n%s", strings.Join(args, " "), n-3, o)
		}
		tainted, after, states := cliRecords(t, r)
		if tainted || !slices.Equal(after, before) || slices.ContainsFunc(states, func(s string) bool { return s != syncAccepted }) {
			t.Fatalf("after %s: tainted %v, records %v, want %v, all accepted", strings.Join(args, " "), tainted, states, before)
		}
	}
	if o, ok := r.run("plan", "-detailed-exitcode", "-no-color"); !ok {
		t.Fatalf("the plan after the replacements is not empty:\n%s", o)
	}
}

// TestAccBackupSync_cliTaintedV0: a resource that release 0.1 (schema
// version 0) left tainted, with one backup confirmed and one whose outcome
// is unknown, is replaced by the plain next apply without sending either.
func TestAccBackupSync_cliTaintedV0(t *testing.T) {
	cli := acceptanceCLI(t)
	t.Parallel()
	fake, url := startFake(t, cbrfake.Options{})
	all := makeBackups(2)
	op := fakeSync(t, url, all[:1])[all[0].BackupID] // what 0.1 sent and recorded
	stored := slices.Clone(all)
	stored[0].OperationLogID = op
	entries := make([]map[string]any, len(stored))
	for i, b := range stored {
		entries[i] = b.json()
		delete(entries[i], "sync_state") // version 0 had none
	}
	host := "registry.terraform.io"
	if isOpenTofu(cli) {
		host = "registry.opentofu.org"
	}
	state, err := json.Marshal(map[string]any{
		"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "6f1d2c3b-0a4e-4b5c-8d7e-9f0a1b2c3d4e", "outputs": map[string]any{},
		"resources": []any{map[string]any{
			"mode": "managed", "type": "cbr_backup_sync", "name": "test", "provider": `provider["` + host + `/cbr-sync/cbr"]`,
			"instances": []any{map[string]any{
				"status": "tainted", "schema_version": 0, "sensitive_attributes": []any{},
				"attributes": map[string]any{"id": "0e7c7b37-4f8e-4f5e-9a43-2d1f2b6c9a10", "backups": entries, "timeouts": nil, "triggers": nil, "wait_for_completion": false},
			}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := newCLIRun(t, cli)
	r.write("terraform.tfstate", string(state))
	r.write("main.tf", requiredProviders+providerConfig(url)+backupsConfig(all))
	out, ok := r.run("apply", "-auto-approve", "-no-color")
	if !ok || !regexp.MustCompile(`is tainted, so (it )?must be replaced`).MatchString(out) || !strings.Contains(out, "Backups Carried Over") {
		t.Fatalf("apply (ok %v):\n%s", ok, out)
	}
	if n := fake.Count(cbrfake.KindSync); n != 1 {
		t.Fatalf("the replacement sent %d requests, want none", n-1)
	}
	tainted, ops, states := cliRecords(t, r)
	if tainted || !slices.Equal(ops, []string{op, ""}) || !slices.Equal(states, []string{syncAccepted, syncUnknown}) {
		t.Fatalf("after the replacement: tainted %v, operation_log_ids %v, sync_states %v", tainted, ops, states)
	}
}
