package provider

import (
	"fmt"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// TestAccProvider_malformedEndpoints: the endpoints of the issue are refused
// by terraform plan, on the attribute, quoted as written, before any call.
func TestAccProvider_malformedEndpoints(t *testing.T) {
	fake, _ := startFake(t, cbrfake.Options{})
	var steps []tfresource.TestStep
	for _, tc := range []struct{ attr, value, want string }{
		{"endpoints = { cbr = %q }", "http//127.0.0.1:39793", `(?s)Invalid Endpoint.*endpoints\["cbr"\]: invalid endpoint "http//127.0.0.1:39793": the scheme http is not followed by "://"; write "http://127.0.0.1:39793"`},
		{"endpoints = { cbr = %q }", "http://", `(?s)Invalid Endpoint.*endpoints\["cbr"\]: invalid endpoint "http://": want an http\(s\) URL`},
		{"auth_url = %q", "https//iam.example.com/v3", `(?s)Invalid Endpoint.*auth_url: invalid endpoint "https//iam.example.com/v3"`},
	} {
		cfg := fmt.Sprintf("provider \"cbr\" {\n  region = \"cn-north-4\"\n  project_id = \"p\"\n  auth_token = \"t\"\n  "+tc.attr+"\n}\n", tc.value) + backupsConfig(makeBackups(1))
		steps = append(steps, tfresource.TestStep{Config: cfg, PlanOnly: true, ExpectError: errorLike(tc.want)})
	}
	tfresource.ParallelTest(t, tfresource.TestCase{ProtoV6ProviderFactories: providerFactories(nil), Steps: steps})
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("the fake saw %d requests", n)
	}
}
