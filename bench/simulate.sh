#!/usr/bin/env bash
# Grows an inventory of backups night after night through examples/inventory,
# against the standalone fake CBR API, with the provider built from this
# checkout and the Terraform CLI: appends, late arrivals inserted anywhere,
# removals, a create that fails part way (then a plain apply, which replaces it) and a
# night whose second request is refused. After each night it checks that
# every backup listed was imported exactly once and that the state holds the
# operation log IDs the fake issued, and that the next plan is empty.
#
#   bench/simulate.sh                 # 2,000 backups over 10 nights
#   BACKUPS=5000 NIGHTS=20 bench/simulate.sh
#
# It takes several minutes (Terraform's plan of a list of thousands of
# nested objects dominates), so CI runs the same test at a small size
# (`make test` runs internal/simulation with 250 backups over 4 nights).
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_CLI_CONFIG_FILE="$PWD/.ci/empty.tfrc" CHECKPOINT_DISABLE=1
TF_ACC=1 SIMULATION_BACKUPS="${BACKUPS:-2000}" SIMULATION_NIGHTS="${NIGHTS:-10}" \
  go test ./internal/simulation -run '^TestInventoryNights$' -count=1 -v -timeout 60m
