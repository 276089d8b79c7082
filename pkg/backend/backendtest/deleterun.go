package backendtest

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// deleteRunTests cover DeleteRun, which retention and deletion on request rest on: an ended
// run goes with everything stored under it, a live run is never touched, and nothing of
// another run goes with it.
func deleteRunTests() []subtest {
	return []subtest{
		{"EndedRunGoes", testDeleteEndedRun},
		{"LiveRunStays", testDeleteLiveRun},
		{"Unknown", testDeleteUnknownRun},
		{"OthersStay", testDeleteLeavesOthers},
	}
}

// endRun commits status (terminal) to the run with dueAt as its DueAt.
func endRun(t *testing.T, b backend.Backend, runID string, status backend.RunStatus, dueAt time.Time) {
	t.Helper()
	c, _ := nextCommit(t, b, runID)
	c.Status, c.DueAt = status, dueAt
	c.Output = []byte(`{"done":true}`)
	mustCommit(t, b, c)
}

// An ended run with a long history, inbox leftovers and a token record still naming it is
// gone after DeleteRun: every read reports it missing, it is neither due nor listed, and a
// second DeleteRun finds nothing.
func testDeleteEndedRun(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	base := now()
	run, tok := setupHook(t, b)
	for range 3 {
		appendEvents(t, b, run.ID, 40)
	}
	putInbox(t, b, hookItem(tok, base, `{"n":1}`))
	putInbox(t, b, hookItem(tok, base, `{"n":2}`))
	endRun(t, b, run.ID, backend.StatusCompleted, base.Add(-time.Minute))
	require.Equal(t, []string{run.ID}, listDue(t, b, base, 0, set(run.ID)), "an ended run with a past DueAt is due")

	require.NoError(t, b.DeleteRun(ctx, run.ID), "DeleteRun")

	_, err := b.GetRun(ctx, run.ID)
	require.ErrorIs(t, err, backend.ErrRunNotFound, "GetRun after DeleteRun")
	_, err = b.ListEvents(ctx, run.ID, 0)
	require.ErrorIs(t, err, backend.ErrRunNotFound, "ListEvents after DeleteRun")
	require.Empty(t, listInbox(t, b, run.ID), "the inbox after DeleteRun")
	require.Empty(t, listTokens(t, b, run.ID), "the run's tokens after DeleteRun")
	_, err = b.GetToken(ctx, tok.Token)
	require.ErrorIs(t, err, backend.ErrTokenNotFound, "the token record after DeleteRun")
	require.Empty(t, listDue(t, b, base.Add(time.Hour), 0, set(run.ID)), "a deleted run is not due")
	page := listRuns(t, b, backend.RunQuery{Limit: backend.MaxRunPage})
	require.NotContains(t, runIDs(page.Runs), run.ID, "a deleted run is not listed")

	require.ErrorIs(t, b.DeleteRun(ctx, run.ID), backend.ErrRunNotFound, "a second DeleteRun")
	_, _, err = b.PutInbox(ctx, hookItem(tok, base, `{"n":3}`), nil)
	require.ErrorIs(t, err, backend.ErrTokenNotFound, "a delivery to the deleted run's token")
}

// A run that has not ended is refused, whatever its age, and keeps everything; so is a stuck
// run, which is parked, not ended.
func testDeleteLiveRun(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	old := now().Add(-365 * 24 * time.Hour)
	waiting, tok := setupHook(t, b)
	appendEvents(t, b, waiting.ID, 5)
	putInbox(t, b, hookItem(tok, old, `{"n":1}`))
	stuck := setupRun(t, b)
	c, _ := nextCommit(t, b, stuck.ID)
	c.Status, c.Failures, c.LastError = backend.StatusStuck, 5, "boom"
	mustCommit(t, b, c)
	pending := createDueRun(t, b, old)

	ids := []string{waiting.ID, stuck.ID, pending.ID}
	before := takeSnapshot(t, b, probe{runs: ids, tokens: []string{tok.Token}})
	for _, id := range ids {
		require.ErrorIs(t, b.DeleteRun(ctx, id), backend.ErrRunNotEnded, "DeleteRun of a live run")
	}
	requireUnchanged(t, b, before, "a refused DeleteRun")
}

func testDeleteUnknownRun(t *testing.T, b backend.Backend) {
	require.ErrorIs(t, b.DeleteRun(t.Context(), uid(t, "run")), backend.ErrRunNotFound)
}

// Deleting one run leaves every other run, ended or not, its tokens, and the responses and
// idempotency records (which are keyed by delivery, not by run) as they were.
func testDeleteLeavesOthers(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	base := now()
	gone, goneTok := setupHook(t, b)
	appendEvents(t, b, gone.ID, 3)
	key := mkIdem(t, `{"runId":"x"}`)
	item := hookItem(goneTok, base, `{"n":1}`)
	_, _, err := b.PutInbox(ctx, item, key)
	require.NoError(t, err)
	resp := mkResponse(t, `{"status":200}`)
	c, _ := nextCommit(t, b, gone.ID)
	c.PutResponses = []backend.Response{resp}
	mustCommit(t, b, c)
	release(t, b, gone.ID, goneTok.Token)
	endRun(t, b, gone.ID, backend.StatusFailed, time.Time{})

	ended := setupRun(t, b)
	appendEvents(t, b, ended.ID, 2)
	endRun(t, b, ended.ID, backend.StatusCancelled, base.Add(-time.Minute))
	live, liveTok := setupHook(t, b)
	appendEvents(t, b, live.ID, 2)
	putInbox(t, b, hookItem(liveTok, base, `{"n":2}`))

	before := takeSnapshot(t, b, probe{
		runs: []string{ended.ID, live.ID}, tokens: []string{liveTok.Token},
		deliveries: []string{resp.DeliveryID}, keys: []string{key.Key},
	})
	require.NoError(t, b.DeleteRun(ctx, gone.ID))
	requireUnchanged(t, b, before, "the others after DeleteRun")
	_, err = b.GetRun(ctx, gone.ID)
	require.ErrorIs(t, err, backend.ErrRunNotFound)
	due := listDue(t, b, base, 0, set(gone.ID, ended.ID, live.ID))
	require.True(t, slices.Contains(due, ended.ID), "the other ended run is still due: %v", due)
}
