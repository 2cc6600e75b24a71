package simulation

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the fake end when the test process does, even when
// the test is killed by its timeout before its cleanup runs.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
