package backendtest

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// runListTests cover ListRuns: order, paging, filters and cursors. Each test lists the runs
// of a workflow name of its own, since a driver may share one table between subtests.
func runListTests() []subtest {
	return []subtest{
		{"NewestFirst", testListRunsNewestFirst},
		{"Pages", testListRunsPages},
		{"ExactLastPage", testListRunsExactLastPage},
		{"Status", testListRunsStatus},
		{"CreatedBounds", testListRunsCreatedBounds},
		{"Unfiltered", testListRunsUnfiltered},
		{"InvalidCursor", testListRunsInvalidCursor},
		{"Empty", testListRunsEmpty},
	}
}

// listedRuns creates runs of a fresh workflow, created at the given offsets from a base time,
// and returns them in ListRuns order with the workflow's name.
func listedRuns(t *testing.T, b backend.Backend, offsets ...time.Duration) ([]backend.Run, string) {
	t.Helper()
	wf := uid(t, "wf")
	base := now().Add(-time.Hour)
	var runs []backend.Run
	for _, off := range offsets {
		r := newRun(t, base.Add(off))
		r.Workflow = wf
		runs = append(runs, createRun(t, b, r, nil))
	}
	slices.SortFunc(runs, backend.CompareRuns)
	return runs, wf
}

func listRuns(t *testing.T, b backend.Backend, q backend.RunQuery) backend.RunPage {
	t.Helper()
	page, err := b.ListRuns(t.Context(), q)
	require.NoError(t, err, "ListRuns(%+v)", q)
	return page
}

func requireRunList(t *testing.T, want, got []backend.Run, what string) {
	t.Helper()
	require.Equalf(t, runIDs(want), runIDs(got), "%s: the runs, in order", what)
	for i := range want {
		requireRun(t, want[i], got[i], what)
	}
}

func runIDs(runs []backend.Run) []string {
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	return ids
}

// Runs come newest first by CreatedAt in milliseconds, then by ID, whole records.
func testListRunsNewestFirst(t *testing.T, b backend.Backend) {
	runs, wf := listedRuns(t, b, 0, 3*time.Millisecond, time.Second, time.Second, time.Second+500*time.Microsecond, time.Minute)
	page := listRuns(t, b, backend.RunQuery{Workflow: wf})
	requireRunList(t, runs, page.Runs, "ListRuns")
	require.Empty(t, page.Next, "one page holds them all")
	require.Equal(t, time.Minute, runs[0].CreatedAt.Sub(runs[len(runs)-1].CreatedAt), "newest first")
}

// Pages of Limit runs follow each other without gaps or repeats; the last has no Next.
func testListRunsPages(t *testing.T, b backend.Backend) {
	var offsets []time.Duration
	for i := range 7 {
		offsets = append(offsets, time.Duration(i)*time.Second)
	}
	runs, wf := listedRuns(t, b, offsets...)
	var got []backend.Run
	q := backend.RunQuery{Workflow: wf, Limit: 3}
	var sizes []int
	for range 10 {
		page := listRuns(t, b, q)
		got = append(got, page.Runs...)
		sizes = append(sizes, len(page.Runs))
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	require.Equal(t, []int{3, 3, 1}, sizes)
	requireRunList(t, runs, got, "the pages together")
}

// A listing that ends on a page boundary says so on that page: no empty page follows.
func testListRunsExactLastPage(t *testing.T, b backend.Backend) {
	runs, wf := listedRuns(t, b, 0, time.Second, 2*time.Second, 3*time.Second)
	first := listRuns(t, b, backend.RunQuery{Workflow: wf, Limit: 2})
	require.NotEmpty(t, first.Next)
	second := listRuns(t, b, backend.RunQuery{Workflow: wf, Limit: 2, Cursor: first.Next})
	require.Empty(t, second.Next, "the second page is the last")
	requireRunList(t, runs, append(first.Runs, second.Runs...), "two pages")
	all := listRuns(t, b, backend.RunQuery{Workflow: wf, Limit: 4})
	require.Empty(t, all.Next)
	require.Len(t, all.Runs, 4)
}

// The status filter follows commits: a run is listed under its status as of its last commit.
func testListRunsStatus(t *testing.T, b backend.Backend) {
	runs, wf := listedRuns(t, b, 0, time.Second, 2*time.Second)
	waiting, done := runs[0], runs[2]
	for _, st := range []struct {
		run    backend.Run
		status backend.RunStatus
	}{{waiting, backend.StatusWaiting}, {done, backend.StatusCompleted}} {
		c, _ := nextCommit(t, b, st.run.ID)
		c.Status = st.status
		mustCommit(t, b, c)
	}
	ids := func(s backend.RunStatus) []string {
		return runIDs(listRuns(t, b, backend.RunQuery{Workflow: wf, Status: s}).Runs)
	}
	require.Equal(t, []string{waiting.ID}, ids(backend.StatusWaiting))
	require.Equal(t, []string{done.ID}, ids(backend.StatusCompleted))
	require.Equal(t, []string{runs[1].ID}, ids(backend.StatusPending))
	require.Empty(t, ids(backend.StatusFailed))
	got := listRuns(t, b, backend.RunQuery{Workflow: wf, Status: backend.StatusCompleted}).Runs
	require.Equal(t, int64(2), got[0].Version, "the record as committed")

	// A status filter with a small page still reaches runs past the ones it skips.
	page := listRuns(t, b, backend.RunQuery{Workflow: wf, Status: backend.StatusPending, Limit: 1})
	require.Equal(t, []string{runs[1].ID}, runIDs(page.Runs))
}

// CreatedAfter and CreatedBefore are exclusive bounds, at millisecond precision.
func testListRunsCreatedBounds(t *testing.T, b backend.Backend) {
	runs, wf := listedRuns(t, b, 0, time.Second, 2*time.Second, 3*time.Second)
	oldest, newest := runs[3], runs[0]
	got := listRuns(t, b, backend.RunQuery{Workflow: wf, CreatedAfter: oldest.CreatedAt, CreatedBefore: newest.CreatedAt})
	requireRunList(t, runs[1:3], got.Runs, "strictly between the oldest and the newest")
	got = listRuns(t, b, backend.RunQuery{Workflow: wf, CreatedAfter: oldest.CreatedAt.Add(-time.Millisecond)})
	requireRunList(t, runs, got.Runs, "after a millisecond before the oldest")
	got = listRuns(t, b, backend.RunQuery{Workflow: wf, CreatedBefore: oldest.CreatedAt.Add(time.Millisecond)})
	requireRunList(t, runs[3:], got.Runs, "before a millisecond after the oldest")
	got = listRuns(t, b, backend.RunQuery{Workflow: wf, CreatedAfter: newest.CreatedAt, CreatedBefore: oldest.CreatedAt})
	require.Empty(t, got.Runs, "an empty range")

	// A cursor and a bound together: the second page of the bounded listing.
	first := listRuns(t, b, backend.RunQuery{Workflow: wf, CreatedAfter: oldest.CreatedAt, Limit: 1})
	require.NotEmpty(t, first.Next)
	rest := listRuns(t, b, backend.RunQuery{Workflow: wf, CreatedAfter: oldest.CreatedAt, Cursor: first.Next})
	requireRunList(t, runs[:3], append(first.Runs, rest.Runs...), "the bounded listing in pages")
}

// Without filters every run is listed (a shared table holds other subtests' runs too, so
// only this test's runs and their order are checked).
func testListRunsUnfiltered(t *testing.T, b backend.Backend) {
	mine := map[string]bool{}
	// Created in the future, so that no other subtest's run comes before them.
	wf := uid(t, "wf")
	base := now().Add(24 * time.Hour)
	var runs []backend.Run
	for i := range 3 {
		r := newRun(t, base.Add(time.Duration(i)*time.Second))
		r.Workflow = wf
		runs = append(runs, createRun(t, b, r, nil))
		mine[r.ID] = true
	}
	slices.SortFunc(runs, backend.CompareRuns)
	page := listRuns(t, b, backend.RunQuery{CreatedAfter: base.Add(-time.Millisecond), CreatedBefore: base.Add(time.Hour)})
	var got []backend.Run
	for _, r := range page.Runs {
		if mine[r.ID] {
			got = append(got, r)
		}
	}
	requireRunList(t, runs, got, "this test's runs among all")
}

// A cursor ListRuns did not make is refused.
func testListRunsInvalidCursor(t *testing.T, b backend.Backend) {
	for _, c := range []string{"garbage", "cjE6MTIz", "!!"} {
		_, err := b.ListRuns(t.Context(), backend.RunQuery{Cursor: c})
		require.ErrorIs(t, err, backend.ErrInvalidCursor, "cursor %q", c)
	}
}

// A workflow without runs lists nothing, with no Next.
func testListRunsEmpty(t *testing.T, b backend.Backend) {
	page := listRuns(t, b, backend.RunQuery{Workflow: uid(t, "wf")})
	require.Empty(t, page.Runs)
	require.Empty(t, page.Next)
}
