package provider

import (
	"fmt"
	"strings"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// TestCheckEndpoint: malformed endpoints are refused, quoted as written.
func TestCheckEndpoint(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: " cbr.example.com/ ", want: "https://cbr.example.com"},
		{in: "http://127.0.0.1:39793/", want: "http://127.0.0.1:39793"},
		{in: "https://http.example.com", want: "https://http.example.com"},
		{in: "httpbin.example.com", want: "https://httpbin.example.com"},
		{in: "http//127.0.0.1:39793", err: `invalid endpoint "http//127.0.0.1:39793": the scheme http is not followed by "://"; write "http://127.0.0.1:39793"`},
		{in: "HTTPS:/cbr.example.com", err: `invalid endpoint "HTTPS:/cbr.example.com": the scheme HTTPS is not followed by "://"; write "https://cbr.example.com"`},
		{in: "http:cbr.example.com", err: `invalid endpoint "http:cbr.example.com": the scheme http is not followed by "://"`},
		{in: "http://", err: `invalid endpoint "http://": want an http(s) URL`},
		{in: "https:///", err: `invalid endpoint "https:///": want an http(s) URL`},
		{in: "https://http//127.0.0.1", err: `invalid endpoint "https://http//127.0.0.1": the host is "http"`},
		{in: "cbr.example.com#top", err: `invalid endpoint "cbr.example.com#top": a query or fragment is not allowed`},
		{in: "cbr.example.com:", err: `invalid endpoint "cbr.example.com:": empty port`},
		{in: "http//admin:pw-7@host", err: `invalid endpoint "http//admin:pw-7@host"`},
	} {
		got, err := checkEndpoint(tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%q: %q, %v; want %q", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: %q, %v; want the error %q", tc.in, got, err, tc.err)
		}
	}
}

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
