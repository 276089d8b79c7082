package workflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
)

// RunFilter selects runs for ListRuns. The zero value lists every run, newest first, 100 a
// page.
type RunFilter struct {
	Status   RunStatus // only runs in this status; empty: any
	Workflow string    // only runs of this workflow; empty: any
	// CreatedAfter and CreatedBefore bound the runs' creation times (exclusive, to the
	// millisecond); zero: unbounded.
	CreatedAfter, CreatedBefore time.Time
	// Limit is the page size; 0 means 100, and at most 1000 runs come back.
	Limit int
	// Cursor continues a listing: the Next of the previous page, asked with the same filter.
	Cursor string
}

// RunPage is one page of ListRuns.
type RunPage struct {
	Runs []RunInfo `json:"runs"`
	// Next is the Cursor of the next page; empty when this is the last.
	Next string `json:"next,omitempty"`
}

// statuses are the RunStatus values a filter may name.
var statuses = []RunStatus{StatusPending, StatusRunning, StatusWaiting, StatusCompleted, StatusFailed, StatusCancelled, StatusStuck}

// ListRuns returns a page of runs, newest first (by creation time, then by ID). Listing reads
// a moment behind the writes on DynamoDB (its index is eventually consistent): a run created
// or moved to another status a moment ago may not be listed where it now belongs yet. An
// unknown status, a negative limit or a cursor that ListRuns did not return is an error
// matching ErrInvalidArgument.
func (c *Client) ListRuns(ctx context.Context, f RunFilter) (RunPage, error) {
	e, err := c.engine()
	if err != nil {
		return RunPage{}, err
	}
	if f.Status != "" && !slices.Contains(statuses, f.Status) {
		return RunPage{}, fmt.Errorf("%w: run status %q: want one of %v", ErrInvalidArgument, f.Status, statuses)
	}
	if f.Limit < 0 {
		return RunPage{}, fmt.Errorf("%w: page size %d is negative", ErrInvalidArgument, f.Limit)
	}
	page, err := e.Backend().ListRuns(ctx, backend.RunQuery{
		Status: backend.RunStatus(f.Status), Workflow: f.Workflow,
		CreatedAfter: f.CreatedAfter, CreatedBefore: f.CreatedBefore,
		Limit: f.Limit, Cursor: f.Cursor,
	})
	if errors.Is(err, backend.ErrInvalidCursor) {
		return RunPage{}, fmt.Errorf("%w: %v", ErrInvalidArgument, err)
	}
	if err != nil {
		return RunPage{}, err
	}
	out := RunPage{Runs: make([]RunInfo, len(page.Runs)), Next: page.Next}
	for i, r := range page.Runs {
		out.Runs[i] = runInfo(r)
	}
	return out, nil
}
