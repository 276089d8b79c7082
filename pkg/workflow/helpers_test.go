package workflow_test

import (
	"testing"

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
