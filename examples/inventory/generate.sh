#!/bin/sh
# Writes backups.json: an inventory of on-premises VMware backups, as a
# backup appliance could export it, in the shape cbr_backup_sync's
# "backups" takes. Usage: ./generate.sh [count] > backups.json
# The committed file was made with the default count (500): 125 VMs with
# four nightly backups each; every tenth VM is a volume (OS::Cinder::Volume,
# an EVS disk in CBR's terms), the others get the default OS::Native::Server.
set -eu
count=${1:-500}
awk -v count="$count" 'BEGIN {
  printf "[\n"
  for (i = 0; i < count; i++) {
    vm = int(i / 4); night = i % 4
    printf "  {\n"
    printf "    \"backup_id\": \"1f9e6b47-7655-4a19-b563-%012d\",\n", i
    printf "    \"backup_name\": \"vm-%03d-nightly-%d\",\n", vm, night + 1
    printf "    \"bucket_name\": \"hybrid-backups\",\n"
    printf "    \"image_path\": \"6abec15e-7baf-4d79-b5a9-6b98a2da7020/vm-%03d/chain-%d\",\n", vm, night + 1
    printf "    \"resource_id\": \"96f7512d-239d-3f31-80cf-%012d\",\n", vm
    printf "    \"resource_name\": \"vm-%03d\",\n", vm
    if (vm % 10 == 9) printf "    \"resource_type\": \"OS::Cinder::Volume\",\n"
    printf "    \"created_at\": %d\n", 1553587260 + night * 86400 + vm * 60
    printf "  }%s\n", (i < count - 1) ? "," : ""
  }
  printf "]\n"
}'
