package reliability

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// keepOne is collectOne with a retention of its own: its runs are never deleted.
var keepOne = workflow.Define("keep-one", func(ctx workflow.Context, token string) (string, error) {
	h, err := workflow.CreateHook[string](ctx, workflow.HookOptions{Token: token})
	if err != nil {
		return "", err
	}
	return h.Receive(ctx)
}).WithRetention(workflow.KeepForever)

// An ended run older than the retention is deleted, history and all, by the sweep that finds
// it due; it can be exported in full before. A run that has not ended stays whatever its age,
// and so does an ended run of a workflow kept for ever.
func TestRetentionDeletesEndedRuns(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend.Backend) {
		ctx := t.Context()
		const retention = time.Second
		s := newStack(t, b, workflow.WorkerOptions{Retention: retention}, collectOne, keepOne)
		live, err := workflow.Start(ctx, s.client, collectOne, "retention:live")
		require.NoError(t, err)
		ended, err := workflow.Start(ctx, s.client, collectOne, "retention:ended")
		require.NoError(t, err)
		kept, err := workflow.Start(ctx, s.client, keepOne, "retention:kept")
		require.NoError(t, err)
		s.drain(t)
		for _, tok := range []string{"retention:ended", "retention:kept"} {
			_, err = s.client.ResumeHook(ctx, tok, "payload of "+tok)
			require.NoError(t, err)
		}
		s.drain(t)

		info := s.await(t, ended.ID(), 10*time.Second)
		require.Equal(t, workflow.StatusCompleted, info.Status)
		require.WithinDuration(t, info.UpdatedAt.Add(retention), info.DeleteAt, time.Second, "DeleteAt is the end plus the retention")
		keptInfo := s.await(t, kept.ID(), 10*time.Second)
		require.True(t, keptInfo.DeleteAt.IsZero(), "a workflow kept for ever has no DeleteAt")

		export, err := s.client.ExportRun(ctx, ended.ID())
		require.NoError(t, err)
		history := s.events(t, ended.ID())
		require.Equal(t, history, export.Events, "the export holds the whole history")
		require.Equal(t, 1, count(export.Events, "hook_received"))
		require.Equal(t, "run_completed", export.Events[len(export.Events)-1].Type)
		require.Equal(t, info, export.Run)
		require.Empty(t, export.Hooks, "an ended run holds no hook")

		time.Sleep(time.Until(info.DeleteAt) + 50*time.Millisecond)
		_, err = s.worker.Sweep(ctx, 0)
		require.NoError(t, err)
		s.drain(t)

		_, err = s.client.GetRun(ctx, ended.ID())
		require.ErrorIs(t, err, workflow.ErrRunNotFound, "the ended run is gone")
		_, err = s.client.ListEvents(ctx, ended.ID())
		require.ErrorIs(t, err, workflow.ErrRunNotFound, "with its history")
		_, err = s.client.ExportRun(ctx, ended.ID())
		require.ErrorIs(t, err, workflow.ErrRunNotFound)
		items, err := b.ListInbox(ctx, ended.ID(), 0)
		require.NoError(t, err)
		require.Empty(t, items)
		_, err = s.client.ResumeHook(ctx, "retention:ended", "late")
		require.ErrorIs(t, err, workflow.ErrHookNotFound)
		require.NotContains(t, due(t, b), ended.ID(), "a deleted run is not due")
		require.EqualValues(t, 1, s.worker.Stats().Deleted)

		// The live run is older than the retention and untouched; it still receives.
		liveInfo, err := s.client.GetRun(ctx, live.ID())
		require.NoError(t, err)
		require.Equal(t, workflow.StatusWaiting, liveInfo.Status)
		require.True(t, liveInfo.DeleteAt.IsZero())
		hooks, err := s.client.ListHooks(ctx, workflow.HookFilter{RunID: live.ID()})
		require.NoError(t, err)
		require.Len(t, hooks, 1)
		_, err = s.client.ResumeHook(ctx, "retention:live", "still here")
		require.NoError(t, err)
		s.drain(t)
		out, err := live.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, "still here", out)

		_, err = s.client.GetRun(ctx, kept.ID())
		require.NoError(t, err, "a run of a workflow kept for ever stays")
	})
}

// DeleteRun erases an ended run on request, at once; a live run is refused until it ends.
func TestDeleteRunOnRequest(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend.Backend) {
		ctx := t.Context()
		s := newStack(t, b, workflow.WorkerOptions{Retention: workflow.KeepForever}, collectOne)
		run, err := workflow.Start(ctx, s.client, collectOne, "erase:me")
		require.NoError(t, err)
		s.drain(t)
		require.ErrorIs(t, s.client.DeleteRun(ctx, run.ID()), workflow.ErrRunNotEnded)
		_, err = s.client.GetRun(ctx, run.ID())
		require.NoError(t, err, "a refused DeleteRun leaves the run")

		require.NoError(t, s.client.CancelRun(ctx, run.ID()))
		s.drain(t)
		require.Equal(t, workflow.StatusCancelled, s.await(t, run.ID(), 10*time.Second).Status)
		require.NoError(t, s.client.DeleteRun(ctx, run.ID()))
		_, err = s.client.ListEvents(ctx, run.ID())
		require.ErrorIs(t, err, workflow.ErrRunNotFound)
		require.ErrorIs(t, s.client.DeleteRun(ctx, run.ID()), workflow.ErrRunNotFound)
		require.ErrorIs(t, s.client.DeleteRun(ctx, "no-such-run"), workflow.ErrRunNotFound)
	})
}
