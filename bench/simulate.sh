#!/usr/bin/env bash
# Grows an inventory of backups night after night through examples/inventory,
# against the standalone fake CBR API, with the provider built from this
# checkout and the Terraform CLI, with wait_for_completion true on odd nights
# and false on even nights: appends, late arrivals inserted anywhere,
# removals, a create that fails part way (then a plain apply, which replaces
# it), nights whose second sync request is refused (nights 2 and 5) or that
# are interrupted with Ctrl-C while a slow sync request is on the wire
# (nights 3 and 4), each followed by a plain apply that must send exactly the
# backups never sent, a request CBR applies but answers 500 (night 6: its
# backups' outcome is unknown, and they are never sent again), and imports
# that fail in CBR (nights 2 and 3). After each night it checks that every
# backup listed was imported exactly once, that the state holds the
# operation log IDs the fake issued, that the failed imports show in
# failed_backups and the check block's warning, that without waiting
# checked_statuses accounts for every backup, and that the next plan is
# empty; it logs the sync requests and imports of each night.
#
#   bench/simulate.sh                 # 2,000 backups over 10 nights
#   BACKUPS=5000 NIGHTS=20 bench/simulate.sh
#
# It takes minutes (Terraform's plan of a map of thousands of nested objects
# dominates), so CI runs the same test at a small size (`make test` runs
# internal/simulation with 300 backups over 4 nights).
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_CLI_CONFIG_FILE="$PWD/.ci/empty.tfrc" CHECKPOINT_DISABLE=1
TF_ACC=1 SIMULATION_BACKUPS="${BACKUPS:-2000}" SIMULATION_NIGHTS="${NIGHTS:-10}" \
  go test ./internal/simulation -run '^TestInventoryNights$' -count=1 -v -timeout 60m
