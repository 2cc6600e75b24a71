# Imports a whole inventory of on-premises VMware backups into CBR: the
# backups listed in a JSON file are sent in batches of 50 (the most one sync
# request takes), one cbr_backup_sync per batch, and the outputs count the
# backups per import status.
#
# Batches are keyed by their position ("0", "1", ...): append new backups at
# the end of the file. Inserting or removing one in the middle shifts every
# later batch, which replaces those resources and imports their backups again.

terraform {
  required_version = ">= 1.3"
  required_providers {
    cbr = {
      source = "cbr-sync/cbr"
    }
  }
}

variable "inventory_file" {
  description = "JSON file listing the backups, relative to this module: a list of objects with the attributes of cbr_backup_sync's backups."
  type        = string
  default     = "backups.json"
}

variable "batch_size" {
  description = "Backups per sync request."
  type        = number
  default     = 50
  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 50 && floor(var.batch_size) == var.batch_size
    error_message = "batch_size must be a whole number from 1 to 50: one sync request carries at most 50 backups."
  }
}

variable "wait_for_completion" {
  description = "Wait until CBR has imported every backup, and fail when an import fails. When false, the statuses come from the cbr_operation_log data source, read again on every plan."
  type        = bool
  default     = true
}

variable "create_timeout" {
  description = "How long each batch may take to be sent and, with wait_for_completion, imported."
  type        = string
  default     = "30m"
}

# Credentials and region come from the environment: HW_REGION_NAME,
# HW_PROJECT_ID and HW_AUTH_TOKEN.
provider "cbr" {}

locals {
  backups = jsondecode(file("${path.module}/${var.inventory_file}"))
  batches = { for i, batch in chunklist(local.backups, var.batch_size) : tostring(i) => batch }
}

resource "cbr_backup_sync" "batch" {
  for_each = local.batches

  backups             = each.value
  wait_for_completion = var.wait_for_completion
  timeouts = {
    create = var.create_timeout
  }
}

locals {
  synced = flatten([for batch in values(cbr_backup_sync.batch) : batch.backups])
}

# Without waiting, read each backup's import task on every plan and refresh.
data "cbr_operation_log" "backup" {
  for_each = var.wait_for_completion ? {} : { for b in local.synced : b.backup_id => b.operation_log_id }

  id = each.value
}

locals {
  status_by_backup = var.wait_for_completion ? tomap({
    for b in local.synced : b.backup_id => coalesce(b.status, "unknown")
    }) : tomap({
    for id, op in data.cbr_operation_log.backup : id => op.status
  })
}

output "batches" {
  description = "Number of sync requests (cbr_backup_sync resources)."
  value       = length(local.batches)
}

output "backups_by_status" {
  description = "Number of backups per import status: success, skipped, failed, timeout, or waiting and running while in progress."
  value = {
    for status in distinct(values(local.status_by_backup)) :
    status => length([for id, s in local.status_by_backup : id if s == status])
  }
}

output "failed_backups" {
  description = "IDs of the backups whose import failed or timed out."
  value       = sort([for id, s in local.status_by_backup : id if contains(["failed", "timeout"], s)])
}
