terraform {
  required_providers {
    cbr = {
      source = "cbr-sync/cbr"
    }
  }
}

# On a Huawei Cloud ECS with an agency attached (for example a CI runner),
# set no credentials at all: the provider gets the agency's temporary
# credentials from the ECS metadata service on its first API call and renews
# them before they expire. Give the agency permission to use CBR in the
# project of the region.
provider "cbr" {
  region = "cn-north-4"
}
