package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/workflow/werr"
)

// Failed turns.
//
// A turn that fails for a reason other than a race (its workflow is not registered, its data
// cannot be read, the store keeps failing) is recorded on the run: Failures counts the turns
// that failed in a row and LastError keeps the latest error. The run is due again after a
// backoff that doubles with each failure, and after StuckAfter failures in a row it is parked
// as stuck: it leaves the due set, keeps its hooks and inbox (deliveries are still accepted),
// and waits for an operator to fix the cause and call RetryRun. Any turn that commits work
// resets the count. So a poison run costs a bounded number of failed turns, not one per sweep
// for ever.

// Defaults of the failed-turn policy.
const (
	DefaultStuckAfter     = 10
	DefaultRetryBase      = time.Second
	maxTurnRetryDelay     = 5 * time.Minute
	maxLastErrorBytes     = 2 << 10
	lastErrorTruncatedTag = " [truncated]"
)

// turnRetryDelay is the backoff before the next turn of a run that has failed n turns in a row.
func (e *Engine) turnRetryDelay(n int) time.Duration {
	d := e.opts.RetryBase
	for i := 1; i < n && d < maxTurnRetryDelay; i++ {
		d *= 2
	}
	return min(d, maxTurnRetryDelay)
}

// recordFailure records a failed turn of runID on its record, and reports when the run should
// be tried again, or that it is now stuck. A run that has ended, is stuck already or has moved
// on meanwhile is left alone (retryIn 0, stuck false).
func (e *Engine) recordFailure(ctx context.Context, runID string, turnErr error) (retryIn time.Duration, stuck bool, err error) {
	run, err := e.b.GetRun(ctx, runID)
	if err != nil && (!errors.Is(err, backend.ErrUnreadable) || run.ID != runID) {
		return 0, false, err
	}
	// An unreadable run (its input cannot be decoded) still has a status and a version: its
	// failure is recorded like any other. Output and Error are empty on a run that has not
	// ended, so the commit below loses nothing.
	if run.Status.Terminal() || run.Status == backend.StatusStuck {
		return 0, false, nil
	}
	now := e.clock.Now().UTC()
	n := run.Failures + 1
	c := backend.Commit{
		RunID: runID, Version: run.Version, Status: run.Status, Output: run.Output, Error: run.Error,
		Now: now, Failures: n, LastError: truncateError(turnErr.Error()),
	}
	if n >= e.opts.StuckAfter {
		c.Status = backend.StatusStuck
	} else {
		retryIn = e.turnRetryDelay(n)
		c.DueAt = now.Add(retryIn)
	}
	if err := e.b.Commit(ctx, c); err != nil {
		if errors.Is(err, backend.ErrVersionConflict) {
			return 0, false, nil // another turn got through: nothing to record
		}
		return 0, false, err
	}
	return retryIn, c.Status == backend.StatusStuck, nil
}

func truncateError(s string) string {
	if len(s) <= maxLastErrorBytes {
		return s
	}
	cut := maxLastErrorBytes - len(lastErrorTruncatedTag)
	for cut > 0 && s[cut]&0xC0 == 0x80 { // not in the middle of a UTF-8 sequence
		cut--
	}
	return s[:cut] + lastErrorTruncatedTag
}

// RetryRun puts a stuck run back to work: it is due at once, with its failure count reset,
// and a wake is queued. Retrying a run that is not stuck does nothing; an ended run gives
// ErrRunEnded and an unknown one ErrRunNotFound.
func RetryRun(ctx context.Context, b backend.Backend, clock backend.Clock, runID string) error {
	for {
		run, err := GetRun(ctx, b, runID)
		if err != nil {
			return err
		}
		switch {
		case run.Status.Terminal():
			return fmt.Errorf("%w: run %s is %s", werr.ErrRunEnded, runID, run.Status)
		case run.Status != backend.StatusStuck:
			return nil
		}
		now := clock.Now().UTC()
		err = b.Commit(ctx, backend.Commit{
			RunID: runID, Version: run.Version, Status: backend.StatusRunning, Output: run.Output, Error: run.Error,
			DueAt: now, Now: now,
		})
		if errors.Is(err, backend.ErrVersionConflict) {
			continue
		}
		if err != nil {
			return err
		}
		if err := b.Enqueue(ctx, runID, 0); err != nil {
			return fmt.Errorf("hookflow: run %s is due again but not queued (the sweeper will wake it): %w", runID, err)
		}
		return nil
	}
}
