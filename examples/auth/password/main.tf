terraform {
  required_providers {
    cbr = {
      source = "cbr-sync/cbr"
    }
  }
}

# Authentication with an IAM user's password: on its first API call the
# provider gets an IAM token for the project of the region, uses it for the
# whole run and renews it before it expires. Works from the environment too:
# HW_USER_NAME, HW_USER_PASSWORD and HW_DOMAIN_NAME.
variable "password" {
  type      = string
  sensitive = true
}

provider "cbr" {
  region      = "cn-north-4"
  domain_name = "example-account" # the account (IAM domain) name
  user_name   = "terraform-ci"
  password    = var.password
}
