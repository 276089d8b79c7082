package memory

import (
	"context"
	"fmt"
	"slices"

	"github.com/hookflow/hookflow/pkg/backend"
)

// ListRuns returns one page of the runs q selects, as the contract of
// backend.Store.ListRuns says. It reads every run record under the lock (the embedded
// backend holds all of them in memory), so a page costs time in proportion to the number of
// runs, not to the page.
func (b *Backend) ListRuns(ctx context.Context, q backend.RunQuery) (backend.RunPage, error) {
	if err := ctx.Err(); err != nil {
		return backend.RunPage{}, err
	}
	var after *backend.RunCursor
	if q.Cursor != "" {
		c, err := backend.DecodeRunCursor(q.Cursor)
		if err != nil {
			return backend.RunPage{}, fmt.Errorf("memory: list runs: %w", err)
		}
		after = &c
	}
	if err := b.lock(); err != nil {
		return backend.RunPage{}, err
	}
	var runs []backend.Run
	for _, rs := range b.runs {
		if q.Matches(rs.run) && (after == nil || after.Before(rs.run)) {
			runs = append(runs, rs.run)
		}
	}
	b.mu.Unlock()

	slices.SortFunc(runs, backend.CompareRuns)
	page := backend.RunPage{}
	if n := q.PageSize(); len(runs) > n {
		runs = runs[:n]
		page.Next = backend.CursorAfter(runs[n-1]).Encode()
	}
	page.Runs = make([]backend.Run, len(runs))
	for i, r := range runs {
		page.Runs[i] = cloneRun(r)
	}
	return page, nil
}
