package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

// bin is the hookflow binary the tests run, built once by TestMain.
var bin string

// TestMain builds the real binary, runs the tests, which exec it, and checks that no
// goroutine of theirs is left.
//
// The binary is built without the race detector even under -race: an instrumented hookflow
// takes over a second to start, and the tests run it a few hundred times. The server code
// it runs is race-tested in process by pkg/devserver's tests; HOOKFLOW_CLI_RACE=1 builds the
// binary with -race as well (about four times slower).
func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "hookflow-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "hookflow")
	build := []string{"build", "-o", bin}
	if raceEnabled && os.Getenv("HOOKFLOW_CLI_RACE") == "1" {
		build = append(build, "-race")
	}
	if out, err := exec.Command("go", append(build, ".")...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the hookflow binary: %v\n%s", err, out)
		return 1
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			return 1
		}
	}
	return code
}
