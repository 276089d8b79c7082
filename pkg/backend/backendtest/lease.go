package backendtest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// leaseTests cover the run lease: TakeLease and ReleaseLease, and how CreateRun and Commit
// leave it alone.
func leaseTests() []subtest {
	return []subtest{
		{"TakeFree", testLeaseTakeFree},
		{"HeldByAnother", testLeaseHeldByAnother},
		{"Renew", testLeaseRenew},
		{"Lapsed", testLeaseLapsed},
		{"Release", testLeaseRelease},
		{"UnknownRun", testLeaseUnknownRun},
		{"Invalid", testLeaseInvalid},
		{"CreateRunStoresNone", testLeaseCreateRunStoresNone},
		{"CommitLeavesIt", testLeaseCommitLeavesIt},
		{"CommitReleases", testLeaseCommitReleases},
		{"LargeCommitLeavesIt", testLeaseLargeCommitLeavesIt},
		{"TerminalRun", testLeaseTerminalRun},
		{"Concurrent", testLeaseConcurrent},
	}
}

// takeLease takes the run's lease for owner and fails the test on an error.
func takeLease(t *testing.T, b backend.Backend, runID, owner string, at, until time.Time) {
	t.Helper()
	require.NoError(t, b.TakeLease(t.Context(), runID, owner, at, until), "TakeLease(%s, %s)", runID, owner)
}

func releaseLease(t *testing.T, b backend.Backend, runID, owner string) {
	t.Helper()
	require.NoError(t, b.ReleaseLease(t.Context(), runID, owner), "ReleaseLease(%s, %s)", runID, owner)
}

// requireLease checks the run's lease as GetRun reports it: owner until until, which the
// driver keeps truncated to the millisecond; an empty owner means a free lease (both zero).
func requireLease(t *testing.T, b backend.Backend, runID, owner string, until time.Time, what string) {
	t.Helper()
	run := getRun(t, b, runID)
	require.Equalf(t, owner, run.LeaseOwner, "%s: LeaseOwner", what)
	if owner == "" {
		require.Truef(t, run.LeaseUntil.IsZero(), "%s: a free lease has a zero LeaseUntil, got %v", what, run.LeaseUntil)
		return
	}
	want := until.Truncate(time.Millisecond)
	require.Truef(t, want.Equal(run.LeaseUntil), "%s: LeaseUntil: want %v (truncated to the millisecond), got %v",
		what, want.UTC(), run.LeaseUntil.UTC())
}

// requireLeaseHeld checks that err is a refusal naming owner as the holder until until.
func requireLeaseHeld(t *testing.T, err error, runID, owner string, until time.Time, what string) {
	t.Helper()
	require.ErrorIsf(t, err, backend.ErrLeaseHeld, "%s", what)
	var held *backend.LeaseHeldError
	require.Truef(t, errors.As(err, &held), "%s: want a *backend.LeaseHeldError, got %T: %v", what, err, err)
	require.Equalf(t, runID, held.RunID, "%s: LeaseHeldError.RunID", what)
	require.Equalf(t, owner, held.Owner, "%s: LeaseHeldError.Owner", what)
	requireTime(t, until, held.Until, what+": LeaseHeldError.Until")
}

// A free lease is taken: GetRun shows the owner and the expiry, truncated to the millisecond,
// and nothing else of the run changes (not its version: a lease is not a commit).
func testLeaseTakeFree(t *testing.T, b backend.Backend) {
	run := setupRun(t, b)
	appendEvents(t, b, run.ID, 2)
	before := getRun(t, b, run.ID)
	at := now()
	until := at.Add(time.Minute + 123456*time.Nanosecond) // below the millisecond: truncated

	takeLease(t, b, run.ID, "worker-1", at, until)
	requireLease(t, b, run.ID, "worker-1", until, "after TakeLease")
	want := before
	want.LeaseOwner, want.LeaseUntil = "worker-1", until.Truncate(time.Millisecond)
	requireRun(t, want, getRun(t, b, run.ID), "run after TakeLease")
	require.Len(t, listEvents(t, b, run.ID, 0), 2, "history after TakeLease")
}

// Another owner is refused while the lease holds, with a *LeaseHeldError naming the holder,
// and nothing changes; up to the last millisecond before it lapses.
func testLeaseHeldByAnother(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	run := setupRun(t, b)
	at := now()
	until := at.Add(30 * time.Second)
	takeLease(t, b, run.ID, "worker-1", at, until)
	before := takeSnapshot(t, b, probe{runs: []string{run.ID}})

	for _, when := range []time.Time{at, at.Add(10 * time.Second), until.Add(-time.Millisecond)} {
		err := b.TakeLease(ctx, run.ID, "worker-2", when, when.Add(time.Minute))
		requireLeaseHeld(t, err, run.ID, "worker-1", until, fmt.Sprintf("TakeLease by another owner at %v", when))
	}
	requireUnchanged(t, b, before, "after refused TakeLease calls")
	requireLease(t, b, run.ID, "worker-1", until, "after refused TakeLease calls")
}

// The holder renews its lease: the expiry moves, later or earlier, as long as it is after now.
func testLeaseRenew(t *testing.T, b backend.Backend) {
	run := setupRun(t, b)
	at := now()
	takeLease(t, b, run.ID, "worker-1", at, at.Add(time.Minute))

	later := at.Add(5 * time.Minute)
	takeLease(t, b, run.ID, "worker-1", at.Add(time.Second), later)
	requireLease(t, b, run.ID, "worker-1", later, "renewed to later")

	earlier := at.Add(10 * time.Second)
	takeLease(t, b, run.ID, "worker-1", at.Add(2*time.Second), earlier)
	requireLease(t, b, run.ID, "worker-1", earlier, "renewed to earlier")

	// The holder may take its lease again after it lapsed too.
	again := earlier.Add(time.Minute)
	takeLease(t, b, run.ID, "worker-1", earlier, again)
	requireLease(t, b, run.ID, "worker-1", again, "taken again by its holder once lapsed")

	err := b.TakeLease(t.Context(), run.ID, "worker-2", earlier, earlier.Add(time.Minute))
	requireLeaseHeld(t, err, run.ID, "worker-1", again, "TakeLease by another owner after the renewals")
}

// A lease has lapsed once now is not before its expiry: another owner takes it then, not a
// millisecond earlier.
func testLeaseLapsed(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	run := setupRun(t, b)
	at := now()
	until := at.Add(time.Minute)
	takeLease(t, b, run.ID, "worker-1", at, until)

	err := b.TakeLease(ctx, run.ID, "worker-2", until.Add(-time.Millisecond), until.Add(time.Minute))
	requireLeaseHeld(t, err, run.ID, "worker-1", until, "a millisecond before the lease lapses")

	next := until.Add(time.Minute)
	takeLease(t, b, run.ID, "worker-2", until, next)
	requireLease(t, b, run.ID, "worker-2", next, "taken by another owner as the lease lapsed")

	much := next.Add(time.Hour)
	takeLease(t, b, run.ID, "worker-3", much, much.Add(time.Minute))
	requireLease(t, b, run.ID, "worker-3", much.Add(time.Minute), "taken by a third owner long after it lapsed")

	err = b.TakeLease(ctx, run.ID, "worker-1", much, much.Add(time.Hour))
	requireLeaseHeld(t, err, run.ID, "worker-3", much.Add(time.Minute), "the first holder comes back")
}

// ReleaseLease frees the lease only for its holder; for anyone else, a free lease or an
// unknown run it does nothing and returns nil.
func testLeaseRelease(t *testing.T, b backend.Backend) {
	run := setupRun(t, b)
	at := now()
	until := at.Add(time.Minute)

	releaseLease(t, b, run.ID, "worker-1") // free
	requireLease(t, b, run.ID, "", time.Time{}, "release of a free lease")
	releaseLease(t, b, uid(t, "run"), "worker-1") // unknown run
	releaseLease(t, b, "", "worker-1")

	takeLease(t, b, run.ID, "worker-1", at, until)
	before := takeSnapshot(t, b, probe{runs: []string{run.ID}})
	releaseLease(t, b, run.ID, "worker-2")
	requireUnchanged(t, b, before, "after a release by another owner")
	requireLease(t, b, run.ID, "worker-1", until, "after a release by another owner")

	releaseLease(t, b, run.ID, "worker-1")
	requireLease(t, b, run.ID, "", time.Time{}, "after a release by the holder")
	want := before.runs[run.ID].run
	want.LeaseOwner, want.LeaseUntil = "", time.Time{}
	requireRun(t, want, getRun(t, b, run.ID), "run after a release by the holder")
	releaseLease(t, b, run.ID, "worker-1") // again: free now
	requireLease(t, b, run.ID, "", time.Time{}, "after a second release by the holder")

	takeLease(t, b, run.ID, "worker-2", at, until)
	requireLease(t, b, run.ID, "worker-2", until, "taken by another owner after the release")

	// The holder of a lapsed lease that no one took since may still release it.
	takeLease(t, b, run.ID, "worker-2", at, at.Add(time.Millisecond))
	releaseLease(t, b, run.ID, "worker-2")
	requireLease(t, b, run.ID, "", time.Time{}, "after a release of a lapsed lease by its holder")
}

// TakeLease on an unknown run fails with ErrRunNotFound and creates nothing.
func testLeaseUnknownRun(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	at := now()
	for _, id := range []string{uid(t, "run"), ""} {
		err := b.TakeLease(ctx, id, "worker-1", at, at.Add(time.Minute))
		require.ErrorIs(t, err, backend.ErrRunNotFound, "TakeLease(%q)", id)
		require.NotErrorIs(t, err, backend.ErrLeaseHeld, "TakeLease(%q)", id)
		_, err = b.GetRun(ctx, id)
		require.ErrorIs(t, err, backend.ErrRunNotFound, "GetRun(%q) after TakeLease", id)
	}
}

// An empty owner, or an expiry that is not after now, fails with ErrInvalidLease and stores
// nothing, on a free lease and on a held one (its holder's renewal included).
func testLeaseInvalid(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	free := setupRun(t, b)
	held := setupRun(t, b)
	at := now()
	until := at.Add(time.Minute)
	takeLease(t, b, held.ID, "worker-1", at, until)
	before := takeSnapshot(t, b, probe{runs: []string{free.ID, held.ID}})

	for _, tc := range []struct {
		what   string
		owner  string
		until  time.Time
		holder bool // the call is by the holder of the held run
	}{
		{"an empty owner", "", until, false},
		{"an expiry equal to now", "worker-2", at, false},
		{"an expiry before now", "worker-2", at.Add(-time.Minute), false},
		{"a zero expiry", "worker-2", time.Time{}, false},
		{"the holder's renewal with an expiry equal to now", "worker-1", at, true},
		{"the holder's renewal with an expiry before now", "worker-1", at.Add(-time.Second), true},
	} {
		for _, id := range []string{free.ID, held.ID} {
			if tc.holder && id == free.ID {
				continue
			}
			err := b.TakeLease(ctx, id, tc.owner, at, tc.until)
			require.ErrorIs(t, err, backend.ErrInvalidLease, "TakeLease with %s on run %s", tc.what, id)
			require.NotErrorIs(t, err, backend.ErrLeaseHeld, "TakeLease with %s on run %s", tc.what, id)
		}
	}
	requireUnchanged(t, b, before, "after invalid TakeLease calls")
	requireLease(t, b, free.ID, "", time.Time{}, "the free run after invalid TakeLease calls")
	requireLease(t, b, held.ID, "worker-1", until, "the held run after invalid TakeLease calls")
}

// CreateRun stores a run without a lease, whatever the run given says.
func testLeaseCreateRunStoresNone(t *testing.T, b backend.Backend) {
	run := newRun(t, now())
	run.LeaseOwner = "worker-1"
	run.LeaseUntil = now().Add(time.Hour)
	_, err := b.CreateRun(t.Context(), run, mkEvents(1, 1, now()))
	require.NoError(t, err)
	requireLease(t, b, run.ID, "", time.Time{}, "after CreateRun of a run that names a lease")

	at := now()
	takeLease(t, b, run.ID, "worker-2", at, at.Add(time.Minute))
	requireLease(t, b, run.ID, "worker-2", at.Add(time.Minute), "taken after CreateRun")
}

// A commit leaves the lease as it was, and a lease does not block a commit: the version check
// guards history, not the lease.
func testLeaseCommitLeavesIt(t *testing.T, b backend.Backend) {
	run, tok := setupHook(t, b)
	at := now()
	until := at.Add(time.Minute)
	takeLease(t, b, run.ID, "worker-1", at, until)

	c, cur := nextCommit(t, b, run.ID)
	c.Status = backend.StatusWaiting
	c.DueAt = at.Add(time.Hour)
	c.Failures, c.LastError = 2, "boom"
	c.Events = mkEvents(cur.LastSeq+1, 3, at)
	c.ReleaseTokens = []string{tok.Token}
	mustCommit(t, b, c) // the commit names no owner; the lease does not stand in its way
	got := getRun(t, b, run.ID)
	require.Equal(t, cur.Version+1, got.Version)
	require.Equal(t, backend.StatusWaiting, got.Status)
	requireLease(t, b, run.ID, "worker-1", until, "after a commit")

	takeLease(t, b, run.ID, "worker-2", until, until.Add(time.Minute))
	c, _ = nextCommit(t, b, run.ID)
	c.Status, c.DueAt, c.Failures, c.LastError = backend.StatusRunning, time.Time{}, 0, ""
	mustCommit(t, b, c)
	requireLease(t, b, run.ID, "worker-2", until.Add(time.Minute), "after a commit with the lease held by another owner")

	releaseLease(t, b, run.ID, "worker-2")
	appendEvents(t, b, run.ID, 1)
	requireLease(t, b, run.ID, "", time.Time{}, "a commit does not bring a released lease back")
}

// A commit with ReleaseLease frees the lease its owner holds, in the same write; one naming
// an owner that does not hold the lease (another runner took it after it lapsed, or no one
// holds it) goes ahead and leaves the lease as it is. A large commit releases it too.
func testLeaseCommitReleases(t *testing.T, b backend.Backend) {
	run := setupRun(t, b)
	at := now()
	until := at.Add(time.Minute)
	takeLease(t, b, run.ID, "worker-1", at, until)
	c, cur := nextCommit(t, b, run.ID)
	c.Status = backend.StatusWaiting
	c.Events = mkEvents(cur.LastSeq+1, 2, at)
	c.ReleaseLease = "worker-1"
	mustCommit(t, b, c)
	got := getRun(t, b, run.ID)
	require.Equal(t, cur.Version+1, got.Version)
	require.Equal(t, cur.LastSeq+2, got.LastSeq)
	require.Equal(t, backend.StatusWaiting, got.Status)
	requireLease(t, b, run.ID, "", time.Time{}, "after a commit that releases it")
	require.Len(t, listEvents(t, b, run.ID, 0), int(got.LastSeq))

	takeLease(t, b, run.ID, "worker-2", at, until)
	c, cur = nextCommit(t, b, run.ID)
	c.Events = mkEvents(cur.LastSeq+1, 1, at)
	c.ReleaseLease = "worker-1"
	mustCommit(t, b, c)
	require.Equal(t, cur.Version+1, getRun(t, b, run.ID).Version)
	requireLease(t, b, run.ID, "worker-2", until, "a commit releasing another owner's lease")

	releaseLease(t, b, run.ID, "worker-2")
	c, _ = nextCommit(t, b, run.ID)
	c.ReleaseLease = "worker-2"
	mustCommit(t, b, c)
	requireLease(t, b, run.ID, "", time.Time{}, "a commit releasing a free lease")

	takeLease(t, b, run.ID, "worker-3", at, until)
	c, cur = nextCommit(t, b, run.ID)
	c.Events = mkEvents(cur.LastSeq+1, backend.MaxTransactionItems+20, at)
	c.ReleaseLease = "worker-3"
	mustCommit(t, b, c)
	requireLease(t, b, run.ID, "", time.Time{}, "after a large commit that releases it")
	require.Len(t, listEvents(t, b, run.ID, 0), int(getRun(t, b, run.ID).LastSeq))
}

// A commit larger than one transaction (a driver may split it) leaves the lease as it was too.
func testLeaseLargeCommitLeavesIt(t *testing.T, b backend.Backend) {
	run := setupRun(t, b)
	at := now()
	until := at.Add(time.Minute)
	takeLease(t, b, run.ID, "worker-1", at, until)
	events := appendEvents(t, b, run.ID, backend.MaxTransactionItems+20)
	require.Len(t, listEvents(t, b, run.ID, 0), len(events))
	requireLease(t, b, run.ID, "worker-1", until, "after a large commit")
}

// A run in a terminal status is leased and released like any other.
func testLeaseTerminalRun(t *testing.T, b backend.Backend) {
	run := setupRun(t, b)
	c, _ := nextCommit(t, b, run.ID)
	c.Status = backend.StatusCompleted
	mustCommit(t, b, c)
	at := now()
	until := at.Add(time.Minute)

	takeLease(t, b, run.ID, "worker-1", at, until)
	requireLease(t, b, run.ID, "worker-1", until, "a completed run's lease")
	err := b.TakeLease(t.Context(), run.ID, "worker-2", at, until)
	requireLeaseHeld(t, err, run.ID, "worker-1", until, "TakeLease by another owner on a completed run")
	releaseLease(t, b, run.ID, "worker-1")
	requireLease(t, b, run.ID, "", time.Time{}, "a completed run's lease after its release")
}

// Owners that take a free lease at once: exactly one wins; the others are refused, each
// told the winner and its expiry.
func testLeaseConcurrent(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	run := setupRun(t, b)
	at := now()
	owners := make([]string, workers)
	untils := make([]time.Time, workers)
	errs := make([]error, workers)
	for i := range workers {
		owners[i] = fmt.Sprintf("worker-%d", i)
		untils[i] = at.Add(time.Minute + time.Duration(i)*time.Millisecond) // tells the winner's apart
	}

	parallel(workers, func(i int) {
		errs[i] = b.TakeLease(ctx, run.ID, owners[i], at, untils[i])
	})

	winner := -1
	for i, err := range errs {
		if err == nil {
			require.Equal(t, -1, winner, "two owners took the lease: %s and %s", owners[max(winner, 0)], owners[i])
			winner = i
		}
	}
	require.NotEqual(t, -1, winner, "no owner took the lease: %v", errs)
	for i, err := range errs {
		if i != winner {
			requireLeaseHeld(t, err, run.ID, owners[winner], untils[winner], "TakeLease by "+owners[i])
		}
	}
	requireLease(t, b, run.ID, owners[winner], untils[winner], "after the race")
}
