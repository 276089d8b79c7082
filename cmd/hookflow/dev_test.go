package main

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// `hookflow dev` prints the URLs it serves, serves the inspector at / and the list of its
// URLs at /.well-known/workflow/v1/, and stops on SIGINT,
// exiting 0.
func TestDevPrintsItsURLs(t *testing.T) {
	t.Parallel()
	srv := startDev(t, t.TempDir())
	first := srv.nextLine(t)
	m := regexp.MustCompile(`^hookflow dev: serving 8 workflows at (http://127\.0\.0\.1:[1-9][0-9]*)$`).FindStringSubmatch(first)
	require.NotNil(t, m, first)
	base := m[1]
	var lines []string
	for len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], "Ctrl-C") {
		lines = append(lines, srv.nextLine(t))
	}
	out := strings.Join(lines, "\n")
	for _, want := range []string{
		"webhooks   " + base + "/.well-known/workflow/v1/webhook/<token>",
		"resume     " + base + "/.well-known/workflow/v1/resume",
		"admin API  " + base + "/.well-known/workflow/v1/admin",
		"inspector  " + base + "/",
		"store      ",
		"workflows: collect-hook, document-approval, echo-webhook, github-deploy, inbox-webhook, nap, order-fulfilment, paywall-webhook",
		"From another shell: hookflow --server " + base + " start collect-hook",
	} {
		require.Contains(t, out, want)
	}

	status, body := send(t, http.MethodGet, base+"/.well-known/workflow/v1/", nil, "")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, base+"/.well-known/workflow/v1/admin")
	status, body = send(t, http.MethodGet, base+"/", nil, "")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "hookflow dev", "the web inspector")
	require.Equal(t, []string{"collect-hook", "document-approval", "echo-webhook", "github-deploy", "inbox-webhook", "nap", "order-fulfilment", "paywall-webhook"},
		strings.Fields(cli{t: t}.ok("workflows", "--server", base)))

	srv.stop(t, os.Interrupt)
	require.Equal(t, 0, srv.code)
	require.Contains(t, srv.stderr.String(), "hookflow dev: stopping")
}

// The runs outlive the dev server: once it stops, `gate check` replays them from its store
// file; a new server on the same directory has them, and a resume completes the waiting one.
func TestDevKeepsRunsAcrossRestarts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := startDev(t, dir, "--json")
	var s serving
	require.NoError(t, json.Unmarshal([]byte(first.nextLine(t)), &s))
	c := cli{t: t, env: []string{"HOOKFLOW_SERVER=" + s.URL}}
	require.Equal(t, []string{"collect-hook", "document-approval", "echo-webhook", "github-deploy", "inbox-webhook", "nap", "order-fulfilment", "paywall-webhook"},
		okJSON[map[string][]string](c, "workflows")["workflows"])
	runID := trimLine(c.ok("start", "collect-hook", "--input", `{"token":"keep","count":1}`))
	singleHook(c, runID)
	require.Equal(t, filepath.Join(dir, "hookflow.db"), s.Store)

	// A second server on the directory of the running one is refused.
	c.fails(1, []string{"dev", "--addr", "127.0.0.1:0", "--dir", dir}, "is another dev server using "+dir)

	first.stop(t, os.Interrupt)
	require.Equal(t, 0, first.code)
	c.fails(1, []string{"runs", "ls"}, "no hookflow server answers", "`hookflow dev`")
	require.Contains(t, c.ok("gate", "check", "--backend", "memory", "--db", s.Store), "gate: all 1 runs in flight replay on this code")

	again := startDev(t, dir, "--json")
	require.NoError(t, json.Unmarshal([]byte(again.nextLine(t)), &s))
	c = cli{t: t, env: []string{"HOOKFLOW_SERVER=" + s.URL}}
	require.Equal(t, workflow.StatusWaiting, waitStatus(c, runID, workflow.StatusWaiting).Status)
	c.ok("resume", "keep", "--data", `"kept"`)
	require.JSONEq(t, `["kept"]`, string(waitStatus(c, runID, workflow.StatusCompleted).Output))
}

// Flags that cannot work are refused before anything is served: a bad address or a --dir
// that is a file exits 2, an address in use 1; each says what to change.
func TestDevRefusesBadFlags(t *testing.T) {
	t.Parallel()
	c := cli{t: t}
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, writeFile(file, "x"))
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = busy.Close() })

	c.fails(2, []string{"dev", "--addr", "8080", "--dir", t.TempDir()}, `Options.Addr "8080" is not host:port`)
	c.fails(2, []string{"dev", "--addr", "127.0.0.1:0", "--dir", file}, "is a file, not a directory")
	c.fails(1, []string{"dev", "--addr", busy.Addr().String(), "--dir", t.TempDir()}, "cannot listen on "+busy.Addr().String(), "pick another address")
	c.fails(2, []string{"dev", "extra"}, "hookflow dev takes no arguments")
	c.fails(2, []string{"dev", "--backend", "aws", "--dir", t.TempDir()}, "dev runs the embedded backend: --backend aws does not apply")
	require.Contains(t, c.ok("gate", "check", "--histories", t.TempDir()), "gate: all 0 runs in flight replay on this code")
}
