package backendtest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// stuckTests cover StatusStuck in ListDue: a stuck run keeps its due time and its inbox but is
// never listed, until a commit moves it out of that status.
func stuckTests() []subtest {
	return []subtest{
		{"NotDue", testStuckNotDue},
		{"Unstuck", testStuckUnstuck},
		{"LimitNotFilled", testStuckLimitNotFilled},
	}
}

// A stuck run is not due, whether it became stuck by CreateRun or by a commit, with a passed
// DueAt and old inbox items, also items that arrive while it is stuck; it keeps them all.
func testStuckNotDue(t *testing.T, b backend.Backend) {
	base := now()
	created := newRun(t, base)
	created.Status = backend.StatusStuck
	created.DueAt = base.Add(-time.Hour)
	createRun(t, b, created, nil)
	putInbox(t, b, cancelItem(created.ID, base.Add(-time.Hour)))

	byCommit, tok := setupHook(t, b)
	putInbox(t, b, hookItem(tok, base.Add(-time.Hour), `{"n":1}`))
	c, _ := nextCommit(t, b, byCommit.ID)
	c.Status = backend.StatusStuck
	c.DueAt = base.Add(-time.Minute)
	c.Failures, c.LastError = 5, "workflow not registered"
	mustCommit(t, b, c)
	putInbox(t, b, hookItem(tok, base.Add(-30*time.Minute), `{"n":2}`))
	putInbox(t, b, cancelItem(byCommit.ID, base.Add(-time.Minute)))

	control := createDueRun(t, b, base.Add(-time.Minute))
	mine := set(created.ID, byCommit.ID, control.ID)
	require.Equal(t, []string{control.ID}, listDue(t, b, base.Add(time.Hour), 0, mine), "stuck runs are not due")
	require.Len(t, listInbox(t, b, byCommit.ID), 3, "a stuck run keeps its inbox")
	require.Len(t, listInbox(t, b, created.ID), 1, "a stuck run keeps its inbox")
}

// A commit that moves a stuck run back to running with a due time makes it due again; a stuck
// run is not due however it got there, and a waiting one is due by its inbox alone.
func testStuckUnstuck(t *testing.T, b backend.Backend) {
	base := now()
	run, tok := setupHook(t, b)
	putInbox(t, b, hookItem(tok, base.Add(-time.Hour), `{"n":1}`))
	mine := set(run.ID)

	c, _ := nextCommit(t, b, run.ID)
	c.Status, c.DueAt, c.Failures, c.LastError = backend.StatusStuck, time.Time{}, 3, "boom"
	mustCommit(t, b, c)
	require.Empty(t, listDue(t, b, base, 0, mine), "stuck")

	c, _ = nextCommit(t, b, run.ID)
	c.Status, c.DueAt, c.Failures, c.LastError = backend.StatusRunning, base.Add(-time.Second), 0, ""
	mustCommit(t, b, c)
	require.Equal(t, []string{run.ID}, listDue(t, b, base, 0, mine), "back to running with a due time")

	c, _ = nextCommit(t, b, run.ID)
	c.Status, c.DueAt = backend.StatusWaiting, time.Time{}
	mustCommit(t, b, c)
	require.Equal(t, []string{run.ID}, listDue(t, b, base, 0, mine), "waiting, due by its inbox item")

	c, _ = nextCommit(t, b, run.ID)
	c.Status, c.DueAt = backend.StatusStuck, base.Add(-time.Second)
	mustCommit(t, b, c)
	require.Empty(t, listDue(t, b, base, 0, mine), "stuck again, with a due time")
}

// Stuck runs do not take the places of due runs: with many stuck runs whose inbox items are
// older than the due run's time, ListDue with a limit still returns a due run, and none stuck.
func testStuckLimitNotFilled(t *testing.T, b backend.Backend) {
	// Enough stuck runs that a driver that splits its index (the AWS driver has 8 shards)
	// almost surely has one beside the due run.
	const stuck = 32
	base := now()
	mine := map[string]bool{}
	for range stuck {
		run := newRun(t, base)
		run.Status = backend.StatusStuck
		_, err := b.CreateRun(t.Context(), run, nil)
		require.NoError(t, err, "CreateRun")
		putInbox(t, b, cancelItem(run.ID, base.Add(-time.Hour)))
		mine[run.ID] = true
	}
	due := createDueRun(t, b, base.Add(-time.Minute))
	for _, limit := range []int{1, 2} {
		ids, err := b.ListDue(t.Context(), backend.DueQuery{DueBefore: base, InboxBefore: base, Limit: limit})
		require.NoError(t, err)
		requireNoDuplicates(t, ids, "ListDue")
		require.LessOrEqual(t, len(ids), limit, "ListDue(limit %d)", limit)
		require.NotEmpty(t, ids, "ListDue(limit %d): stuck runs hid the due one", limit)
		require.Empty(t, own(ids, mine), "ListDue(limit %d) listed stuck runs", limit)
	}
	mine[due.ID] = true
	require.Equal(t, []string{due.ID}, listDue(t, b, base, 0, mine), "no limit")
}
