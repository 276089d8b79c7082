package faultbackend_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/internal/faultbackend"
	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/memory"
)

func setup(t *testing.T) (*faultbackend.Backend, *memory.Backend) {
	t.Helper()
	inner := memory.New()
	t.Cleanup(func() { _ = inner.Close() })
	return faultbackend.New(inner), inner
}

func newRun(id string) backend.Run {
	now := time.Now().UTC()
	return backend.Run{ID: id, Workflow: "wf", Status: backend.StatusPending, CreatedAt: now, UpdatedAt: now}
}

func firstEvent() []backend.Event {
	return []backend.Event{{Seq: 1, Type: "run_created", CreatedAt: time.Now().UTC()}}
}

func TestFailBeforeWritesNothing(t *testing.T) {
	t.Parallel()
	fb, inner := setup(t)
	ctx := context.Background()
	require.NoError(t, fb.Inject(faultbackend.Fault{Point: faultbackend.CreateRun, N: 2}))

	_, err := fb.CreateRun(ctx, newRun("r1"), firstEvent())
	require.NoError(t, err)
	_, err = fb.CreateRun(ctx, newRun("r2"), firstEvent())
	require.ErrorIs(t, err, faultbackend.ErrInjected)
	_, err = inner.GetRun(ctx, "r2")
	require.ErrorIs(t, err, backend.ErrRunNotFound, "a fault before the call writes nothing")
	_, err = fb.CreateRun(ctx, newRun("r3"), firstEvent())
	require.NoError(t, err, "one call fails, the next passes")

	require.Equal(t, 3, fb.Calls(faultbackend.CreateRun))
	fired := fb.Fired()
	require.Len(t, fired, 1)
	require.Equal(t, 2, fired[0].Call)
	require.Equal(t, "r2", fired[0].Detail)
}

func TestCrashAfterLandsAndFails(t *testing.T) {
	t.Parallel()
	fb, inner := setup(t)
	ctx := context.Background()
	_, err := fb.CreateRun(ctx, newRun("r"), firstEvent())
	require.NoError(t, err)
	require.NoError(t, fb.Inject(faultbackend.Fault{Point: faultbackend.Commit, N: 1, Mode: faultbackend.CrashAfter}))

	err = fb.Commit(ctx, backend.Commit{RunID: "r", Version: 1, Status: backend.StatusWaiting, Now: time.Now()})
	require.ErrorIs(t, err, faultbackend.ErrInjected)
	run, err := inner.GetRun(ctx, "r")
	require.NoError(t, err)
	require.Equal(t, int64(2), run.Version, "the commit landed although the caller saw an error")
}

// The lease calls are write points: counted, and failed before the call or after it landed.
func TestLeasePoints(t *testing.T) {
	t.Parallel()
	fb, inner := setup(t)
	ctx := context.Background()
	_, err := fb.CreateRun(ctx, newRun("r"), firstEvent())
	require.NoError(t, err)
	now := time.Now().UTC()
	until := now.Add(time.Minute)
	require.True(t, faultbackend.TakeLease.Writes())
	require.True(t, faultbackend.ReleaseLease.Writes())
	require.NoError(t, fb.Inject(faultbackend.Fault{Point: faultbackend.TakeLease, N: 1}))
	require.NoError(t, fb.Inject(faultbackend.Fault{Point: faultbackend.TakeLease, N: 2, Mode: faultbackend.CrashAfter}))
	require.NoError(t, fb.Inject(faultbackend.Fault{Point: faultbackend.ReleaseLease, N: 1, Mode: faultbackend.CrashAfter}))

	require.ErrorIs(t, fb.TakeLease(ctx, "r", "w1", now, until), faultbackend.ErrInjected)
	run, err := inner.GetRun(ctx, "r")
	require.NoError(t, err)
	require.Empty(t, run.LeaseOwner, "a fault before the call takes nothing")

	require.ErrorIs(t, fb.TakeLease(ctx, "r", "w1", now, until), faultbackend.ErrInjected)
	run, err = inner.GetRun(ctx, "r")
	require.NoError(t, err)
	require.Equal(t, "w1", run.LeaseOwner, "the lease was taken although the caller saw an error")

	require.ErrorIs(t, fb.ReleaseLease(ctx, "r", "w1"), faultbackend.ErrInjected)
	run, err = inner.GetRun(ctx, "r")
	require.NoError(t, err)
	require.Empty(t, run.LeaseOwner, "the lease was released although the caller saw an error")

	require.ErrorIs(t, fb.TakeLease(ctx, "missing", "w1", now, until), backend.ErrRunNotFound, "the backend's own error passes")
	require.NoError(t, fb.ReleaseLease(ctx, "r", "w2"))
	require.Equal(t, 3, fb.Calls(faultbackend.TakeLease))
	require.Equal(t, 2, fb.Calls(faultbackend.ReleaseLease))
	require.Len(t, fb.Fired(), 3)
}

func TestCrashAfterPassesTheBackendsOwnError(t *testing.T) {
	t.Parallel()
	fb, _ := setup(t)
	ctx := context.Background()
	require.NoError(t, fb.Inject(faultbackend.Fault{Point: faultbackend.Commit, N: 1, Mode: faultbackend.CrashAfter}))
	err := fb.Commit(ctx, backend.Commit{RunID: "missing", Version: 1, Now: time.Now()})
	require.ErrorIs(t, err, backend.ErrRunNotFound)
	require.NotErrorIs(t, err, faultbackend.ErrInjected)
}

func TestPutInboxDuplicateKeepsTheFirstRecord(t *testing.T) {
	t.Parallel()
	fb, _ := setup(t)
	ctx := context.Background()
	_, err := fb.CreateRun(ctx, newRun("r"), firstEvent())
	require.NoError(t, err)
	now := time.Now().UTC()
	idem := &backend.Idempotency{Key: "k", Data: []byte(`{"first":true}`), CreatedAt: now}
	cancel := backend.InboxItem{RunID: "r", Kind: backend.InboxCancel, CreatedAt: now}
	require.NoError(t, fb.Inject(faultbackend.Fault{Point: faultbackend.PutInbox, N: 1, Mode: faultbackend.CrashAfter}))

	item, rec, err := fb.PutInbox(ctx, cancel, idem)
	require.ErrorIs(t, err, faultbackend.ErrInjected)
	require.Empty(t, item.ID, "a crash returns nothing")
	require.Nil(t, rec)

	_, rec, err = fb.PutInbox(ctx, cancel, idem)
	require.ErrorIs(t, err, backend.ErrDuplicate, "the retry finds the write that landed")
	require.NotNil(t, rec)
	require.JSONEq(t, `{"first":true}`, string(rec.Data))
}

func TestTimesAndStoppedBackend(t *testing.T) {
	t.Parallel()
	fb, _ := setup(t)
	ctx := context.Background()
	require.NoError(t, fb.Inject(faultbackend.Fault{Point: faultbackend.Enqueue, N: 2, Times: 2}))
	require.NoError(t, fb.Inject(faultbackend.Fault{Point: faultbackend.GetRun, N: 1, Times: -1, Err: context.DeadlineExceeded}))
	var got []bool
	for range 5 {
		got = append(got, fb.Enqueue(ctx, "r", 0) == nil)
	}
	require.Equal(t, []bool{true, false, false, true, true}, got)
	for range 3 {
		_, err := fb.GetRun(ctx, "r")
		require.ErrorIs(t, err, context.DeadlineExceeded, "a stopped backend fails every call with the fault's error")
	}
	require.Equal(t, map[faultbackend.Point]int{faultbackend.Enqueue: 5, faultbackend.GetRun: 3}, fb.Counts())
}

func TestInjectRefusesImpossibleFaults(t *testing.T) {
	t.Parallel()
	fb, _ := setup(t)
	for _, f := range []faultbackend.Fault{
		{Point: "Nope", N: 1},
		{Point: faultbackend.Commit, N: 0},
		{Point: faultbackend.GetRun, N: 1, Mode: faultbackend.CrashAfter},
		{Point: faultbackend.Commit, N: 1, Mode: faultbackend.Mode(7)},
	} {
		require.Error(t, fb.Inject(f), "%+v", f)
	}
	require.True(t, faultbackend.Ack.Writes())
	require.False(t, faultbackend.ListInbox.Writes())
}

func TestCountsAreExactUnderConcurrency(t *testing.T) {
	t.Parallel()
	fb, _ := setup(t)
	ctx := context.Background()
	require.NoError(t, fb.Inject(faultbackend.Fault{Point: faultbackend.Enqueue, N: 500}))
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed int
	)
	for range 1000 {
		wg.Go(func() {
			if err := fb.Enqueue(ctx, "r", 0); errors.Is(err, faultbackend.ErrInjected) {
				mu.Lock()
				failed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Equal(t, 1000, fb.Calls(faultbackend.Enqueue))
	require.Equal(t, 1, failed, "exactly the 500th call fails")
	fb.Reset()
	require.Zero(t, fb.Calls(faultbackend.Enqueue))
	require.Empty(t, fb.Fired())
}

func TestPassesClockAndSweepHint(t *testing.T) {
	t.Parallel()
	fb, inner := setup(t)
	require.Equal(t, inner.Clock(), fb.Clock())
	require.Equal(t, inner.SweepEvery(), fb.SweepEvery())
	require.Equal(t, inner, fb.Inner())
}
