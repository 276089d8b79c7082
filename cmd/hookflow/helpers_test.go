package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// result is what one run of the binary did.
type result struct {
	code           int
	stdout, stderr string
}

// cli runs the binary: its args are the command line, env its extra environment.
type cli struct {
	t   *testing.T
	env []string
}

// baseEnv is the test process's environment without the variables the CLI reads, so that
// the developer's own settings do not leak into the tests.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "HOOKFLOW_") || strings.HasPrefix(kv, "AWS_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// run runs the binary with args and returns what it did; it fails the test if the binary
// does not exit within 30 seconds.
func (c cli) run(args ...string) result {
	c.t.Helper()
	return c.runIn("", args...)
}

// runIn is run with stdin.
func (c cli) runIn(stdin string, args ...string) result {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(baseEnv(), c.env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		c.t.Fatalf("hookflow %s: %v", strings.Join(args, " "), err)
	}
	require.NoError(c.t, ctx.Err(), "hookflow %s did not exit", strings.Join(args, " "))
	return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// ok runs args, requires exit 0 and returns stdout.
func (c cli) ok(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	require.Equal(c.t, 0, r.code, "hookflow %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.stdout, r.stderr)
	return r.stdout
}

// json runs args with --json, requires exit 0 and decodes stdout into a T.
func okJSON[T any](c cli, args ...string) T {
	c.t.Helper()
	out := c.ok(append(args, "--json")...)
	var v T
	require.NoError(c.t, json.Unmarshal([]byte(out), &v), "hookflow %s --json printed: %s", strings.Join(args, " "), out)
	return v
}

// fails runs args and requires the exit code and every part of want on stderr.
func (c cli) fails(code int, args []string, want ...string) result {
	c.t.Helper()
	r := c.run(args...)
	require.Equal(c.t, code, r.code, "hookflow %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.stdout, r.stderr)
	for _, w := range want {
		require.Contains(c.t, r.stderr, w, "hookflow %s", strings.Join(args, " "))
	}
	return r
}

// devServer is a `hookflow dev` process.
type devServer struct {
	serving
	cmd    *exec.Cmd
	stderr *syncBuffer
	lines  chan string   // the lines it prints on stdout
	done   chan struct{} // closed when the process's stdout reaches EOF
	once   sync.Once
	code   int
}

// setup starts `hookflow dev --addr 127.0.0.1:0 --dir <tmp> --json` and returns it with a
// cli pointed at it (through HOOKFLOW_SERVER). The server is stopped with SIGTERM when the
// test ends, and must exit 0.
func setup(t *testing.T) (*devServer, cli) {
	t.Helper()
	srv := startDev(t, t.TempDir(), "--json")
	var s serving
	require.NoError(t, json.Unmarshal([]byte(srv.nextLine(t)), &s))
	srv.serving = s
	require.Regexp(t, `^http://127\.0\.0\.1:[1-9][0-9]*$`, s.URL)
	return srv, cli{t: t, env: []string{"HOOKFLOW_SERVER=" + s.URL}}
}

// startDev starts `hookflow dev` on a free port in dir with the extra args.
func startDev(t *testing.T, dir string, extra ...string) *devServer {
	t.Helper()
	return startDevEnv(t, dir, nil, extra...)
}

// startDevEnv is startDev with env added to the server's environment.
func startDevEnv(t *testing.T, dir string, env []string, extra ...string) *devServer {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"dev", "--addr", "127.0.0.1:0", "--dir", dir}, extra...)...)
	cmd.Env = append(baseEnv(), env...)
	srv := &devServer{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = srv.stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	lines := make(chan string, 64)
	go func() {
		defer close(srv.done)
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // nobody reads that far
			}
		}
	}()
	srv.lines = lines
	t.Cleanup(func() {
		srv.stop(t, syscall.SIGTERM)
		require.Equal(t, 0, srv.code, "hookflow dev exited %d; stderr:\n%s", srv.code, srv.stderr)
	})
	return srv
}

// stop signals the server and waits for it to exit (killing it after 15 seconds).
func (s *devServer) stop(t *testing.T, sig os.Signal) {
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(sig)
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
			t.Errorf("hookflow dev did not stop on %v; killed it", sig)
		}
		_ = s.cmd.Wait()
		s.code = s.cmd.ProcessState.ExitCode()
	})
}

// nextLine returns the next line the server printed, waiting up to 15 seconds for it.
func (s *devServer) nextLine(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-s.lines:
		require.True(t, ok, "hookflow dev exited; stderr:\n%s", s.stderr)
		return l
	case <-time.After(15 * time.Second):
		t.Fatalf("hookflow dev printed nothing in 15s; stderr:\n%s", s.stderr)
		return ""
	}
}

// syncBuffer is a bytes.Buffer safe for a process to write while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitStatus runs `runs show RUN --json` until the run has the status, and returns it.
func waitStatus(c cli, runID string, want workflow.RunStatus) workflow.RunInfo {
	c.t.Helper()
	var info workflow.RunInfo
	require.Eventually(c.t, func() bool {
		info = okJSON[runView](c, "runs", "show", runID).Run
		return info.Status == want
	}, 20*time.Second, 100*time.Millisecond, "run %s never became %s (last: %+v)", runID, want, info)
	return info
}

// runView is what `runs show --json` prints.
type runView struct {
	Run    workflow.RunInfo    `json:"run"`
	Events []workflow.Event    `json:"events"`
	Hooks  []workflow.HookInfo `json:"hooks"`
}

// send sends an HTTP request to url and returns the answer's status and body.
func send(t *testing.T, method, url string, header http.Header, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header = header
	req.Close = true // no idle connection left behind (goleak)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// singleHook lists the run's hooks with `hooks ls --run RUN --json` until it has one.
func singleHook(c cli, runID string) workflow.HookInfo {
	c.t.Helper()
	var hooks []workflow.HookInfo
	require.Eventually(c.t, func() bool {
		hooks = okJSON[struct {
			Hooks []workflow.HookInfo `json:"hooks"`
		}](c, "hooks", "ls", "--run", runID).Hooks
		return len(hooks) == 1
	}, 20*time.Second, 100*time.Millisecond, "run %s never had one hook (last: %+v)", runID, hooks)
	return hooks[0]
}

// trimLine is a command's one-line output without its newline.
func trimLine(s string) string { return strings.TrimSpace(s) }

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }
