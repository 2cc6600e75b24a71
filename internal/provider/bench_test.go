package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// The benchmarks below call the provider's protocol server in-process, the way
// Terraform calls it over gRPC, once per cbr_backup_sync resource of 50
// backups and of 2,000. They explain where bench/run.sh's time goes (see
// BENCHMARKS.md); they assert nothing about timings. The server is the one
// the binary serves (NewServer); "framework" sub-benchmarks time the bare
// framework server (what the binary serves when the user asks for logs) for
// the calls the served one answers itself, side by side.
//
//	go test -run '^$' -bench . -benchmem ./internal/provider/
//	go test -run '^$' -bench 'BackupSync/50/PlanResourceChange' -cpuprofile cpu.out ./internal/provider/

// benchServer is a configured provider server with the values Terraform sends
// for one cbr_backup_sync resource.
type benchServer struct {
	server    tfprotov6.ProviderServer
	framework tfprotov6.ProviderServer // the same provider, served by the bare framework
	typ       tftypes.Type
	config    *tfprotov6.DynamicValue // configuration: id and operation_log_id null
	planned   *tfprotov6.DynamicValue // planned new state on create: computed values unknown
	state     *tfprotov6.DynamicValue // state after apply
	rawState  []byte                  // the same state as stored in a state file (JSON)
	nullVal   *tfprotov6.DynamicValue
	resource  string
}

func newBenchServer(b *testing.B, n int) *benchServer {
	b.Helper()
	ctx := context.Background()
	_, url := startFakeB(b)
	newP := func() provider.Provider {
		return &cbrProvider{version: "bench", getenv: func(string) string { return "" }}
	}
	server, err := serverFor(newP, serverOptions{})()
	if err != nil {
		b.Fatal(err)
	}
	framework, err := providerserver.NewProtocol6WithError(newP())()
	if err != nil {
		b.Fatal(err)
	}
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(schemas.Diagnostics) > 0 {
		b.Fatalf("GetProviderSchema: %v %v", err, schemas.Diagnostics)
	}
	// Every provider attribute null but the ones a token setup needs, so the
	// value follows the schema as it grows.
	providerConfig := providerConfigValue(b, schemas, url)
	for _, s := range []tfprotov6.ProviderServer{server, framework} {
		conf, err := s.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "1.11.4", Config: providerConfig})
		if err != nil || len(conf.Diagnostics) > 0 {
			b.Fatalf("ConfigureProvider: %v %v", err, conf.Diagnostics)
		}
	}

	const resource = "cbr_backup_sync"
	typ := schemas.ResourceSchemas[resource].ValueType()
	resType, ok := typ.(tftypes.Object)
	if !ok {
		b.Fatalf("resource type %T", typ)
	}
	mapType, objType := backupsTypes(b, resType)
	backup := func(i int, opLogID any) tftypes.Value {
		bk := numberedBackup(i)
		attrs := bk.attrs()
		attrs["operation_log_id"], attrs["sync_state"] = opLogID, syncStateOf(opLogID) // status null: not waiting
		return bk.value(objType, attrs)
	}
	// object is the resource with id and operation log IDs as given, the
	// other attributes null (triggers, timeouts) or, outside the
	// configuration, at their defaults (wait_for_completion = false).
	object := func(id any, opLogID func(i int) any) tftypes.Value {
		entries := make(map[string]tftypes.Value, n)
		for i := 0; i < n; i++ {
			entries[directID(i)] = backup(i, opLogID(i))
		}
		attrs := map[string]tftypes.Value{
			"id":      tftypes.NewValue(tftypes.String, id),
			"backups": tftypes.NewValue(mapType, entries),
		}
		for name, t := range resType.AttributeTypes {
			if _, ok := attrs[name]; !ok {
				attrs[name] = tftypes.NewValue(t, nil)
			}
		}
		if id != nil {
			attrs["wait_for_completion"] = tftypes.NewValue(tftypes.Bool, false)
		}
		return tftypes.NewValue(typ, attrs)
	}
	// rawState is a version 0 state (a list without sync_state):
	// UpgradeResourceState upgrades it to the map, as it does once for a
	// state written by release 0.1.
	raw := map[string]any{"id": "6f1c2c4e-8f5e-4a55-9d38-0d1f6d1b2c3a", "wait_for_completion": false, "triggers": nil, "timeouts": nil}
	var rawBackups []map[string]any
	for i := 0; i < n; i++ {
		entry := numberedBackup(i).accepted(fmt.Sprintf("op-%d", i)).json()
		delete(entry, "sync_state") // version 0 had none
		rawBackups = append(rawBackups, entry)
	}
	raw["backups"] = rawBackups
	rawState, err := json.Marshal(raw)
	if err != nil {
		b.Fatal(err)
	}
	s := &benchServer{
		rawState:  rawState,
		server:    server,
		framework: framework,
		typ:       typ,
		resource:  resource,
		config:    mustDynamic(b, typ, object(nil, func(int) any { return nil })),
		planned:   mustDynamic(b, typ, object(tftypes.UnknownValue, func(int) any { return tftypes.UnknownValue })),
		state:     mustDynamic(b, typ, object("6f1c2c4e-8f5e-4a55-9d38-0d1f6d1b2c3a", func(i int) any { return fmt.Sprintf("op-%d", i) })),
		nullVal:   mustDynamic(b, typ, tftypes.NewValue(typ, nil)),
	}
	return s
}

func startFakeB(b *testing.B) (*cbrfake.Server, string) {
	b.Helper()
	fake := cbrfake.New(cbrfake.Options{})
	url, closeFn := fake.Start()
	b.Cleanup(closeFn)
	return fake, url
}

func noDiags(b *testing.B, what string, err error, diags []*tfprotov6.Diagnostic) {
	b.Helper()
	if err != nil {
		b.Fatalf("%s: %v", what, err)
	}
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			b.Fatalf("%s: %s: %s", what, d.Summary, d.Detail)
		}
	}
}

// BenchmarkBackupSync measures each call Terraform makes for one resource of
// 50 backups and of 2,000: validation, plan of a new resource and of an
// unchanged one (the no-op plan after a refresh), the state upgrade and
// refresh that precede it, and the create. A call the schema refuses at
// 2,000 (more backups than one resource allows) is skipped, saying so.
func BenchmarkBackupSync(b *testing.B) {
	for _, n := range []int{50, 2000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchmarkBackupSync(b, n) })
	}
}

func benchmarkBackupSync(b *testing.B, n int) {
	ctx := context.Background()
	s := newBenchServer(b, n)
	// check fails the benchmark on an error, or skips it when the error is
	// the schema's limit on the number of backups.
	check := func(b *testing.B, what string, err error, diags []*tfprotov6.Diagnostic) {
		b.Helper()
		if n > cbr.MaxSyncEntries && err == nil {
			for _, d := range diags {
				if d.Severity == tfprotov6.DiagnosticSeverityError {
					b.Skipf("%s refuses %d backups in one resource: %s: %s", what, n, d.Summary, d.Detail)
				}
			}
		}
		noDiags(b, what, err, diags)
	}

	b.Run("GetProviderSchema", func(b *testing.B) {
		for b.Loop() {
			resp, err := s.server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
			check(b, "GetProviderSchema", err, resp.Diagnostics)
		}
	})
	for _, srv := range []struct {
		name   string
		server tfprotov6.ProviderServer
	}{{"", s.server}, {"/framework", s.framework}} {
		b.Run("ValidateResourceConfig"+srv.name, func(b *testing.B) {
			for b.Loop() {
				resp, err := srv.server.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{TypeName: s.resource, Config: s.config})
				check(b, "ValidateResourceConfig", err, resp.Diagnostics)
			}
		})
		b.Run("PlanResourceChange/create"+srv.name, func(b *testing.B) {
			for b.Loop() {
				resp, err := srv.server.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{
					TypeName: s.resource, Config: s.config, PriorState: s.nullVal, ProposedNewState: s.config,
				})
				check(b, "PlanResourceChange", err, resp.Diagnostics)
			}
		})
		b.Run("PlanResourceChange/unchanged"+srv.name, func(b *testing.B) {
			for b.Loop() {
				resp, err := srv.server.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{
					TypeName: s.resource, Config: s.config, PriorState: s.state, ProposedNewState: s.state,
				})
				check(b, "PlanResourceChange", err, resp.Diagnostics)
			}
		})
	}
	for _, srv := range []struct {
		name   string
		server tfprotov6.ProviderServer
	}{{"", s.server}, {"/framework", s.framework}} {
		b.Run("UpgradeResourceState"+srv.name, func(b *testing.B) {
			for b.Loop() {
				resp, err := srv.server.UpgradeResourceState(ctx, &tfprotov6.UpgradeResourceStateRequest{
					TypeName: s.resource, Version: 0, RawState: &tfprotov6.RawState{JSON: s.rawState},
				})
				check(b, "UpgradeResourceState", err, resp.Diagnostics)
			}
		})
		b.Run("ReadResource"+srv.name, func(b *testing.B) {
			for b.Loop() {
				resp, err := srv.server.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: s.resource, CurrentState: s.state})
				check(b, "ReadResource", err, resp.Diagnostics)
			}
		})
	}
	for _, srv := range []struct {
		name   string
		server tfprotov6.ProviderServer
	}{{"", s.server}, {"/framework", s.framework}} {
		b.Run("ApplyResourceChange/create"+srv.name, func(b *testing.B) {
			for b.Loop() {
				resp, err := srv.server.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{
					TypeName: s.resource, Config: s.config, PriorState: s.nullVal, PlannedState: s.planned,
				})
				check(b, "ApplyResourceChange", err, resp.Diagnostics)
			}
		})
	}
}

// syncStateOf is the sync_state that goes with an operation log ID in the
// values above: null in the configuration, unknown in a plan, accepted after.
func syncStateOf(opLogID any) any {
	switch opLogID {
	case nil:
		return nil
	case tftypes.UnknownValue:
		return tftypes.UnknownValue
	}
	return syncAccepted
}
