package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

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
	if err := r.Err(); err != nil {
		return nil, err
	}
	ids, err := c.LiveRuns(ctx)
	if err != nil {
		return nil, fmt.Errorf("hookflow: listing the runs in flight: %w", err)
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

// LiveRuns returns the IDs of the runs in flight, sorted: every run that has not ended, stuck
// ones included, whether it holds a hook token, is due (a timer, a retry, an inbox item, a
// first turn) or waits on nothing the store can see.
func (c *Client) LiveRuns(ctx context.Context) ([]string, error) {
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	return engine.LiveRuns(ctx, e.Backend(), e.Clock().Now())
}

// WriteHistory writes h to dir (created if missing) as <run ID>.json, for ReadHistories.
func WriteHistory(dir string, h History) error {
	raw, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return fmt.Errorf("hookflow: encoding the history of run %s: %w", h.RunID, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, historyFile(h.RunID)), append(raw, '\n'), 0o644)
}

// historyFile makes a run ID a file name: path separators and NUL become "_".
func historyFile(runID string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, runID) + ".json"
}

// ReadHistories reads the *.json files of dir (WriteHistory's, or deploygate's export) as
// histories, in file name order. A file that is not a run history is an error.
func ReadHistories(dir string) ([]History, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		if _, err := os.Stat(dir); err != nil {
			return nil, err
		}
	}
	out := make([]History, 0, len(files))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var h History
		if err := json.Unmarshal(raw, &h); err != nil {
			return nil, fmt.Errorf("%s: not a run history: %w", f, err)
		}
		if h.RunID == "" || h.Workflow == "" || len(h.Events) == 0 {
			return nil, fmt.Errorf("%s: not a run history (it needs runId, workflow and events)", f)
		}
		out = append(out, h)
	}
	return out, nil
}
