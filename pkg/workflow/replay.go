package workflow

import (
	"fmt"

	"github.com/hookflow/hookflow/internal/engine"
	"github.com/hookflow/hookflow/pkg/backend"
)

// ReplayHistory replays a recorded history (from Client.ListEvents, or a file) against the
// current code of w, without running any step. It returns a *NonDeterminismError when the
// code makes a different durable call than the one recorded, and an error when the code
// would now end the run differently. Run it in CI over histories of real runs to catch a
// change that would break runs in flight before it is deployed.
func ReplayHistory(w Registrable, runID string, events []Event) error {
	if w == nil {
		return fmt.Errorf("%w: nil workflow", ErrInvalidArgument)
	}
	fn, err := w.untyped()
	if err != nil {
		return err
	}
	return replay(fn, runID, events)
}

// replay replays events against an untyped workflow function.
func replay(fn engine.WorkflowFunc, runID string, events []Event) error {
	evs := make([]backend.Event, len(events))
	for i, e := range events {
		evs[i] = backend.Event{Seq: int64(e.Seq), Type: e.Type, CorrelationID: e.CorrelationID, Data: e.Data, Body: e.Body, CreatedAt: e.CreatedAt}
	}
	return engine.Replay(fn, runID, evs)
}
