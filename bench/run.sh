#!/usr/bin/env bash
# Measures the provider's cost against the floor (Terraform's built-in
# terraform_data with the same objects): plan, apply and destroy times, API calls per
# command, peak memory, binary size and start-up. Run by hand, not by CI.
#
#   bench/run.sh                 # 3 repetitions, 1 and 200 resources and one of 2000 backups; prints the results
#   bench/run.sh --write         # ... and writes them into BENCHMARKS.md
#   bench/run.sh --quick         # 1 repetition, 1 and 40 resources, one of 200 backups: checks the script
#   bench/run.sh --reps 5 --sizes 1,50,200 --large 5000 --write
#
# Options: --reps N, --sizes LIST (e.g. 1,200), --large N (backups of the one
# large resource, timed when the provider accepts that many; 0: none),
# --no-empty-plan (skip the plans from an empty state), --no-logging (skip the
# empty-state plans with the provider's loggers on), --empty-plan-only (time
# only the empty-state plans: no apply), --env KEY=VALUE (for
# every Terraform command; repeatable), --provider-env KEY=VALUE (for the
# provider processes only, e.g. GOGC=200; repeatable), --quick, --write
# (update BENCHMARKS.md), --keep (keep the working directory, with every
# Terraform log). See BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

reps=3 sizes=1,200 large=2000 empty_plan=true logging=true only_empty=false write=false keep=false
extra=()
cmdline="bench/run.sh${*:+ $*}"
while [ $# -gt 0 ]; do
  case $1 in
    --reps) reps=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --large) large=$2; shift 2 ;;
    --empty-plan) empty_plan=true; shift ;;
    --no-empty-plan) empty_plan=false; shift ;;
    --no-logging) logging=false; shift ;;
    --empty-plan-only) only_empty=true; shift ;;
    --env) extra+=(-env "$2"); shift 2 ;;
    --provider-env) extra+=(-provider-env "$2"); shift 2 ;;
    --quick) reps=1 sizes=1,40 large=200; shift ;;
    --write) write=true; shift ;;
    --keep) keep=true; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

command -v go >/dev/null || { echo "bench: go is not on PATH" >&2; exit 1; }
command -v terraform >/dev/null || { echo "bench: terraform is not on PATH" >&2; exit 1; }

. .ci/fakeenv.sh

work=$(mktemp -d "${TMPDIR:-/tmp}/cbr-bench.XXXXXX")
cleanup() {
  fakeenv_stop
  if [ "$keep" = true ]; then echo "bench: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

echo "==> building the provider (stripped, as released), the fake CBR API and the benchmark driver"
fakeenv_build "$work/bin" -trimpath -ldflags "-s -w"
go build -o "$work/bench" ./bench

echo "==> starting the fake CBR API (token and password authentication)"
CBRFAKE_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
export CBRFAKE_PASSWORD
fakeenv_start "$work" -user bench-user -domain bench-domain -stats-file "$work/fake-stats.json"
echo "    listening on $FAKE_URL"
fakeenv_terraformrc "$work/terraformrc" "$work/bin"
# Every terraform command the driver runs gets this CLI config; the driver's
# own `terraform version` inherits it (never a missing file from the machine).
export TF_CLI_CONFIG_FILE="$work/terraformrc" CHECKPOINT_DISABLE=1

out=()
[ "$write" = true ] && out=(-out "$repo/BENCHMARKS.md")
"$work/bench" \
  -provider "$work/bin/terraform-provider-cbr" \
  -fake-url "$FAKE_URL" \
  -work "$work" \
  -terraformrc "$work/terraformrc" \
  -reps "$reps" -sizes "$sizes" -large "$large" -empty-plan="$empty_plan" -logging="$logging" -empty-plan-only="$only_empty" \
  ${extra[@]+"${extra[@]}"} \
  -user bench-user -domain bench-domain \
  -command "$cmdline" \
  "${out[@]}"
