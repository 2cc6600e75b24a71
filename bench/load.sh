#!/usr/bin/env bash
# Load run: apply N cbr_backup_sync resources with terraform -parallelism=P
# against the standalone fake CBR API, then account for every request:
#
#   - exactly N sync requests answered 200 (plus the THROTTLE ones answered
#     429 and retried), nothing else;
#   - every backup synchronized exactly once (no duplicate);
#   - every resource in the state, each operation_log_id equal to the one
#     the fake API answered;
#   - a second plan sees no change and calls nothing; destroy calls nothing.
#
# Not run by CI. Usage: bash bench/load.sh
# Knobs (environment): N=200 PARALLELISM=20 BACKUPS=1 (per resource)
#   THROTTLE=0 (first sync requests answered 429, Retry-After: 1)
#   LATENCY=0s (delay of every API answer, e.g. 50ms) KEEP=1 (keep the work dir)
set -euo pipefail

N=${N:-200}
PARALLELISM=${PARALLELISM:-20}
BACKUPS=${BACKUPS:-1}
THROTTLE=${THROTTLE:-0}
LATENCY=${LATENCY:-0s}
TOKEN=load-test-token

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/cbr-load.XXXXXX")
fake_pid=
cleanup() {
	if [[ -n $fake_pid ]]; then kill "$fake_pid" 2>/dev/null || true; wait "$fake_pid" 2>/dev/null || true; fi
	if [[ ${KEEP:-0} == 1 ]]; then echo "work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

for tool in go terraform jq; do
	command -v "$tool" >/dev/null || { echo "load.sh: $tool is required (jq: apt-get install jq)" >&2; exit 2; }
done

fail() { echo "FAIL: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }

echo "== building the provider and the fake API"
(cd "$root" && go build -o "$work/bin/terraform-provider-cbr" . && go build -o "$work/cbrfake" ./internal/cbrfake/cmd/cbrfake)

"$work/cbrfake" -url-file "$work/fake.url" -token "$TOKEN" -throttle "$THROTTLE" -latency "$LATENCY" 2>"$work/fake.log" &
fake_pid=$!
for _ in $(seq 100); do [[ -s $work/fake.url ]] && break; sleep 0.1; done
[[ -s $work/fake.url ]] || fail "the fake API did not start: $(cat "$work/fake.log")"
url=$(cat "$work/fake.url")
stats() { curl -fsS "$url/_fake/stats"; }

cat >"$work/cli.tfrc" <<EOF
provider_installation {
  dev_overrides {
    "registry.terraform.io/cbr-sync/cbr" = "$work/bin"
  }
  direct {}
}
EOF
export TF_CLI_CONFIG_FILE=$work/cli.tfrc TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
export HW_AUTH_TOKEN=$TOKEN HW_PROJECT_ID=0b1d2f3e4a5c6d7e8f9a0b1c2d3e4f5a HW_MAX_RETRIES=5
unset TF_LOG HW_INSECURE HW_CACERT

mkdir -p "$work/tf"
cat >"$work/tf/main.tf" <<EOF
terraform {
  required_providers {
    cbr = { source = "cbr-sync/cbr" }
  }
}

provider "cbr" {
  endpoints = { cbr = "$url" }
}

resource "cbr_backup_sync" "load" {
  count = $N
  backups = { for j in range($BACKUPS) : format("1f9e6b47-7655-4a19-%04d-%012d", j, count.index) => {
    backup_name   = format("vm-%04d-backup-%d", count.index, j)
    bucket_name   = "hybrid-backups"
    image_path    = format("chains/%04d/%d", count.index, j)
    resource_id   = format("96f7512d-239d-3f31-80cf-%012d", count.index)
    resource_name = format("vm-%04d", count.index)
    created_at    = 1553587260 + count.index
  } }
}
EOF
cd "$work/tf"

echo "== terraform apply: $N resources x $BACKUPS backups, -parallelism=$PARALLELISM, throttle $THROTTLE, latency $LATENCY"
start=$(now_ms)
terraform apply -parallelism="$PARALLELISM" -auto-approve -input=false -no-color >"$work/apply.log" 2>&1 || { tail -40 "$work/apply.log"; fail "terraform apply failed"; }
apply_ms=$(($(now_ms) - start))
grep -E '^Apply complete' "$work/apply.log"

stats >"$work/stats.json"
terraform show -json >"$work/state.json"

echo "== accounting"
want_200=$N
sync_total=$(jq '.requests.sync // 0' "$work/stats.json")
sync_200=$(jq '.statuses.sync["200"] // 0' "$work/stats.json")
sync_429=$(jq '.statuses.sync["429"] // 0' "$work/stats.json")
others=$(jq '[.statuses.sync | to_entries[] | select(.key != "200" and .key != "429") | .value] | add // 0' "$work/stats.json")
non_sync=$(jq '[.requests | to_entries[] | select(.key != "sync") | .value] | add // 0' "$work/stats.json")
entries=$(jq '.synced_entries' "$work/stats.json")
distinct=$(jq '.distinct_backups' "$work/stats.json")
dups=$(jq '.duplicates | length' "$work/stats.json")
peak=$(jq '.max_in_flight' "$work/stats.json")

printf '  sync requests: %d (200: %d, 429: %d, other: %d); other requests: %d\n' "$sync_total" "$sync_200" "$sync_429" "$others" "$non_sync"
printf '  backups applied: %d, distinct %d, duplicated %d; peak concurrent requests: %d\n' "$entries" "$distinct" "$dups" "$peak"
[[ $sync_200 -eq $want_200 ]] || fail "$sync_200 sync requests answered 200, want $want_200"
[[ $sync_429 -eq $THROTTLE ]] || fail "$sync_429 sync requests answered 429, want $THROTTLE"
[[ $others -eq 0 && $non_sync -eq 0 ]] || fail "unexpected requests: $(jq -c '.statuses' "$work/stats.json")"
[[ $sync_total -eq $((want_200 + THROTTLE)) ]] || fail "$sync_total sync requests, want $((want_200 + THROTTLE))"
[[ $entries -eq $((N * BACKUPS)) && $distinct -eq $((N * BACKUPS)) && $dups -eq 0 ]] || fail "backups applied $entries, distinct $distinct, duplicates $(jq -c .duplicates "$work/stats.json")"
[[ $peak -le $PARALLELISM ]] || fail "peak concurrency $peak exceeds -parallelism=$PARALLELISM"

# Every resource is in the state and each operation_log_id is the fake's.
jq -n --slurpfile st "$work/state.json" --slurpfile fk "$work/stats.json" '
  ($fk[0].synced | map({key: .backup_id, value: .operation_log_id}) | from_entries) as $ops
  | [$st[0].values.root_module.resources[] | select(.type == "cbr_backup_sync")] as $res
  | {
      resources: ($res | length),
      backups: ([$res[].values.backups[]] | length),
      matching: ([$res[].values.backups | to_entries[] | select(.value.operation_log_id != null and .value.operation_log_id == $ops[.key])] | length),
      ids: ([$res[].values.id] | unique | length)
    }' >"$work/check.json"
printf '  state: %s\n' "$(jq -c . "$work/check.json")"
jq -e --argjson n "$N" --argjson b "$((N * BACKUPS))" '.resources == $n and .backups == $b and .matching == $b and .ids == $n' "$work/check.json" >/dev/null ||
	fail "the state does not match the fake API"

echo "== terraform plan (expect no change and no API call)"
before=$sync_total
start=$(now_ms)
set +e
terraform plan -parallelism="$PARALLELISM" -detailed-exitcode -input=false -no-color >"$work/plan.log" 2>&1
rc=$?
set -e
plan_ms=$(($(now_ms) - start))
[[ $rc -eq 0 ]] || { tail -20 "$work/plan.log"; fail "plan exit code $rc, want 0 (no changes)"; }

echo "== terraform destroy (expect no API call)"
start=$(now_ms)
terraform destroy -parallelism="$PARALLELISM" -auto-approve -input=false -no-color >"$work/destroy.log" 2>&1 || { tail -20 "$work/destroy.log"; fail "destroy failed"; }
destroy_ms=$(($(now_ms) - start))
after=$(stats | jq '[.requests[]] | add // 0')
[[ $after -eq $before ]] || fail "plan or destroy made $((after - before)) API calls"

echo "== result"
printf '  apply   %6d ms  (%d resources, %.1f resources/s)\n' "$apply_ms" "$N" "$(echo "$N * 1000 / $apply_ms" | bc -l)"
printf '  plan    %6d ms  (no change, no API call)\n' "$plan_ms"
printf '  destroy %6d ms  (no API call)\n' "$destroy_ms"
echo "PASS: $sync_total sync requests for $N resources ($THROTTLE throttled and retried), $entries backups each synced once, state matches"
