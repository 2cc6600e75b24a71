//go:build !linux

package simulation

import "os/exec"

// dieWithParent does nothing where the kernel cannot end a child with its
// parent: the test's cleanup stops the fake.
func dieWithParent(*exec.Cmd) {}
