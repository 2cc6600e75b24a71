#!/usr/bin/env bash
# Applies this example against the fake CBR API of the repository, with the
# provider built from the working tree, and reports how long the apply took
# and how many requests it made. Nothing leaves the machine.
#
#   examples/inventory/try-with-fake.sh [terraform apply arguments...]
#
# For example:
#   examples/inventory/try-with-fake.sh -var wait_for_completion=false
#   FAKE_ARGS="-script waiting,running,failed" examples/inventory/try-with-fake.sh
#   FAKE_ARGS=-shared-operation-log PARALLELISM=20 examples/inventory/try-with-fake.sh
#   FAIL_IMPORTS=2 examples/inventory/try-with-fake.sh -var wait_for_completion=false
#
# FAKE_ARGS are passed to the fake (go run ./internal/cbrfake/cmd/cbrfake -h),
# PARALLELISM to terraform apply (default 10). FAIL_IMPORTS=N makes the
# import of the first N backups of backups.json fail in CBR, to see them in
# the failed_backups output and the warning of the check block, with or
# without wait_for_completion. KEEP=1 keeps the work directory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
fake_pid=
cleanup() {
	if [ -n "$fake_pid" ]; then
		kill "$fake_pid" 2>/dev/null || true
		wait "$fake_pid" 2>/dev/null || true
	fi
	if [ "${KEEP:-}" = 1 ]; then
		echo "work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

echo "building the provider and the fake API..."
(cd "$root" && go build -o "$work/bin/terraform-provider-cbr" . && go build -o "$work/cbrfake" ./internal/cbrfake/cmd/cbrfake)

# shellcheck disable=SC2086 # FAKE_ARGS is a list of flags
"$work/cbrfake" -url-file "$work/fake.url" ${FAKE_ARGS:-} 2>"$work/fake.log" &
fake_pid=$!
for _ in $(seq 100); do
	[ -s "$work/fake.url" ] && break
	sleep 0.1
done
[ -s "$work/fake.url" ] || { cat "$work/fake.log"; echo "the fake API did not start" >&2; exit 1; }
url=$(cat "$work/fake.url")
echo "fake API at $url"

cat >"$work/terraformrc" <<EOF
provider_installation {
  dev_overrides {
    "registry.terraform.io/cbr-sync/cbr" = "$work/bin"
  }
  direct {}
}
EOF
export TF_CLI_CONFIG_FILE="$work/terraformrc"
export TF_IN_AUTOMATION=1
unset HW_REGION_NAME HW_PROJECT_ID HW_AUTH_TOKEN

mkdir "$work/module"
cp "$here/main.tf" "$here/backups.json" "$work/module/"
# Point the provider at the fake API (the project and token it accepts by default).
cat >"$work/module/fake_override.tf" <<EOF
provider "cbr" {
  endpoints  = { cbr = "$url" }
  project_id = "0b1d2f3e4a5c6d7e8f9a0b1c2d3e4f5a"
  token      = "fake-cbr-token"
}
EOF

tf() { terraform -chdir="$work/module" "$@"; }
tf validate -no-color

# The imports that fail in CBR (POST /_fake/scripts of the standalone fake).
if [ "${FAIL_IMPORTS:-0}" -gt 0 ]; then
	for id in $(grep -o '"backup_id": *"[^"]*"' "$work/module/backups.json" | head -n "$FAIL_IMPORTS" | sed 's/.*"\([^"]*\)"$/\1/'); do
		curl -fsS -X POST -H 'Content-Type: application/json' \
			-d "{\"backup_id\": \"$id\", \"statuses\": [\"failed\"]}" "$url/_fake/scripts"
		echo "the import of $id fails in CBR"
	done
fi

start=$(date +%s.%N)
status=0
tf apply -auto-approve -no-color -parallelism="${PARALLELISM:-10}" "$@" >"$work/apply.log" 2>&1 || status=$?
end=$(date +%s.%N)
tail -n 30 "$work/apply.log"

syncs=$(grep -c 'backups/sync status=' "$work/fake.log" || true)
reads=$(grep -c 'operation-logs.* status=' "$work/fake.log" || true)
printf '\napply: exit status %d, %.1f s, %d sync requests, %d operation log requests (reads and lists)\n' \
	"$status" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$syncs" "$reads"
exit "$status"
