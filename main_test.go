package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

func TestLogsRequested(t *testing.T) {
	cases := []struct {
		env  []string
		want bool
	}{
		{nil, false},
		{[]string{"PATH=/usr/bin", "HOME=/root", "TF_CLI_CONFIG_FILE=/x", "TF_IN_AUTOMATION=1", "TF_ACC=1"}, false},
		{[]string{"TF_LOG="}, false},
		{[]string{"TF_LOG=off", "TF_LOG_PROVIDER=OFF", "TF_LOG_SDK= "}, false},
		{[]string{"TF_LOG=TRACE"}, true},
		{[]string{"TF_LOG=json"}, true},
		{[]string{"TF_LOG_CORE=DEBUG"}, true},
		{[]string{"TF_LOG_PROVIDER=DEBUG"}, true},
		{[]string{"TF_LOG_PROVIDER_CBR=TRACE"}, true},
		{[]string{"TF_LOG_SDK_FRAMEWORK=TRACE"}, true},
		{[]string{"TF_LOG_SDK_PROTO_DATA_DIR=/tmp/proto"}, true},
		{[]string{"TF_LOG_PATH=/tmp/tf.log"}, true},
		{[]string{"TF_LOG_PATH_MASK=/tmp/%s.log"}, true},
		{[]string{"TF_ACC_LOG=TRACE"}, true},
		{[]string{"TF_ACC_LOG_PATH=/tmp/acc.log"}, true},
	}
	for _, tc := range cases {
		if got := logsRequested(tc.env); got != tc.want {
			t.Errorf("logsRequested(%q) = %v, want %v", tc.env, got, tc.want)
		}
	}
}

func TestQuietUnreadLogs(t *testing.T) {
	set := map[string]string{}
	setenv := func(k, v string) error { set[k] = v; return nil }

	quietUnreadLogs([]string{"TF_LOG_PROVIDER=DEBUG"}, setenv)
	if len(set) != 0 {
		t.Fatalf("with TF_LOG_PROVIDER set, quietUnreadLogs changed %v", set)
	}
	quietUnreadLogs([]string{"PATH=/usr/bin"}, setenv)
	want := map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_SDK_PROTO": "OFF", "TF_LOG_SDK_FRAMEWORK": "OFF", "TF_LOG_PROVIDER_CBR": "OFF"}
	if fmt.Sprint(set) != fmt.Sprint(want) {
		t.Fatalf("without logging variables, quietUnreadLogs set %v, want %v", set, want)
	}
}

// TestAccServedProviderLogs runs the built provider binary through the CLI
// (TF_ACC_TERRAFORM_PATH, or terraform on PATH) against the fake CBR API,
// with its standard error copied to a file on the way to the CLI:
//
//   - with no logging variable, the provider writes no log line at all (the
//     SDK, protocol, framework and provider loggers are off);
//   - with TF_LOG=TRACE, the CLI's log holds the lines of all the loggers, the
//     provider's API exchanges included, as before;
//   - with TF_LOG_PROVIDER=DEBUG (README's troubleshooting advice), the CLI's
//     log holds the provider's API exchanges.
func TestAccServedProviderLogs(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	cli := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if cli == "" {
		var err error
		if cli, err = exec.LookPath("terraform"); err != nil {
			t.Skip("no terraform on PATH and TF_ACC_TERRAFORM_PATH is not set")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	work := t.TempDir()
	providerBin := filepath.Join(work, "real", "terraform-provider-cbr")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", providerBin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// The CLI runs a wrapper that copies the provider's standard error (its
	// log lines) to a file and passes it on to the CLI unchanged.
	pluginDir := filepath.Join(work, "plugin")
	stderrCopy := filepath.Join(work, "provider-stderr.log")
	wrapper := fmt.Sprintf("#!/usr/bin/env bash\nexec %q \"$@\" 2> >(tee -a %q >&2)\n", providerBin, stderrCopy)
	if err := os.MkdirAll(pluginDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pluginDir, "terraform-provider-cbr"), []byte(wrapper), 0o755); err != nil { //nolint:gosec // an executable script
		t.Fatal(err)
	}
	rc := filepath.Join(work, "cli.tfrc")
	writeFile(t, rc, fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"cbr-sync/cbr\" = %q\n  }\n  direct {}\n}\n", pluginDir))

	fake := cbrfake.New(cbrfake.Options{})
	url, stop := fake.Start()
	defer stop()

	runs := 0
	run := func(name string, logEnv ...string) (stderrLines, cliLog string) {
		t.Helper()
		dir := filepath.Join(work, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		runs++
		writeFile(t, filepath.Join(dir, "main.tf"), servedConfig(url, name, runs))
		_ = os.Remove(stderrCopy)
		cliLogPath := filepath.Join(work, name+"-cli.log")
		env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
			return strings.HasPrefix(kv, "TF_LOG") || strings.HasPrefix(kv, "TF_ACC_LOG") ||
				strings.HasPrefix(kv, "TF_CLI_CONFIG_FILE=") || strings.HasPrefix(kv, "HW_")
		})
		env = append(env, "TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0")
		if len(logEnv) > 0 {
			env = append(env, "TF_LOG_PATH="+cliLogPath)
			env = append(env, logEnv...)
		}
		cmd := exec.CommandContext(ctx, cli, "apply", "-auto-approve", "-no-color")
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %s apply: %v\n%s", name, cli, err, out)
		}
		stderrData, err := os.ReadFile(stderrCopy)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		logData, err := os.ReadFile(cliLogPath)
		if err != nil && len(logEnv) > 0 {
			t.Fatalf("%s: the CLI wrote no log: %v", name, err)
		}
		return string(stderrData), string(logData)
	}

	// The loggers, as the provider writes them (JSON) and as the CLI writes
	// them into its log: the protocol, the framework and the provider's own
	// (the SDK's root logger, "sdk", is set as well but has no line of its own).
	modules := []string{"sdk.proto", "sdk.framework", "cbr"}

	quiet, _ := run("quiet")
	for _, m := range append([]string{"sdk"}, modules...) {
		if tag := fmt.Sprintf("%q:%q", "@module", m); strings.Contains(quiet, tag) {
			t.Errorf("without logging variables the provider still wrote %s lines:\n%s", tag, firstLines(quiet, 5))
		}
	}
	if n := fake.Count(cbrfake.KindSync); n != 1 {
		t.Fatalf("the quiet apply sent %d sync requests, want 1", n)
	}

	traced, traceLog := run("trace", "TF_LOG=TRACE")
	for _, m := range modules {
		if tag := fmt.Sprintf("%q:%q", "@module", m); !strings.Contains(traced, tag) {
			t.Errorf("with TF_LOG=TRACE the provider wrote no %s line", tag)
		}
		if tag := "@module=" + m + " "; !strings.Contains(traceLog, tag) {
			t.Errorf("with TF_LOG=TRACE the CLI's log has no %s line", tag)
		}
	}
	for _, msg := range []string{"Received request", "Sending HTTP request", "Received HTTP response"} {
		if !strings.Contains(traceLog, msg) {
			t.Errorf("with TF_LOG=TRACE the CLI's log lacks %q", msg)
		}
	}

	_, debugLog := run("debug", "TF_LOG_PROVIDER=DEBUG")
	for _, msg := range []string{"Sending HTTP request", "Received HTTP response", "@module=cbr "} {
		if !strings.Contains(debugLog, msg) {
			t.Errorf("with TF_LOG_PROVIDER=DEBUG the CLI's log lacks %q", msg)
		}
	}
	if n := fake.Count(cbrfake.KindSync); n != 3 {
		t.Fatalf("three applies of three configurations sent %d sync requests, want 3", n)
	}
}

// servedConfig is one cbr_backup_sync of one backup, its IDs derived from n
// so that each configuration imports its own backup.
func servedConfig(url, name string, n int) string {
	return fmt.Sprintf(`
terraform {
  required_providers {
    cbr = { source = "cbr-sync/cbr" }
  }
}

provider "cbr" {
  endpoints  = { cbr = %q }
  project_id = %q
  auth_token = %q
}

resource "cbr_backup_sync" "test" {
  backups = {
    "1f9e6b47-7655-4a19-b563-%012d" = {
      backup_name   = "%s-backup"
      bucket_name   = "hybrid-backups"
      image_path    = "6abec15e/%s/chain"
      resource_id   = "96f7512d-239d-3f31-80cf-%012d"
      resource_name = %q
      created_at    = 1553587260
    }
  }
}
`, url, cbrfake.DefaultProjectID, cbrfake.DefaultToken, n, name, name, n, name)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}
