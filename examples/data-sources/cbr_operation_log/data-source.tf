# Check, on every plan, how CBR is doing with the backups a fire-and-forget
# cbr_backup_sync sent for import.
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

data "cbr_operation_log" "nightly" {
  id = cbr_backup_sync.nightly.backups["1f9e6b47-7655-4a19-b563-21b4ef023025"].operation_log_id
}

output "import_status" {
  value = data.cbr_operation_log.nightly.status
}

output "import_error" {
  # code and message are null unless the import failed.
  value = data.cbr_operation_log.nightly.error_info.message
}
