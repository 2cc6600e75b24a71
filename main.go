package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/cbr-sync/terraform-provider-cbr/internal/provider"
)

// Generate the documentation in docs/ from the schema, templates/ and examples/.
//go:generate go tool -modfile=tools/go.mod tfplugindocs generate --provider-name cbr --rendered-provider-name CBR

// version and commit are set at build time with -ldflags "-X main.version=… -X main.commit=…".
var (
	version = "dev"
	commit  = "none"
)

func main() {
	var debug, showVersion bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.BoolVar(&showVersion, "version", false, "print the version and exit")
	flag.Parse()

	if showVersion {
		fmt.Printf("terraform-provider-cbr %s (commit %s)\n", version, commit)
		os.Exit(0)
	}

	// When nobody reads the logs, the loggers are off. cbr_backup_sync is
	// served the same way either way (provider.NewServer).
	if !debug {
		quietUnreadLogs(os.Environ(), os.Setenv)
	}

	// The same server as providerserver.Serve would build, behind the
	// direct path of provider.NewServer, which the acceptance tests run too.
	var opts []tf6server.ServeOpt
	if debug {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	newServer := provider.NewServer(version, os.Getenv)
	err := tf6server.Serve("registry.terraform.io/cbr-sync/cbr", func() tfprotov6.ProviderServer {
		s, err := newServer()
		if err != nil {
			log.Fatal(err.Error())
		}
		return s
	}, opts...)
	if err != nil {
		log.Fatal(err.Error())
	}
}

// quietLogLevels are the loggers of a served provider: the SDK's root logger,
// the protocol (terraform-plugin-go) and framework subsystems, and the
// provider's own root logger (TF_LOG_PROVIDER_ + the provider type). Each
// defaults to TRACE and formats every line for the CLI to read.
var quietLogLevels = []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_CBR"}

// quietUnreadLogs turns the provider's loggers off when nobody asked for logs.
//
// The plugin SDK logs every protocol call, every framework step and every
// attribute it walks at TRACE, whatever the user asked for: it formats each
// line as JSON and writes it to the CLI, which drops it unless TF_LOG,
// TF_LOG_PROVIDER (or TF_LOG_CORE, TF_LOG_PATH...) asks for logs. Terraform
// and OpenTofu start providers with their own environment, so a provider
// whose environment holds no logging variable at all runs under a CLI that
// discards its logs: its loggers are then set to OFF, which saves the work of
// writing lines nobody reads (most of the provider's CPU time in a plan).
//
// Any variable whose name starts with TF_LOG or TF_ACC_LOG with a value other
// than empty or "off" leaves everything as it is, so every log line appears
// as before whenever the user asks for logs in any of the documented ways
// (TF_LOG, TF_LOG_CORE, TF_LOG_PROVIDER, TF_LOG_PROVIDER_CBR, TF_LOG_SDK*,
// TF_LOG_PATH, TF_LOG_PATH_MASK, TF_ACC_LOG, TF_ACC_LOG_PATH...). The -debug
// mode, whose logs go to the developer's terminal, is never changed.
func quietUnreadLogs(environ []string, setenv func(key, value string) error) {
	if logsRequested(environ) {
		return
	}
	for _, key := range quietLogLevels {
		if err := setenv(key, "OFF"); err != nil {
			log.Printf("[WARN] cannot set %s: %s", key, err)
		}
	}
}

// logsRequested tells whether environ (KEY=value entries) holds a logging
// variable of Terraform, OpenTofu, the plugin SDK or terraform-plugin-testing.
func logsRequested(environ []string) bool {
	for _, kv := range environ {
		key, value, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(key, "TF_LOG") && !strings.HasPrefix(key, "TF_ACC_LOG") {
			continue
		}
		if value = strings.TrimSpace(value); value != "" && !strings.EqualFold(value, "off") {
			return true
		}
	}
	return false
}
