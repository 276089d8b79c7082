package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hookflow/hookflow/internal/engine"
)

// History is a run's recorded history, as ExportHistory writes it for CheckHistory and the
// test kit's RequireReplayDir: the run, its workflow and its events.
type History struct {
	RunID    string  `json:"runId"`
	Workflow string  `json:"workflow"`
	Events   []Event `json:"events"`
}

// ExportHistory returns the history of a run, to keep (as JSON) and replay against new code
// in CI before a deploy.
func (c *Client) ExportHistory(ctx context.Context, runID string) (History, error) {
	info, err := c.GetRun(ctx, runID)
	if err != nil {
		return History{}, err
	}
	evs, err := c.ListEvents(ctx, runID)
	if err != nil {
		return History{}, err
	}
	return History{RunID: runID, Workflow: info.Workflow, Events: evs}, nil
}

// RunCheck is the verdict on one run's history against the code checked. Err is nil when
// the history replays; otherwise it says why not: a *NonDeterminismError naming the first
// durable call that differs (its Position in the history, the call Recorded there and the
// Current code's), ErrNotRegistered when the code has no workflow of that name, or how the
// replayed run would now end differently.
type RunCheck struct {
	RunID    string
	Workflow string
	Err      error
}

func (rc RunCheck) String() string {
	if rc.Err == nil {
		return fmt.Sprintf("run %s (%s): replays", rc.RunID, rc.Workflow)
	}
	return fmt.Sprintf("run %s (%s): %v", rc.RunID, rc.Workflow, rc.Err)
}

// CheckHistory replays h against the workflows of r (the code about to be deployed).
func CheckHistory(r *Registry, h History) RunCheck {
	rc := RunCheck{RunID: h.RunID, Workflow: h.Workflow}
	if err := r.Err(); err != nil {
		rc.Err = err
		return rc
	}
	fn, ok := r.r.Lookup(h.Workflow)
	if !ok {
		rc.Err = fmt.Errorf("%w: %q (the run would stop at its next turn)", ErrNotRegistered, h.Workflow)
		return rc
	}
	rc.Err = replay(fn, h.RunID, h.Events)
	return rc
}

// CheckLiveRuns is a deploy gate: it replays the history of every run of c's backend that is
// waiting or due (it holds a live hook token, or has a timer, a retry or an inbox item)
// against the workflows of r, the code about to be deployed, and returns a RunCheck per run,
// sorted by run ID. A deploy is safe for the runs in flight when no RunCheck has an Err.
func CheckLiveRuns(ctx context.Context, c *Client, r *Registry) ([]RunCheck, error) {
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	ids, err := engine.LiveRuns(ctx, e.Backend(), e.Clock().Now())
	if err != nil {
		return nil, fmt.Errorf("hookflow: listing live runs: %w", err)
	}
	out := make([]RunCheck, 0, len(ids))
	for _, id := range ids {
		h, err := c.ExportHistory(ctx, id)
		if errors.Is(err, ErrRunNotFound) {
			continue // ended and swept since it was listed
		}
		if err != nil {
			return nil, err
		}
		if n := len(h.Events); n > 0 && isEnd(h.Events[n-1].Type) {
			continue
		}
		out = append(out, CheckHistory(r, h))
	}
	return out, nil
}

func isEnd(eventType string) bool {
	return eventType == engine.EventRunCompleted || eventType == engine.EventRunFailed || eventType == engine.EventRunCancelled
}

// MarshalJSON writes a RunCheck with its error as text.
func (rc RunCheck) MarshalJSON() ([]byte, error) {
	var msg string
	if rc.Err != nil {
		msg = rc.Err.Error()
	}
	return json.Marshal(struct {
		RunID    string `json:"runId"`
		Workflow string `json:"workflow"`
		Error    string `json:"error,omitempty"`
	}{rc.RunID, rc.Workflow, msg})
}
