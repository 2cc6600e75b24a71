terraform {
  required_providers {
    cbr = {
      source = "cbr-sync/cbr"
    }
  }
}

# Authentication with an access key pair: every request is signed
# (SDK-HMAC-SHA256). For temporary credentials, also give their security token.
# The same works with no arguments but region, from HW_ACCESS_KEY,
# HW_SECRET_KEY and HW_SECURITY_TOKEN.
variable "access_key" {
  type = string
}

variable "secret_key" {
  type      = string
  sensitive = true
}

variable "security_token" {
  description = "Only for temporary credentials."
  type        = string
  sensitive   = true
  default     = null
}

provider "cbr" {
  region         = "eu-west-101" # endpoints under myhuaweicloud.eu; the project ID is looked up in IAM
  access_key     = var.access_key
  secret_key     = var.secret_key
  security_token = var.security_token
}
