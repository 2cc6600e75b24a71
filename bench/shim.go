package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// The memory measurement runs Terraform with a dev_overrides directory whose
// terraform-provider-cbr is a symbolic link to this program. Terraform starts
// it with its own environment, so the variables below reach it: it then runs
// the real provider as its child, with the same arguments and standard
// streams (the plugin handshake goes straight through), and when the child
// exits appends the child's resource usage, as the kernel reports it, to a log.
const (
	shimProviderEnv = "CBR_BENCH_SHIM_PROVIDER" // the real provider binary
	shimLogEnv      = "CBR_BENCH_SHIM_LOG"      // where to append one JSON line per launch
	shimEnvEnv      = "CBR_BENCH_SHIM_ENV"      // KEY=VALUE lines added to the provider's environment (bench -provider-env)
)

// launch is the resource usage of one provider process.
type launch struct {
	Args      []string `json:"args"`
	MaxRSSKiB int64    `json:"max_rss_kib"` // peak resident set size (VmHWM)
	UserSec   float64  `json:"user_s"`
	SysSec    float64  `json:"sys_s"`
	WallSec   float64  `json:"wall_s"`
	ExitCode  int      `json:"exit_code"`
}

// runShim runs the provider named by shimProviderEnv and never returns.
func runShim(provider string) {
	cmd := exec.Command(provider, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if extra := os.Getenv(shimEnvEnv); extra != "" {
		cmd.Env = append(os.Environ(), strings.Split(extra, "\n")...)
	}
	// Terraform stops its plugins over gRPC; pass on signals anyway so that
	// the child is never left behind.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "bench shim:", err)
		os.Exit(1)
	}
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	_ = cmd.Wait()
	st := cmd.ProcessState
	l := launch{Args: os.Args[1:], WallSec: time.Since(start).Seconds(), ExitCode: st.ExitCode(),
		UserSec: st.UserTime().Seconds(), SysSec: st.SystemTime().Seconds()}
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		l.MaxRSSKiB = ru.Maxrss // KiB on Linux
	}
	if path := os.Getenv(shimLogEnv); path != "" {
		line, _ := json.Marshal(l)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err == nil {
			_, _ = f.Write(append(line, '\n'))
			_ = f.Close()
		}
	}
	os.Exit(l.ExitCode)
}
