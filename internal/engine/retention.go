package engine

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
)

// Retention. A run that ends is kept for a retention period and then deleted with its
// history, inbox leftovers and token records. The turn that ends a run sets its DueAt to the
// end plus the period (backend.Run.DueAt: for an ended run, when it goes), so the sweeper,
// which already finds every due run, wakes it then, and the turn of an ended run that is due
// deletes it (backend.Store.DeleteRun). No other machinery is needed: a deletion cut short
// leaves the run due, and the next sweep finishes it. Runs that ended with no DueAt (before
// retention was on, or under KeepForever) are kept.

// DefaultRetention is how long an ended run is kept when Options.Retention is zero.
const DefaultRetention = 30 * 24 * time.Hour

// KeepForever as a retention keeps ended runs until they are deleted on request.
const KeepForever time.Duration = -1

// SetRetention sets how long the ended runs of workflow name are kept: d > 0 keeps them d,
// KeepForever (any d < 0) keeps them, and 0 goes back to the engine's Options.Retention.
func (r *Registry) SetRetention(name string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d == 0 {
		delete(r.retention, name)
		return
	}
	if r.retention == nil {
		r.retention = map[string]time.Duration{}
	}
	r.retention[name] = d
}

// retentionOf returns the workflow's own retention, or 0 when it has none.
func (r *Registry) retentionOf(name string) time.Duration {
	if r == nil {
		return 0
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.retention[name]
}

// expiry returns when a run of workflow that ends at end is to be deleted: zero to keep it.
func (e *Engine) expiry(workflow string, end time.Time) time.Time {
	d := cmp.Or(e.reg.retentionOf(workflow), e.opts.Retention)
	if d < 0 {
		return time.Time{}
	}
	return end.Add(d)
}

// expired reports whether the ended run is past its retention.
func (e *Engine) expired(run backend.Run) bool {
	return run.Status.Terminal() && !run.DueAt.IsZero() && !run.DueAt.After(e.clock.Now())
}

// deleteExpired deletes an ended run whose retention has passed. A run that another runner
// deleted first is done too.
func (e *Engine) deleteExpired(ctx context.Context, run backend.Run) error {
	switch err := e.b.DeleteRun(ctx, run.ID); {
	case errors.Is(err, backend.ErrRunNotFound):
		return nil // another runner deleted it
	case err != nil:
		return err
	}
	e.stats.deleted.Add(1)
	e.logger.Info("run deleted: its retention has passed", "run_id", run.ID, "workflow", run.Workflow,
		"status", string(run.Status), "delete_at", run.DueAt)
	return nil
}
