package workflow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
)

// RunExport is what is stored of a run, as ExportRun returns it: to keep a run before its
// retention deletes it, or to hand someone the data a run holds about them. It is plain
// JSON; a webhook request's body is in its hook_received event's Body (base64 in JSON).
type RunExport struct {
	Run    RunInfo    `json:"run"`
	Events []Event    `json:"events"`
	Hooks  []HookInfo `json:"hooks"` // the run's live hooks; none once it has ended
	// ExportedAt is when the export was read.
	ExportedAt time.Time `json:"exportedAt"`
}

// ExportRun returns the run's record, its whole history and its live hooks, or an error
// matching ErrRunNotFound (also once retention has deleted it). The parts are read one after
// the other: for a run that is still going, the history may run past the record.
func (c *Client) ExportRun(ctx context.Context, runID string) (RunExport, error) {
	e, err := c.engine()
	if err != nil {
		return RunExport{}, err
	}
	info, err := c.GetRun(ctx, runID)
	if err != nil {
		return RunExport{}, err
	}
	events, err := c.ListEvents(ctx, runID)
	if err != nil {
		return RunExport{}, err
	}
	hooks, err := c.ListHooks(ctx, HookFilter{RunID: runID})
	if err != nil {
		return RunExport{}, err
	}
	return RunExport{Run: info, Events: events, Hooks: hooks, ExportedAt: e.Clock().Now().UTC()}, nil
}

// DeleteRun deletes an ended run now, with its history, inbox leftovers and hook tokens, as
// retention would when its period passes: for a request to erase someone's data, or to free
// space. A run that has not ended gives ErrRunNotEnded (cancel it first: CancelRun, then
// Result or GetRun until it has ended); an unknown or already deleted run, ErrRunNotFound.
// Manual webhook responses and idempotency records are keyed by delivery, not by run, and
// expire on their own within a day.
func (c *Client) DeleteRun(ctx context.Context, runID string) error {
	e, err := c.engine()
	if err != nil {
		return err
	}
	err = e.Backend().DeleteRun(ctx, runID)
	switch {
	case errors.Is(err, backend.ErrRunNotFound):
		return fmt.Errorf("%w: %s", ErrRunNotFound, runID)
	case errors.Is(err, backend.ErrRunNotEnded):
		return fmt.Errorf("%w: run %s: cancel it first", ErrRunNotEnded, runID)
	}
	return err
}
