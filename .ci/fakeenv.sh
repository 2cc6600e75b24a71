# Shell functions shared by .ci/demo and bench/run.sh: build the provider and
# the fake CBR API, start the fake on a loopback port and write a dev_overrides
# CLI configuration. Source it from the repository root; it sets no options.

# fakeenv_build BIN_DIR [go build flags...]
# Builds terraform-provider-cbr (with the given flags) and cbrfake into BIN_DIR.
fakeenv_build() {
  local bin=$1
  shift
  mkdir -p "$bin"
  go build "$@" -o "$bin/terraform-provider-cbr" . &&
    go build -o "$bin/cbrfake" ./internal/cbrfake/cmd/cbrfake
}

# fakeenv_start WORK_DIR [cbrfake flags...]
# Starts BIN_DIR/cbrfake (BIN_DIR is WORK_DIR/bin) on 127.0.0.1, logging to
# WORK_DIR/fake.log. Sets FAKE_PID and FAKE_URL. Stop it with fakeenv_stop.
fakeenv_start() {
  local work=$1
  shift
  rm -f "$work/fake.url"
  "$work/bin/cbrfake" -listen 127.0.0.1:0 -url-file "$work/fake.url" "$@" 2>"$work/fake.log" &
  FAKE_PID=$!
  local _
  for _ in $(seq 1 100); do [ -s "$work/fake.url" ] && break; sleep 0.1; done
  if [ ! -s "$work/fake.url" ]; then
    echo "the fake API did not start:" >&2
    cat "$work/fake.log" >&2
    return 1
  fi
  FAKE_URL=$(cat "$work/fake.url")
}

# fakeenv_stop: stops the fake started by fakeenv_start and waits for it to exit
# (it writes its -stats-file, if any, on the way out).
fakeenv_stop() {
  if [ -n "${FAKE_PID:-}" ]; then
    kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
    FAKE_PID=""
  fi
  return 0
}

# fakeenv_terraformrc FILE PLUGIN_DIR
# Writes a CLI configuration that makes Terraform run the provider binary in
# PLUGIN_DIR (dev_overrides: no `terraform init` for this provider).
fakeenv_terraformrc() {
  cat >"$1" <<RC
provider_installation {
  dev_overrides {
    "cbr-sync/cbr" = "$2"
  }
  direct {}
}
RC
}
