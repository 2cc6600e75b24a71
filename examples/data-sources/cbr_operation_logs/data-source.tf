# Check, in one read, how CBR is doing with every backup a fire-and-forget
# cbr_backup_sync sent for import: 1,000 operation logs per request.
resource "cbr_backup_sync" "nightly" {
  backups = {
    "1f9e6b47-7655-4a19-b563-21b4ef023025" = {
      backup_name   = "vm-web-01-2019-03-26"
      bucket_name   = "hybrid-backups"
      image_path    = "6abec15e-7baf-4d79-b5a9-6b98a2da7020/cfe0295c-5939-4b31-96cd-161b4725e7ad/cfe0295c-5939-4b31-96cd-161b4725e7ad"
      resource_id   = "96f7512d-239d-3f31-80cf-d1ce041df9a6"
      resource_name = "vm-web-01"
      created_at    = 1553587260
    }
  }
}

data "cbr_operation_logs" "nightly" {
  # operation_type defaults to "sync".
  # Backups not sent, or whose outcome is unknown, have no operation_log_id.
  ids = compact([for id, b in cbr_backup_sync.nightly.backups : b.operation_log_id])
}

# The sync tasks that failed in a time window, whatever resource sent them.
data "cbr_operation_logs" "failed_today" {
  status     = "failed"
  start_time = "2026-03-14T00:00:00Z"
  end_time   = "2026-03-15T00:00:00+01:00"
}

output "import_statuses" {
  value = { for ol in data.cbr_operation_logs.nightly.operation_logs : ol.id => ol.status }
}

output "failed_imports" {
  value = [for ol in data.cbr_operation_logs.failed_today.operation_logs : "${ol.id}: ${coalesce(ol.error_info.message, "no message")}"]
}
