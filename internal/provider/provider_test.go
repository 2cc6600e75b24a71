package provider

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
	"github.com/cbr-sync/terraform-provider-cbr/internal/credentials"
)

// providerFactories serves the provider in-process to the Terraform CLI, with
// an empty environment so a developer's HW_* variables cannot leak into tests.
// Retries wait milliseconds instead of seconds. The server is the one the
// released binary serves (serverFor, as NewServer), not the bare framework's.
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
			return serverFor(func() provider.Provider { return p }, testServerOptions())()
		},
	}
}

// testServerOptions are the options of the served servers of the tests:
// check mode, each difference between the direct path and the framework
// failing the test run (recordDifference), or, when CBR_FRAMEWORK_PATH asks
// for it (CI runs the acceptance tests once that way), the framework path.
func testServerOptions() serverOptions {
	if frameworkPathAsked(os.Getenv) {
		return serverOptions{frameworkOnly: true}
	}
	return serverOptions{check: true, onDifference: recordDifference}
}

// differences are the differences check mode found in this test run.
var differences struct {
	sync.Mutex
	found []string
}

// recordDifference records a difference check mode found; TestMain fails the
// run when there is any, even when the step that saw it expected an error
// (an ExpectError step would accept the diagnostic check mode adds).
func recordDifference(summary, detail string) {
	differences.Lock()
	defer differences.Unlock()
	differences.found = append(differences.found, summary+": "+detail)
}

// foundDifferences returns the differences recorded so far.
func foundDifferences() []string {
	differences.Lock()
	defer differences.Unlock()
	return slices.Clone(differences.found)
}

// startFake starts a fake CBR API for one test. When the test ends, it
// fails the test if the fake imported a backup more than once, unless the
// test allowed it with allowImports.
func startFake(t *testing.T, opts cbrfake.Options) (*cbrfake.Server, string) {
	t.Helper()
	fake := cbrfake.New(opts)
	url, closeFn := fake.Start()
	t.Cleanup(closeFn)
	guardImports(t, fake)
	return fake, url
}

// allowedImports holds, per fake, how many times a test allows a backup ID
// to be imported (1 when not listed).
var allowedImports sync.Map // *cbrfake.Server -> *importAllowance

type importAllowance struct {
	mu    sync.Mutex
	times map[string]int
}

// guardImports makes t fail at its end when fake imported any backup more
// often than allowed: exactly once, unless allowImports says otherwise.
func guardImports(t *testing.T, fake *cbrfake.Server) {
	t.Helper()
	a := &importAllowance{times: map[string]int{}}
	allowedImports.Store(fake, a)
	t.Cleanup(func() {
		defer allowedImports.Delete(fake)
		a.mu.Lock()
		defer a.mu.Unlock()
		for id, n := range fake.Stats().SyncedPerBackupID {
			want := 1
			if w, ok := a.times[id]; ok {
				want = w
			}
			if n > want {
				t.Errorf("the fake API imported backup %s %d times; at most %d %s allowed by the test: the provider sent a backup again", id, n, want, times(want))
			}
		}
	})
}

// allowImports lets a test import the given backups up to n times each, as
// a triggers change asks.
func allowImports(fake *cbrfake.Server, n int, backupIDs ...string) {
	v, ok := allowedImports.Load(fake)
	if !ok {
		panic("allowImports: the fake was not started by startFake")
	}
	a, _ := v.(*importAllowance)
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, id := range backupIDs {
		a.times[id] = n
	}
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

// TestAccProviderConfigErrors runs plan with broken provider configurations.
// Every error comes before any API call.
func TestAccProviderConfigErrors(t *testing.T) {
	const res = `
resource "cbr_backup_sync" "test" {
  backups = {
    b1 = {
      backup_name = "n", bucket_name = "bkt", image_path = "p"
      resource_id = "vm", resource_name = "vm", created_at = 1548898428
    }
  }
}
`
	cases := []struct {
		name, provider string
		env            map[string]string
		want           string
	}{
		{"no project and no region", `provider "cbr" { endpoints = { cbr = "https://cbr.example.com" } }`, map[string]string{credentials.EnvAuthToken: "t"}, `(?s)Missing Project ID.*HW_PROJECT_ID.*HW_REGION_NAME`},
		{"no region", `provider "cbr" {}`, map[string]string{credentials.EnvAuthToken: "t", credentials.EnvProjectID: "p"}, `(?s)Missing Region.*HW_REGION_NAME`},
		{"unknown endpoint key", `provider "cbr" { endpoints = { ecs = "https://ecs.example.com" } }`, nil, `(?s)endpoints.*value must be one of`},
		{"blank token", `provider "cbr" { auth_token = " " }`, nil, `(?s)Blank Value.*auth_token must not be empty`},
		{"blank endpoint", `provider "cbr" { endpoints = { iam = "" } }`, nil, `(?s)Blank Value.*endpoints\["iam"\] must not be empty`},
		{"conflicting in the provider block", `provider "cbr" {
  region     = "cn-north-4"
  auth_token = "t"
  access_key = "AK"
  secret_key = "SK"
}`, nil, `(?s)Conflicting Credentials.*The provider block sets auth_token and access_key, secret_key, which are two ways to authenticate`},
		{"conflicting: token and password", `provider "cbr" {
  region     = "cn-north-4"
  auth_token = "t"
  user_name  = "u"
}`, nil, `(?s)Conflicting Credentials.*sets auth_token and user_name`},
		{"access key from the environment without secret key", `provider "cbr" { region = "cn-north-4" }`, map[string]string{credentials.EnvAccessKey: "AK"},
			`(?s)Incomplete Access Key.*access_key \(from HW_ACCESS_KEY\) is set but secret_key is not.*HW_SECRET_KEY.*unset HW_ACCESS_KEY`},
		{"secret key without access key", `provider "cbr" {
  region     = "cn-north-4"
  secret_key = "SK"
}`, nil, `(?s)Incomplete Access Key.*secret_key is set but access_key is not.*remove secret_key from the provider block`},
		{"security token without access key", `provider "cbr" {
  region         = "cn-north-4"
  security_token = "ST"
}`, map[string]string{credentials.EnvAuthToken: "t"}, `(?s)Security Token Without Access Key.*security_token is set but access_key and secret_key are not`},
		{"user without password", `provider "cbr" {
  region      = "cn-north-4"
  user_name   = "u"
  domain_name = "d"
}`, nil, `(?s)Incomplete Password Credentials.*user_name is set but password is not.*HW_USER_PASSWORD`},
		{"password without domain", `provider "cbr" { region = "cn-north-4" }`, map[string]string{credentials.EnvUserName: "u", credentials.EnvPassword: "pw"},
			`(?s)Missing Domain Name.*HW_DOMAIN_NAME`},
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
