package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// The Lambda functions the test builds, by their directory under functions/.
const (
	fnWebhook = "webhook"
	fnRunner  = "runner"
	fnResume  = "resume"
)

// rieTool is the emulator's package, a tool dependency in go.mod.
const rieTool = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// binaries are the built programs.
type binaries struct {
	rie       string            // aws-lambda-rie
	bootstrap map[string]string // function name to its bootstrap
	took      time.Duration
}

// build compiles the three functions as they are deployed (a bootstrap for the
// provided.al2023 runtime), but for the host's architecture so that they run here, and the
// emulator. The functions are one go build, which compiles the packages they share once
// (on a cold build cache, half the time of three builds side by side); the emulator, which
// shares nothing with them, builds beside it. It runs once per test binary.
var build = sync.OnceValues(func() (binaries, error) {
	start := time.Now()
	root, err := moduleRoot()
	if err != nil {
		return binaries{}, err
	}
	goCmd, err := exec.LookPath("go") // go test puts its own go first in PATH
	if err != nil {
		return binaries{}, fmt.Errorf("the go command is needed to build the functions: %w", err)
	}
	fns := []string{fnWebhook, fnRunner, fnResume}
	outDir := filepath.Join(binDir, "build") + string(filepath.Separator)
	bins := binaries{rie: filepath.Join(binDir, "aws-lambda-rie"), bootstrap: map[string]string{}}
	fnArgs := []string{"build", "-tags", "lambda.norpc", "-o", outDir}
	for _, fn := range fns {
		fnArgs = append(fnArgs, "./functions/"+fn)
	}
	jobs := []struct {
		name string
		args []string
		env  []string
	}{
		{"the functions", fnArgs, []string{"GOOS=linux", "GOARCH=" + runtime.GOARCH, "CGO_ENABLED=0"}},
		{"aws-lambda-rie", []string{"build", "-o", bins.rie, rieTool}, nil},
	}
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			cmd := exec.Command(goCmd, j.args...)
			cmd.Dir = root
			cmd.SysProcAttr = procAttr()
			cmd.Env = append(os.Environ(), j.env...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				errs[i] = fmt.Errorf("building %s: %w\n%s", j.name, err, out.String())
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return bins, err
	}
	// Each function in a directory of its own, named bootstrap, as in its deployment zip.
	for _, fn := range fns {
		bins.bootstrap[fn] = filepath.Join(binDir, fn, "bootstrap")
		if err := os.MkdirAll(filepath.Dir(bins.bootstrap[fn]), 0o755); err != nil {
			return bins, err
		}
		if err := os.Rename(filepath.Join(outDir, fn), bins.bootstrap[fn]); err != nil {
			return bins, err
		}
	}
	bins.took = time.Since(start)
	return bins, nil
})

// moduleRoot is the directory of the module's go.mod, two levels up from this package.
func moduleRoot() (string, error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("the module root: %w", err)
	}
	return root, nil
}
