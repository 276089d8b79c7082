package main

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// `hookflow web` serves the inspector on a dev server's runs, through its admin API, and
// stops on SIGINT, exiting 0; a bad --addr is a usage error.
func TestWebServesTheInspector(t *testing.T) {
	t.Parallel()
	dev, c := setup(t)
	id := strings.TrimSpace(c.ok("start", "collect-hook", "--input", `{"token":"web-1","count":1}`))

	cmd := exec.Command(bin, "web", "--addr", "127.0.0.1:0")
	cmd.Env = append(baseEnv(), c.env...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	sc := bufio.NewScanner(stdout)
	require.True(t, sc.Scan(), "web printed nothing; stderr: %s", stderr.String())
	go func() {
		for sc.Scan() {
		}
		done <- cmd.Wait()
	}()
	m := regexp.MustCompile(`^hookflow web: the inspector at (http://127\.0\.0\.1:[1-9][0-9]*/)$`).FindStringSubmatch(sc.Text())
	require.NotNil(t, m, sc.Text())
	require.NotEqual(t, dev.serving.URL+"/", m[1], "a server of its own")

	status, body := send(t, http.MethodGet, m[1], nil, "")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, id, "the dev server's run, read through its admin API")
	status, body = send(t, http.MethodGet, m[1]+"runs/"+id, nil, "")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "web-1", "the hook the run waits on")

	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	select {
	case err := <-done:
		require.NoError(t, err, "web exits 0 on SIGINT; stderr: %s", stderr.String())
		done <- nil // for the cleanup
	case <-time.After(15 * time.Second):
		t.Fatal("web did not stop on SIGINT")
	}

	c.fails(exitUsage, []string{"web", "--addr", "no-port"}, "--addr")
}
