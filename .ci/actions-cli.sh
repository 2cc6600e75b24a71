# Shell functions to find a Terraform CLI that knows actions (1.14 or later),
# for the steps that need one: the action's docs page (tfplugindocs reads the
# schema through `terraform providers schema -json`, and older CLIs leave
# actions out) and the validation of examples/actions. Source it from the
# repository root; it sets no options.

# has_actions CLI: true when CLI is Terraform 1.14 or later (not OpenTofu).
has_actions() {
  local v
  # The whole output, then its first line: `| head -n1` could end the CLI
  # with SIGPIPE, which pipefail turns into a failure.
  v=$("$1" version 2>/dev/null) || return 1
  v=${v%%$'\n'*}
  [[ $v =~ ^Terraform\ v([0-9]+)\.([0-9]+)\. ]] || return 1
  ((BASH_REMATCH[1] > 1 || BASH_REMATCH[2] >= 14))
}

# actions_cli: prints the path of a Terraform that knows actions: $ACTIONS_TERRAFORM
# if set, else terraform on PATH, else one unpacked into .cache/cli (from
# ../shared/tools when that folder exists). Returns 1 when there is none.
actions_cli() {
  if [ -n "${ACTIONS_TERRAFORM:-}" ]; then
    has_actions "$ACTIONS_TERRAFORM" && { echo "$ACTIONS_TERRAFORM"; return 0; }
    echo "ACTIONS_TERRAFORM=$ACTIONS_TERRAFORM is not Terraform 1.14 or later" >&2
    return 1
  fi
  local c
  if [ ! -d .cache/cli ] && [ -x ../shared/tools/install.sh ]; then
    ../shared/tools/install.sh .cache/cli >/dev/null || true
  fi
  for c in "$(command -v terraform || true)" .cache/cli/terraform-*; do
    if [ -x "$c" ] && has_actions "$c"; then
      (cd "$(dirname "$c")" && echo "$PWD/$(basename "$c")")
      return 0
    fi
  done
  return 1
}

# actions_cli_missing: explains how to get one.
actions_cli_missing() {
  echo "$1 needs Terraform 1.14 or later (for the cbr_backup_sync action), and none was found:" \
    "terraform on PATH is $(v=$(terraform version 2>/dev/null) && echo "${v%%$'\n'*}" || echo "missing")." \
    "Set ACTIONS_TERRAFORM=/path/to/terraform, or unpack one into .cache/cli (../shared/tools/install.sh .cache/cli)." >&2
}
