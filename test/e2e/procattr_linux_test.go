package e2e

import "syscall"

// procAttr has a child process killed when the test process dies (a panic, a test
// timeout), so that no emulator, or build, outlives the test. The runtime an emulator runs
// exits on its own once the emulator is gone: its poll for the next invocation fails.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
