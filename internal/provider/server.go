package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
)

// NewServer returns the protocol server the released binary serves (main.go)
// and the acceptance tests run (providerFactories): the framework's server,
// behind a thin layer that answers some calls without the framework (the
// "direct path"): the state upgrade and read, when their answer is fully
// determined by the request, and the validation, plan and apply of
// cbr_backup_sync (see directServer and directBackupSync). In tests, "check
// mode" compares every direct answer with the framework's.
//
// It serves cbr_backup_sync the same way whether or not logs are on. For
// diagnosis, the environment variable CBR_FRAMEWORK_PATH=1 (see
// FrameworkPathVariable) makes every call of cbr_backup_sync go through the
// framework, which logs each of its steps; CI runs the acceptance tests once
// that way too.
func NewServer(version string, getenv func(string) string) func() (tfprotov6.ProviderServer, error) {
	return serverFor(New(version), serverOptions{frameworkOnly: frameworkPathAsked(getenv)})
}

// FrameworkPathVariable is the environment variable that, set to 1 (or
// true), has the framework answer every call of cbr_backup_sync.
const FrameworkPathVariable = "CBR_FRAMEWORK_PATH"

// frameworkPathAsked tells whether FrameworkPathVariable asks for the
// framework path.
func frameworkPathAsked(getenv func(string) string) bool {
	v, err := strconv.ParseBool(strings.TrimSpace(getenv(FrameworkPathVariable)))
	return err == nil && v
}

// serverOptions choose how directServer answers cbr_backup_sync.
type serverOptions struct {
	// frameworkOnly: the framework answers validation, plan and apply.
	frameworkOnly bool
	// check: every validation and plan the direct path answers is also
	// asked of the framework, and the new state of every direct apply is
	// also encoded by the framework (an apply cannot be sent twice); any
	// difference is added to the direct answer as an error and reported to
	// onDifference (tests: it fails the test run even when a step expected
	// an error).
	check        bool
	onDifference func(call, detail string)
}

// serverFor is NewServer for a given provider; tests tune the provider.
func serverFor(newProvider func() provider.Provider, opts serverOptions) func() (tfprotov6.ProviderServer, error) {
	return func() (tfprotov6.ProviderServer, error) {
		p := newProvider()
		fw, err := providerserver.NewProtocol6WithError(p)()
		if err != nil {
			return nil, err
		}
		full, ok := fw.(frameworkServer)
		if !ok {
			return nil, fmt.Errorf("the framework's server is a %T, which lacks the action, list resource or state store calls. This is always a bug in the provider and should be reported to the provider developers", fw)
		}
		return &directServer{frameworkServer: full, provider: p, opts: opts}, nil
	}
}

// frameworkServer is what the framework's protocol 6 server implements: the
// provider server, with the action, list resource and state store calls that
// tfprotov6.ProviderServer does not include yet. directServer embeds it whole,
// so that every call it does not answer itself, actions included, reaches
// the framework (tf6server finds these calls by a type assertion;
// TestServedServerCapabilities checks that none is hidden).
type frameworkServer interface {
	tfprotov6.ProviderServer
	tfprotov6.ActionServer
	tfprotov6.ListResourceServer
	tfprotov6.StateStoreServer
}

// priorStateReader is implemented by resources whose Read makes no API call
// and returns the state it is given unchanged, whatever that state and the
// provider's configuration: no diagnostics, no private data, no identity.
// For them, directServer answers ReadResource with the prior state without
// going through the framework, which would otherwise decode the state, walk
// every value of it several times, run Read and encode the state again.
//
// A resource that gives Read any logic must return false (or stop
// implementing this interface): TestReadReturnsPriorStateGate fails otherwise.
type priorStateReader interface {
	ReadReturnsPriorState() bool
}

// deleteCallsNothing is implemented by resources whose Delete makes no API
// call and sets nothing, whatever the state: for them, the direct path
// answers a destroy with a null state without calling Delete. A resource
// that gives Delete any logic must return false: TestResourceCallGates fails
// otherwise.
type deleteCallsNothing interface {
	DeleteCallsNothing() bool
}

// DeleteCallsNothing declares that Delete makes no API call (see
// deleteCallsNothing and Delete).
func (r *backupSyncResource) DeleteCallsNothing() bool { return true }

// ReadReturnsPriorState declares that Read returns the prior state unchanged
// (see priorStateReader and Read).
func (r *backupSyncResource) ReadReturnsPriorState() bool { return true }

// directServer is the framework's protocol server with two state calls
// answered directly when the framework's answer is known in advance, and the
// validation, plan and apply of cbr_backup_sync answered by directBackupSync
// (which says when the framework must answer instead):
//
//   - UpgradeResourceState of a state stored with the current schema version:
//     the framework decodes the stored JSON with the schema's type and encodes
//     it again as msgpack (its "passthrough"). When the JSON has exactly the
//     schema's shape, directServer hands it back as the upgraded state, as JSON,
//     which Terraform and OpenTofu decode with the same type (both accept a
//     DynamicValue in JSON as well as msgpack).
//   - ReadResource of a resource that declares, through priorStateReader,
//     that its Read returns the prior state: the prior state, as received.
//
// In every other case, and whenever a request has anything the direct path does
// not handle (private data, identity, deferral, blocks or write-only
// attributes in the schema, another schema version, a state that does not
// decode), the call goes to the framework. server_test.go compares both
// paths' answers on the same requests.
type directServer struct {
	frameworkServer
	provider provider.Provider
	opts     serverOptions

	// direct answers validation, plan and apply of cbr_backup_sync (see
	// directBackupSync); nil when the schema is not the one it knows.
	direct     *directBackupSync
	directType string
	// directCalls counts the calls direct answered, for tests.
	directCalls struct{ validate, plan, apply atomic.Int64 }

	once      sync.Once
	resources map[string]*directResource // by type name; nil when the schema could not be read
	// syncType is the type name of cbr_backup_sync, whose states read and
	// destroyed go to the provider's record book (recordBook).
	syncType string

	// deferrable is set when Terraform allows the provider to defer
	// (ConfigureProvider's client capabilities; Terraform allows it in the
	// apply walk, for one). A provider that defers in Configure has the
	// framework answer every read and plan with a deferral, which the
	// protocol's ConfigureProvider answer does not show: unless the provider
	// tells that it did not defer (deferralReporter), reads and plans then go
	// to the framework.
	deferrable atomic.Bool
}

// directResource is what the direct path needs to know about one resource type.
type directResource struct {
	version int64
	typ     tftypes.Type
	// upgrade: the stored JSON may be handed back when it has the schema's shape.
	upgrade bool
	// read: ReadResource may return the prior state.
	read bool
}

func (s *directServer) init(ctx context.Context) {
	s.once.Do(func() {
		schemas, err := s.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
		if err != nil || schemas == nil || len(schemas.Diagnostics) > 0 {
			return
		}
		identities, err := s.GetResourceIdentitySchemas(ctx, &tfprotov6.GetResourceIdentitySchemasRequest{})
		if err != nil || identities == nil || len(identities.Diagnostics) > 0 {
			return
		}
		readers := map[string]bool{}
		var meta provider.MetadataResponse
		s.provider.Metadata(ctx, provider.MetadataRequest{}, &meta)
		for _, newResource := range s.provider.Resources(ctx) {
			r := newResource()
			var m resource.MetadataResponse
			r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: meta.TypeName}, &m)
			if pr, ok := r.(priorStateReader); ok && pr.ReadReturnsPriorState() {
				readers[m.TypeName] = true
			}
			if _, ok := r.(*backupSyncResource); ok {
				s.syncType = m.TypeName
			}
			if _, ok := r.(*backupSyncResource); ok && !s.opts.frameworkOnly {
				if schema := schemas.ResourceSchemas[m.TypeName]; schema != nil && schema.Block != nil && plainBlock(schema.Block) {
					if _, hasIdentity := identities.IdentitySchemas[m.TypeName]; !hasIdentity {
						direct, err := newDirectBackupSync(ctx, func() *backupSyncResource {
							r, _ := newResource().(*backupSyncResource)
							return r
						})
						// The direct path answers in the type Terraform
						// knows from the protocol's schema.
						if err == nil && direct.typ.Equal(schema.ValueType()) {
							s.direct, s.directType = direct, m.TypeName
						}
					}
				}
			}
		}
		out := map[string]*directResource{}
		for name, schema := range schemas.ResourceSchemas {
			if schema == nil || schema.Block == nil {
				continue
			}
			// Blocks and write-only attributes are transformed by the
			// framework (empty collection blocks become null, write-only
			// values are nulled in states); identity data goes through Read.
			plain := plainBlock(schema.Block)
			_, hasIdentity := identities.IdentitySchemas[name]
			typ := schema.ValueType()
			out[name] = &directResource{
				version: schema.Version,
				typ:     typ,
				upgrade: plain && jsonShapeSupported(typ),
				read:    plain && !hasIdentity && readers[name],
			}
		}
		s.resources = out
	})
}

// plainBlock tells whether a schema block has no nested blocks and no
// write-only attribute, at any depth.
func plainBlock(b *tfprotov6.SchemaBlock) bool {
	if len(b.BlockTypes) > 0 {
		return false
	}
	for _, a := range b.Attributes {
		if !plainAttribute(a) {
			return false
		}
	}
	return true
}

func plainAttribute(a *tfprotov6.SchemaAttribute) bool {
	if a.WriteOnly {
		return false
	}
	if a.NestedType != nil {
		for _, n := range a.NestedType.Attributes {
			if !plainAttribute(n) {
				return false
			}
		}
	}
	return true
}

func (s *directServer) resource(ctx context.Context, typeName string) *directResource {
	s.init(ctx)
	return s.resources[typeName]
}

// deferralReporter is implemented by providers that tell whether their last
// Configure deferred (cbrProvider).
type deferralReporter interface {
	configureDeferred() bool
}

// mayDefer tells whether the framework may answer reads and plans with a
// deferral.
func (s *directServer) mayDefer() bool {
	if !s.deferrable.Load() {
		return false
	}
	r, ok := s.provider.(deferralReporter)
	return !ok || r.configureDeferred()
}

func (s *directServer) ConfigureProvider(ctx context.Context, req *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	if req != nil && req.ClientCapabilities != nil && req.ClientCapabilities.DeferralAllowed {
		s.deferrable.Store(true)
	}
	return s.frameworkServer.ConfigureProvider(ctx, req)
}

func (s *directServer) UpgradeResourceState(ctx context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	if req != nil && req.RawState != nil && len(req.RawState.JSON) > 0 && len(req.RawState.Flatmap) == 0 {
		if r := s.resource(ctx, req.TypeName); r != nil && r.upgrade && req.Version == r.version && jsonHasShape(req.RawState.JSON, r.typ) {
			return &tfprotov6.UpgradeResourceStateResponse{
				UpgradedState: &tfprotov6.DynamicValue{JSON: req.RawState.JSON},
			}, nil
		}
	}
	return s.frameworkServer.UpgradeResourceState(ctx, req)
}

// bookHolder is implemented by providers that keep the record book of the
// scope their Configure chose (cbrProvider).
type bookHolder interface {
	configuredBook() *recordBook
}

// record hands a state object of cbr_backup_sync that Terraform sent
// (refreshed, or destroyed) to the provider's record book, undecoded: only
// a create that needs it decodes it. Both the direct path and the framework
// path go through here, so that the book sees every such state.
func (s *directServer) record(ctx context.Context, typeName string, state *tfprotov6.DynamicValue) {
	if state == nil {
		return
	}
	s.init(ctx)
	if typeName != s.syncType || s.syncType == "" {
		return
	}
	if r := s.resources[typeName]; r != nil {
		s.book().addRaw(state, r.typ)
	}
}

func (s *directServer) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	if req != nil {
		s.record(ctx, req.TypeName, req.CurrentState)
	}
	if req != nil && req.CurrentState != nil && len(req.CurrentState.MsgPack) > 0 && req.CurrentState.JSON == nil &&
		len(req.Private) == 0 && req.CurrentIdentity == nil && !s.mayDefer() {
		if r := s.resource(ctx, req.TypeName); r != nil && r.read {
			// The framework fails on a state that does not decode; let it
			// say so in its words.
			if _, err := req.CurrentState.Unmarshal(r.typ); err == nil {
				return &tfprotov6.ReadResourceResponse{NewState: req.CurrentState}, nil
			}
		}
	}
	return s.frameworkServer.ReadResource(ctx, req)
}

// book is the provider's record book, nil when there is none yet.
func (s *directServer) book() *recordBook {
	if h, ok := s.provider.(bookHolder); ok {
		return h.configuredBook()
	}
	return nil
}

// directFor returns the direct path when it answers typeName's calls.
func (s *directServer) directFor(ctx context.Context, typeName string) *directBackupSync {
	s.init(ctx)
	if s.direct == nil || typeName != s.directType {
		return nil
	}
	return s.direct
}

// configuredClientHolder is implemented by providers that keep the client
// their Configure made (cbrProvider).
type configuredClientHolder interface {
	configuredClient() *cbr.Client
}

func (s *directServer) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	if d := s.directFor(ctx, req.TypeName); d != nil {
		if resp, ok := d.validate(ctx, req); ok {
			s.directCalls.validate.Add(1)
			if s.opts.check {
				fw, err := s.frameworkServer.ValidateResourceConfig(ctx, req)
				if err != nil {
					return nil, err
				}
				resp.Diagnostics = append(resp.Diagnostics, s.differences(compareDiagnostics("ValidateResourceConfig", resp.Diagnostics, fw.Diagnostics))...)
			}
			return resp, nil
		}
	}
	return s.frameworkServer.ValidateResourceConfig(ctx, req)
}

func (s *directServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	if d := s.directFor(ctx, req.TypeName); d != nil && !s.mayDefer() {
		if resp, ok := d.plan(ctx, req, s.book()); ok {
			s.directCalls.plan.Add(1)
			if s.opts.check {
				fw, err := s.frameworkServer.PlanResourceChange(ctx, req)
				if err != nil {
					return nil, err
				}
				resp.Diagnostics = append(resp.Diagnostics, s.differences(comparePlans(d.typ, resp, fw))...)
			}
			return resp, nil
		}
	}
	return s.frameworkServer.PlanResourceChange(ctx, req)
}

func (s *directServer) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	if req != nil && req.PlannedState != nil {
		if destroy, ok := isNull(req.PlannedState); ok && destroy {
			// A destroy: the direct path answers it without Delete, so the
			// state destroyed goes to the book here, whoever answers.
			s.record(ctx, req.TypeName, req.PriorState)
		}
	}
	if d := s.directFor(ctx, req.TypeName); d != nil {
		if h, ok := s.provider.(configuredClientHolder); ok {
			if client := h.configuredClient(); client != nil {
				if resp, saved, ok := d.apply(ctx, req, client, s.book()); ok {
					s.directCalls.apply.Add(1)
					if s.opts.check && saved != nil {
						// The apply cannot be sent twice: its new state is
						// compared with the framework's encoding of the
						// same model.
						fw, diags := d.frameworkState(ctx, saved)
						resp.Diagnostics = append(resp.Diagnostics, s.differences(compareStates(d.typ, resp.NewState, fw, protoDiagnostics(diags)))...)
					}
					return resp, nil
				}
			}
		}
	}
	return s.frameworkServer.ApplyResourceChange(ctx, req)
}

// differences reports each difference check mode found to onDifference, and
// returns them.
func (s *directServer) differences(ds []*tfprotov6.Diagnostic) []*tfprotov6.Diagnostic {
	if s.opts.onDifference != nil {
		for _, d := range ds {
			s.opts.onDifference(d.Summary, d.Detail)
		}
	}
	return ds
}

// compareDiagnostics returns an error diagnostic when the direct path's
// diagnostics differ from the framework's for the same request.
func compareDiagnostics(call string, direct, fw []*tfprotov6.Diagnostic) []*tfprotov6.Diagnostic {
	show := func(ds []*tfprotov6.Diagnostic) string {
		var b strings.Builder
		for _, d := range ds {
			fmt.Fprintf(&b, "\n  %s %q at %v: %q", d.Severity, d.Summary, d.Attribute, d.Detail)
		}
		return b.String()
	}
	same := len(direct) == len(fw)
	for i := 0; same && i < len(direct); i++ {
		a, b := direct[i], fw[i]
		same = a.Severity == b.Severity && a.Summary == b.Summary && a.Detail == b.Detail &&
			(a.Attribute == nil) == (b.Attribute == nil) && (a.Attribute == nil || a.Attribute.Equal(b.Attribute))
	}
	if same {
		return nil
	}
	return []*tfprotov6.Diagnostic{{
		Severity: tfprotov6.DiagnosticSeverityError,
		Summary:  "Direct Answer Differs From the Framework's",
		Detail:   fmt.Sprintf("%s: the direct path answered with the diagnostics:%s\nThe framework answered with:%s", call, show(direct), show(fw)),
	}}
}

// comparePlans returns an error diagnostic when the direct path's plan
// differs from the framework's for the same request.
func comparePlans(typ tftypes.Type, direct, fw *tfprotov6.PlanResourceChangeResponse) []*tfprotov6.Diagnostic {
	out := compareDiagnostics("PlanResourceChange", direct.Diagnostics, fw.Diagnostics)
	differs := func(what string) {
		out = append(out, &tfprotov6.Diagnostic{
			Severity: tfprotov6.DiagnosticSeverityError,
			Summary:  "Direct Answer Differs From the Framework's",
			Detail:   "PlanResourceChange: " + what,
		})
	}
	a, errA := direct.PlannedState.Unmarshal(typ)
	b, errB := fw.PlannedState.Unmarshal(typ)
	switch {
	case errA != nil || errB != nil:
		differs(fmt.Sprintf("the planned states do not decode: %v, %v", errA, errB))
	case !a.Equal(b):
		differs("the planned states differ: " + valueDiff(a, b))
	}
	if len(direct.RequiresReplace) != len(fw.RequiresReplace) || len(direct.PlannedPrivate) != len(fw.PlannedPrivate) || (direct.Deferred == nil) != (fw.Deferred == nil) {
		differs(fmt.Sprintf("requires replace %v/%v, private %d/%d bytes, deferred %v/%v",
			direct.RequiresReplace, fw.RequiresReplace, len(direct.PlannedPrivate), len(fw.PlannedPrivate), direct.Deferred, fw.Deferred))
	}
	return out
}

// valueDiff shows the first differences between the direct path's value a
// and the framework's b.
func valueDiff(a, b tftypes.Value) string {
	diffs, _ := a.Diff(b)
	var lines []string
	for i, d := range diffs {
		if i == 5 {
			lines = append(lines, fmt.Sprintf("and %d more", len(diffs)-5))
			break
		}
		lines = append(lines, fmt.Sprintf("%s: direct %v, framework %v", d.Path, d.Value1, d.Value2))
	}
	return strings.Join(lines, "; ")
}

// compareStates returns an error diagnostic when the new state the direct
// path's apply answered differs from fw, the framework's encoding of the
// same model (fwDiags: the diagnostics of that encoding).
func compareStates(typ tftypes.Type, direct *tfprotov6.DynamicValue, fw tftypes.Value, fwDiags []*tfprotov6.Diagnostic) []*tfprotov6.Diagnostic {
	differs := func(what string) []*tfprotov6.Diagnostic {
		return []*tfprotov6.Diagnostic{{
			Severity: tfprotov6.DiagnosticSeverityError,
			Summary:  "Direct Answer Differs From the Framework's",
			Detail:   "ApplyResourceChange: " + what,
		}}
	}
	if len(fwDiags) > 0 {
		return differs(fmt.Sprintf("the framework does not encode the new state: %s: %s", fwDiags[0].Summary, fwDiags[0].Detail))
	}
	a, err := direct.Unmarshal(typ)
	switch {
	case err != nil:
		return differs(fmt.Sprintf("the new state does not decode: %v", err))
	case !a.Equal(fw):
		return differs("the new states differ: " + valueDiff(a, fw))
	}
	return nil
}

// jsonShapeSupported tells whether jsonHasShape knows every type in typ.
func jsonShapeSupported(typ tftypes.Type) bool {
	switch t := typ.(type) {
	case tftypes.Object:
		if len(t.OptionalAttributes) > 0 {
			return false
		}
		for _, a := range t.AttributeTypes {
			if !jsonShapeSupported(a) {
				return false
			}
		}
		return true
	case tftypes.List:
		return jsonShapeSupported(t.ElementType)
	case tftypes.Map:
		return jsonShapeSupported(t.ElementType)
	default:
		return typ.Is(tftypes.String) || typ.Is(tftypes.Number) || typ.Is(tftypes.Bool)
	}
}

// jsonHasShape tells whether data is a JSON object that decodes to a value of
// typ with nothing left over or filled in: valid UTF-8 JSON, every attribute
// of every object present exactly once and no other, each value of its
// attribute's kind (or null), numbers without exponent, keys without escapes.
// Such JSON decodes to the same value with the framework's decoder (which
// would ignore unknown attributes and fill in missing ones) and with
// Terraform's (which rejects unknown attributes). Anything else gets false.
func jsonHasShape(data []byte, typ tftypes.Type) bool {
	obj, ok := typ.(tftypes.Object)
	if !ok || !utf8.Valid(data) || !json.Valid(data) {
		return false
	}
	p := jsonShape{data: data}
	p.space()
	if !p.peek('{') || !p.value(obj) {
		return false
	}
	p.space()
	return p.i == len(p.data)
}

// jsonShape walks JSON already checked by json.Valid, so it only checks the
// shape, not the syntax.
type jsonShape struct {
	data []byte
	i    int
}

func (p *jsonShape) space() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonShape) peek(c byte) bool { return p.i < len(p.data) && p.data[p.i] == c }

func (p *jsonShape) literal(s string) bool {
	if bytes.HasPrefix(p.data[p.i:], []byte(s)) {
		p.i += len(s)
		return true
	}
	return false
}

// str skips a string and returns its raw content (between the quotes).
func (p *jsonShape) str() ([]byte, bool) {
	if !p.peek('"') {
		return nil, false
	}
	start := p.i + 1
	for j := start; j < len(p.data); j++ {
		switch p.data[j] {
		case '\\':
			j++
		case '"':
			p.i = j + 1
			return p.data[start:j], true
		}
	}
	return nil, false
}

func (p *jsonShape) number() bool {
	start := p.i
	for p.i < len(p.data) {
		c := p.data[p.i]
		if c == '-' || c == '.' || c >= '0' && c <= '9' {
			p.i++
			continue
		}
		if c == 'e' || c == 'E' {
			return false
		}
		break
	}
	return p.i > start
}

func (p *jsonShape) value(typ tftypes.Type) bool {
	p.space()
	if p.literal("null") {
		return true
	}
	switch t := typ.(type) {
	case tftypes.Object:
		return p.object(t)
	case tftypes.List:
		if !p.literal("[") {
			return false
		}
		p.space()
		if p.literal("]") {
			return true
		}
		for {
			if !p.value(t.ElementType) {
				return false
			}
			p.space()
			if p.literal("]") {
				return true
			}
			if !p.literal(",") {
				return false
			}
		}
	case tftypes.Map:
		if !p.literal("{") {
			return false
		}
		p.space()
		if p.literal("}") {
			return true
		}
		for {
			p.space()
			key, ok := p.str()
			if !ok || bytes.IndexByte(key, '\\') >= 0 {
				// An escaped key could repeat another one.
				return false
			}
			p.space()
			if !p.literal(":") || !p.value(t.ElementType) {
				return false
			}
			p.space()
			if p.literal("}") {
				return true
			}
			if !p.literal(",") {
				return false
			}
		}
	}
	switch {
	case typ.Is(tftypes.String):
		_, ok := p.str()
		return ok
	case typ.Is(tftypes.Number):
		return p.number()
	case typ.Is(tftypes.Bool):
		return p.literal("true") || p.literal("false")
	}
	return false
}

func (p *jsonShape) object(t tftypes.Object) bool {
	if !p.literal("{") {
		return false
	}
	seen := 0
	var found [64]bool // attributes seen, by position in names, for small objects
	names := make([]string, 0, len(t.AttributeTypes))
	for name := range t.AttributeTypes {
		names = append(names, name)
	}
	if len(names) > len(found) {
		return false
	}
	p.space()
	if p.literal("}") {
		return len(names) == 0
	}
	for {
		p.space()
		key, ok := p.str()
		if !ok {
			return false
		}
		k := -1
		for i, name := range names {
			if name == string(key) {
				k = i
				break
			}
		}
		if k < 0 || found[k] {
			return false
		}
		found[k] = true
		seen++
		p.space()
		if !p.literal(":") || !p.value(t.AttributeTypes[names[k]]) {
			return false
		}
		p.space()
		if p.literal("}") {
			return seen == len(names)
		}
		if !p.literal(",") {
			return false
		}
	}
}

// The served binary answers actions through directServer.
var _ tfprotov6.ActionServer = (*directServer)(nil)
