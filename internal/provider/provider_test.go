package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// providerFactories serves the provider in-process to the Terraform CLI, with
// an empty environment so a developer's HW_* variables cannot leak into tests.
// Retries wait milliseconds instead of seconds.
func providerFactories(env map[string]string) map[string]func() (tfprotov6.ProviderServer, error) {
	return providerFactoriesWith(env, nil)
}

// providerFactoriesWith is providerFactories with the provider adjusted by tune.
func providerFactoriesWith(env map[string]string, tune func(*cbrProvider)) map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"cbr": func() (tfprotov6.ProviderServer, error) {
			p := &cbrProvider{
				version:        "test",
				getenv:         func(k string) string { return env[k] },
				retryBaseDelay: time.Millisecond,
				retryMaxDelay:  10 * time.Millisecond,
			}
			if tune != nil {
				tune(p)
			}
			return providerserver.NewProtocol6WithError(p)()
		},
	}
}

// startFake starts a fake CBR API for one test.
func startFake(t *testing.T, opts cbrfake.Options) (*cbrfake.Server, string) {
	t.Helper()
	fake := cbrfake.New(opts)
	url, closeFn := fake.Start()
	t.Cleanup(closeFn)
	return fake, url
}

// providerConfig points the provider at a fake API with token auth.
func providerConfig(url string) string {
	return fmt.Sprintf(`
provider "cbr" {
  endpoints  = { cbr = %q }
  project_id = %q
  auth_token = %q
}
`, url, cbrfake.DefaultProjectID, cbrfake.DefaultToken)
}

// errorLike compiles an expected error pattern in which each space matches any
// run of white space, because Terraform wraps diagnostics to its terminal width.
func errorLike(pattern string) *regexp.Regexp {
	return regexp.MustCompile(strings.ReplaceAll(pattern, " ", `\s+`))
}

// expectCalls fails the step when the fake has not seen exactly n requests of kind.
func expectCalls(fake *cbrfake.Server, kind string, n int) func() error {
	return func() error {
		if got := fake.Count(kind); got != n {
			return fmt.Errorf("the fake API saw %d %s requests, want %d", got, kind, n)
		}
		return nil
	}
}

// priorState is a plan check on the state the plan started from: it hands
// the resource's attribute values to check.
type priorState struct {
	address string
	check   func(values map[string]any) error
}

func (c priorState) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	if req.Plan.PriorState == nil || req.Plan.PriorState.Values == nil || req.Plan.PriorState.Values.RootModule == nil {
		resp.Error = fmt.Errorf("the plan has no prior state")
		return
	}
	var found *tfjson.StateResource
	for _, r := range req.Plan.PriorState.Values.RootModule.Resources {
		if r.Address == c.address {
			found = r
		}
	}
	if found == nil {
		resp.Error = fmt.Errorf("%s is not in the prior state", c.address)
		return
	}
	resp.Error = c.check(found.AttributeValues)
}

func TestResolveSettings(t *testing.T) {
	str := types.StringValue
	endpoints := func(kv ...string) types.Map {
		m := map[string]attr.Value{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = types.StringValue(kv[i+1])
		}
		return types.MapValueMust(types.StringType, m)
	}
	null := providerModel{Region: types.StringNull(), ProjectID: types.StringNull(), AuthToken: types.StringNull(), Cloud: types.StringNull(),
		Endpoints: types.MapNull(types.StringType), Insecure: types.BoolNull(), CACertFile: types.StringNull(), MaxRetries: types.Int64Null()}
	with := func(f func(*providerModel)) providerModel { m := null; f(&m); return m }

	cases := []struct {
		name    string
		model   providerModel
		env     map[string]string
		want    settings
		wantErr string
	}{
		{
			name:  "env only",
			model: null,
			env:   map[string]string{envRegion: "cn-north-4", envProjectID: "p1", envAuthToken: "t1"},
			want:  settings{Region: "cn-north-4", ProjectID: "p1", AuthToken: "t1", Cloud: defaultCloud, CBREndpoint: "https://cbr.cn-north-4.myhuaweicloud.com", MaxRetries: 5},
		},
		{
			name:  "env only, all settings",
			model: null,
			env:   map[string]string{envRegion: "cn-north-4", envProjectID: "p1", envAuthToken: "t1", envMaxRetries: " 0 ", envCACert: " /etc/ca.pem ", envInsecure: "false"},
			want: settings{Region: "cn-north-4", ProjectID: "p1", AuthToken: "t1", Cloud: defaultCloud, CBREndpoint: "https://cbr.cn-north-4.myhuaweicloud.com",
				MaxRetries: 0, CACertFile: "/etc/ca.pem", CACertSource: envCACert},
		},
		{
			name: "config beats env",
			model: with(func(m *providerModel) {
				m.Region = str("ap-southeast-1")
				m.ProjectID = str("p2")
				m.AuthToken = str("t2")
				m.Cloud = str("example.com")
				m.MaxRetries = types.Int64Value(10)
				m.CACertFile = str("ca.pem")
			}),
			env: map[string]string{envRegion: "cn-north-4", envProjectID: "p1", envAuthToken: "t1", envCloud: "other.com", envInsecure: "true", envMaxRetries: "2", envCACert: "/etc/other.pem"},
			want: settings{Region: "ap-southeast-1", ProjectID: "p2", AuthToken: "t2", Cloud: "example.com", CBREndpoint: "https://cbr.ap-southeast-1.example.com", Insecure: true,
				MaxRetries: 10, CACertFile: "ca.pem", CACertSource: "cacert_file"},
		},
		{
			name:  "endpoint override without region, scheme added, trimmed",
			model: with(func(m *providerModel) { m.Endpoints = endpoints("cbr", "  cbr.internal.example:8443/ ") }),
			env:   map[string]string{envProjectID: "p1", envAuthToken: "t1"},
			want:  settings{ProjectID: "p1", AuthToken: "t1", Cloud: defaultCloud, CBREndpoint: "https://cbr.internal.example:8443", MaxRetries: 5},
		},
		{
			name:  "insecure in config beats env",
			model: with(func(m *providerModel) { m.Insecure = types.BoolValue(false) }),
			env:   map[string]string{envRegion: "r", envProjectID: "p", envAuthToken: "t", envInsecure: "true"},
			want:  settings{Region: "r", ProjectID: "p", AuthToken: "t", Cloud: defaultCloud, CBREndpoint: "https://cbr.r.myhuaweicloud.com", MaxRetries: 5},
		},
		{name: "missing project", model: null, env: map[string]string{envRegion: "r", envAuthToken: "t"}, wantErr: "Set project_id in the provider block or the HW_PROJECT_ID environment variable"},
		{name: "missing token", model: null, env: map[string]string{envRegion: "r", envProjectID: "p"}, wantErr: "Set auth_token in the provider block or the HW_AUTH_TOKEN environment variable"},
		{name: "missing region", model: null, env: map[string]string{envProjectID: "p", envAuthToken: "t"}, wantErr: "Set region in the provider block or the HW_REGION_NAME environment variable"},
		{name: "bad insecure env", model: null, env: map[string]string{envRegion: "r", envProjectID: "p", envAuthToken: "t", envInsecure: "yes please"}, wantErr: `HW_INSECURE is "yes please"`},
		{name: "max retries env not a number", model: null, env: map[string]string{envRegion: "r", envProjectID: "p", envAuthToken: "t", envMaxRetries: "five"}, wantErr: `HW_MAX_RETRIES is "five"; it must be a whole number from 0 to 10`},
		{name: "max retries env too large", model: null, env: map[string]string{envRegion: "r", envProjectID: "p", envAuthToken: "t", envMaxRetries: "11"}, wantErr: `HW_MAX_RETRIES is "11"; it must be a whole number from 0 to 10`},
		{name: "max retries env negative", model: null, env: map[string]string{envRegion: "r", envProjectID: "p", envAuthToken: "t", envMaxRetries: "-1"}, wantErr: `HW_MAX_RETRIES is "-1"`},
		{name: "unknown max retries", model: with(func(m *providerModel) { m.MaxRetries = types.Int64Unknown() }), env: map[string]string{envRegion: "r", envProjectID: "p", envAuthToken: "t"}, wantErr: "max_retries is not known until apply"},
		{name: "unknown cacert", model: with(func(m *providerModel) { m.CACertFile = types.StringUnknown() }), env: map[string]string{envRegion: "r", envProjectID: "p", envAuthToken: "t"}, wantErr: "cacert_file is not known until apply"},
		{name: "unknown token", model: with(func(m *providerModel) { m.AuthToken = types.StringUnknown() }), env: map[string]string{envRegion: "r", envProjectID: "p"}, wantErr: "auth_token is not known until apply"},
		{name: "empty endpoint", model: with(func(m *providerModel) { m.Endpoints = endpoints("cbr", " ") }), env: map[string]string{envProjectID: "p", envAuthToken: "t"}, wantErr: "endpoints.cbr: the endpoint is empty"},
		{name: "endpoint without host", model: with(func(m *providerModel) { m.Endpoints = endpoints("cbr", "https://") }), env: map[string]string{envProjectID: "p", envAuthToken: "t"}, wantErr: `endpoints.cbr: invalid endpoint "https:": want an http(s) URL`},
		{name: "endpoint with fragment", model: with(func(m *providerModel) { m.Endpoints = endpoints("cbr", "cbr.example.com#top") }), env: map[string]string{envProjectID: "p", envAuthToken: "t"}, wantErr: "a query or fragment is not allowed"},
		{name: "endpoint with space", model: with(func(m *providerModel) { m.Endpoints = endpoints("cbr", "cbr.example .com") }), env: map[string]string{envProjectID: "p", envAuthToken: "t"}, wantErr: "it contains white space"},
		{name: "ftp endpoint", model: with(func(m *providerModel) { m.Endpoints = endpoints("cbr", "ftp://x") }), env: map[string]string{envProjectID: "p", envAuthToken: "t"}, wantErr: "only http:// and https://"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, diags := resolveSettings(tc.model, func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if !diags.HasError() {
					t.Fatalf("no error, want %q", tc.wantErr)
				}
				var all []string
				for _, d := range diags.Errors() {
					all = append(all, d.Summary()+": "+d.Detail())
				}
				if !strings.Contains(strings.Join(all, "\n"), tc.wantErr) {
					t.Fatalf("errors %q lack %q", all, tc.wantErr)
				}
				return
			}
			if diags.HasError() {
				t.Fatalf("unexpected errors: %v", diags)
			}
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestAccProviderConfigErrors runs plan with broken provider configurations.
func TestAccProviderConfigErrors(t *testing.T) {
	const res = `
resource "cbr_backup_sync" "test" {
  backups = [{
    backup_id = "b1", backup_name = "n", bucket_name = "bkt", image_path = "p"
    resource_id = "vm", resource_name = "vm", created_at = 1548898428
  }]
}
`
	cases := []struct {
		name, provider string
		env            map[string]string
		want           string
	}{
		{"no credentials", `provider "cbr" {
  region     = "cn-north-4"
  project_id = "p"
}`, nil, `(?s)Missing Credentials.*HW_AUTH_TOKEN`},
		{"no project", `provider "cbr" { region = "cn-north-4" }`, map[string]string{envAuthToken: "t"}, `(?s)Missing Project ID.*HW_PROJECT_ID`},
		{"no region", `provider "cbr" {}`, map[string]string{envAuthToken: "t", envProjectID: "p"}, `(?s)Missing Region.*HW_REGION_NAME`},
		{"unknown endpoint key", `provider "cbr" { endpoints = { ecs = "https://ecs.example.com" } }`, nil, `(?s)endpoints.*value must be one of`},
		{"blank token", `provider "cbr" { auth_token = " " }`, nil, `(?s)Blank Value.*auth_token must not be empty`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: providerFactories(tc.env),
				Steps: []resource.TestStep{{
					Config:      tc.provider + res,
					PlanOnly:    true,
					ExpectError: errorLike(tc.want),
				}},
			})
		})
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{time.Second: "1 second", 30 * time.Second: "30 seconds", 2 * time.Minute: "2 minutes", time.Minute: "1 minute", 1500 * time.Millisecond: "1.5 seconds", 90 * time.Second: "90 seconds"} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
