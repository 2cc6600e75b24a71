terraform {
  required_providers {
    cbr = {
      source = "cbr-sync/cbr"
    }
  }
}

# Credentials of a Huawei Cloud CLI (KooCLI) profile, as written by
# `hcloud configure`: an access key pair, an SSO profile's temporary
# credentials, and the profile's region, project and agency. The file
# defaults to ~/.hcloud/config.json and the profile to its current one. Also
# HW_SHARED_CONFIG_FILE and HW_PROFILE.
provider "cbr" {
  shared_config_file = pathexpand("~/.hcloud/config.json")
  profile            = "backup-admin"
}
