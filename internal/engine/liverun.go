package engine

import (
	"context"
	"slices"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
)

// LiveRuns returns the IDs of the runs that are waiting or due, sorted: the runs that hold a
// live token (waiting on a hook or webhook) and those that ListDue reports (a timer, a retry,
// a first turn, an inbox item). A run that waits on nothing the store can see (stuck, and
// holding no token) is not listed.
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
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}
