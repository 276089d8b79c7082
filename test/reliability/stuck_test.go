package reliability

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// ghost is a workflow the first worker does not know.
var ghost = workflow.Define("ghost", func(ctx workflow.Context, _ struct{}) (string, error) {
	return "boo", nil
})

// countingGets counts the reads of run records: each turn starts with one.
type countingGets struct {
	backend.Backend
	n atomic.Int64
}

func (c *countingGets) GetRun(ctx context.Context, runID string) (backend.Run, error) {
	c.n.Add(1)
	return c.Backend.GetRun(ctx, runID)
}

// Defect 5: a run whose turn always fails (its workflow is not registered) used to be woken
// by every sweep and redelivered for ever, its failed turns growing with uptime. It is now
// tried a bounded number of times with backoff, parked as stuck with its last error, left
// alone by the sweeper, and put back to work by RetryRun once the cause is fixed.
func TestPoisonRunIsParkedAndRetried(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend.Backend) {
		ctx := t.Context()
		counting := &countingGets{Backend: b}
		s := newStack(t, counting, workflow.WorkerOptions{SweepEvery: 500 * time.Millisecond, StuckAfter: 3, RetryBase: 20 * time.Millisecond})
		stop := s.run(t)
		run, err := workflow.Start(ctx, s.client, ghost, struct{}{})
		require.NoError(t, err)

		var info workflow.RunInfo
		require.Eventually(t, func() bool {
			info, err = s.client.GetRun(ctx, run.ID())
			return err == nil && info.Status == workflow.StatusStuck
		}, 30*time.Second, 20*time.Millisecond, "the run is parked")
		require.Equal(t, 3, info.Failures)
		require.Contains(t, info.LastError, "not registered")
		require.NotContains(t, due(t, b), run.ID(), "a stuck run is not due")

		// Parked means parked: sweeps go by, and the run is not tried again.
		before := counting.n.Load()
		time.Sleep(time.Second)
		info, err = workflow.NewClient(b, workflow.ClientOptions{}).GetRun(ctx, run.ID())
		require.NoError(t, err)
		require.Equal(t, 3, info.Failures)
		require.LessOrEqual(t, counting.n.Load()-before, int64(2), "at most a wake already queued reads the parked run")

		stop() // the fix is deployed: the old worker is gone
		fixed := newStack(t, b, workflow.WorkerOptions{}, ghost)
		require.NoError(t, fixed.client.RetryRun(ctx, run.ID()))
		fixed.run(t)
		info = fixed.await(t, run.ID(), 60*time.Second)
		require.Equal(t, workflow.StatusCompleted, info.Status, info.Error)
		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, "boo", out)
		info, err = fixed.client.GetRun(ctx, run.ID())
		require.NoError(t, err)
		require.Zero(t, info.Failures, "a turn that commits work resets the count")
	})
}
