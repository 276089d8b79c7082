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

// RequireReplayDir replays every history exported to dir (`hookflow gate export`, or
// workflow.WriteHistory) against the current code of workflows, and fails the test for each
// run that no longer replays, naming the run and the first call that differs. Keep a
// directory of real runs' histories in testdata and call it in CI: a change that would fail
// runs in flight fails the build before it is deployed.
func RequireReplayDir(t testing.TB, dir string, workflows ...workflow.Registrable) {
	t.Helper()
	hs, err := workflow.ReadHistories(dir)
	if err != nil {
		t.Fatalf("workflowtest: reading histories: %v", err)
		return
	}
	if len(hs) == 0 {
		t.Fatalf("workflowtest: no history (*.json) in %s", dir)
		return
	}
	reg := workflow.NewRegistry(workflows...)
	for _, h := range hs {
		if rc := workflow.CheckHistory(reg, h); rc.Err != nil {
			t.Errorf("workflowtest: %v", rc)
		}
	}
}
