package provider

import (
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/cbr-sync/terraform-provider-cbr/internal/credentials"
)

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
