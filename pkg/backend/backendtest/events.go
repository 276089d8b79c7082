package backendtest

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// eventTests cover ListEvents.
func eventTests() []subtest {
	return []subtest{
		{"AfterSeq", testEventsAfterSeq},
		{"RoundTrip", testEventsRoundTrip},
		{"Empty", testEventsEmpty},
		{"PerRun", testEventsPerRun},
	}
}

// ListEvents returns the events after afterSeq in Seq order, whether they were written by
// CreateRun or by Commit. Twelve events catch a driver that orders Seqs as strings.
func testEventsAfterSeq(t *testing.T, b backend.Backend) {
	run := newRun(t, now())
	all := mkEvents(1, 7, now())
	createRun(t, b, run, all)
	all = append(all, appendEvents(t, b, run.ID, 5)...)
	require.Equal(t, int64(12), getRun(t, b, run.ID).LastSeq)

	for _, after := range []int64{0, 1, 6, 7, 9, 11, 12, 20} {
		got := listEvents(t, b, run.ID, after)
		var want []backend.Event
		if after < int64(len(all)) {
			want = all[after:]
		}
		requireEvents(t, want, got, "ListEvents after "+strconv.FormatInt(after, 10))
		require.True(t, slices.IsSortedFunc(got, func(x, y backend.Event) int { return cmp.Compare(x.Seq, y.Seq) }))
	}
}

// Every field of an event round-trips, including JSON that a re-encoding driver could mangle.
func testEventsRoundTrip(t *testing.T, b backend.Backend) {
	at := now()
	first := []backend.Event{
		{Seq: 1, Type: "run.started", CorrelationID: "", Data: json.RawMessage(`{"input":{"a":[1,2,{"b":null}]}}`), CreatedAt: at},
		{Seq: 2, Type: "hook.created", CorrelationID: "hook-é/1", Data: nil, CreatedAt: at.Add(time.Millisecond)},
		{Seq: 3, Type: "step.completed", CorrelationID: "step-1", Data: json.RawMessage(`{"s":"quote \" backslash \\ <tag> & \u2028","n":-1.25e3,"t":true}`), CreatedAt: at.Add(2 * time.Millisecond)},
		{Seq: 4, Type: "step.completed", CorrelationID: "step-2", Data: json.RawMessage(`"just a string"`), CreatedAt: at.Add(2 * time.Millisecond)},
		{Seq: 5, Type: "step.completed", CorrelationID: "step-3", Data: json.RawMessage(`[]`), CreatedAt: at.Add(3 * time.Millisecond)},
	}
	run := newRun(t, at)
	createRun(t, b, run, first[:2])
	c, _ := nextCommit(t, b, run.ID)
	c.Events = first[2:]
	mustCommit(t, b, c)
	requireEvents(t, first, listEvents(t, b, run.ID, 0), "history")
}

// A run without events has an empty history (not an error).
func testEventsEmpty(t *testing.T, b backend.Backend) {
	run := setupRun(t, b)
	events, err := b.ListEvents(t.Context(), run.ID, 0)
	require.NoError(t, err)
	require.Empty(t, events)
}

// Histories of different runs do not mix.
func testEventsPerRun(t *testing.T, b backend.Backend) {
	a, c := newRun(t, now()), newRun(t, now())
	ea := mkEvents(1, 3, now())
	ec := mkEvents(1, 2, now())
	ec[0].Type, ec[1].Type = "other.a", "other.b"
	createRun(t, b, a, ea)
	createRun(t, b, c, ec)
	requireEvents(t, ea, listEvents(t, b, a.ID, 0), "history of the first run")
	requireEvents(t, ec, listEvents(t, b, c.ID, 0), "history of the second run")
}
