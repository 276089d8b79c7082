package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/devserver"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// `runs export` writes a run's whole history; `runs delete` refuses a live run and deletes an
// ended one, after which neither finds it.
func TestRunsExportAndDelete(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	runID := trimLine(c.ok("start", "collect-hook", "--input", `{"token":"x1","count":1}`))
	singleHook(c, runID)

	var live workflow.RunExport
	require.NoError(t, json.Unmarshal([]byte(c.ok("runs", "export", runID)), &live))
	require.Equal(t, runID, live.Run.ID)
	require.Len(t, live.Hooks, 1, "a live run's hook is in its export")
	require.NotEmpty(t, live.Events)
	c.fails(1, []string{"runs", "delete", runID}, "run has not ended", "cancel it first")

	c.ok("resume", "x1", "--data", `"hello"`)
	info := waitStatus(c, runID, workflow.StatusCompleted)
	require.False(t, info.DeleteAt.IsZero(), "an ended run shows when retention deletes it")
	file := filepath.Join(t.TempDir(), "run.json")
	require.Contains(t, c.ok("runs", "export", runID, "--out", file), "events written to "+file)
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	var ended workflow.RunExport
	require.NoError(t, json.Unmarshal(raw, &ended))
	require.Equal(t, workflow.StatusCompleted, ended.Run.Status)
	require.Equal(t, "run_completed", ended.Events[len(ended.Events)-1].Type)
	require.Greater(t, len(ended.Events), len(live.Events))
	require.Empty(t, ended.Hooks)

	require.Equal(t, "run "+runID+": deleted\n", c.ok("runs", "delete", runID))
	c.fails(3, []string{"runs", "export", runID}, "run not found")
	c.fails(3, []string{"runs", "delete", runID}, "run not found")
	c.fails(3, []string{"runs", "show", runID}, "run not found")
}

// `hookflow dev` with HOOKFLOW_LOCAL_KEYS keeps every payload encrypted in its file, and
// reads them back after a restart with the same keys.
func TestDevEncryptsWithLocalKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keys := []string{"HOOKFLOW_LOCAL_KEYS=dev1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))}
	const secret = "dev-payload-sekret-20f4c9a7e1b3"
	serve := func() (*devServer, cli) {
		srv := startDevEnv(t, dir, keys, "--json")
		var s serving
		require.NoError(t, json.Unmarshal([]byte(srv.nextLine(t)), &s))
		return srv, cli{t: t, env: []string{"HOOKFLOW_SERVER=" + s.URL}}
	}
	srv, c := serve()
	runID := trimLine(c.ok("start", "collect-hook", "--input", `{"token":"enc-1","count":1}`))
	singleHook(c, runID)
	c.ok("resume", "enc-1", "--data", `"`+secret+`"`)
	waitStatus(c, runID, workflow.StatusCompleted)
	srv.stop(t, syscall.SIGTERM)

	raw, err := os.ReadFile(filepath.Join(dir, devserver.StoreFile))
	require.NoError(t, err)
	require.NotContains(t, string(raw), secret)
	require.NotContains(t, string(raw), base64.StdEncoding.EncodeToString([]byte(secret))[4:24])

	_, c = serve()
	require.Contains(t, c.ok("runs", "show", runID), secret, "read back with the same keys")

	r := c.run("dev", "--addr", "127.0.0.1:0", "--dir", t.TempDir(), "--retention", "soon")
	require.Equal(t, 2, r.code, r.stderr)
	require.Contains(t, r.stderr, "--retention")
}
