package aws_test

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
)

// A commit of 250 events (more than one transaction holds) lands whole, together with its
// inbox deletes, token claim and response.
func TestLargeCommit(t *testing.T) {
	t.Parallel()
	bd := newBundle(t)
	b, ctx := bd.b, t.Context()
	run := createRun(t, b, 1)
	t1 := token(t, run.ID, "h1")
	claim(t, b, run.ID, t1)
	var ids []string
	for range 3 {
		ids = append(ids, putInbox(t, b, hookItem(t1, `{"n":1}`)).ID)
	}

	t2 := token(t, run.ID, "h2")
	resp := backend.Response{DeliveryID: id(t, "dlv"), Data: json.RawMessage(`{"status":200}`), CreatedAt: now()}
	c := next(t, b, run.ID)
	c.Status = backend.StatusWaiting
	c.Events = events(2, 250, "big", 200)
	c.DeleteInbox = ids
	c.ClaimTokens = []backend.Token{t2}
	c.PutResponses = []backend.Response{resp}
	require.NoError(t, b.Commit(ctx, c))

	got := getRun(t, b, run.ID)
	require.Equal(t, int64(251), got.LastSeq)
	require.Equal(t, c.Version+1, got.Version)
	all := listEvents(t, b, run.ID, 0)
	requireSeqs(t, all, 1, 251)
	for i, e := range all[1:] {
		require.Equal(t, c.Events[i].CorrelationID, e.CorrelationID)
		require.JSONEq(t, string(c.Events[i].Data), string(e.Data))
	}
	requireSeqs(t, listEvents(t, b, run.ID, 200), 201, 251)
	inbox, err := b.ListInbox(ctx, run.ID, 0)
	require.NoError(t, err)
	require.Empty(t, inbox)
	tokens, err := b.ListTokens(ctx, run.ID)
	require.NoError(t, err)
	require.Len(t, tokens, 2)
	_, err = b.GetResponse(ctx, resp.DeliveryID)
	require.NoError(t, err)
	require.NotContains(t, bd.rawRun(t, run.ID), "lease", "the lease is gone after the commit")
}

// A large commit that fails in its final transaction changes nothing visible and removes the
// events it pre-wrote; the run then takes a large commit as usual.
func TestLargeCommitFailure(t *testing.T) {
	t.Parallel()
	bd := newBundle(t)
	b, ctx := bd.b, t.Context()
	holder := createRun(t, b, 0)
	held := token(t, holder.ID, "h")
	claim(t, b, holder.ID, held)

	run := createRun(t, b, 2)
	mine := token(t, run.ID, "mine")
	claim(t, b, run.ID, mine)
	putInbox(t, b, hookItem(mine, `{"n":1}`))
	before := snapshot(t, b, run.ID)

	grab := held
	grab.RunID = run.ID
	c := next(t, b, run.ID)
	c.Events = events(3, 250, "lost", 100)
	c.ClaimTokens = []backend.Token{grab}
	c.ReleaseTokens = []string{mine.Token}
	c.DeleteInbox = []string{before.inbox[0].ID}
	err := b.Commit(ctx, c)
	var conflict *backend.TokenConflictError
	require.ErrorAs(t, err, &conflict)
	require.Equal(t, held.Token, conflict.Token)
	require.Equal(t, holder.ID, conflict.RunID)

	requireUnchanged(t, b, before)
	require.Equal(t, 2, bd.rawCount(t, run.ID, "EVT#"), "pre-written events are deleted")
	require.NotContains(t, bd.rawRun(t, run.ID), "lease")

	c.ClaimTokens = nil
	require.NoError(t, b.Commit(ctx, c))
	requireSeqs(t, listEvents(t, b, run.ID, 0), 1, 252)
}

// Events too big for one 4 MB transaction are split by size, and ListEvents reads more than
// one 1 MB page.
func TestCommitSplitBySize(t *testing.T) {
	t.Parallel()
	b := newBundle(t).b
	run := createRun(t, b, 0)
	c := next(t, b, run.ID)
	c.Events = events(1, 45, "big", 100_000)
	require.NoError(t, b.Commit(t.Context(), c))
	got := listEvents(t, b, run.ID, 0)
	requireSeqs(t, got, 1, 45)
	for i, e := range got {
		require.Equal(t, string(c.Events[i].Data), string(e.Data))
	}
}

// Records over DynamoDB's 400 KB are refused before anything is written.
func TestItemTooLarge(t *testing.T) {
	t.Parallel()
	b := newBundle(t).b
	ctx := t.Context()
	run := createRun(t, b, 1)
	before := snapshot(t, b, run.ID)
	c := next(t, b, run.ID)
	c.Events = append(events(2, 1, "ok", 10), events(3, 1, "huge", 500_000)...)
	err := b.Commit(ctx, c)
	require.ErrorIs(t, err, awsbackend.ErrTooLarge)
	require.ErrorIs(t, err, backend.ErrInvalidCommit)
	requireUnchanged(t, b, before)

	tok := token(t, run.ID, "h")
	claim(t, b, run.ID, tok)
	_, _, err = b.PutInbox(ctx, hookItem(tok, `"`+strings.Repeat("p", 500_000)+`"`), nil)
	require.ErrorIs(t, err, awsbackend.ErrTooLarge)

	var toks []backend.Token
	for range 120 {
		toks = append(toks, token(t, run.ID, "h"))
	}
	c = next(t, b, run.ID)
	c.ClaimTokens = toks
	err = b.Commit(ctx, c)
	require.ErrorIs(t, err, awsbackend.ErrTooLarge, "120 claims do not fit in one transaction")
	require.ErrorIs(t, err, backend.ErrInvalidCommit)
}

// A commit consuming more inbox items than its final transaction holds defers the rest:
// they vanish from ListInbox at once and from the table right after.
func TestCommitDefersInboxDeletes(t *testing.T) {
	t.Parallel()
	bd := newBundle(t)
	b, ctx := bd.b, t.Context()
	run := createRun(t, b, 0)
	tok := token(t, run.ID, "h")
	claim(t, b, run.ID, tok)
	var ids []string
	for range 105 { // 99 deletes fit in the final transaction with the run update
		ids = append(ids, putInbox(t, b, hookItem(tok, `{}`)).ID)
	}
	c := next(t, b, run.ID)
	c.Events = events(1, 105, "hook_received", 50)
	c.DeleteInbox = ids
	require.NoError(t, b.Commit(ctx, c))

	inbox, err := b.ListInbox(ctx, run.ID, 0)
	require.NoError(t, err)
	require.Empty(t, inbox)
	require.Zero(t, bd.rawCount(t, run.ID, "INB#"), "deferred items are deleted after the commit")
	require.NotContains(t, bd.rawRun(t, run.ID), "inboxDone")
	requireSeqs(t, listEvents(t, b, run.ID, 0), 1, 105)
	got, err := b.GetToken(ctx, tok.Token)
	require.NoError(t, err)
	require.EqualValues(t, 105, got.Deliveries)
}

// Two large commits race at one version: one wins, the other gets ErrVersionConflict, and the
// history is the winner's alone, whichever pre-wrote last.
func TestLargeCommitsRace(t *testing.T) {
	t.Parallel()
	for round := range 3 {
		bd := newBundle(t)
		run := createRun(t, bd.b, 1)
		c := next(t, bd.b, run.ID)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		types := []string{"a", "b"}
		for i := range 2 {
			b := bd.backend(t) // its own client: the two commits interleave call by call
			ci := c
			ci.Events = events(2, 150, types[i], 50)
			wg.Go(func() { errs[i] = b.Commit(t.Context(), ci) })
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			if err == nil {
				require.Equal(t, -1, winner, "round %d: both commits landed", round)
				winner = i
				continue
			}
			require.ErrorIs(t, err, backend.ErrVersionConflict, "round %d", round)
		}
		require.NotEqual(t, -1, winner, "round %d: no commit landed: %v", round, errors.Join(errs...))
		all := listEvents(t, bd.b, run.ID, 1)
		requireSeqs(t, all, 2, 151)
		for _, e := range all {
			require.Equal(t, types[winner], e.Type, "round %d: event %d is not the winner's", round, e.Seq)
		}
	}
}

// A commit that lands between a large commit's pre-writes makes the large commit fail with
// ErrVersionConflict; its leftovers stay invisible and the next commit overwrites them.
func TestLargeCommitLosesLease(t *testing.T) {
	t.Parallel()
	bd := newBundle(t)
	ctx := t.Context()
	run := createRun(t, bd.b, 1)
	c := next(t, bd.b, run.ID)
	small := c
	small.Events = events(2, 1, "small", 10)
	racer := bd.racer(t, func(n int) {
		if n == 2 { // after the first pre-write
			require.NoError(t, bd.b.Commit(ctx, small))
		}
	})
	large := c
	large.Events = events(2, 250, "large", 50)
	require.ErrorIs(t, racer.Commit(ctx, large), backend.ErrVersionConflict)

	all := listEvents(t, bd.b, run.ID, 0)
	requireSeqs(t, all, 1, 2)
	require.Equal(t, "small", all[1].Type)
	require.Greater(t, bd.rawCount(t, run.ID, "EVT#"), 2, "the loser could not clean up: its lease was gone")

	c = next(t, bd.b, run.ID)
	c.Events = events(3, 5, "after", 10)
	require.NoError(t, bd.b.Commit(ctx, c))
	all = listEvents(t, bd.b, run.ID, 0)
	requireSeqs(t, all, 1, 7)
	for _, e := range all[2:] {
		require.Equal(t, "after", e.Type)
	}
}
