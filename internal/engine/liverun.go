package engine

import (
	"context"
	"slices"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
)

// LiveRuns returns the IDs of the runs that have not ended, sorted: the runs that hold a live
// token (waiting on a hook or webhook), those that ListDue reports (a timer, a retry, a first
// turn, an inbox item), and every run that ListRuns lists in a status that is not terminal
// (which finds a stuck run holding no token).
func LiveRuns(ctx context.Context, b backend.Store, now time.Time) ([]string, error) {
	seen := map[string]bool{}
	toks, err := b.ListTokens(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, t := range toks {
		seen[t.RunID] = true
	}
	// Far enough ahead for any timer a run can set.
	far := now.AddDate(200, 0, 0)
	due, err := b.ListDue(ctx, backend.DueQuery{DueBefore: far, InboxBefore: far})
	if err != nil {
		return nil, err
	}
	for _, id := range due {
		seen[id] = true
	}
	// And every run that has not ended, from the runs listing: this finds a run that waits on
	// nothing the two above see (stuck, holding no token). The listing may lag a moment behind
	// writes on DynamoDB; the two above do not.
	for _, st := range []backend.RunStatus{backend.StatusPending, backend.StatusRunning, backend.StatusWaiting, backend.StatusStuck} {
		q := backend.RunQuery{Status: st, Limit: backend.MaxRunPage}
		for {
			page, err := b.ListRuns(ctx, q)
			if err != nil {
				return nil, err
			}
			for _, r := range page.Runs {
				seen[r.ID] = true
			}
			if page.Next == "" {
				break
			}
			q.Cursor = page.Next
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}
