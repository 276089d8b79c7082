package aws

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// sizes returns n sizes of size bytes each.
func sizes(n, size int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = size
	}
	return out
}

func TestPlanSmallCommitIsOneTransaction(t *testing.T) {
	t.Parallel()
	p, err := planCommit(planInput{
		fixed: []int{500, 200, 200}, runBytes: 500,
		events: sizes(10, 300), deletes: sizes(5, 40), deleteMarks: sizes(5, 26), leaseBytes: 40,
	}, dynamoLimits)
	require.NoError(t, err)
	require.Empty(t, p.pre)
	require.Equal(t, 0, p.finalFrom, "every event in the final transaction")
	require.Equal(t, 5, p.finalDeletes, "every delete in the final transaction")
	require.Zero(t, p.markBytes)
}

// 250 events do not fit in one transaction of 100 actions: the last 99 (with the run update)
// go in the final one, the others in pre-writes of a lease check and 99 events.
func TestPlanManyEvents(t *testing.T) {
	t.Parallel()
	p, err := planCommit(planInput{
		fixed: []int{500}, runBytes: 500, events: sizes(250, 200), leaseBytes: 40,
	}, dynamoLimits)
	require.NoError(t, err)
	require.Equal(t, 151, p.finalFrom)
	require.Equal(t, [][2]int{{0, 99}, {99, 151}}, p.pre)
}

// Big events are split by size as well as by count.
func TestPlanBigEvents(t *testing.T) {
	t.Parallel()
	const event = 300 * 1024
	p, err := planCommit(planInput{fixed: []int{1000}, runBytes: 1000, events: sizes(30, event), leaseBytes: 40}, dynamoLimits)
	require.NoError(t, err)
	perTx := maxTxBytes / event
	require.Equal(t, 30-(maxTxBytes-1000)/event, p.finalFrom)
	for _, rg := range p.pre {
		require.LessOrEqual(t, rg[1]-rg[0], perTx)
	}
	requireCovers(t, p, 30)
}

// Inbox deletes that do not fit are deferred, and their IDs grow the run record; events
// then go to pre-writes.
func TestPlanDeferredDeletes(t *testing.T) {
	t.Parallel()
	p, err := planCommit(planInput{
		fixed: []int{500, 300}, runBytes: 500,
		events: sizes(150, 200), deletes: sizes(150, 50), deleteMarks: sizes(150, 26), leaseBytes: 40,
	}, dynamoLimits)
	require.NoError(t, err)
	require.Equal(t, 98, p.finalDeletes, "the final transaction fills up with deletes")
	require.Equal(t, 52*26, p.markBytes)
	require.Equal(t, 150, p.finalFrom, "no room left for events")
	require.Equal(t, [][2]int{{0, 99}, {99, 150}}, p.pre)
}

// The inboxDone marker must fit in the run record, or the commit is too large.
func TestPlanMarkerFitsRunRecord(t *testing.T) {
	t.Parallel()
	lim := txLimits{items: 5, bytes: 1 << 30}
	in := planInput{fixed: []int{MaxItemBytes - 200}, runBytes: MaxItemBytes - 200, deletes: sizes(6, 10), deleteMarks: sizes(6, 60)}
	p, err := planCommit(in, lim)
	require.NoError(t, err)
	require.Equal(t, 4, p.finalDeletes)
	require.Equal(t, 120, p.markBytes)
	in.fixed[0], in.runBytes = MaxItemBytes-100, MaxItemBytes-100
	_, err = planCommit(in, lim)
	require.ErrorIs(t, err, ErrTooLarge)
}

// The marker counts in the transaction's bytes: deletes move out of the final transaction
// until the marker fits.
func TestPlanMarkerFitsTransaction(t *testing.T) {
	t.Parallel()
	lim := txLimits{items: 100, bytes: 1000}
	p, err := planCommit(planInput{fixed: []int{100}, runBytes: 100, deletes: sizes(30, 40), deleteMarks: sizes(30, 26)}, lim)
	require.NoError(t, err)
	require.LessOrEqual(t, 100+40*p.finalDeletes+p.markBytes, 1000)
	require.Equal(t, 26*(30-p.finalDeletes), p.markBytes)
	require.Equal(t, 8, p.finalDeletes, "100 + 40k + 26(30-k) <= 1000")
}

func TestPlanTooLarge(t *testing.T) {
	t.Parallel()
	_, err := planCommit(planInput{fixed: sizes(101, 100), runBytes: 100}, dynamoLimits)
	require.ErrorIs(t, err, ErrTooLarge, "claims, releases and responses cannot be split")
	_, err = planCommit(planInput{fixed: sizes(20, 300*1024), runBytes: 300 * 1024}, dynamoLimits)
	require.ErrorIs(t, err, ErrTooLarge)
	_, err = planCommit(planInput{fixed: []int{100}, runBytes: 100, events: []int{10, maxTxBytes}, leaseBytes: 40},
		txLimits{items: 2, bytes: maxTxBytes})
	require.ErrorIs(t, err, ErrTooLarge, "an event that fits no transaction")
}

// Random commits: every event is written exactly once, in order, and every transaction
// respects the limits.
func TestPlanRandom(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		lim := txLimits{items: 2 + r.IntN(20), bytes: 2000 + r.IntN(5000)}
		in := planInput{runBytes: 100 + r.IntN(300), leaseBytes: 30}
		in.fixed = []int{in.runBytes}
		for range r.IntN(3) {
			in.fixed = append(in.fixed, 50+r.IntN(200))
		}
		for range r.IntN(60) {
			in.events = append(in.events, 10+r.IntN(900))
		}
		for range r.IntN(30) {
			in.deletes = append(in.deletes, 40+r.IntN(40))
			in.deleteMarks = append(in.deleteMarks, 26)
		}
		p, err := planCommit(in, lim)
		if err != nil {
			require.ErrorIs(t, err, ErrTooLarge)
			continue
		}
		requireCovers(t, p, len(in.events))
		fixed := 0
		for _, n := range in.fixed {
			fixed += n
		}
		items := len(in.fixed) + p.finalDeletes + len(in.events) - p.finalFrom
		bytes := fixed + sum(in.deletes[:p.finalDeletes]) + sum(in.events[p.finalFrom:]) + p.markBytes
		require.LessOrEqual(t, items, lim.items, "final transaction: %+v", p)
		require.LessOrEqual(t, bytes, lim.bytes, "final transaction: %+v", p)
		require.Equal(t, sum(in.deleteMarks[p.finalDeletes:]), p.markBytes)
		for _, rg := range p.pre {
			require.LessOrEqual(t, 1+rg[1]-rg[0], lim.items)
			require.LessOrEqual(t, in.leaseBytes+sum(in.events[rg[0]:rg[1]]), lim.bytes)
		}
	}
}

// requireCovers checks that the plan writes events 0..n-1 each once, in order.
func requireCovers(t *testing.T, p commitPlan, n int) {
	t.Helper()
	var got []int
	for _, rg := range p.pre {
		require.Less(t, rg[0], rg[1], "empty pre-write %v", rg)
		for i := rg[0]; i < rg[1]; i++ {
			got = append(got, i)
		}
	}
	for i := p.finalFrom; i < n; i++ {
		got = append(got, i)
	}
	var want []int
	for i := range n {
		want = append(want, i)
	}
	require.Equal(t, want, got)
	require.True(t, slices.IsSorted(got))
}

func sum(s []int) int {
	n := 0
	for _, v := range s {
		n += v
	}
	return n
}
