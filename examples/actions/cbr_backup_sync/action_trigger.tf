# Import a restore point's backups when it is created (or replaced), from the
# lifecycle of another resource.
variable "restore_point" {
  description = "The backups of a restore point, as written by the backup appliance."
  type = object({
    name = string
    backups = list(object({
      backup_id     = string
      backup_name   = string
      bucket_name   = string
      image_path    = string
      resource_id   = string
      resource_name = string
      created_at    = number
    }))
  })
  default = {
    name = "2024-05-02"
    backups = [
      {
        backup_id     = "2a0c7d58-8766-4b2a-9c74-32c5f0134136"
        backup_name   = "db-01-2024-05-02"
        bucket_name   = "hybrid-backups-cn-north-4"
        image_path    = "6abec15e-7baf-4d79-b5a9-6b98a2da7020/0d1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e5f6/0d1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e5f6"
        resource_id   = "a7b8c9d0-1e2f-3a4b-5c6d-7e8f9a0b1c2d"
        resource_name = "db-01"
        created_at    = 1714611600
      },
    ]
  }
}

action "cbr_backup_sync" "restore_point" {
  config {
    backups = { for b in var.restore_point.backups : b.backup_id => b }
  }
}

resource "terraform_data" "restore_point" {
  input = var.restore_point.name

  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.cbr_backup_sync.restore_point]
    }
  }
}
