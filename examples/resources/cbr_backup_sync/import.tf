# The same with an import block (Terraform 1.5 or later): `terraform plan`
# shows the import and the fields it fills in, and sends nothing for these
# backups.
import {
  to = cbr_backup_sync.nightly
  id = "1f9e6b47-7655-4a19-b563-21b4ef023025=154f0a9d-ba53-4e91-a3e2-a918710a9e0d,2a0c7d58-8766-4b2a-9c74-32c5f0134136=6d2f1e0a-3b4c-4d5e-8f9a-0b1c2d3e4f5a"
}
