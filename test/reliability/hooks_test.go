package reliability

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// reclaim disposes a hook and creates another with the same custom token.
var reclaim = workflow.Define("reclaim", func(ctx workflow.Context, token string) (string, error) {
	first, err := workflow.CreateHook[string](ctx, workflow.HookOptions{Token: token})
	if err != nil {
		return "", err
	}
	if err := first.Dispose(ctx); err != nil {
		return "", err
	}
	second, err := workflow.CreateHook[string](ctx, workflow.HookOptions{Token: token})
	if err != nil {
		return "", err
	}
	return second.Receive(ctx)
})

// Defect 2: Dispose then CreateHook with the same token in one run used to fail with a
// HookConflictError naming the run itself: the release and the new claim went into one
// commit, and the claim was judged against the state before it.
func TestDisposeThenCreateHookWithTheSameToken(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend.Backend) {
		s := newStack(t, b, workflow.WorkerOptions{}, reclaim)
		ctx := t.Context()
		run, err := workflow.Start(ctx, s.client, reclaim, "reclaim:42")
		require.NoError(t, err)
		s.drain(t)
		info, err := s.client.GetHookByToken(ctx, "reclaim:42")
		require.NoError(t, err, "the second hook holds the token")
		require.Equal(t, run.ID(), info.RunID)

		_, err = s.client.ResumeHook(ctx, "reclaim:42", "hello")
		require.NoError(t, err)
		s.drain(t)
		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, "hello", out)
		require.Equal(t, 2, count(s.events(t, run.ID()), "hook_created"))
		require.Zero(t, count(s.events(t, run.ID()), "hook_conflict"))
		requireSettled(t, b, run.ID())
	})
}
