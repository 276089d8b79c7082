package engine

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/workflow/werr"
)

// NewRunID returns a random run ID (128 bits, URL-safe).
func NewRunID() string {
	return "run_" + rand.Text()[:26]
}

// StartRun creates a run of workflow with input and queues its first turn. When a run with
// runID exists already, it is returned as is (created false) if it belongs to the same
// workflow, and refused otherwise.
func StartRun(ctx context.Context, b backend.Backend, clock backend.Clock, workflow, runID string, input json.RawMessage) (backend.Run, bool, error) {
	if workflow == "" {
		return backend.Run{}, false, invalidf("workflow name is empty")
	}
	if runID == "" {
		runID = NewRunID()
	}
	now := clock.Now().UTC()
	run := backend.Run{
		ID:        runID,
		Workflow:  workflow,
		Status:    backend.StatusPending,
		Input:     input,
		CreatedAt: now,
		UpdatedAt: now,
		DueAt:     now, // until the first turn commits, the sweeper may start it
	}
	first := []backend.Event{{
		Seq: 1, Type: EventRunCreated, Data: mustJSON(runCreatedData{Workflow: workflow, Input: input}), CreatedAt: now,
	}}
	stored, err := b.CreateRun(ctx, run, first)
	if errors.Is(err, backend.ErrRunExists) {
		if stored.Workflow != workflow {
			return backend.Run{}, false, invalidf("run %s exists and belongs to workflow %q, not %q", runID, stored.Workflow, workflow)
		}
		return stored, false, nil
	}
	if err != nil {
		return backend.Run{}, false, err
	}
	if err := b.Enqueue(ctx, runID, 0); err != nil {
		// The run is stored and due now: the sweeper will start it.
		return stored, true, fmt.Errorf("hookflow: run %s created but not queued (the sweeper will start it): %w", runID, err)
	}
	return stored, true, nil
}

// GetRun returns the run record, or an error matching ErrRunNotFound.
func GetRun(ctx context.Context, b backend.Store, runID string) (backend.Run, error) {
	run, err := b.GetRun(ctx, runID)
	if errors.Is(err, backend.ErrRunNotFound) {
		return run, fmt.Errorf("%w: %s", werr.ErrRunNotFound, runID)
	}
	return run, err
}

// CancelRun asks a run to stop: the next turn records run_cancelled, releases its hooks and
// ends it. Cancelling a cancelled run is a no-op; cancelling a completed or failed run fails
// with ErrRunEnded.
func CancelRun(ctx context.Context, b backend.Backend, clock backend.Clock, runID string) error {
	item := backend.InboxItem{RunID: runID, Kind: backend.InboxCancel, CreatedAt: clock.Now().UTC()}
	_, _, err := b.PutInbox(ctx, item, nil)
	switch {
	case errors.Is(err, backend.ErrRunNotFound):
		return fmt.Errorf("%w: %s", werr.ErrRunNotFound, runID)
	case errors.Is(err, backend.ErrRunEnded):
		run, gerr := b.GetRun(ctx, runID)
		if gerr == nil && run.Status == backend.StatusCancelled {
			return nil
		}
		return fmt.Errorf("%w: run %s is %s", werr.ErrRunEnded, runID, run.Status)
	case err != nil:
		return err
	}
	if err := WakeAfterDelivery(ctx, b, clock, runID); err != nil {
		return fmt.Errorf("hookflow: cancel of run %s stored but not queued (the sweeper will apply it): %w", runID, err)
	}
	return nil
}

// AwaitRun polls the run until it is in a terminal status or ctx ends. Before each poll it
// calls drive, when not nil (the test kit runs queued turns there).
func AwaitRun(ctx context.Context, b backend.Store, runID string, drive func()) (backend.Run, error) {
	delay := time.Millisecond
	for {
		if drive != nil {
			drive()
		}
		run, err := GetRun(ctx, b, runID)
		if err != nil {
			return run, err
		}
		if run.Status.Terminal() {
			return run, nil
		}
		select {
		case <-ctx.Done():
			return run, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 100*time.Millisecond)
	}
}

// RunError returns the error a terminal run ended with: nil when completed.
func RunError(run backend.Run) error {
	switch run.Status {
	case backend.StatusCompleted:
		return nil
	case backend.StatusCancelled:
		if err := DecodeError(run.Error); err != nil {
			return err
		}
		return werr.ErrRunCancelled
	default:
		if err := DecodeError(run.Error); err != nil {
			return err
		}
		return fmt.Errorf("hookflow: run %s is %s", run.ID, run.Status)
	}
}

// StartRun creates a run (see the function StartRun).
func (c *Client) StartRun(ctx context.Context, workflow, runID string, input json.RawMessage) (backend.Run, bool, error) {
	return StartRun(ctx, c.b, c.clock, workflow, runID, input)
}

// GetRun returns the run record, or an error matching ErrRunNotFound.
func (c *Client) GetRun(ctx context.Context, runID string) (backend.Run, error) {
	return GetRun(ctx, c.b, runID)
}

// AwaitRun polls the run until it ends or ctx does, calling the client's Poll before each
// read.
func (c *Client) AwaitRun(ctx context.Context, runID string) (backend.Run, error) {
	return AwaitRun(ctx, c.b, runID, c.poll)
}

// CancelRun asks a run to stop (see the function CancelRun).
func (c *Client) CancelRun(ctx context.Context, runID string) error {
	return CancelRun(ctx, c.b, c.clock, runID)
}

// RetryRun puts a stuck run back to work (see the function RetryRun).
func (c *Client) RetryRun(ctx context.Context, runID string) error {
	return RetryRun(ctx, c.b, c.clock, runID)
}

// WithPoll returns a copy of c whose polling waits call poll first (see ClientOptions.Poll).
func (c *Client) WithPoll(poll func()) *Client {
	cp := *c
	cp.poll = poll
	return &cp
}
