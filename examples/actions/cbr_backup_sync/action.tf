# Import tonight's backups on demand:
#   terraform apply -invoke=action.cbr_backup_sync.tonight
# Every invocation sends every backup of the list again; nothing is kept in the state.
action "cbr_backup_sync" "tonight" {
  config {
    backups = {
      "1f9e6b47-7655-4a19-b563-21b4ef023025" = {
        backup_name   = "web-01-2024-05-01"
        bucket_name   = "hybrid-backups-cn-north-4"
        image_path    = "6abec15e-7baf-4d79-b5a9-6b98a2da7020/cfe0295c-5939-4b31-96cd-161b4725e7ad/cfe0295c-5939-4b31-96cd-161b4725e7ad"
        resource_id   = "96f7512d-239d-3f31-80cf-d1ce041df9a6"
        resource_name = "web-01"
        created_at    = 1714521600
      }
    }
    # Report progress until CBR has imported every backup, and fail on a failed import.
    wait_for_completion = true
    timeout             = "30m"
  }
}
