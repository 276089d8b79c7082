package backendtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// concurrencyTests check that the conditional writes hold under contention.
func concurrencyTests() []subtest {
	return []subtest{
		{"Commits", testConcurrentCommits},
		{"Idempotency", testConcurrentIdempotency},
		{"TokenClaims", testConcurrentTokenClaims},
		{"InboxIDs", testConcurrentInboxIDs},
	}
}

const workers = 8

// parallel runs fn(0..n-1) in goroutines released together, and waits for them.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

// Workers commit one event at a time on the version they read, reloading on a conflict. Every
// commit lands exactly once and the history stays contiguous.
func testConcurrentCommits(t *testing.T, b backend.Backend) {
	const perWorker = 3
	ctx := t.Context()
	run := setupRun(t, b)
	errs := make([]error, workers)

	parallel(workers, func(w int) {
		for n, attempts := 0, 0; n < perWorker; attempts++ {
			if attempts > 1000 {
				errs[w] = fmt.Errorf("worker %d: no commit after %d attempts", w, attempts)
				return
			}
			cur, err := b.GetRun(ctx, run.ID)
			if err != nil {
				errs[w] = fmt.Errorf("worker %d: GetRun: %w", w, err)
				return
			}
			runtime.Gosched() // let other workers read the same version
			at := now()
			err = b.Commit(ctx, backend.Commit{
				RunID:   run.ID,
				Version: cur.Version,
				Status:  backend.StatusRunning,
				Now:     at,
				Events: []backend.Event{{
					Seq:           cur.LastSeq + 1,
					Type:          "work",
					CorrelationID: fmt.Sprintf("w%d-%d", w, n),
					Data:          json.RawMessage(fmt.Sprintf(`{"worker":%d,"n":%d}`, w, n)),
					CreatedAt:     at,
				}},
			})
			switch {
			case err == nil:
				n++
			case errors.Is(err, backend.ErrVersionConflict):
				// Another worker committed first: reload and try again.
			default:
				errs[w] = fmt.Errorf("worker %d: Commit at version %d: %w", w, cur.Version, err)
				return
			}
		}
	})
	for _, err := range errs {
		require.NoError(t, err)
	}

	total := workers * perWorker
	got := getRun(t, b, run.ID)
	require.Equal(t, int64(1+total), got.Version, "one version per successful commit")
	require.Equal(t, int64(total), got.LastSeq)
	events := listEvents(t, b, run.ID, 0)
	require.Len(t, events, total)
	var want, correlations []string
	for i, e := range events {
		require.Equal(t, int64(i+1), e.Seq, "Seqs must be contiguous")
		correlations = append(correlations, e.CorrelationID)
	}
	for w := range workers {
		for n := range perWorker {
			want = append(want, fmt.Sprintf("w%d-%d", w, n))
		}
	}
	slices.Sort(correlations)
	slices.Sort(want)
	require.Equal(t, want, correlations, "every commit exactly once")
}

// Many PutInbox calls with one idempotency key: exactly one stores its item and record; the
// others get ErrDuplicate and the winner's record.
func testConcurrentIdempotency(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	run, tok := setupHook(t, b)
	key := uid(t, "idem")
	at := now()
	type result struct {
		item     backend.InboxItem
		existing *backend.Idempotency
		err      error
	}
	results := make([]result, workers)
	parallel(workers, func(w int) {
		idem := &backend.Idempotency{
			Key:       key,
			Data:      json.RawMessage(fmt.Sprintf(`{"worker":%d}`, w)),
			CreatedAt: at,
			ExpiresAt: at.Add(time.Hour).Truncate(time.Second),
		}
		item := hookItem(tok, at, fmt.Sprintf(`{"worker":%d}`, w))
		stored, existing, err := b.PutInbox(ctx, item, idem)
		results[w] = result{stored, existing, err}
	})

	winner := -1
	for w, r := range results {
		if r.err == nil {
			require.Equal(t, -1, winner, "workers %d and %d both stored an item under one key", winner, w)
			winner = w
			continue
		}
		require.ErrorIs(t, r.err, backend.ErrDuplicate, "worker %d", w)
	}
	require.NotEqual(t, -1, winner, "no worker stored its item")
	winnerData := json.RawMessage(fmt.Sprintf(`{"worker":%d}`, winner))
	for w, r := range results {
		if w == winner {
			continue
		}
		require.NotNil(t, r.existing, "worker %d: no existing record returned with ErrDuplicate", w)
		requireJSON(t, winnerData, r.existing.Data, fmt.Sprintf("worker %d: existing record", w))
	}

	items := listInbox(t, b, run.ID)
	require.Len(t, items, 1, "exactly one item stored")
	requireItem(t, results[winner].item, items[0], "stored item")
	requireJSON(t, winnerData, items[0].Payload, "stored item's payload")
	requireJSON(t, winnerData, getIdem(t, b, key).Data, "stored idempotency record")
}

// Runs racing to claim one token: exactly one wins; the others fail with a conflict naming the
// winner and their commits are not applied.
func testConcurrentTokenClaims(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	runs := make([]backend.Run, workers)
	for i := range runs {
		runs[i] = setupRun(t, b)
	}
	token := uid(t, "tok")
	commits := make([]backend.Commit, workers)
	for w := range commits {
		tk := mkToken(t, runs[w].ID, "h", now())
		tk.Token = token
		commits[w] = backend.Commit{
			RunID:       runs[w].ID,
			Version:     1,
			Status:      backend.StatusWaiting,
			Now:         now(),
			Events:      mkEvents(1, 1, now()),
			ClaimTokens: []backend.Token{tk},
		}
	}
	errs := make([]error, workers)
	parallel(workers, func(w int) {
		errs[w] = b.Commit(ctx, commits[w])
	})

	winner := -1
	for w, err := range errs {
		if err == nil {
			require.Equal(t, -1, winner, "runs %d and %d both claimed the token", winner, w)
			winner = w
		}
	}
	require.NotEqual(t, -1, winner, "no run claimed the token")
	for w, err := range errs {
		got := getRun(t, b, runs[w].ID)
		if w == winner {
			require.Equal(t, int64(2), got.Version)
			require.Len(t, listEvents(t, b, runs[w].ID, 0), 1)
			continue
		}
		requireTokenConflict(t, err, token, runs[winner].ID)
		require.Equal(t, int64(1), got.Version, "a run that lost the claim was committed")
		require.Empty(t, listEvents(t, b, runs[w].ID, 0), "a run that lost the claim has events")
	}
	got, err := b.GetToken(ctx, token)
	require.NoError(t, err)
	require.Equal(t, runs[winner].ID, got.RunID, "the token record names the winner")
}

// Concurrent PutInbox calls on one run get distinct IDs, each caller's growing, and ListInbox
// returns them all sorted.
func testConcurrentInboxIDs(t *testing.T, b backend.Backend) {
	const perWorker = 3
	ctx := t.Context()
	run, tok := setupHook(t, b)
	ids := make([][]string, workers)
	errs := make([]error, workers)
	parallel(workers, func(w int) {
		for n := range perWorker {
			item := hookItem(tok, now(), fmt.Sprintf(`{"worker":%d,"n":%d}`, w, n))
			stored, _, err := b.PutInbox(ctx, item, nil)
			if err != nil {
				errs[w] = fmt.Errorf("worker %d: PutInbox: %w", w, err)
				return
			}
			ids[w] = append(ids[w], stored.ID)
		}
	})
	for _, err := range errs {
		require.NoError(t, err)
	}
	var all []string
	for w, mine := range ids {
		require.True(t, slices.IsSorted(mine) && !hasAdjacentDup(mine), "worker %d got IDs that do not grow: %v", w, mine)
		all = append(all, mine...)
	}
	slices.Sort(all)
	require.False(t, hasAdjacentDup(all), "PutInbox assigned one ID twice: %v", all)

	items := listInbox(t, b, run.ID)
	require.Equal(t, all, itemIDs(items), "ListInbox returns every item sorted by ID")
}

func hasAdjacentDup(sorted []string) bool {
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			return true
		}
	}
	return false
}
