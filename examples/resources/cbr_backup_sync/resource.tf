# Import two backups written to OBS by the on-premises backup appliance,
# keyed by backup_id.
resource "cbr_backup_sync" "nightly" {
  backups = {
    "1f9e6b47-7655-4a19-b563-21b4ef023025" = {
      backup_name   = "web-01-2024-05-01"
      bucket_name   = "hybrid-backups-cn-north-4"
      image_path    = "6abec15e-7baf-4d79-b5a9-6b98a2da7020/cfe0295c-5939-4b31-96cd-161b4725e7ad/cfe0295c-5939-4b31-96cd-161b4725e7ad"
      resource_id   = "96f7512d-239d-3f31-80cf-d1ce041df9a6"
      resource_name = "web-01"
      created_at    = 1714521600
    }
    "2a0c7d58-8766-4b2a-9c74-32c5f0134136" = {
      backup_name   = "db-01-2024-05-01"
      bucket_name   = "hybrid-backups-cn-north-4"
      image_path    = "6abec15e-7baf-4d79-b5a9-6b98a2da7020/0d1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e5f6/0d1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e5f6"
      resource_id   = "a7b8c9d0-1e2f-3a4b-5c6d-7e8f9a0b1c2d"
      resource_name = "db-01"
      resource_type = "OS::Native::Server"
      created_at    = 1714525200
    }
  }
}

output "operation_log_ids" {
  description = "The CBR task of each imported backup, by backup ID."
  value       = { for id, b in cbr_backup_sync.nightly.backups : id => b.operation_log_id }
}
