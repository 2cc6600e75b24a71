terraform {
  required_providers {
    cbr = {
      source = "cbr-sync/cbr"
    }
  }
}

# Authentication with an IAM token, sent as X-Auth-Token. A token is valid for
# 24 hours and the provider cannot renew it: prefer AK/SK or a password for
# anything that runs unattended.
variable "iam_token" {
  description = "An IAM token scoped to the project of the region. Leave it unset to use HW_AUTH_TOKEN instead."
  type        = string
  sensitive   = true
  # null leaves auth_token unset, so the provider reads HW_AUTH_TOKEN.
  default = null
}

provider "cbr" {
  region     = "cn-north-4"
  project_id = "0b1d2f3e4a5c6d7e8f9a0b1c2d3e4f5a" # optional: looked up by region in IAM when left out
  auth_token = var.iam_token
}
