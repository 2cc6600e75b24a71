package provider

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestMain prepares the environment of the CLI the acceptance tests run, so
// that `go test` works the same from make, from CI and by hand:
//
//   - a TF_CLI_CONFIG_FILE that names a missing file makes Terraform print a
//     warning before its version, which terraform-plugin-testing cannot parse:
//     it is replaced by an empty file;
//   - under OpenTofu (TF_ACC_TERRAFORM_PATH naming a tofu binary), the
//     provider is served at registry.opentofu.org unless TF_ACC_PROVIDER_HOST
//     says otherwise: OpenTofu refuses the registry.terraform.io addresses
//     terraform-plugin-testing gives by default.
func TestMain(m *testing.M) {
	cleanup, err := prepareCLIEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "provider tests:", err)
		os.Exit(2)
	}
	code := m.Run()
	if found := foundDifferences(); len(found) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: the direct path and the framework answered differently %d times:\n", len(found))
		for _, d := range found {
			fmt.Fprintln(os.Stderr, "  "+d)
		}
		code = 1
	}
	removeProviderBinary()
	cleanup()
	os.Exit(code)
}

func prepareCLIEnv() (cleanup func(), err error) {
	cleanup = func() {}
	if path := os.Getenv("TF_CLI_CONFIG_FILE"); path != "" {
		if _, statErr := os.Stat(path); statErr != nil {
			dir, err := os.MkdirTemp("", "cbr-tfrc")
			if err != nil {
				return cleanup, err
			}
			cleanup = func() { _ = os.RemoveAll(dir) }
			empty := filepath.Join(dir, "empty.tfrc")
			if err := os.WriteFile(empty, nil, 0o600); err != nil {
				return cleanup, err
			}
			if err := os.Setenv("TF_CLI_CONFIG_FILE", empty); err != nil {
				return cleanup, err
			}
		}
	}
	if os.Getenv("TF_ACC") != "" && os.Getenv("TF_ACC_PROVIDER_HOST") == "" {
		if cli := os.Getenv("TF_ACC_TERRAFORM_PATH"); cli != "" && isOpenTofu(cli) {
			if err := os.Setenv("TF_ACC_PROVIDER_HOST", "registry.opentofu.org"); err != nil {
				return cleanup, err
			}
		}
	}
	return cleanup, nil
}

// isOpenTofu tells whether the CLI at path is OpenTofu, from the first line
// of its `version` output ("OpenTofu v1.12.6").
func isOpenTofu(path string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "version").Output()
	if err != nil {
		return false
	}
	return strings.HasPrefix(strings.TrimSpace(string(out)), "OpenTofu")
}

// testProviderAddress is the address under which terraform-plugin-testing
// serves the provider, as the CLI shows it in diagnostics (`with
// provider["registry.terraform.io/hashicorp/cbr"]`): TF_ACC_PROVIDER_HOST and
// TF_ACC_PROVIDER_NAMESPACE, or their defaults.
func testProviderAddress() string {
	host, namespace := os.Getenv("TF_ACC_PROVIDER_HOST"), os.Getenv("TF_ACC_PROVIDER_NAMESPACE")
	if host == "" {
		host = "registry.terraform.io"
	}
	if namespace == "" {
		namespace = "hashicorp"
	}
	return host + "/" + namespace + "/cbr"
}

// testProviderAddressPattern is testProviderAddress quoted for a regular expression.
func testProviderAddressPattern() string {
	return regexp.QuoteMeta(testProviderAddress())
}
