package backendtest

import (
	"encoding/json"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// commitTests cover Commit's effect on the run and its history, and its failures. Commit's
// effect on tokens, inbox and responses is covered by those groups.
func commitTests() []subtest {
	return []subtest{
		{"Fields", testCommitFields},
		{"ClearFields", testCommitClearFields},
		{"Empty", testCommitEmpty},
		{"Statuses", testCommitStatuses},
		{"VersionConflict", testCommitVersionConflict},
		{"UnknownRun", testCommitUnknownRun},
		{"InvalidSeq", testCommitInvalidSeq},
		{"Failures", testCommitFailures},
		{"CodeVersion", testCommitCodeVersion},
	}
}

// A commit with a CodeVersion pins the run to it; commits without one leave it alone; the
// run keeps it through its end, and CreateRun stores none.
func testCommitCodeVersion(t *testing.T, b backend.Backend) {
	created := now()
	run := newRun(t, created)
	want := createRun(t, b, run, mkEvents(1, 1, created))
	require.Empty(t, want.CodeVersion)
	requireRun(t, want, getRun(t, b, run.ID), "a new run")

	commit := func(version int64, status backend.RunStatus, codeVersion string, seq int64) {
		t.Helper()
		mustCommit(t, b, backend.Commit{
			RunID: run.ID, Version: version, Status: status, Now: created.Add(time.Duration(version) * time.Millisecond),
			CodeVersion: codeVersion, Events: mkEvents(seq, 1, created),
		})
		want.Version, want.LastSeq, want.Status, want.UpdatedAt = version+1, seq, status, created.Add(time.Duration(version)*time.Millisecond)
	}
	commit(1, backend.StatusWaiting, "runner:7", 2)
	want.CodeVersion = "runner:7"
	requireRun(t, want, getRun(t, b, run.ID), "pinned by the first turn")
	commit(2, backend.StatusWaiting, "", 3)
	requireRun(t, want, getRun(t, b, run.ID), "a commit without a code version keeps it")
	commit(3, backend.StatusCompleted, "", 4)
	requireRun(t, want, getRun(t, b, run.ID), "kept at the end")
}

// Each commit increments the version, moves LastSeq, appends the events and replaces Status,
// Output, Error and DueAt; UpdatedAt comes from Now; Workflow, Input and CreatedAt stay.
func testCommitFields(t *testing.T, b backend.Backend) {
	created := now()
	run := newRun(t, created)
	run.DueAt = created.Add(time.Minute)
	first := mkEvents(1, 1, created)
	want := createRun(t, b, run, first)
	history := first

	// 1: events, every field set.
	c1 := backend.Commit{
		RunID:   run.ID,
		Version: 1,
		Status:  backend.StatusRunning,
		Output:  json.RawMessage(`{"partial":[1,2]}`),
		Error:   json.RawMessage(`{"message":"attempt 1 failed"}`),
		DueAt:   created.Add(2 * time.Hour),
		Now:     created.Add(5 * time.Millisecond),
		Events:  mkEvents(2, 2, created),
	}
	mustCommit(t, b, c1)
	history = append(history, c1.Events...)
	want.Version, want.LastSeq = 2, 3
	want.Status, want.Output, want.Error, want.DueAt, want.UpdatedAt = c1.Status, c1.Output, c1.Error, c1.DueAt, c1.Now
	requireRun(t, want, getRun(t, b, run.ID), "after the first commit")
	requireEvents(t, history, listEvents(t, b, run.ID, 0), "history after the first commit")

	// 2: other values for every field.
	c2 := backend.Commit{
		RunID:   run.ID,
		Version: 2,
		Status:  backend.StatusWaiting,
		Output:  json.RawMessage(`{"partial":[3]}`),
		Error:   json.RawMessage(`{"message":"attempt 2 failed"}`),
		DueAt:   created.Add(30 * time.Second),
		Now:     created.Add(9 * time.Millisecond),
		Events:  mkEvents(4, 3, created),
	}
	mustCommit(t, b, c2)
	history = append(history, c2.Events...)
	want.Version, want.LastSeq = 3, 6
	want.Status, want.Output, want.Error, want.DueAt, want.UpdatedAt = c2.Status, c2.Output, c2.Error, c2.DueAt, c2.Now
	requireRun(t, want, getRun(t, b, run.ID), "after the second commit")
	requireEvents(t, history, listEvents(t, b, run.ID, 0), "history after the second commit")
}

// Commit replaces fields with absent values too: a zero DueAt, no Output, no Error.
func testCommitClearFields(t *testing.T, b backend.Backend) {
	at := now()
	run := newRun(t, at)
	run.Status = backend.StatusWaiting
	run.Output = json.RawMessage(`{"x":1}`)
	run.Error = json.RawMessage(`{"message":"m"}`)
	run.DueAt = at.Add(time.Minute)
	want := createRun(t, b, run, nil)

	c := backend.Commit{RunID: run.ID, Version: 1, Status: backend.StatusCompleted, Now: at.Add(time.Second)}
	mustCommit(t, b, c)
	want.Version = 2
	want.Status, want.Output, want.Error, want.DueAt, want.UpdatedAt = backend.StatusCompleted, nil, nil, time.Time{}, c.Now
	requireRun(t, want, getRun(t, b, run.ID), "after a commit that clears Output, Error and DueAt")
}

// A commit without events is allowed: it bumps the version and leaves the history alone.
func testCommitEmpty(t *testing.T, b backend.Backend) {
	run := newRun(t, now())
	first := mkEvents(1, 2, now())
	want := createRun(t, b, run, first)
	for v := int64(1); v <= 3; v++ {
		c := backend.Commit{RunID: run.ID, Version: v, Status: backend.StatusRunning, Now: now()}
		mustCommit(t, b, c)
		want.Version, want.Status, want.UpdatedAt = v+1, c.Status, c.Now
		requireRun(t, want, getRun(t, b, run.ID), "after an empty commit")
	}
	requireEvents(t, first, listEvents(t, b, run.ID, 0), "history after empty commits")
}

// Every status round-trips through Commit (the backend gives none of them a meaning there).
func testCommitStatuses(t *testing.T, b backend.Backend) {
	run := setupRun(t, b)
	for i, status := range slices.Concat(allStatuses, []backend.RunStatus{backend.StatusPending}) {
		c := backend.Commit{RunID: run.ID, Version: int64(i + 1), Status: status, Now: now()}
		mustCommit(t, b, c)
		got := getRun(t, b, run.ID)
		require.Equal(t, status, got.Status)
		require.Equal(t, int64(i+2), got.Version)
	}
}

// fullRun sets up a run with history, a live token, an inbox item and a stored response, so
// that a failed commit has something of every kind to leave alone.
type fullRun struct {
	run      backend.Run
	token    backend.Token
	item     backend.InboxItem
	response backend.Response
}

func setupFullRun(t *testing.T, b backend.Backend) fullRun {
	t.Helper()
	run := newRun(t, now())
	createRun(t, b, run, mkEvents(1, 2, now()))
	tok := mkToken(t, run.ID, "hook-1", now())
	claim(t, b, run.ID, tok)
	item := putInbox(t, b, hookItem(tok, now(), `{"approved":true}`))
	resp := mkResponse(t, `{"status":200,"body":"ok"}`)
	c, _ := nextCommit(t, b, run.ID)
	c.PutResponses = []backend.Response{resp}
	mustCommit(t, b, c)
	return fullRun{run: getRun(t, b, run.ID), token: tok, item: item, response: resp}
}

// badCommit returns a commit on f's run at version that would change everything: events,
// fields, an inbox deletion, a token claim and release, a replaced and a new response.
func (f fullRun) badCommit(t *testing.T, version int64) (backend.Commit, probe) {
	t.Helper()
	newTok := mkToken(t, f.run.ID, "hook-2", now())
	replaced := f.response
	replaced.Data = json.RawMessage(`{"status":500}`)
	fresh := mkResponse(t, `{"status":201}`)
	c := backend.Commit{
		RunID:         f.run.ID,
		Version:       version,
		Status:        backend.StatusCompleted,
		Output:        json.RawMessage(`{"done":true}`),
		DueAt:         now().Add(time.Hour),
		Now:           now(),
		Events:        mkEvents(f.run.LastSeq+1, 2, now()),
		DeleteInbox:   []string{f.item.ID},
		ClaimTokens:   []backend.Token{newTok},
		ReleaseTokens: []string{f.token.Token},
		PutResponses:  []backend.Response{replaced, fresh},
	}
	return c, probe{
		runs:       []string{f.run.ID},
		tokens:     []string{f.token.Token, newTok.Token},
		deliveries: []string{f.response.DeliveryID, fresh.DeliveryID},
	}
}

// A commit whose version is not the run's fails with ErrVersionConflict and changes nothing:
// not the run, its history, inbox or tokens, nor any response.
func testCommitVersionConflict(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	f := setupFullRun(t, b)
	require.Equal(t, int64(3), f.run.Version)

	for _, v := range []int64{f.run.Version - 1, f.run.Version + 1, 0, 1} {
		c, p := f.badCommit(t, v)
		before := takeSnapshot(t, b, p)
		require.ErrorIs(t, b.Commit(ctx, c), backend.ErrVersionConflict, "commit at version %d on a run at version %d", v, f.run.Version)
		requireUnchanged(t, b, before, "after a commit at a wrong version")
	}

	// A stale writer: its events run on from the LastSeq it read, which another commit has
	// since moved. The version check is what must fail it.
	stale, _ := nextCommit(t, b, f.run.ID)
	stale.Events = mkEvents(f.run.LastSeq+1, 1, now())
	winner := stale
	winner.Events = mkEvents(f.run.LastSeq+1, 1, now())
	winner.Events[0].Type = "winner"
	mustCommit(t, b, winner)
	before := takeSnapshot(t, b, probe{runs: []string{f.run.ID}})
	require.ErrorIs(t, b.Commit(ctx, stale), backend.ErrVersionConflict, "a stale writer's commit")
	requireUnchanged(t, b, before, "after a stale writer's commit")
	require.Equal(t, "winner", listEvents(t, b, f.run.ID, f.run.LastSeq)[0].Type)
}

// A commit on a run that does not exist fails with ErrRunNotFound and stores nothing.
func testCommitUnknownRun(t *testing.T, b backend.Backend) {
	runID := uid(t, "run")
	tok := mkToken(t, runID, "hook-1", now())
	resp := mkResponse(t, `{"status":200}`)
	before := takeSnapshot(t, b, probe{tokens: []string{tok.Token}, deliveries: []string{resp.DeliveryID}})
	err := b.Commit(t.Context(), backend.Commit{
		RunID:        runID,
		Version:      1,
		Status:       backend.StatusRunning,
		Now:          now(),
		Events:       mkEvents(1, 1, now()),
		ClaimTokens:  []backend.Token{tok},
		PutResponses: []backend.Response{resp},
	})
	require.ErrorIs(t, err, backend.ErrRunNotFound)
	requireUnchanged(t, b, before, "after a commit on an unknown run")
	_, err = b.GetRun(t.Context(), runID)
	require.ErrorIs(t, err, backend.ErrRunNotFound, "a commit must not create a run")
}

// Events whose Seqs do not run on from LastSeq without gaps make the commit invalid; it fails
// with ErrInvalidCommit and changes nothing.
func testCommitInvalidSeq(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	f := setupFullRun(t, b)
	last := f.run.LastSeq
	require.Equal(t, int64(2), last)

	cases := []struct {
		name string
		seqs []int64
	}{
		{"gap before the first", []int64{last + 2}},
		{"overlap with the history", []int64{last, last + 1}},
		{"restart at 1", []int64{1}},
		{"gap inside", []int64{last + 1, last + 3}},
		{"repeated Seq", []int64{last + 1, last + 1}},
		{"descending", []int64{last + 2, last + 1}},
		{"zero", []int64{0}},
	}
	for _, tc := range cases {
		c, p := f.badCommit(t, f.run.Version)
		c.Events = nil
		for _, seq := range tc.seqs {
			e := mkEvents(seq, 1, now())[0]
			c.Events = append(c.Events, e)
		}
		before := takeSnapshot(t, b, p)
		require.ErrorIs(t, b.Commit(ctx, c), backend.ErrInvalidCommit, "%s: Seqs %v after LastSeq %d", tc.name, tc.seqs, last)
		requireUnchanged(t, b, before, "after an invalid commit ("+tc.name+")")
	}

	// The run is still usable at its version.
	c, _ := f.badCommit(t, f.run.Version)
	mustCommit(t, b, c)
	require.Equal(t, f.run.Version+1, getRun(t, b, f.run.ID).Version)
}

// Failures and LastError are replaced by every commit, and reset by one that leaves them zero;
// a failed commit leaves them alone.
func testCommitFailures(t *testing.T, b backend.Backend) {
	run := setupRun(t, b)
	want := run
	for i, tc := range []struct {
		failures int
		lastErr  string
	}{
		{1, `step "charge": dial tcp: connection refused`},
		{2, "h\u00e9llo \u2028 \"quoted\" second"},
		{0, ""},
		{7, "workflow \"order\" is not registered"},
	} {
		c, cur := nextCommit(t, b, run.ID)
		c.Failures, c.LastError = tc.failures, tc.lastErr
		if tc.failures == 0 {
			c.Events = mkEvents(cur.LastSeq+1, 1, now()) // a commit of work
		}
		mustCommit(t, b, c)
		want.Version, want.LastSeq, want.UpdatedAt = cur.Version+1, cur.LastSeq+int64(len(c.Events)), c.Now
		want.Failures, want.LastError = tc.failures, tc.lastErr
		requireRun(t, want, getRun(t, b, run.ID), "after commit "+strconv.Itoa(i+1))
	}

	stale, _ := nextCommit(t, b, run.ID)
	stale.Version--
	stale.Failures, stale.LastError = 0, ""
	before := takeSnapshot(t, b, probe{runs: []string{run.ID}})
	require.ErrorIs(t, b.Commit(t.Context(), stale), backend.ErrVersionConflict)
	requireUnchanged(t, b, before, "after a failed commit")
}
