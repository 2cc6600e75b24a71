terraform {
  required_providers {
    cbr = {
      source = "cbr-sync/cbr"
    }
  }
}

# A central account imports into the account it serves: its access key (here
# from HW_ACCESS_KEY and HW_SECRET_KEY) obtains the temporary credentials of
# an agency of the served account, which sign every call. They are obtained
# once per run, shared by all resources and renewed before they expire.
# Without the block: HW_ASSUME_ROLE_AGENCY_NAME, HW_ASSUME_ROLE_DOMAIN_NAME
# (or HW_ASSUME_ROLE_DOMAIN_ID) and HW_ASSUME_ROLE_DURATION.
provider "cbr" {
  region = "cn-north-4"

  assume_role {
    agency_name = "cbr-import"     # the agency, in the account to import into
    domain_name = "served-account" # that account's name (or domain_id)
    duration    = 3600             # seconds; optional
  }
}
