//go:build !linux

package e2e

import "syscall"

// procAttr: the emulator runs only on Linux, and the test skips elsewhere.
func procAttr() *syscall.SysProcAttr { return nil }
