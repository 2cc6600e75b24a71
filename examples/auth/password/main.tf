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
# HW_USER_NAME, HW_USER_PASSWORD and HW_DOMAIN_NAME (or HW_DOMAIN_ID, or
# HW_USER_ID instead of the user name and domain). project_name names a
# sub-project such as cn-north-4_backup.
variable "password" {
  type      = string
  sensitive = true
}

provider "cbr" {
  region      = "cn-north-4"
  domain_name = "example-account" # the account (IAM domain) name
  user_name   = "terraform-ci"
  password    = var.password
  # project_name = "cn-north-4_backup"
}
