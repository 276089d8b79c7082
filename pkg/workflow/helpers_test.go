package workflow_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
	"github.com/hookflow/hookflow/pkg/workflow/workflowtest"
)

// modes runs a scenario twice: with the warm cache (turns continue parked runs) and with a
// replay of the whole history on every turn, so each story is proven under cold replay too.
func modes(t *testing.T, fn func(t *testing.T, newEnv func(ws ...workflow.Registrable) *workflowtest.Env)) {
	t.Helper()
	for _, m := range []struct {
		name string
		opts workflowtest.Options
	}{
		{"warm", workflowtest.Options{}},
		{"replay", workflowtest.Options{ReplayEveryTurn: true}},
	} {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			fn(t, func(ws ...workflow.Registrable) *workflowtest.Env {
				return workflowtest.NewWithOptions(t, m.opts, ws...)
			})
		})
	}
}

// eventTypes lists the types of a run's history.
func eventTypes(t *testing.T, c *workflow.Client, runID string) []string {
	t.Helper()
	evs, err := c.ListEvents(context.Background(), runID)
	require.NoError(t, err)
	types := make([]string, len(evs))
	for i, e := range evs {
		types[i] = e.Type
	}
	return types
}

// replays checks that the run's full history replays cleanly against the workflow's code.
func replays(t *testing.T, c *workflow.Client, w workflow.Registrable, runID string) {
	t.Helper()
	evs, err := c.ListEvents(context.Background(), runID)
	require.NoError(t, err)
	require.NoError(t, workflow.ReplayHistory(w, runID, evs))
}

func status(t *testing.T, c *workflow.Client, runID string) workflow.RunStatus {
	t.Helper()
	info, err := c.GetRun(context.Background(), runID)
	require.NoError(t, err)
	return info.Status
}
