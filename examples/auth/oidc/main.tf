terraform {
  required_providers {
    cbr = {
      source = "cbr-sync/cbr"
    }
  }
}

# No stored secret: the workload identity token of the run (HCP Terraform
# puts it in TFC_WORKLOAD_IDENTITY_TOKEN when the workspace sets
# TFC_WORKLOAD_IDENTITY_AUDIENCE) is exchanged with IAM for the temporary
# credentials of an agency. Other CI systems write their OIDC token to a file:
# set id_token_file instead. Without the block: HW_ASSUME_ROLE_IDP_ID,
# HW_ASSUME_ROLE_AGENCY_NAME, HW_ASSUME_ROLE_DOMAIN_ID and
# HW_ASSUME_ROLE_ID_TOKEN or HW_ASSUME_ROLE_ID_TOKEN_FILE.
provider "cbr" {
  region = "cn-north-4"

  assume_role_with_oidc {
    idp_id      = "hcp-terraform"                    # the identity provider in IAM
    agency_name = "cbr-import"                       # the agency whose credentials sign the calls
    domain_id   = "0a1b2c3d4e5f60718293a4b5c6d7e8f9" # the ID of the account of the agency
    # id_token_file = "/var/run/secrets/oidc/token" # elsewhere than HCP Terraform
  }
}
