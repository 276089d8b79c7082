package backendtest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// runTests cover CreateRun and GetRun.
func runTests() []subtest {
	return []subtest{
		{"CreateAndGet", testRunCreateAndGet},
		{"ZeroFields", testRunZeroFields},
		{"FirstEvents", testRunFirstEvents},
		{"VersionStartsAtOne", testRunVersionStartsAtOne},
		{"Statuses", testRunStatuses},
		{"Duplicate", testRunDuplicate},
		{"GetUnknown", testRunGetUnknown},
	}
}

// Every field of the run round-trips; the stored run has Version 1 and LastSeq 0.
func testRunCreateAndGet(t *testing.T, b backend.Backend) {
	at := now()
	run := newRun(t, at)
	run.Status = backend.StatusRunning
	run.Output = json.RawMessage(`{"total":12.5,"lines":[{"sku":"x","qty":2}]}`)
	run.Error = json.RawMessage(`{"message":"boom","retryable":false}`)
	run.UpdatedAt = at.Add(3 * time.Millisecond)
	run.DueAt = at.Add(90 * time.Second)

	_, err := b.CreateRun(t.Context(), run, nil)
	require.NoError(t, err)

	got := getRun(t, b, run.ID)
	requireRun(t, expectedRun(run, nil), got, "GetRun")
	require.Equal(t, int64(1), got.Version)
	require.Equal(t, int64(0), got.LastSeq)
	require.Empty(t, listEvents(t, b, run.ID, 0), "a run created without events has no history")
}

// Absent JSON values and a zero DueAt stay absent and zero.
func testRunZeroFields(t *testing.T, b backend.Backend) {
	run := newRun(t, now())
	run.Input = nil
	createRun(t, b, run, nil)
	got := getRun(t, b, run.ID)
	require.True(t, got.DueAt.IsZero(), "DueAt: want zero, got %v", got.DueAt)
	require.True(t, jsonEmpty(got.Input), "Input: want none, got %s", got.Input)
	require.True(t, jsonEmpty(got.Output), "Output: want none, got %s", got.Output)
	require.True(t, jsonEmpty(got.Error), "Error: want none, got %s", got.Error)
}

// First events are stored as the history and set LastSeq.
func testRunFirstEvents(t *testing.T, b backend.Backend) {
	run := newRun(t, now())
	first := mkEvents(1, 3, now())
	first[1].CorrelationID = ""
	first[1].Data = nil
	createRun(t, b, run, first)

	got := getRun(t, b, run.ID)
	require.Equal(t, int64(3), got.LastSeq)
	require.Equal(t, int64(1), got.Version)
	requireEvents(t, first, listEvents(t, b, run.ID, 0), "history after CreateRun")
}

// CreateRun stores Version 1 and derives LastSeq from the first events, whatever the run
// record passed in says.
func testRunVersionStartsAtOne(t *testing.T, b backend.Backend) {
	run := newRun(t, now())
	run.Version = 7
	run.LastSeq = 40
	first := mkEvents(1, 2, now())
	_, err := b.CreateRun(t.Context(), run, first)
	require.NoError(t, err)

	got := getRun(t, b, run.ID)
	require.Equal(t, int64(1), got.Version, "CreateRun stores version 1")
	require.Equal(t, int64(2), got.LastSeq, "LastSeq comes from the first events")
	requireEvents(t, first, listEvents(t, b, run.ID, 0), "history")
}

// Every status round-trips through CreateRun.
func testRunStatuses(t *testing.T, b backend.Backend) {
	for _, status := range allStatuses {
		run := newRun(t, now())
		run.Status = status
		createRun(t, b, run, nil)
		require.Equal(t, status, getRun(t, b, run.ID).Status)
	}
}

var allStatuses = []backend.RunStatus{
	backend.StatusPending, backend.StatusRunning, backend.StatusWaiting,
	backend.StatusCompleted, backend.StatusFailed, backend.StatusCancelled,
}

// A second CreateRun with the same ID stores nothing and returns the existing run (at its
// current version) with ErrRunExists.
func testRunDuplicate(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	run := newRun(t, now())
	first := mkEvents(1, 2, now())
	createRun(t, b, run, first)
	more := appendEvents(t, b, run.ID, 1) // the existing run is now at version 2
	existing := getRun(t, b, run.ID)
	require.Equal(t, int64(2), existing.Version)
	before := takeSnapshot(t, b, probe{runs: []string{run.ID}})

	dup := run
	dup.Workflow = "something-else"
	dup.Status = backend.StatusWaiting
	dup.Input = json.RawMessage(`{"other":true}`)
	dup.DueAt = now().Add(time.Hour)
	dup.CreatedAt = now().Add(time.Minute)
	got, err := b.CreateRun(ctx, dup, mkEvents(1, 5, now()))
	require.ErrorIs(t, err, backend.ErrRunExists)
	requireRun(t, existing, got, "run returned with ErrRunExists")

	requireUnchanged(t, b, before, "after a duplicate CreateRun")
	requireEvents(t, append(first, more...), listEvents(t, b, run.ID, 0), "history")
}

// GetRun and ListEvents of an unknown run fail with ErrRunNotFound.
func testRunGetUnknown(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	for _, id := range []string{uid(t, "run"), ""} {
		_, err := b.GetRun(ctx, id)
		require.ErrorIs(t, err, backend.ErrRunNotFound, "GetRun(%q)", id)
		_, err = b.ListEvents(ctx, id, 0)
		require.ErrorIs(t, err, backend.ErrRunNotFound, "ListEvents(%q)", id)
	}
}
