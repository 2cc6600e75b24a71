terraform {
  required_providers {
    cbr = {
      source = "cbr-sync/cbr"
    }
  }
}

# Credentials come from the environment, as in a Terraform Cloud workspace:
#   HW_REGION_NAME=cn-north-4  HW_PROJECT_ID=...  HW_AUTH_TOKEN=...
provider "cbr" {}
