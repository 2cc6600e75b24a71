package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1/model"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// taintedInPriorState is a plan check: the resource is in the state the plan
// started from, marked tainted, with every operation_log_id null unless
// someOps.
type taintedInPriorState struct {
	address string
	someOps bool
}

func (c taintedInPriorState) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	if req.Plan.PriorState == nil || req.Plan.PriorState.Values == nil || req.Plan.PriorState.Values.RootModule == nil {
		resp.Error = fmt.Errorf("the plan has no prior state")
		return
	}
	for _, r := range req.Plan.PriorState.Values.RootModule.Resources {
		if r.Address != c.address {
			continue
		}
		if !r.Tainted {
			resp.Error = fmt.Errorf("%s is in the prior state but not tainted", c.address)
			return
		}
		entries, err := stateEntries(r.AttributeValues)
		if err != nil {
			resp.Error = err
			return
		}
		for key, entry := range entries {
			if op := entry["operation_log_id"]; op != nil && !c.someOps {
				resp.Error = fmt.Errorf("backups[%q].operation_log_id = %v, want null", key, op)
				return
			}
		}
		if id, _ := r.AttributeValues["id"].(string); id == "" {
			resp.Error = fmt.Errorf("%s has no id", c.address)
		}
		return
	}
	resp.Error = fmt.Errorf("%s is not in the prior state", c.address)
}

// TestAccBackupSync_throttled: CBR throttles the first request; the provider
// waits as Retry-After says and sends it again. One resource ends up in the
// state and one set of backups is synchronized, with two requests.
func TestAccBackupSync_throttled(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{Status: 429, RetryAfter: "1"})
	backups := makeBackups(3)
	start := time.Now()
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{{
			Config:            providerConfig(url) + backupsConfig(backups),
			ConfigStateChecks: stateMatchesFake(fake, 3),
			Check: tfresource.ComposeAggregateTestCheckFunc(
				func(*terraform.State) error { return expectCalls(fake, cbrfake.KindSync, 2)() },
				expectSynced(fake, 3),
				func(*terraform.State) error { return expectSyncBody(fake, backups)() },
				func(*terraform.State) error {
					// Retry-After: 1 was honoured rather than the test's millisecond backoff.
					if waited := time.Since(start); waited < time.Second {
						return fmt.Errorf("the apply took %s: the retry did not wait for Retry-After", waited)
					}
					return nil
				},
			),
		}},
	})
}

// TestAccBackupSync_retriesExhausted: CBR stays unavailable for longer than
// max_retries allows. The error says so, and nothing is in the state.
func TestAccBackupSync_retriesExhausted(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{Status: 503}, cbrfake.Fault{Status: 503}, cbrfake.Fault{Status: 503})
	provider := strings.Replace(providerConfig(url), "provider \"cbr\" {", "provider \"cbr\" {\n  max_retries = 2", 1)
	res := backupsConfig(makeBackups(2))
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{
				Config: provider + res,
				ExpectError: errorLike(`(?s)Unable to Synchronize CBR Backups.*CBR did not accept the request to synchronize 2 backups. Nothing was synchronized and nothing was saved in the state. ` +
					`The provider tried 3 times and gave up: max_retries \(2\) reached. Apply again later, or raise max_retries.*HTTP status: 503.*error_code: APIGW.0202.*` +
					`request id: [0-9a-f]{32}.*attempts: 3 \(max_retries \(2\) reached\)`),
			},
			{
				// Nothing was recorded: the next plan creates the resource.
				Config: provider + res,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionCreate)},
				},
				ConfigStateChecks: stateMatchesFake(fake, 2),
				Check: tfresource.ComposeAggregateTestCheckFunc(
					func(*terraform.State) error { return expectCalls(fake, cbrfake.KindSync, 4)() },
					expectSynced(fake, 2),
				),
			},
		},
	})
}

// TestAccBackupSync_outcomeUnknown covers the answers after which CBR may
// have applied the request: the provider sends it exactly once, fails with
// an explanation and keeps a tainted record, whether or not the fake really
// applied it (the provider cannot know). The next apply replaces it and
// sends nothing: the outcome stays unknown until the user settles it.
func TestAccBackupSync_outcomeUnknown(t *testing.T) {
	const rid = `request id: [0-9a-f]{32}`
	// The explanation, then the details, then what to do.
	const resend = ``
	const tail = `.*Imported: 0 backups.*Outcome unknown: 2 backups \(sync_state "unknown", operation_log_id null\): 1f9e6b47-7655-4a19-b563-000000000000, 1f9e6b47-7655-4a19-b563-000000000001.*` +
		`does not send them again by itself: the sync API is not idempotent.*no .terraform untaint..*The next apply sends only the backups never sent`
	cases := []struct {
		name    string
		fault   cbrfake.Fault
		tune    func(*cbrProvider)
		applied bool
		// createTimeout, when set, is the resource's timeouts.create.
		createTimeout string
		want          string
	}{
		{name: "500", fault: cbrfake.Fault{Status: 500},
			want: `(?s)CBR Backup Sync Outcome Unknown.*answered the request to synchronize 2 backups with HTTP 500 Internal Server Error` + resend + tail},
		{name: "500 applied", fault: cbrfake.Fault{Status: 500, Apply: true}, applied: true,
			want: `(?s)CBR Backup Sync Outcome Unknown.*with HTTP 500 Internal Server Error.*HTTP status: 500.*error_code: BackupService.9999.*error_msg: Internal server error.*` + rid},
		{name: "502", fault: cbrfake.Fault{Status: 502},
			want: `(?s)CBR Backup Sync Outcome Unknown.*with HTTP 502 Bad Gateway` + resend + `.*HTTP status: 502.*error_code: APIGW.0202.*` + rid + tail},
		{name: "504 applied", fault: cbrfake.Fault{Status: 504, Apply: true}, applied: true,
			want: `(?s)CBR Backup Sync Outcome Unknown.*with HTTP 504 Gateway Timeout.*HTTP status: 504.*error_code: APIGW.0203`},
		{name: "broken json", fault: cbrfake.Fault{BrokenJSON: true}, applied: true,
			want: `(?s)CBR Backup Sync Outcome Unknown.*with HTTP 200, so it most likely applied it, but the answer cannot be read` + resend + `.*HTTP 200 with an answer that cannot be read \(request id [0-9a-f]{32}\)` + tail},
		{name: "answer over the read limit", fault: cbrfake.Fault{OversizeBody: 5 << 20}, applied: true,
			want: `(?s)CBR Backup Sync Outcome Unknown.*with HTTP 200, so it most likely applied it, but the answer cannot be read` + resend + `.*the answer is larger than the 4 MiB read limit and was not read` + tail},
		{name: "reset before applying", fault: cbrfake.Fault{Reset: true},
			want: `(?s)CBR Backup Sync Outcome Unknown.*was sent, but the connection failed before an answer came back` + resend + `.*POST http://127.0.0.1:\d+/v3/` + cbrfake.DefaultProjectID + `/backups/sync: no answer` + tail},
		{name: "reset after applying", fault: cbrfake.Fault{Reset: true, Apply: true}, applied: true,
			want: `(?s)CBR Backup Sync Outcome Unknown.*the connection failed before an answer came back` + tail},
		{name: "slower than the timeout", fault: cbrfake.Fault{Delay: 5 * time.Second},
			tune: func(p *cbrProvider) { p.requestTimeout = 500 * time.Millisecond },
			want: `(?s)CBR Backup Sync Outcome Unknown.*was sent, but no answer came back in time` + resend + `.*(Client.Timeout exceeded|context deadline exceeded)` + tail},
		{name: "slower than the create timeout", fault: cbrfake.Fault{Delay: 10 * time.Second}, createTimeout: "1s",
			want: `(?s)CBR Backup Sync Outcome Unknown.*was sent, but no answer came back in time` + resend + `.*context deadline exceeded` + tail},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake, url := startFake(t, cbrfake.Options{})
			fake.InjectFault(cbrfake.KindSync, tc.fault)
			backups := makeBackups(2)
			cfg := providerConfig(url) + backupsConfig(backups)
			if tc.createTimeout != "" {
				cfg = providerConfig(url) + syncConfig(backups, fmt.Sprintf("  timeouts = { create = %q }", tc.createTimeout))
			}
			applied := 0
			if tc.applied {
				applied = 2
			}
			tfresource.ParallelTest(t, tfresource.TestCase{
				ProtoV6ProviderFactories: providerFactoriesWith(nil, tc.tune),
				Steps: []tfresource.TestStep{
					{
						Config:      cfg,
						ExpectError: errorLike(tc.want),
					},
					{
						// The failed apply sent one request and left a tainted
						// record. The plan replaces it, nothing done by hand: the
						// replacement carries both backups over as "unknown" and
						// sends nothing.
						Config: cfg,
						ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
							plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionDestroyBeforeCreate),
							taintedInPriorState{address: testAddr},
							priorState{address: testAddr, check: func(map[string]any) error {
								if n := fake.Count(cbrfake.KindSync); n != 1 {
									return fmt.Errorf("the failed apply sent %d sync requests, want exactly 1", n)
								}
								return expectSynced(fake, applied)(nil)
							}},
							plancheck.ExpectKnownValue(testAddr, syncStatePath(backups[0].BackupID), knownvalue.StringExact(syncUnknown)),
							plancheck.ExpectKnownValue(testAddr, syncStatePath(backups[1].BackupID), knownvalue.StringExact(syncUnknown)),
						}},
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue(testAddr, opPath(backups[0].BackupID), knownvalue.Null()),
							statecheck.ExpectKnownValue(testAddr, syncStatePath(backups[1].BackupID), knownvalue.StringExact(syncUnknown)),
						},
						Check: tfresource.ComposeAggregateTestCheckFunc(
							func(*terraform.State) error { return expectCalls(fake, cbrfake.KindSync, 1)() },
							expectSynced(fake, applied),
						),
					},
					{Config: cfg, PlanOnly: true},
				},
			})
		})
	}
}

// TestAccBackupSync_notSent: nothing listens at the endpoint. The request
// never reaches a server, so it is retried; then the apply fails, and
// nothing is in the state.
func TestAccBackupSync_notSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	fake, url := startFake(t, cbrfake.Options{})
	withRetries := func(u string) string {
		return strings.Replace(providerConfig(u), "provider \"cbr\" {", "provider \"cbr\" {\n  max_retries = 1", 1)
	}
	res := backupsConfig(makeBackups(1))
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{
				Config: withRetries(closed) + res,
				ExpectError: errorLike(`(?s)Unable to Synchronize CBR Backups.*The request to synchronize 1 backup could not be sent to CBR. Nothing was synchronized and nothing was saved in the state. ` +
					`The provider tried 2 times and gave up: max_retries \(1\) reached.*connection refused`),
			},
			{
				Config:           withRetries(url) + res,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionCreate)}},
				Check:            func(*terraform.State) error { return expectCalls(fake, cbrfake.KindSync, 1)() },
			},
		},
	})
}

// TestFailureDetails covers the explanations that cannot be reached through
// plugin-testing: an interrupted apply (Ctrl-C) before and after sending, a
// deadline (the create timeout), and a long list of backups to check.
func TestFailureDetails(t *testing.T) {
	throttled := &cbr.APIError{Method: "POST", URL: "https://cbr.example.com/v3/p/backups/sync", StatusCode: 429, Code: "APIGW.0308", Message: "throttled", RequestID: "rid-1"}
	notApplied := []struct {
		err  error
		want []string
	}{
		{&cbr.TransportError{Method: "POST", URL: "u", Err: context.Canceled}, []string{"The apply was interrupted before the request to synchronize 3 backups was sent. Nothing was synchronized and nothing was saved in the state."}},
		{&cbr.RetryError{Attempts: 1, Reason: "the operation ended while waiting to retry: context canceled", Err: throttled, Ctx: context.Canceled},
			[]string{"CBR did not accept the request to synchronize 3 backups.", "The provider tried 1 time and gave up: the operation ended while waiting to retry: context canceled.", "HTTP status: 429", "request id: rid-1", "attempts: 1 (the operation ended"}},
		{&cbr.RetryError{Attempts: 2, Reason: "the server asked to retry in 30s (Retry-After: 30), but only 5s are left before the deadline (the operation's timeout)", Err: throttled},
			[]string{"The provider tried 2 times and gave up: the server asked to retry in 30s", "only 5s are left before the deadline"}},
		{&cbr.RetryError{Attempts: 6, Reason: "max_retries (5) reached", Err: &cbr.TransportError{Method: "POST", URL: "u", Err: errors.New("dial tcp: connection refused")}},
			[]string{"could not be sent to CBR", "tried 6 times and gave up: max_retries (5) reached. No connection reached CBR: check that the endpoint in u is right and reachable from here",
				"Apply again later, or raise max_retries", "connection refused"}},
	}
	for _, tc := range notApplied {
		got := notAppliedDetail(tc.err, 3)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("notAppliedDetail(%v) lacks %q:\n%s", tc.err, w, got)
			}
		}
	}

	applied := []struct {
		err  error
		want string
	}{
		{&cbr.TransportError{Method: "POST", URL: "u", Err: context.Canceled, Sent: true}, "was sent, but the apply was interrupted before the answer came back"},
		{&cbr.TransportError{Method: "POST", URL: "u", Err: context.DeadlineExceeded, Sent: true}, "was sent, but no answer came back in time"},
		{&cbr.TransportError{Method: "POST", URL: "u", Err: errors.New("read: connection reset by peer"), Sent: true}, "the connection failed before an answer came back"},
	}
	for _, tc := range applied {
		if got := describeMaybeApplied(tc.err, 12); !strings.Contains(got, tc.want) || !strings.Contains(got, "12 backups") {
			t.Errorf("%v: %s", tc.err, got)
		}
	}

	ids := make([]string, 25)
	for i := range ids {
		ids[i] = fmt.Sprintf("bk-%02d", i)
	}
	d := syncFailureDiagnostic(true, syncOutcome{
		failed:   &cbr.Batch{Backups: make([]model.BackupSync, 50), Err: &cbr.TransportError{Method: "POST", URL: "u", Err: context.Canceled, Sent: true}},
		accepted: ids[:3], unknown: ids, notSent: ids[3:5], failedIndex: 1, requests: 3,
	})
	for _, w := range []string{"Request 2 of 3 failed.", "was sent, but the apply was interrupted", "Imported: 3 backups", "bk-00, bk-01, bk-02.",
		"Outcome unknown: 25 backups", "bk-19 and 5 more", "does not send them again by itself", "Not sent: 2 backups", "bk-03, bk-04. The next apply sends them, and only them.", "no `terraform untaint`", "the replacement Terraform plans sends nothing already recorded"} {
		if !strings.Contains(d.Detail(), w) {
			t.Errorf("syncFailureDiagnostic lacks %q:\n%s", w, d.Detail())
		}
	}
	if d.Summary() != "CBR Backup Sync Outcome Unknown" {
		t.Errorf("summary %q", d.Summary())
	}
}
