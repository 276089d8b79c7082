package workflow_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
	"github.com/hookflow/hookflow/pkg/workflow/workflowtest"
)

// other is a second workflow with runs in flight.
var other = workflow.Define("other", func(ctx workflow.Context, token string) (string, error) {
	return "", awaitPayment(ctx, token)
})

// The deploy gate replays the live runs against the next code: it refuses a change that
// would fail a waiting run, naming the run and the first call that differs, accepts a
// compatible change, reports a workflow the next code drops, and leaves ended runs out.
func TestCheckLiveRuns(t *testing.T) {
	t.Parallel()
	onBackends(t, func(t *testing.T, b workflow.Backend) {
		c := workflow.NewClient(b, workflow.ClientOptions{})
		ctx := t.Context()
		v1 := deploy(t, b, 0, workflow.NewRegistry(checkoutV1, other))
		for _, id := range []string{"a-waiting", "b-done"} {
			_, err := workflow.Start(ctx, c, checkoutV1, "pay:"+id, workflow.WithRunID(id))
			require.NoError(t, err)
		}
		_, err := workflow.Start(ctx, c, other, "other:1", workflow.WithRunID("c-other"))
		require.NoError(t, err)
		v1.drain(t, b)
		_, err = c.ResumeHook(ctx, "pay:b-done", 1)
		require.NoError(t, err)
		v1.drain(t, b)

		verdicts := func(r *workflow.Registry) map[string]error {
			checks, err := workflow.CheckLiveRuns(ctx, c, r)
			require.NoError(t, err)
			out := map[string]error{}
			for _, rc := range checks {
				out[rc.RunID] = rc.Err
			}
			return out
		}

		same := verdicts(workflow.NewRegistry(checkoutV1, other))
		require.Equal(t, map[string]error{"a-waiting": nil, "c-other": nil}, same, "the ended run is left out")
		require.Equal(t, map[string]error{"a-waiting": nil, "c-other": nil}, verdicts(workflow.NewRegistry(checkoutV2, other)),
			"a patched change is compatible")

		bad := verdicts(workflow.NewRegistry(checkoutV2Unpatched))
		var nd *workflow.NonDeterminismError
		require.ErrorAs(t, bad["a-waiting"], &nd)
		require.Equal(t, "a-waiting", nd.RunID)
		require.Equal(t, 2, nd.Position, "the first call that differs")
		require.Contains(t, nd.Recorded, "hook_created")
		require.Contains(t, nd.Current, `"audit"`)
		require.ErrorIs(t, bad["c-other"], workflow.ErrNotRegistered, "the next code drops a workflow with runs in flight")
	})
}

// Exported histories replay the same way: what CI keeps and checks against new code.
func TestExportAndCheckHistory(t *testing.T) {
	t.Parallel()
	b := newMemory(t)
	c := workflow.NewClient(b, workflow.ClientOptions{})
	ctx := t.Context()
	v1 := deploy(t, b, 0, workflow.NewRegistry(checkoutV1))
	_, err := workflow.Start(ctx, c, checkoutV1, "pay:x", workflow.WithRunID("x"))
	require.NoError(t, err)
	v1.drain(t, b)

	h, err := c.ExportHistory(ctx, "x")
	require.NoError(t, err)
	raw, err := json.Marshal(h)
	require.NoError(t, err)
	var back workflow.History
	require.NoError(t, json.Unmarshal(raw, &back))
	require.Equal(t, "checkout", back.Workflow)

	require.NoError(t, workflow.CheckHistory(workflow.NewRegistry(checkoutV2), back).Err)
	rc := workflow.CheckHistory(workflow.NewRegistry(checkoutV2Unpatched), back)
	require.ErrorIs(t, rc.Err, workflow.ErrNonDeterminism)
	require.Contains(t, rc.String(), "run x (checkout): hookflow: non-deterministic workflow")
	out, err := json.Marshal(rc)
	require.NoError(t, err)
	require.Contains(t, string(out), `"runId":"x"`)
	require.Contains(t, string(out), `"error":"hookflow: non-deterministic workflow`)

	_, err = c.ExportHistory(ctx, "nope")
	require.ErrorIs(t, err, workflow.ErrRunNotFound)
}

// recordingTB records what a test helper reports instead of failing the test.
type recordingTB struct {
	testing.TB
	errors []string
	fatal  bool
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.fatal = true
}

// A directory of exported histories is what CI replays against the code of a pull request.
func TestRequireReplayDir(t *testing.T) {
	t.Parallel()
	b := newMemory(t)
	c := workflow.NewClient(b, workflow.ClientOptions{})
	ctx := t.Context()
	v1 := deploy(t, b, 0, workflow.NewRegistry(checkoutV1))
	_, err := workflow.Start(ctx, c, checkoutV1, "pay:x", workflow.WithRunID("x/1"))
	require.NoError(t, err)
	v1.drain(t, b)
	h, err := c.ExportHistory(ctx, "x/1")
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, workflow.WriteHistory(dir, h))
	hs, err := workflow.ReadHistories(dir)
	require.NoError(t, err)
	require.Len(t, hs, 1)
	require.Equal(t, "x/1", hs[0].RunID, "a run ID with a slash makes a file name")

	workflowtest.RequireReplayDir(t, dir, checkoutV2)

	rec := &recordingTB{TB: t}
	workflowtest.RequireReplayDir(rec, dir, checkoutV2Unpatched)
	require.Len(t, rec.errors, 1)
	require.Contains(t, rec.errors[0], "run x/1 (checkout): hookflow: non-deterministic workflow")

	rec = &recordingTB{TB: t}
	workflowtest.RequireReplayDir(rec, t.TempDir(), checkoutV2)
	require.True(t, rec.fatal, "an empty directory checks nothing: an error, not a pass")
}

// A stuck run that holds no token and is not due is still in flight: LiveRuns lists it (the
// runs listing finds it), and the gate checks it. On memory and DynamoDB.
func TestLiveRunsListStuckRunsWithoutTokens(t *testing.T) {
	t.Parallel()
	onBackends(t, func(t *testing.T, b workflow.Backend) {
		c := workflow.NewClient(b, workflow.ClientOptions{})
		ctx := t.Context()
		id, err := c.StartByName(ctx, "retired-workflow", []byte(`{}`), workflow.WithRunID("stuck-1"))
		require.NoError(t, err)
		w := workflow.NewWorker(b, workflow.NewRegistry(other), workflow.WorkerOptions{Logger: slog.New(slog.DiscardHandler), StuckAfter: 1})
		t.Cleanup(w.Close)
		require.NoError(t, w.RunTurn(ctx, id))
		info, err := c.GetRun(ctx, id)
		require.NoError(t, err)
		require.Equal(t, workflow.StatusStuck, info.Status, "its workflow is not registered")
		hooks, err := c.ListHooks(ctx, workflow.HookFilter{RunID: id})
		require.NoError(t, err)
		require.Empty(t, hooks)

		live, err := c.LiveRuns(ctx)
		require.NoError(t, err)
		require.Contains(t, live, id)
		checks, err := workflow.CheckLiveRuns(ctx, c, workflow.NewRegistry(other))
		require.NoError(t, err)
		var found bool
		for _, rc := range checks {
			if rc.RunID == id {
				found = true
				require.ErrorIs(t, rc.Err, workflow.ErrNotRegistered, "the gate reports the stuck run's missing workflow")
			}
		}
		require.True(t, found, "the gate checks the stuck run")
	})
}
