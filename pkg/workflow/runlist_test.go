package workflow_test

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// ListRuns answers "what is waiting, what failed": runs newest first, filtered by status and
// workflow, in pages; bad filters are ErrInvalidArgument. On memory and on DynamoDB.
func TestListRuns(t *testing.T) {
	t.Parallel()
	waits := workflow.Define("list-waits", func(ctx workflow.Context, _ int) (int, error) {
		h, err := workflow.CreateHook[int](ctx, workflow.HookOptions{})
		if err != nil {
			return 0, err
		}
		return h.Receive(ctx)
	})
	done := workflow.Define("list-done", func(_ workflow.Context, n int) (int, error) { return n, nil })
	onBackends(t, func(t *testing.T, b workflow.Backend) {
		ctx := t.Context()
		c := workflow.NewClient(b, workflow.ClientOptions{})
		w := workflow.NewWorker(b, workflow.NewRegistry(waits, done), workflow.WorkerOptions{Logger: slog.New(slog.DiscardHandler)})
		t.Cleanup(w.Close)
		var started []string
		for i := range 3 {
			r1, err := workflow.Start(ctx, c, waits, i)
			require.NoError(t, err)
			r2, err := workflow.Start(ctx, c, done, i)
			require.NoError(t, err)
			for _, id := range []string{r1.ID(), r2.ID()} {
				require.NoError(t, w.RunTurn(ctx, id))
				started = append(started, id)
			}
		}

		all, err := c.ListRuns(ctx, workflow.RunFilter{})
		require.NoError(t, err)
		require.Len(t, all.Runs, 6)
		require.Empty(t, all.Next)
		for i := 1; i < len(all.Runs); i++ {
			require.LessOrEqual(t, all.Runs[i].CreatedAt.UnixMilli(), all.Runs[i-1].CreatedAt.UnixMilli(), "newest first")
		}
		require.ElementsMatch(t, started, runIDsOf(all.Runs))

		waiting, err := c.ListRuns(ctx, workflow.RunFilter{Status: workflow.StatusWaiting})
		require.NoError(t, err)
		require.Len(t, waiting.Runs, 3)
		for _, r := range waiting.Runs {
			require.Equal(t, "list-waits", r.Workflow)
		}
		completed, err := c.ListRuns(ctx, workflow.RunFilter{Workflow: "list-done", Status: workflow.StatusCompleted})
		require.NoError(t, err)
		require.Len(t, completed.Runs, 3)
		var outputs []string
		for _, r := range completed.Runs {
			outputs = append(outputs, string(r.Output))
		}
		require.ElementsMatch(t, []string{"0", "1", "2"}, outputs, "whole run records, outputs included")

		var paged []workflow.RunInfo
		f := workflow.RunFilter{Limit: 4}
		for {
			page, err := c.ListRuns(ctx, f)
			require.NoError(t, err)
			paged = append(paged, page.Runs...)
			if page.Next == "" {
				break
			}
			f.Cursor = page.Next
		}
		require.Equal(t, runIDsOf(all.Runs), runIDsOf(paged), "pages of 4 list the same runs")

		for name, bad := range map[string]workflow.RunFilter{
			"unknown status": {Status: "sleeping"},
			"negative limit": {Limit: -1},
			"forged cursor":  {Cursor: "not-a-cursor"},
		} {
			_, err := c.ListRuns(ctx, bad)
			require.ErrorIs(t, err, workflow.ErrInvalidArgument, name)
		}
	})
}

func runIDsOf(runs []workflow.RunInfo) []string {
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	return ids
}
