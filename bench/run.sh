#!/usr/bin/env bash
# Measures the provider's cost against the floor (Terraform's built-in
# terraform_data with the same objects): plan, apply and destroy times, API calls per
# command, peak memory, binary size and start-up. Run by hand, not by CI.
#
#   bench/run.sh                 # 3 repetitions, 1 and 200 resources and one of 2000 backups; prints the results
#   bench/run.sh --write         # ... and writes them into BENCHMARKS.md (with the list form of 0.2.0)
#   bench/run.sh --quick         # 1 repetition, 1 and 40 resources, one of 200 backups: checks the script
#   bench/run.sh --reps 5 --sizes 1,50,200 --large 5000 --write
#   bench/run.sh --quick --list-provider 2580dac
#
# Options: --reps N, --sizes LIST (e.g. 1,200), --large N (backups of the one
# large resource, timed when the provider accepts that many; 0: none),
# --no-empty-plan (skip the plans from an empty state), --no-logging (skip the
# empty-state plans with the provider's loggers on), --empty-plan-only (time
# only the empty-state plans: no apply), --no-json (skip plan -json and
# apply -json), --list-provider DIR-or-COMMIT (also time the large resource's
# plans and apply with the provider of that source directory or commit, whose
# backups is a list, written in the list form; built in the working directory,
# from a git worktree for a commit; the default with --write is 2580dac, release
# 0.2.0), --no-list, --env KEY=VALUE (for
# every Terraform command; repeatable), --provider-env KEY=VALUE (for the
# provider processes only, e.g. GOGC=200; repeatable), --quick, --write
# (update BENCHMARKS.md), --keep (keep the working directory, with every
# Terraform log). See BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

reps=3 sizes=1,200 large=2000 empty_plan=true logging=true only_empty=false write=false keep=false
json=true list_src="" no_list=false
# The last commit whose cbr_backup_sync takes backups as a list (0.2.0).
list_default=2580dac
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
    --no-json) json=false; shift ;;
    --list-provider) list_src=$2; shift 2 ;;
    --no-list) no_list=true; shift ;;
    --env) extra+=(-env "$2"); shift 2 ;;
    --provider-env) extra+=(-provider-env "$2"); shift 2 ;;
    --quick) reps=1 sizes=1,40 large=200; shift ;;
    --write) write=true; shift ;;
    --keep) keep=true; shift ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

[ -z "$list_src" ] && [ "$write" = true ] && list_src=$list_default
[ "$no_list" = true ] && list_src=""

command -v go >/dev/null || { echo "bench: go is not on PATH" >&2; exit 1; }
command -v terraform >/dev/null || { echo "bench: terraform is not on PATH" >&2; exit 1; }

. .ci/fakeenv.sh

work=$(mktemp -d "${TMPDIR:-/tmp}/cbr-bench.XXXXXX")
list_tree=""
cleanup() {
  fakeenv_stop
  if [ -n "$list_tree" ]; then git worktree remove --force "$list_tree" >/dev/null 2>&1 || true; fi
  if [ "$keep" = true ]; then echo "bench: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

echo "==> building the provider (stripped, as released), the fake CBR API and the benchmark driver"
fakeenv_build "$work/bin" -trimpath -ldflags "-s -w"
go build -o "$work/bench" ./bench

list=()
if [ -n "$list_src" ]; then
  if [ -d "$list_src" ]; then
    src=$(cd "$list_src" && pwd)
    label="\`$list_src\`"
  else
    commit=$(git rev-parse --verify --quiet "$list_src^{commit}") || { echo "bench: --list-provider $list_src is neither a directory nor a commit" >&2; exit 2; }
    list_tree="$work/list-src"
    echo "==> checking out $list_src for the list form (git worktree in $list_tree)"
    git worktree add --detach --quiet "$list_tree" "$commit"
    src=$list_tree
    label="commit ${commit:0:7}"
    [ "${commit:0:7}" = "$list_default" ] && label="$label, release 0.2.0"
  fi
  echo "==> building the list-form provider from $src (stripped, as released)"
  mkdir -p "$work/list-bin"
  (cd "$src" && go build -trimpath -ldflags "-s -w" -o "$work/list-bin/terraform-provider-cbr" .)
  list=(-list-provider "$work/list-bin/terraform-provider-cbr" -list-label "$label")
fi

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
  -json="$json" ${list[@]+"${list[@]}"} \
  ${extra[@]+"${extra[@]}"} \
  -user bench-user -domain bench-domain \
  -command "$cmdline" \
  "${out[@]}"
