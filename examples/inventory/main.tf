# Imports a whole inventory of on-premises VMware backups into CBR, night
# after night, each backup exactly once: one cbr_backup_sync holds every
# backup listed in a JSON file, keyed by backup_id. The provider matches the
# entries with its state by backup_id, so new backups (anywhere in the file),
# reordered entries and removed entries never send the others again; it sends
# the new ones in requests of 50, and the plan's diff shows exactly those.
#
# The rule to keep: a backup_id stays in this one resource for as long as it
# is in the inventory. Never move backups between resources (or split this one
# by position): a backup that leaves a resource and enters another is sent
# again by the other. Past 5,000 backups (the most one resource holds), split
# the inventory by something that never changes for a backup, such as its
# year, one resource per file.

terraform {
  required_version = ">= 1.5"
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

variable "wait_for_completion" {
  description = "Wait until CBR has imported the backups sent, and fail when an import fails. When false, the statuses come from the cbr_operation_logs data source, read again on every plan."
  type        = bool
  default     = true
}

variable "fail_on_import_failure" {
  description = "Whether a failed import fails the run: with wait_for_completion, the apply of the resource; without, the postcondition of the cbr_operation_logs data source. false (the default here) reports failed imports in a check warning and in the failed_backups output, and the run succeeds."
  type        = bool
  default     = false
}

variable "create_timeout" {
  description = "How long an apply may take to send the new backups and, with wait_for_completion, to wait for their import."
  type        = string
  default     = "30m"
}

# Credentials and region come from the environment: HW_REGION_NAME,
# HW_PROJECT_ID and HW_AUTH_TOKEN.
provider "cbr" {}

locals {
  backups = jsondecode(file("${path.module}/${var.inventory_file}"))
}

resource "cbr_backup_sync" "inventory" {
  backups                = { for b in local.backups : b.backup_id => b }
  wait_for_completion    = var.wait_for_completion
  fail_on_import_failure = var.fail_on_import_failure
  timeouts = {
    create = var.create_timeout
  }
}

locals {
  # The status each backup's import task had when the apply stopped waiting
  # (wait_for_completion), else its sync_state, from the resource alone.
  # Terraform does not evaluate outputs that depend on a resource whose apply
  # failed (for example because an import failed): after a failed apply,
  # `terraform apply -refresh-only` evaluates them from the state it saved.
  recorded_status = tomap({
    for id, b in cbr_backup_sync.inventory.backups : id => coalesce(b.status, b.sync_state == "accepted" || b.sync_state == "adopted" ? "not_waited_for" : b.sync_state)
  })

  # Without waiting: the current status of each backup's import task, read
  # with one cbr_operation_logs data source (1,000 logs per request), else
  # its sync_state.
  task_status = var.wait_for_completion ? {} : {
    for ol in data.cbr_operation_logs.imports[0].operation_logs : ol.id => ol.status
  }
  current_status = var.wait_for_completion ? local.recorded_status : tomap({
    for id, b in cbr_backup_sync.inventory.backups : id => b.operation_log_id == null ? b.sync_state : lookup(local.task_status, b.operation_log_id, "not_found")
  })
  failed = sort([for id, s in local.current_status : id if contains(["failed", "timeout"], s)])
}

# Without waiting, read the import tasks of every backup on each plan and
# refresh, in one data source. On a night that adds backups, their
# operation_log_id is known only once they are sent, so the read waits for
# the apply.
data "cbr_operation_logs" "imports" {
  count = var.wait_for_completion ? 0 : 1

  ids = compact([for id, b in cbr_backup_sync.inventory.backups : b.operation_log_id])

  lifecycle {
    # An error that fails the run when an import failed, when asked to.
    postcondition {
      condition     = !var.fail_on_import_failure || alltrue([for ol in self.operation_logs : !contains(["failed", "timeout"], ol.status)])
      error_message = "An import failed or timed out in CBR (operation logs ${join(", ", [for ol in self.operation_logs : ol.id if contains(["failed", "timeout"], ol.status)])}); the failed_backups output names the backups. To import one again once the cause is fixed, remove it from the inventory, apply, and add it back."
    }
  }
}

# A warning on every plan (and in HCP Terraform's health checks) while an
# import has failed.
check "imports" {
  assert {
    condition     = length(local.failed) == 0
    error_message = "The import of ${length(local.failed)} backups failed or timed out in CBR: ${join(", ", slice(local.failed, 0, min(5, length(local.failed))))}. Their operation_log_id is in the state; error_info is in the cbr_operation_logs data source."
  }
}

output "backups" {
  description = "Number of backups in the inventory (and in the resource)."
  value       = length(cbr_backup_sync.inventory.backups)
}

output "backups_by_status" {
  description = "Number of backups per import status recorded by the apply: success, skipped, failed, timeout, waiting and running when waiting stopped first, not_waited_for without wait_for_completion, and the sync_state (not_sent or unknown) of backups without an import task."
  value = {
    for status in distinct(values(local.recorded_status)) :
    status => length([for id, s in local.recorded_status : id if s == status])
  }
}

output "failed_backups" {
  description = "IDs of the backups whose import failed or timed out: as recorded by the apply with wait_for_completion, else as read by the cbr_operation_logs data source."
  value       = local.failed
}

output "unsettled_backups" {
  description = "IDs of the backups not imported yet (sync_state not_sent: the next apply sends them) or whose sync outcome is unknown (never sent again by itself; see the resource docs)."
  value       = sort([for id, b in cbr_backup_sync.inventory.backups : id if contains(["not_sent", "unknown"], b.sync_state)])
}

output "checked_statuses" {
  description = "Without wait_for_completion: the number of backups per current import status, read with the cbr_operation_logs data source on every plan and refresh (terraform apply -refresh-only shows the progress)."
  value = var.wait_for_completion ? null : {
    for status in distinct(values(local.current_status)) :
    status => length([for id, s in local.current_status : id if s == status])
  }
}
