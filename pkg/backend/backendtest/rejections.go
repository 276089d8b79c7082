package backendtest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// rejectionTests cover RejectDelivery: the count of refused deliveries on a token record.
func rejectionTests() []subtest {
	return []subtest{
		{"Counts", testRejectCounts},
		{"NothingElse", testRejectWritesNothingElse},
		{"UnknownToken", testRejectUnknownToken},
		{"ReleasedToken", testRejectReleasedToken},
		{"Concurrent", testRejectConcurrent},
	}
}

// Each rejection adds one to Rejections and moves RejectedAt; deliveries are counted apart.
func testRejectCounts(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	_, tok := setupHook(t, b)
	first, second := now().Add(time.Second), now().Add(2*time.Second)

	require.NoError(t, b.RejectDelivery(ctx, tok.Token, tok.RunID, tok.HookID, first))
	got := getToken(t, b, tok.Token)
	require.Equal(t, int64(1), got.Rejections)
	requireTime(t, first, got.RejectedAt, "RejectedAt after one rejection")

	putInbox(t, b, hookItem(tok, now(), `{"n":1}`))
	require.NoError(t, b.RejectDelivery(ctx, tok.Token, tok.RunID, tok.HookID, second))

	want := tok
	want.Deliveries, want.Rejections, want.RejectedAt = 1, 2, second
	requireToken(t, want, getToken(t, b, tok.Token), "GetToken after two rejections and a delivery")
	listed := listTokens(t, b, tok.RunID)
	require.Len(t, listed, 1)
	requireToken(t, want, listed[0], "ListTokens after two rejections and a delivery")
}

// A rejection changes the token record only: no run version, event, inbox item or wake.
func testRejectWritesNothingElse(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	run, tok := setupHook(t, b)
	before := takeSnapshot(t, b, probe{runs: []string{run.ID}})

	require.NoError(t, b.RejectDelivery(ctx, tok.Token, tok.RunID, tok.HookID, now()))

	after := takeSnapshot(t, b, probe{runs: []string{run.ID}})
	requireRun(t, before.runs[run.ID].run, after.runs[run.ID].run, "the run")
	requireEvents(t, before.runs[run.ID].events, after.runs[run.ID].events, "the history")
	require.Empty(t, after.runs[run.ID].inbox, "the inbox")
	msgs, err := b.Receive(ctx, 10, 0)
	require.NoError(t, err)
	for _, m := range msgs {
		require.NotEqual(t, run.ID, m.RunID, "a rejection must not wake the run")
	}
}

// A token that does not exist, or exists for another run or hook, is ErrTokenNotFound, and
// no record appears or changes.
func testRejectUnknownToken(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	_, tok := setupHook(t, b)
	ghost := uid(t, "tok")
	before := takeSnapshot(t, b, probe{tokens: []string{tok.Token, ghost}})

	cases := []struct{ name, token, runID, hookID string }{
		{"unknown token", ghost, tok.RunID, tok.HookID},
		{"other run", tok.Token, uid(t, "run"), tok.HookID},
		{"other hook", tok.Token, tok.RunID, "hook-other"},
		{"empty token", "", tok.RunID, tok.HookID},
		{"empty run", tok.Token, "", tok.HookID},
	}
	for _, c := range cases {
		err := b.RejectDelivery(ctx, c.token, c.runID, c.hookID, now())
		require.ErrorIsf(t, err, backend.ErrTokenNotFound, "%s", c.name)
	}
	requireUnchanged(t, b, before, "after rejections of unknown tokens")
}

// Once released, a token takes no rejection and is not brought back by one.
func testRejectReleasedToken(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	run, tok := setupHook(t, b)
	release(t, b, run.ID, tok.Token)

	err := b.RejectDelivery(ctx, tok.Token, tok.RunID, tok.HookID, now())
	require.ErrorIs(t, err, backend.ErrTokenNotFound)
	_, err = b.GetToken(ctx, tok.Token)
	require.ErrorIs(t, err, backend.ErrTokenNotFound, "a rejection must not recreate a released token")
}

// Concurrent rejections are each counted once.
func testRejectConcurrent(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	_, tok := setupHook(t, b)
	errs := make([]error, workers)
	parallel(workers, func(i int) {
		if err := b.RejectDelivery(ctx, tok.Token, tok.RunID, tok.HookID, now()); err != nil {
			errs[i] = fmt.Errorf("worker %d: %w", i, err)
		}
	})
	require.NoError(t, errors.Join(errs...))
	require.Equal(t, int64(workers), getToken(t, b, tok.Token).Rejections)
}
