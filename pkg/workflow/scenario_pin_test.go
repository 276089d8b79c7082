package workflow_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// fleet is the workers of several code versions on one backend, each forwarding the wakes of
// runs pinned to another version to that version's worker, as the runner Lambda's versions
// do through Invoke.
type fleet struct {
	mu      sync.Mutex
	workers map[string]*workflow.Worker
}

func (f *fleet) forward(ctx context.Context, runID, version string) error {
	f.mu.Lock()
	w := f.workers[version]
	f.mu.Unlock()
	if w == nil {
		return workflow.ErrNotRegistered
	}
	return w.RunTurn(ctx, runID)
}

// deploy starts a worker of version running the workflows of reg.
func (f *fleet) deploy(t *testing.T, b workflow.Backend, version string, reg *workflow.Registry) deployment {
	t.Helper()
	w := workflow.NewWorker(b, reg, workflow.WorkerOptions{
		CodeVersion: version, Forward: f.forward, Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, w.Err())
	t.Cleanup(w.Close)
	f.mu.Lock()
	f.workers[version] = w
	f.mu.Unlock()
	return deployment{w: w}
}

// A run waiting on a hook under v1 completes on v1 after v2 ships an incompatible change
// (a step added before the hook, one renamed after it, no patch), because it is pinned to
// v1: the v2 worker takes every wake and forwards the old run's to v1. A run started on v2
// takes v2's path. A MoveRuns workflow's runs are not pinned: v2 runs them.
func TestPinnedRunsStayOnTheirVersion(t *testing.T) {
	t.Parallel()
	onBackends(t, func(t *testing.T, b workflow.Backend) {
		c := workflow.NewClient(b, workflow.ClientOptions{})
		ctx := t.Context()
		moving1 := workflow.Define("moving", func(ctx workflow.Context, token string) (string, error) {
			return "v1", awaitPayment(ctx, token)
		}).WithVersioning(workflow.MoveRuns)
		moving2 := workflow.Define("moving", func(ctx workflow.Context, token string) (string, error) {
			return "v2", awaitPayment(ctx, token)
		}).WithVersioning(workflow.MoveRuns)

		f := &fleet{workers: map[string]*workflow.Worker{}}
		v1 := f.deploy(t, b, "v1", workflow.NewRegistry(checkoutV1, moving1))
		_, err := workflow.Start(ctx, c, checkoutV1, "pay:old", workflow.WithRunID("old"))
		require.NoError(t, err)
		_, err = workflow.Start(ctx, c, moving1, "pay:moving", workflow.WithRunID("moving"))
		require.NoError(t, err)
		v1.drain(t, b)

		v2 := f.deploy(t, b, "v2", workflow.NewRegistry(checkoutV2Unpatched, moving2))
		_, err = workflow.Start(ctx, c, checkoutV2Unpatched, "pay:new", workflow.WithRunID("new"))
		require.NoError(t, err)
		v2.drain(t, b)
		for _, token := range []string{"pay:old", "pay:new", "pay:moving"} {
			_, err := c.ResumeHook(ctx, token, 100)
			require.NoError(t, err)
		}
		v2.drain(t, b) // the new version takes every wake

		require.Equal(t, []string{"charge"}, output(t, c, "old"), "the old run finished on v1")
		require.Equal(t, []string{"audit", "charge-v2"}, output(t, c, "new"))
		for id, version := range map[string]string{"old": "v1", "new": "v2", "moving": ""} {
			info, err := c.GetRun(ctx, id)
			require.NoError(t, err)
			require.Equal(t, version, info.CodeVersion, id)
		}
		run, err := workflow.Start(ctx, c, moving2, "", workflow.WithRunID("moving"))
		require.NoError(t, err)
		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, "v2", out, "a MoveRuns run moves to the new code")
		require.Positive(t, v2.w.Stats().Forwarded)
		require.Zero(t, v1.w.Stats().Forwarded)
	})
}

// A versioned worker that cannot forward refuses a wake of a run pinned elsewhere, with an
// error that says why (the wake is redelivered), and leaves the run alone.
func TestPinnedRunWithoutForward(t *testing.T) {
	t.Parallel()
	b := newMemory(t)
	c := workflow.NewClient(b, workflow.ClientOptions{})
	ctx := t.Context()
	f := &fleet{workers: map[string]*workflow.Worker{}}
	v1 := f.deploy(t, b, "v1", workflow.NewRegistry(checkoutV1))
	_, err := workflow.Start(ctx, c, checkoutV1, "pay:x", workflow.WithRunID("x"))
	require.NoError(t, err)
	v1.drain(t, b)

	v2 := workflow.NewWorker(b, workflow.NewRegistry(checkoutV2Unpatched), workflow.WorkerOptions{CodeVersion: "v2", Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(v2.Close)
	_, err = c.ResumeHook(ctx, "pay:x", 1)
	require.NoError(t, err)
	err = v2.RunTurn(ctx, "x")
	require.ErrorContains(t, err, "run x is pinned to code version v1, and this worker (version v2) cannot forward it")
	info, err := c.GetRun(ctx, "x")
	require.NoError(t, err)
	require.Equal(t, workflow.StatusWaiting, info.Status)
	require.Zero(t, info.Failures, "nothing ran")

	// An unversioned worker runs every run on its code: here, one the change breaks.
	unversioned := workflow.NewWorker(b, workflow.NewRegistry(checkoutV2Unpatched), workflow.WorkerOptions{Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(unversioned.Close)
	require.NoError(t, unversioned.RunTurn(ctx, "x"))
	info, err = c.GetRun(ctx, "x")
	require.NoError(t, err)
	require.Equal(t, workflow.StatusFailed, info.Status)
	require.Contains(t, info.Error, "non-deterministic")
}
