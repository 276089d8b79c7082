package backendtest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// dueTests cover ListDue. A driver may share one table between subtests, so results are
// filtered to the subtest's own runs before they are compared; duplicates and limits are
// checked on the raw result.
func dueTests() []subtest {
	return []subtest{
		{"DueAt", testDueDueAt},
		{"Inbox", testDueInbox},
		{"NoDuplicates", testDueNoDuplicates},
		{"Limit", testDueLimit},
		{"ClearedByCommit", testDueClearedByCommit},
		{"SeparateCutoffs", testDueSeparateCutoffs},
	}
}

// listDue calls ListDue, checks the raw answer for duplicates and limit, and returns the IDs
// among mine.
func listDue(t *testing.T, b backend.Backend, before time.Time, limit int, mine map[string]bool) []string {
	t.Helper()
	ids, err := b.ListDue(t.Context(), backend.DueQuery{DueBefore: before, InboxBefore: before, Limit: limit})
	require.NoError(t, err, "ListDue")
	requireNoDuplicates(t, ids, "ListDue")
	if limit > 0 {
		require.LessOrEqual(t, len(ids), limit, "ListDue(limit %d) returned %d IDs", limit, len(ids))
	}
	return own(ids, mine)
}

// createDueRun creates a run with the given DueAt (zero: not due by time).
func createDueRun(t *testing.T, b backend.Backend, dueAt time.Time) backend.Run {
	t.Helper()
	run := newRun(t, now())
	run.Status = backend.StatusWaiting
	run.DueAt = dueAt
	return createRun(t, b, run, nil)
}

// Runs whose DueAt is set and not after before are due, whether DueAt came from CreateRun or
// from Commit.
func testDueDueAt(t *testing.T, b backend.Backend) {
	base := now()
	past := createDueRun(t, b, base.Add(-time.Minute))
	exact := createDueRun(t, b, base)
	future := createDueRun(t, b, base.Add(time.Minute))
	never := createDueRun(t, b, time.Time{})

	byCommit := createDueRun(t, b, time.Time{})
	c, _ := nextCommit(t, b, byCommit.ID)
	c.DueAt = base.Add(-time.Second)
	mustCommit(t, b, c)

	postponed := createDueRun(t, b, base.Add(-time.Hour))
	c, _ = nextCommit(t, b, postponed.ID)
	c.DueAt = base.Add(time.Hour)
	mustCommit(t, b, c)

	mine := set(past.ID, exact.ID, future.ID, never.ID, byCommit.ID, postponed.ID)
	require.ElementsMatch(t, []string{past.ID, exact.ID, byCommit.ID}, listDue(t, b, base, 0, mine), "due at base")
	require.ElementsMatch(t, []string{past.ID, byCommit.ID}, listDue(t, b, base.Add(-time.Millisecond), 0, mine), "due a millisecond before base")
	require.ElementsMatch(t, []string{past.ID}, listDue(t, b, base.Add(-time.Second-time.Millisecond), 0, mine), "due a second and a millisecond before base")
	require.ElementsMatch(t, []string{past.ID, exact.ID, future.ID, byCommit.ID}, listDue(t, b, base.Add(2*time.Minute), 0, mine), "due two minutes after base")
	require.ElementsMatch(t, []string{past.ID, exact.ID, future.ID, byCommit.ID, postponed.ID}, listDue(t, b, base.Add(2*time.Hour), 0, mine), "due two hours after base")
}

// Runs with an inbox item created not after before are due, whatever their DueAt.
func testDueInbox(t *testing.T, b backend.Backend) {
	base := now()
	hooked, tok := setupHook(t, b)
	putInbox(t, b, hookItem(tok, base.Add(-time.Second), `{"n":1}`))
	cancelled := createDueRun(t, b, time.Time{})
	putInbox(t, b, cancelItem(cancelled.ID, base))
	later := createDueRun(t, b, time.Time{})
	putInbox(t, b, cancelItem(later.ID, base.Add(time.Minute)))
	empty := createDueRun(t, b, time.Time{})
	dueLater := createDueRun(t, b, base.Add(time.Hour))
	putInbox(t, b, cancelItem(dueLater.ID, base.Add(-time.Minute)))

	mine := set(hooked.ID, cancelled.ID, later.ID, empty.ID, dueLater.ID)
	require.ElementsMatch(t, []string{hooked.ID, cancelled.ID, dueLater.ID}, listDue(t, b, base, 0, mine), "due at base")
	require.ElementsMatch(t, []string{hooked.ID, cancelled.ID, later.ID, dueLater.ID}, listDue(t, b, base.Add(2*time.Minute), 0, mine), "due two minutes after base")
	require.ElementsMatch(t, []string{dueLater.ID}, listDue(t, b, base.Add(-2*time.Second), 0, mine), "due two seconds before base")
}

// A run that is due for several reasons appears once.
func testDueNoDuplicates(t *testing.T, b backend.Backend) {
	base := now()
	run := createDueRun(t, b, base.Add(-time.Minute))
	tok := mkToken(t, run.ID, "h", base)
	claim(t, b, run.ID, tok)
	for i := range 3 {
		putInbox(t, b, hookItem(tok, base.Add(-time.Duration(i)*time.Second), `{"n":1}`))
	}
	putInbox(t, b, cancelItem(run.ID, base.Add(-time.Second)))
	// listDue fails on any duplicate; this checks the run is there at all.
	require.Equal(t, []string{run.ID}, listDue(t, b, base, 0, set(run.ID)))
	require.Equal(t, []string{run.ID}, listDue(t, b, base, 100, set(run.ID)))
}

// At most limit IDs are returned; limit <= 0 means no limit.
func testDueLimit(t *testing.T, b backend.Backend) {
	base := now()
	mine := map[string]bool{}
	var all []string
	for i := range 5 {
		run := createDueRun(t, b, base.Add(-time.Duration(i+1)*time.Minute))
		mine[run.ID] = true
		all = append(all, run.ID)
	}
	for _, limit := range []int{1, 2, 4} {
		ids, err := b.ListDue(t.Context(), backend.DueQuery{DueBefore: base, InboxBefore: base, Limit: limit})
		require.NoError(t, err)
		requireNoDuplicates(t, ids, "ListDue")
		require.LessOrEqual(t, len(ids), limit, "ListDue(limit %d)", limit)
		require.NotEmpty(t, ids, "ListDue(limit %d) with due runs returned none", limit)
	}
	require.ElementsMatch(t, all, listDue(t, b, base, 0, mine), "limit 0")
	require.ElementsMatch(t, all, listDue(t, b, base, -1, mine), "limit -1")
}

// A commit that clears DueAt and deletes the inbox takes the run off the due list.
func testDueClearedByCommit(t *testing.T, b backend.Backend) {
	base := now()
	run := createDueRun(t, b, base.Add(-time.Minute))
	tok := mkToken(t, run.ID, "h", base)
	claim(t, b, run.ID, tok)
	item := putInbox(t, b, hookItem(tok, base.Add(-time.Second), `{"n":1}`))
	mine := set(run.ID)
	require.Equal(t, []string{run.ID}, listDue(t, b, base, 0, mine), "due by DueAt and inbox")

	c, _ := nextCommit(t, b, run.ID)
	c.DueAt = time.Time{}
	mustCommit(t, b, c)
	require.Equal(t, []string{run.ID}, listDue(t, b, base, 0, mine), "still due by its inbox item")

	c, _ = nextCommit(t, b, run.ID)
	c.DeleteInbox = []string{item.ID}
	mustCommit(t, b, c)
	require.Empty(t, listDue(t, b, base, 0, mine), "no DueAt and an empty inbox")
	require.Empty(t, listDue(t, b, base.Add(24*time.Hour), 0, mine), "no DueAt and an empty inbox, a day later")

	// And DueAt alone: set, then cleared.
	c, _ = nextCommit(t, b, run.ID)
	c.DueAt = base.Add(-time.Second)
	mustCommit(t, b, c)
	require.Equal(t, []string{run.ID}, listDue(t, b, base, 0, mine), "due again by DueAt")
	c, _ = nextCommit(t, b, run.ID)
	c.DueAt = time.Time{}
	c.Status = backend.StatusCompleted
	mustCommit(t, b, c)
	require.Empty(t, listDue(t, b, base.Add(24*time.Hour), 0, mine), "DueAt cleared")
}

// DueBefore applies to due times and InboxBefore to inbox items, each alone: a run with a
// passed timer is listed by DueBefore only, a run with an old inbox item by InboxBefore only.
func testDueSeparateCutoffs(t *testing.T, b backend.Backend) {
	base := now()
	timer := createDueRun(t, b, base.Add(-time.Minute))
	inbox := createDueRun(t, b, time.Time{})
	putInbox(t, b, cancelItem(inbox.ID, base.Add(-time.Minute)))
	mine := set(timer.ID, inbox.ID)

	for _, tc := range []struct {
		name                   string
		dueBefore, inboxBefore time.Time
		want                   []string
	}{
		{"both cut-offs after both", base, base, []string{timer.ID, inbox.ID}},
		{"timers only", base, base.Add(-2 * time.Minute), []string{timer.ID}},
		{"inbox items only", base.Add(-2 * time.Minute), base, []string{inbox.ID}},
		{"neither", base.Add(-2 * time.Minute), base.Add(-2 * time.Minute), nil},
		{"inbox cut-off far later", base.Add(-2 * time.Minute), base.Add(time.Hour), []string{inbox.ID}},
		{"due cut-off far later", base.Add(time.Hour), base.Add(-2 * time.Minute), []string{timer.ID}},
	} {
		ids, err := b.ListDue(t.Context(), backend.DueQuery{DueBefore: tc.dueBefore, InboxBefore: tc.inboxBefore})
		require.NoError(t, err, tc.name)
		requireNoDuplicates(t, ids, "ListDue")
		require.ElementsMatch(t, tc.want, own(ids, mine), tc.name)
	}
}
