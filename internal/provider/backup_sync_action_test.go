package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// The action is tested twice over: in-process through the protocol 6 server
// (InvokeAction, with its stream of progress events, any list size), and
// through the Terraform CLI (Terraform 1.14 or later; see
// backup_sync_action_cli_test.go).

// actionProviderServer is a provider server with the action RPCs.
type actionProviderServer interface {
	tfprotov6.ProviderServer
	tfprotov6.ActionServer
}

// actionServer serves the provider in-process, configured with token
// authentication for the fake API at url.
func actionServer(t *testing.T, url string) (actionProviderServer, *tfprotov6.GetProviderSchemaResponse) {
	t.Helper()
	ctx := context.Background()
	srv, ok := providerserver.NewProtocol6(&cbrProvider{
		version:        "test",
		getenv:         func(string) string { return "" },
		retryBaseDelay: time.Millisecond,
		retryMaxDelay:  10 * time.Millisecond,
	})().(actionProviderServer)
	if !ok {
		t.Fatal("the provider server does not serve actions")
	}
	schemas, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(schemas.Diagnostics) > 0 {
		t.Fatalf("GetProviderSchema: %v %v", err, diagsText(schemas.Diagnostics))
	}
	if schemas.ActionSchemas["cbr_backup_sync"] == nil {
		t.Fatalf("GetProviderSchema lists no cbr_backup_sync action: %v", schemas.ActionSchemas)
	}
	typ, ok := schemas.Provider.ValueType().(tftypes.Object)
	if !ok {
		t.Fatalf("the provider schema's type is %T", schemas.Provider.ValueType())
	}
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(at, nil)
	}
	vals["endpoints"] = tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, map[string]tftypes.Value{"cbr": tftypes.NewValue(tftypes.String, url)})
	vals["project_id"] = tftypes.NewValue(tftypes.String, cbrfake.DefaultProjectID)
	vals["auth_token"] = tftypes.NewValue(tftypes.String, cbrfake.DefaultToken)
	cfg, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, vals))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "1.15.9", Config: &cfg})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("ConfigureProvider: %v %v", err, diagsText(resp.Diagnostics))
	}
	return srv, schemas
}

// actionConfig builds the action's configuration. timeout "" leaves it null.
func actionConfig(t *testing.T, schemas *tfprotov6.GetProviderSchemaResponse, backups []testBackup, wait bool, timeout string) *tfprotov6.DynamicValue {
	t.Helper()
	typ, ok := schemas.ActionSchemas["cbr_backup_sync"].Schema.ValueType().(tftypes.Object)
	if !ok {
		t.Fatalf("the action schema's type is %T", schemas.ActionSchemas["cbr_backup_sync"].Schema.ValueType())
	}
	to := tftypes.NewValue(tftypes.String, nil)
	if timeout != "" {
		to = tftypes.NewValue(tftypes.String, timeout)
	}
	dv, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, map[string]tftypes.Value{
		"backups":             backupsValue(t, typ, backups),
		"wait_for_completion": tftypes.NewValue(tftypes.Bool, wait),
		"timeout":             to,
	}))
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

// invokeAction invokes the action and collects its progress messages and
// the diagnostics of its completed event.
func invokeAction(t *testing.T, srv actionProviderServer, cfg *tfprotov6.DynamicValue) (progress []string, diags []*tfprotov6.Diagnostic) {
	t.Helper()
	return invokeActionWith(t, context.Background(), srv, cfg, nil)
}

// invokeActionWith is invokeAction with a context, and a function called
// with each progress message as it arrives.
func invokeActionWith(t *testing.T, ctx context.Context, srv actionProviderServer, cfg *tfprotov6.DynamicValue, onProgress func(string)) (progress []string, diags []*tfprotov6.Diagnostic) {
	t.Helper()
	stream, err := srv.InvokeAction(ctx, &tfprotov6.InvokeActionRequest{ActionType: "cbr_backup_sync", Config: cfg})
	if err != nil {
		t.Fatalf("InvokeAction: %v", err)
	}
	completed := 0
	for ev := range stream.Events {
		switch e := ev.Type.(type) {
		case tfprotov6.ProgressInvokeActionEventType:
			progress = append(progress, e.Message)
			if onProgress != nil {
				onProgress(e.Message)
			}
		case tfprotov6.CompletedInvokeActionEventType:
			completed++
			diags = e.Diagnostics
		default:
			t.Fatalf("unexpected event %T", ev.Type)
		}
	}
	if completed != 1 {
		t.Fatalf("%d completed events, want 1", completed)
	}
	return progress, diags
}

// syncRequestSizes returns the number of entries of each sync request the
// fake received, in order, and fails the test on any backup imported twice.
func syncRequestSizes(t *testing.T, fake *cbrfake.Server) []int {
	t.Helper()
	var sizes []int
	for _, r := range requestsOf(fake, cbrfake.KindSync) {
		var body struct {
			Sync []json.RawMessage `json:"sync"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatalf("sync body %q: %v", r.Body, err)
		}
		sizes = append(sizes, len(body.Sync))
	}
	noDuplicateImports(t, fake)
	return sizes
}

// noDuplicateImports fails the test when the fake imported a backup twice.
func noDuplicateImports(t *testing.T, fake *cbrfake.Server) {
	t.Helper()
	seen := map[string]bool{}
	for _, s := range fake.Synced() {
		if seen[s.BackupID] {
			t.Errorf("backup %s was imported more than once", s.BackupID)
		}
		seen[s.BackupID] = true
	}
}

func TestBackupSyncActionInvoke(t *testing.T) {
	t.Parallel()
	backups := makeBackups(120)
	backups[60].ResourceType = "OS::Cinder::Volume"

	t.Run("120 backups in requests of 50", func(t *testing.T) {
		fake, url := startFake(t, cbrfake.Options{})
		srv, schemas := actionServer(t, url)
		progress, diags := invokeAction(t, srv, actionConfig(t, schemas, backups, false, ""))
		if len(diags) > 0 {
			t.Fatalf("diagnostics:\n%s", diagsText(diags))
		}
		if got := syncRequestSizes(t, fake); fmt.Sprint(got) != "[50 50 20]" {
			t.Errorf("sync request sizes %v, want [50 50 20]", got)
		}
		synced := fake.Synced()
		if len(synced) != len(backups) {
			t.Fatalf("the fake imported %d backups, want %d", len(synced), len(backups))
		}
		for i, s := range synced {
			if s.BackupID != backups[i].BackupID || s.ResourceType != backups[i].ResourceType || s.CreatedAt != backups[i].CreatedAt {
				t.Errorf("import %d: %+v, want backup %+v", i, s, backups[i])
			}
		}
		rids := requestsOf(fake, cbrfake.KindSync)
		want := []string{
			"Sending 120 backups to CBR in 3 requests of at most 50.",
			"CBR accepted request 1 of 3 (request id " + rids[0].RequestID + "): 50 of 120 backups sent.",
			"CBR accepted request 2 of 3 (request id " + rids[1].RequestID + "): 100 of 120 backups sent.",
			"CBR accepted request 3 of 3 (request id " + rids[2].RequestID + "): 120 of 120 backups sent.",
			"CBR accepted 120 backups; it imports them in the background (wait_for_completion is not set).",
		}
		if strings.Join(progress, "\n") != strings.Join(want, "\n") {
			t.Errorf("progress\n got %q\nwant %q", progress, want)
		}
		if n := fake.Count(cbrfake.KindOperationLog) + fake.Count(cbrfake.KindOperationLogs); n != 0 {
			t.Errorf("%d operation log reads without wait_for_completion", n)
		}

		// Every invocation sends again: that is what the action is for.
		allowImports(fake, 2, backups[0].BackupID, backups[1].BackupID)
		_, diags = invokeAction(t, srv, actionConfig(t, schemas, backups[:2], false, ""))
		if len(diags) > 0 {
			t.Fatalf("diagnostics:\n%s", diagsText(diags))
		}
		if n := fake.Count(cbrfake.KindSync); n != 4 {
			t.Errorf("%d sync requests after a second invocation, want 4", n)
		}
	})

	t.Run("refused second request", func(t *testing.T) {
		fake, url := startFake(t, cbrfake.Options{})
		fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{}, cbrfake.Fault{Status: 400, ErrorCode: "BackupService.9900", ErrorMsg: "Invalid parameter: bucket_name"})
		srv, schemas := actionServer(t, url)
		progress, diags := invokeAction(t, srv, actionConfig(t, schemas, backups, false, ""))
		if got := syncRequestSizes(t, fake); fmt.Sprint(got) != "[50 50]" {
			t.Errorf("sync request sizes %v, want [50 50]: nothing after the refused request", got)
		}
		if n := len(fake.Synced()); n != 50 {
			t.Errorf("the fake imported %d backups, want 50", n)
		}
		rid := requestsOf(fake, cbrfake.KindSync)[1].RequestID
		expectOneError(t, diags, "Unable to Synchronize CBR Backups",
			`(?s)^CBR did not accept request 2 of 3 \(50 backups\)\.\n\nHTTP status: 400\nerror_code: BackupService.9900\nerror_msg: Invalid parameter: bucket_name\n.*request id: `+rid+`\n`+
				`.*Of the 120 backups of this invocation:\n`+
				`- accepted by CBR, which imports them: 50: 1f9e6b47-7655-4a19-b563-000000000000 \(operation log [0-9a-f-]{36}\), .* and 45 more\n`+
				`- not synchronized \(not sent, or refused by CBR\): 70: 1f9e6b47-7655-4a19-b563-000000000050, .* and 60 more\n`+
				`\nThe action does not send a sync request again by itself.*Nothing is recorded in the state\. Fix the cause, then invoke the action again with only the backups that were not synchronized\.$`)
		if len(progress) != 2 {
			t.Errorf("progress %q, want the start and request 1", progress)
		}
	})

	t.Run("outcome unknown", func(t *testing.T) {
		fake, url := startFake(t, cbrfake.Options{})
		fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{}, cbrfake.Fault{Status: 502, Apply: true})
		srv, schemas := actionServer(t, url)
		_, diags := invokeAction(t, srv, actionConfig(t, schemas, backups, false, ""))
		// The unknown request is not retried, and the third is not sent.
		if got := syncRequestSizes(t, fake); fmt.Sprint(got) != "[50 50]" {
			t.Errorf("sync request sizes %v, want [50 50]", got)
		}
		rid := requestsOf(fake, cbrfake.KindSync)[1].RequestID
		expectOneError(t, diags, "CBR Backup Sync Outcome Unknown",
			`(?s)^CBR answered request 2 of 3 \(50 backups\) with HTTP 502 Bad Gateway\. That answer does not tell whether CBR applied the request.*`+
				`HTTP status: 502\nerror_code: APIGW.0202\n.*request id: `+rid+`\n`+
				`.*- accepted by CBR, which imports them: 50: .*\n- outcome unknown \(may or may not be imported\): 50: 1f9e6b47-7655-4a19-b563-000000000050, .* and 40 more\n`+
				`- not synchronized \(not sent, or refused by CBR\): 20: 1f9e6b47-7655-4a19-b563-000000000100, .*\n`+
				`.*does not send a sync request again by itself: the sync API is not idempotent.*Check in CBR .* whether the backups whose outcome is unknown were imported`)
	})

	t.Run("incomplete answer", func(t *testing.T) {
		fake, url := startFake(t, cbrfake.Options{})
		fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{DropItems: 2})
		srv, schemas := actionServer(t, url)
		_, diags := invokeAction(t, srv, actionConfig(t, schemas, backups[:3], false, ""))
		if got := syncRequestSizes(t, fake); fmt.Sprint(got) != "[3]" {
			t.Errorf("sync request sizes %v, want [3]", got)
		}
		expectOneError(t, diags, "Incomplete CBR Backup Sync Answer",
			`(?s)^CBR accepted request 1 of 1 \(3 backups\), but its answer gives no operation log ID for 2 of them\..*request id [0-9a-f]{32}`+
				`.*- accepted by CBR, which imports them: 1: 1f9e6b47-7655-4a19-b563-000000000000 \(operation log [0-9a-f-]{36}\)\n`+
				`- outcome unknown \(may or may not be imported\): 2: 1f9e6b47-7655-4a19-b563-000000000001, 1f9e6b47-7655-4a19-b563-000000000002\n`)
	})

	t.Run("wait with progress", func(t *testing.T) {
		fake, url := startFake(t, cbrfake.Options{})
		// Backup 7 fails; 8 finishes late.
		fake.ScriptBackup(backups[7].BackupID, cbrfake.Step{Status: cbrfake.StatusRunning}, cbrfake.Step{Status: cbrfake.StatusFailed, ErrorCode: "BackupService.6001", ErrorMessage: "image not found in the bucket"})
		fake.ScriptBackup(backups[8].BackupID, cbrfake.Step{Status: cbrfake.StatusWaiting}, cbrfake.Step{Status: cbrfake.StatusRunning}, cbrfake.Step{Status: cbrfake.StatusRunning},
			cbrfake.Step{Status: cbrfake.StatusRunning}, cbrfake.Step{Status: cbrfake.StatusSuccess})
		srv, schemas := actionServer(t, url)
		progress, diags := invokeAction(t, srv, actionConfig(t, schemas, backups[:60], true, "1m"))
		if got := syncRequestSizes(t, fake); fmt.Sprint(got) != "[50 10]" {
			t.Errorf("sync request sizes %v, want [50 10]", got)
		}
		waiting := 0
		for _, p := range progress {
			if strings.HasPrefix(p, "Waiting for CBR: ") {
				waiting++
				if !regexp.MustCompile(`^Waiting for CBR: \d+ of 60 backups imported, [01] failed, \d+ still running; next check in \d+ms\.$`).MatchString(p) {
					t.Errorf("progress %q", p)
				}
			}
		}
		// The default script is waiting, running, success: two rounds at
		// least before most are imported; backup 8 needs five reads.
		if waiting < 4 {
			t.Errorf("%d waiting progress events, want at least 4: %q", waiting, progress)
		}
		if last := progress[len(progress)-1]; last != "Done waiting: 59 of 60 backups imported, 1 failed, 0 still running, 0 not checked." {
			t.Errorf("last progress %q", last)
		}
		expectOneError(t, diags, "CBR Backup Sync Failed",
			`(?s)^CBR accepted 60 backups \(2 requests\)\. Some import tasks did not succeed\. Imported \(status success or skipped\): 59 of 60; failed: 1; still running: 0; not checked: 0\.\n\n`+
				`- operation log [0-9a-f-]{36} \(1f9e6b47-7655-4a19-b563-000000000007\): status failed, error_code BackupService.6001, error_msg "image not found in the bucket"\n`+
				`\nThe action does not send these backups again by itself, and records nothing in the state\..*data "cbr_operation_logs" "check"`)
		if n := fake.Count(cbrfake.KindSync); n != 2 {
			t.Errorf("%d sync requests, want 2: waiting sends nothing", n)
		}
	})

	t.Run("operation log not found", func(t *testing.T) {
		fake, url := startFake(t, cbrfake.Options{})
		fake.HideBackupsFromList(backups[0].BackupID) // read by ID, which fails
		fake.InjectFault(cbrfake.KindOperationLog, cbrfake.Fault{Status: 404, ErrorCode: "BackupService.0404", ErrorMsg: "The operation log does not exist"})
		srv, schemas := actionServer(t, url)
		progress, diags := invokeAction(t, srv, actionConfig(t, schemas, backups[:2], true, "1m"))
		expectOneError(t, diags, "Unable to Check CBR Backup Sync",
			`(?s)^CBR accepted 2 backups \(1 request\)\. Some import tasks could not be checked\. Imported \(status success or skipped\): 1 of 2; failed: 0; still running: 0; not checked: 1\.\n\n`+
				`- operation log [0-9a-f-]{36} \(1f9e6b47-7655-4a19-b563-000000000000\): could not be read, CBR has no such operation log: .*HTTP 404.*BackupService.0404`)
		want := regexp.MustCompile(`^Waiting for CBR: 0 of 2 backups imported, 0 failed, 1 still running, 1 not checked \(their operation logs cannot be read\); next check in 5ms\.$`)
		if len(progress) < 3 || !want.MatchString(progress[2]) {
			t.Errorf("progress %q, want the third to match %s", progress, want)
		}
		if n := fake.Count(cbrfake.KindSync); n != 1 {
			t.Errorf("%d sync requests, want 1", n)
		}
	})

	t.Run("token refused", func(t *testing.T) {
		fake, url := startFake(t, cbrfake.Options{Tokens: []string{}})
		srv, schemas := actionServer(t, url)
		_, diags := invokeAction(t, srv, actionConfig(t, schemas, backups[:2], false, ""))
		expectOneError(t, diags, "Unable to Synchronize CBR Backups",
			`(?s)^CBR did not accept request 1 of 1 \(2 backups\)\..*HTTP status: 401.*request id: [0-9a-f]{32}.*token.*refused.*not synchronized \(not sent, or refused by CBR\): 2:`)
		if n := len(fake.Synced()); n != 0 {
			t.Errorf("%d backups imported with a refused token", n)
		}
	})

	t.Run("interrupted while waiting", func(t *testing.T) {
		fake, url := startFake(t, cbrfake.Options{})
		fake.SetDefaultScript(cbrfake.Step{Status: cbrfake.StatusRunning})
		srv, schemas := actionServer(t, url)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		// Ctrl-C once waiting has begun (the operation logs stay running,
		// so the outcome does not depend on when the cancellation lands).
		_, diags := invokeActionWith(t, ctx, srv, actionConfig(t, schemas, backups[:2], true, "1m"), func(msg string) {
			if strings.HasPrefix(msg, "Waiting for CBR: ") {
				cancel()
			}
		})
		expectOneError(t, diags, "Waiting for CBR Backup Sync Interrupted",
			`(?s)^CBR accepted 2 backups \(1 request\)\. Waiting was interrupted before every import task finished; the tasks go on in CBR\..*still running: 2`)
		if n := fake.Count(cbrfake.KindSync); n != 1 {
			t.Errorf("%d sync requests, want 1", n)
		}
	})

	t.Run("interrupted before sending", func(t *testing.T) {
		fake, url := startFake(t, cbrfake.Options{})
		srv, schemas := actionServer(t, url)
		// Ctrl-C before anything is sent.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, diags := invokeActionWith(t, ctx, srv, actionConfig(t, schemas, backups[:2], false, ""), nil)
		expectOneError(t, diags, "Unable to Synchronize CBR Backups",
			`(?s)^The invocation was interrupted before request 1 of 1 \(2 backups\) was sent\..*not synchronized \(not sent, or refused by CBR\): 2:`)
		if n := fake.Count(cbrfake.KindSync); n != 0 {
			t.Errorf("%d sync requests, want 0", n)
		}
	})

	t.Run("no backups", func(t *testing.T) {
		fake, url := startFake(t, cbrfake.Options{})
		srv, schemas := actionServer(t, url)
		progress, diags := invokeAction(t, srv, actionConfig(t, schemas, nil, false, ""))
		expectOneError(t, diags, "No Backups", `^backups is empty: there is nothing to synchronize\.$`)
		if len(progress) != 0 || len(fake.Requests()) != 0 {
			t.Errorf("progress %q and %d requests for an empty list", progress, len(fake.Requests()))
		}
	})

	t.Run("wait times out", func(t *testing.T) {
		fake, url := startFake(t, cbrfake.Options{})
		fake.SetDefaultScript(cbrfake.Step{Status: cbrfake.StatusRunning})
		srv, schemas := actionServer(t, url)
		_, diags := invokeAction(t, srv, actionConfig(t, schemas, backups[:2], true, "300ms"))
		expectOneError(t, diags, "Timed Out Waiting for CBR Backup Sync",
			`(?s)^CBR accepted 2 backups \(1 request\)\. The action's timeout ran out before every import task finished; the tasks go on in CBR\. .*still running: 2.*`+
				`- operation log [0-9a-f-]{36} \(1f9e6b47-7655-4a19-b563-000000000000\): still running\n`)
		if n := fake.Count(cbrfake.KindSync); n != 1 {
			t.Errorf("%d sync requests, want 1", n)
		}
	})
}

// expectOneError checks that diags is exactly one error with this summary
// and a detail matching pattern.
func expectOneError(t *testing.T, diags []*tfprotov6.Diagnostic, summary, pattern string) {
	t.Helper()
	if len(diags) != 1 || diags[0].Severity != tfprotov6.DiagnosticSeverityError {
		t.Fatalf("want one error, got:\n%s", diagsText(diags))
	}
	if diags[0].Summary != summary {
		t.Errorf("summary %q, want %q", diags[0].Summary, summary)
	}
	if !regexp.MustCompile(pattern).MatchString(diags[0].Detail) {
		t.Errorf("detail does not match %s:\n%s", pattern, diags[0].Detail)
	}
}

// TestBackupSyncActionSchema checks that the action takes the resource's
// backup arguments, with their validators, and none of its computed ones.
func TestBackupSyncActionSchema(t *testing.T) {
	_, url := startFake(t, cbrfake.Options{})
	_, schemas := actionServer(t, url)
	var names []string
	for _, a := range schemas.ActionSchemas["cbr_backup_sync"].Schema.Block.Attributes {
		names = append(names, a.Name)
		if a.Name != "backups" {
			continue
		}
		var nested []string
		for _, na := range a.NestedType.Attributes {
			nested = append(nested, fmt.Sprintf("%s:%v", na.Name, na.Required))
		}
		if got := strings.Join(nested, " "); got != "backup_id:false backup_name:true bucket_name:true created_at:true image_path:true resource_id:true resource_name:true resource_type:false" {
			t.Errorf("backups attributes: %s", got)
		}
	}
	if got := strings.Join(names, " "); got != "backups timeout wait_for_completion" {
		t.Errorf("attributes: %s", got)
	}
}

// TestWholeSeconds: created_at is read from an Int64 or a Number attribute,
// and only whole numbers are taken.
func TestWholeSeconds(t *testing.T) {
	cases := []struct {
		v    attr.Value
		want int64
		ok   bool
	}{
		{types.Int64Value(1714521600), 1714521600, true},
		{types.Int64Null(), 0, false},
		{types.Int64Unknown(), 0, false},
		{types.NumberValue(big.NewFloat(1714521600)), 1714521600, true},
		{types.NumberValue(big.NewFloat(1714521600.5)), 0, false},
		{types.NumberValue(new(big.Float).SetFloat64(1e30)), 0, false},
		{types.NumberNull(), 0, false},
		{types.NumberUnknown(), 0, false},
		{types.StringValue("1714521600"), 0, false},
	}
	for _, tc := range cases {
		got, ok := wholeSeconds(tc.v)
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("wholeSeconds(%s) = %d, %v; want %d, %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

// TestBackupSyncActionValidatesLikeTheResource: the action's backups are
// checked as the resource's are, with the same diagnostics on the same
// paths, whatever check the resource gains.
func TestBackupSyncActionValidatesLikeTheResource(t *testing.T) {
	t.Parallel()
	_, url := startFake(t, cbrfake.Options{})
	srv, schemas := actionServer(t, url)
	ctx := context.Background()
	rtyp, ok := schemas.ResourceSchemas["cbr_backup_sync"].ValueType().(tftypes.Object)
	if !ok {
		t.Fatal("the resource schema is not an object")
	}
	atyp, ok := schemas.ActionSchemas["cbr_backup_sync"].Schema.ValueType().(tftypes.Object)
	if !ok {
		t.Fatal("the action schema is not an object")
	}
	bad := makeBackups(6)
	bad[1].Key, bad[1].BackupID = bad[1].BackupID, bad[0].BackupID // differs from its key
	bad[1].BackupName = strings.Repeat("名", 65)
	bad[2].BucketName = "  "
	bad[2].CreatedAt = 1714521600000 // milliseconds
	bad[3].ResourceType = "OS::Unknown::Thing"
	bad[4].ResourceType = "VMware"
	bad[5].BackupID = " " // a blank key
	own := withOwnID(makeBackups(3))
	cases := map[string][]testBackup{
		"mistakes":               bad,
		"empty":                  nil,
		"backup_id equal to key": own,
		"valid":                  makeBackups(2),
		"valid big":              makeBackups(51),
		"unknown types":          {{BackupID: "a", BackupName: "n", BucketName: "b", ImagePath: "p", ResourceID: "r", ResourceName: "vm", ResourceType: "VMware", CreatedAt: 1}, {BackupID: "b", BackupName: "n", BucketName: "b", ImagePath: "p", ResourceID: "r", ResourceName: "vm", ResourceType: "VMware", CreatedAt: 1}},
		// The resource holds at most maxBackupsPerResource backups; an
		// invocation records nothing and takes any number.
		"more than a resource holds": makeBackups(maxBackupsPerResource + 1),
	}
	for name, backups := range cases {
		t.Run(name, func(t *testing.T) {
			rcfg, err := tfprotov6.NewDynamicValue(rtyp, objectWith(rtyp, map[string]tftypes.Value{"backups": backupsValue(t, rtyp, backups)}))
			if err != nil {
				t.Fatal(err)
			}
			acfg, err := tfprotov6.NewDynamicValue(atyp, objectWith(atyp, map[string]tftypes.Value{"backups": backupsValue(t, atyp, backups)}))
			if err != nil {
				t.Fatal(err)
			}
			rresp, err := srv.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{TypeName: "cbr_backup_sync", Config: &rcfg})
			if err != nil {
				t.Fatal(err)
			}
			aresp, err := srv.ValidateActionConfig(ctx, &tfprotov6.ValidateActionConfigRequest{ActionType: "cbr_backup_sync", Config: &acfg})
			if err != nil {
				t.Fatal(err)
			}
			rdiags := rresp.Diagnostics
			if len(backups) > maxBackupsPerResource {
				// The resource's one more error: its size bound, on no path.
				var rest []*tfprotov6.Diagnostic
				for _, d := range rdiags {
					if d.Summary == "Too Many Backups" && d.Severity == tfprotov6.DiagnosticSeverityError && d.Attribute == nil {
						continue
					}
					rest = append(rest, d)
				}
				if len(rest) != len(rdiags)-1 {
					t.Errorf("the resource's validation of %d backups, want one Too Many Backups error without a path:\n%s", len(backups), diagsText(rdiags))
				}
				rdiags = rest
			}
			rd, ad := diagKeys(rdiags), diagKeys(aresp.Diagnostics)
			if rd != ad {
				t.Errorf("the resource's validation:\n%s\nthe action's:\n%s", rd, ad)
			}
			switch name {
			case "mistakes":
				for _, want := range []string{"Backup ID Differs From Its Key", "Backup Name Too Long", "Blank Value", "Invalid Backup Time", "Unknown Resource Type", "Blank Backup ID"} {
					if !strings.Contains(ad, want) {
						t.Errorf("no %s among the diagnostics of the mistakes:\n%s", want, ad)
					}
				}
				if n := strings.Count(ad, "Unknown Resource Type"); n != 1 {
					t.Errorf("%d Unknown Resource Type warnings, want one for both entries:\n%s", n, ad)
				}
			case "unknown types":
				if n := strings.Count(ad, "\n"); n != 1 || !strings.Contains(ad, "Unknown Resource Type") || !strings.Contains(ad, `2 backups in backups have a resource_type that CBR does not document`) {
					t.Errorf("want one Unknown Resource Type warning for both entries, got:\n%s", ad)
				}
			case "empty":
				if !strings.Contains(ad, "No Backups") {
					t.Errorf("no No Backups error:\n%s", ad)
				}
			default:
				if ad != "\n" {
					t.Errorf("diagnostics for valid backups:\n%s", ad)
				}
			}
		})
	}
}

// diagKeys lists diagnostics as severity, summary, path and detail, sorted.
func diagKeys(diags []*tfprotov6.Diagnostic) string {
	keys := make([]string, len(diags))
	for i, d := range diags {
		keys[i] = fmt.Sprintf("%v %s at %v: %s", d.Severity, d.Summary, d.Attribute, d.Detail)
	}
	sort.Strings(keys)
	return strings.Join(keys, "\n") + "\n"
}

// TestActionSyncEntries: the action sends what the resource would send for
// the same configured backups (backup_id from the key, resource_type's
// default), and refuses values that are not known or out of range.
func TestActionSyncEntries(t *testing.T) {
	ctx := context.Background()
	attr, diags := actionBackupsAttribute(ctx)
	if diags.HasError() {
		t.Fatal(diags)
	}
	mapType := as[types.MapType](attr.GetType())
	elemType := as[tftypes.Object](as[types.ObjectType](mapType.ElemType).TerraformType(ctx))
	config := func(backups []testBackup, edit func(map[string]any)) types.Map {
		elems := map[string]tftypes.Value{}
		for _, b := range backups {
			attrs := b.configured()
			delete(attrs, "backup_id")
			if edit != nil {
				edit(attrs)
			}
			elems[b.BackupID] = entryValue(elemType, attrs)
		}
		v, err := mapType.ValueFromTerraform(ctx, tftypes.NewValue(tftypes.Map{ElementType: elemType}, elems))
		if err != nil {
			t.Fatal(err)
		}
		return as[types.Map](v)
	}
	backups := makeBackups(3)
	backups[1].ResourceType = "OS::Nova::Server"
	got, diags := actionSyncEntries(ctx, config(backups, nil))
	if diags.HasError() {
		t.Fatal(diags)
	}
	want := syncEntries(backups)
	for i := range want {
		if want[i].ResourceType == "" {
			want[i].ResourceType = cbr.DefaultResourceType
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the action sends\n%+v\nwant what the resource sends\n%+v", got, want)
	}

	for _, tc := range []struct {
		name, summary string
		edit          func(map[string]any)
	}{
		{"an unknown bucket_name", "Value Not Known", func(a map[string]any) { a["bucket_name"] = tftypes.NewValue(tftypes.String, tftypes.UnknownValue) }},
		{"created_at 0", "Invalid Value", func(a map[string]any) { a["created_at"] = int64(0) }},
	} {
		_, diags := actionSyncEntries(ctx, config(backups[:1], tc.edit))
		if len(diags) != 1 || diags[0].Summary() != tc.summary {
			t.Errorf("%s: %v, want one %q", tc.name, diags, tc.summary)
		}
	}
}
