package workflowtest

import (
	"context"
	"testing"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// Modes runs fn twice, as parallel subtests: "warm", where runs stay in memory between turns,
// and "replay every turn", where every turn replays the run's history from the start. A story
// that passes both is deterministic under replay.
func Modes(t *testing.T, fn func(t *testing.T, opts Options)) {
	t.Helper()
	for _, m := range []struct {
		name string
		opts Options
	}{
		{"warm", Options{}},
		{"replay every turn", Options{ReplayEveryTurn: true}},
	} {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			fn(t, m.opts)
		})
	}
}

// Events returns a run's history; it fails the test if the run does not exist.
func (e *Env) Events(runID string) []workflow.Event {
	e.t.Helper()
	evs, err := e.client.ListEvents(context.Background(), runID)
	if err != nil {
		e.t.Fatalf("workflowtest: events of run %s: %v", runID, err)
	}
	return evs
}

// EventTypes returns the types of a run's history, in order: a compact way to assert its
// story.
func (e *Env) EventTypes(runID string) []string {
	e.t.Helper()
	evs := e.Events(runID)
	types := make([]string, len(evs))
	for i, ev := range evs {
		types[i] = ev.Type
	}
	return types
}

// Status returns a run's status (after running what is queued).
func (e *Env) Status(runID string) workflow.RunStatus {
	e.t.Helper()
	info, err := e.client.GetRun(context.Background(), runID)
	if err != nil {
		e.t.Fatalf("workflowtest: run %s: %v", runID, err)
	}
	return info.Status
}

// RequireReplay replays the run's recorded history against w's current code
// (workflow.ReplayHistory) and fails the test if it no longer matches.
func (e *Env) RequireReplay(w workflow.Registrable, runID string) {
	e.t.Helper()
	if err := workflow.ReplayHistory(w, runID, e.Events(runID)); err != nil {
		e.t.Fatalf("workflowtest: run %s does not replay: %v", runID, err)
	}
}
