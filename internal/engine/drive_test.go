package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/memory"
)

// registerListener adds "listener": a hook with the token "tok" that receives n payloads,
// each handled by a step, and returns them joined.
func registerListener(t *testing.T, reg *Registry) {
	t.Helper()
	require.NoError(t, reg.Register("listener", func(c *Ctx, in json.RawMessage) (json.RawMessage, error) {
		var n int
		if err := json.Unmarshal(in, &n); err != nil {
			return nil, err
		}
		h, err := CreateHook(c, HookSpec{Token: "tok", Kind: backend.TokenHook})
		if err != nil {
			return nil, err
		}
		var got []string
		for range n {
			r, err := h.Receive(c)
			if err != nil {
				return nil, err
			}
			v, err := ScheduleStep(c, "handle", func(context.Context) (any, error) {
				var s string
				return s, json.Unmarshal(r.Payload, &s)
			}, StepOptions{}).Get(c)
			if err != nil {
				return nil, err
			}
			var s string
			_ = json.Unmarshal(v.(json.RawMessage), &s)
			got = append(got, s)
		}
		return json.Marshal(got)
	}))
}

// deliver stores a payload for the listener's hook, as a resume would (without the wake).
func deliver(t *testing.T, b backend.Backend, runID, payload string) {
	t.Helper()
	tok, err := b.GetToken(t.Context(), "tok")
	require.NoError(t, err)
	_, _, err = b.PutInbox(t.Context(), backend.InboxItem{
		RunID: runID, Kind: backend.InboxHook, Token: "tok", HookID: tok.HookID, Payload: json.RawMessage(payload),
	}, nil)
	require.NoError(t, err)
}

// startListener starts a listener run for n payloads and drives its first turn with e.
func startListener(t *testing.T, b backend.Backend, clock backend.Clock, e *Engine, n int) {
	t.Helper()
	_, _, err := StartRun(t.Context(), b, clock, "listener", "r1", json.RawMessage(fmt.Sprint(n)))
	require.NoError(t, err)
	require.NoError(t, e.Drive(t.Context(), "r1"))
	_, err = b.GetToken(t.Context(), "tok")
	require.NoError(t, err, "the first turn created the hook")
}

func inboxLen(t *testing.T, b backend.Backend) int {
	t.Helper()
	items, err := b.ListInbox(t.Context(), "r1", 0)
	require.NoError(t, err)
	return len(items)
}

// A wake of a run that another runner holds needs no turn: it is acknowledged (nil) and the
// delivery waits for the holder; once the lease is gone, a wake turns the run.
func TestDriveCoalescesTheWakesOfAHeldRun(t *testing.T) {
	t.Parallel()
	b, clock, reg, _ := setup(t)
	registerListener(t, reg)
	e := newEngine(b, clock, reg)
	t.Cleanup(e.Close)
	ctx := t.Context()
	startListener(t, b, clock, e, 1)

	now := clock.Now()
	require.NoError(t, b.TakeLease(ctx, "r1", "other-runner", now, now.Add(time.Minute)))
	deliver(t, b, "r1", `"a"`)
	before := e.Stats()
	require.NoError(t, e.Drive(ctx, "r1"))
	after := e.Stats()
	require.Equal(t, before.Turns, after.Turns, "no turn while another runner holds the run")
	require.Equal(t, before.Coalesced+1, after.Coalesced)
	require.Equal(t, 1, inboxLen(t, b), "the delivery waits for the holder")

	require.NoError(t, b.ReleaseLease(ctx, "r1", "other-runner"))
	require.NoError(t, e.Drive(ctx, "r1"))
	run, err := b.GetRun(ctx, "r1")
	require.NoError(t, err)
	require.Equal(t, backend.StatusCompleted, run.Status)
	require.JSONEq(t, `["a"]`, string(run.Output))
	require.Empty(t, run.LeaseOwner, "the lease is released")
}

// A wake of a run with nothing to do (its delivery was moved by an earlier turn) costs no turn.
func TestDriveSkipsARunWithNothingToDo(t *testing.T) {
	t.Parallel()
	b, clock, reg, _ := setup(t)
	registerListener(t, reg)
	e := newEngine(b, clock, reg)
	t.Cleanup(e.Close)
	startListener(t, b, clock, e, 2)
	before := e.Stats()
	for range 3 {
		require.NoError(t, e.Drive(t.Context(), "r1"))
	}
	after := e.Stats()
	require.Equal(t, before.Turns, after.Turns)
	require.Equal(t, before.Coalesced+3, after.Coalesced)
	require.Equal(t, before.Wakes+3, after.Wakes)
}

// releaseHook runs fn, once it is set, just before the wrapped backend's next ReleaseLease or
// Commit that releases the lease (the holder letting go), and then forgets it.
type releaseHook struct {
	backend.Backend
	mu sync.Mutex
	fn func()
}

func (r *releaseHook) set(fn func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fn = fn
}

func (r *releaseHook) ReleaseLease(ctx context.Context, runID, owner string) error {
	r.fire()
	return r.Backend.ReleaseLease(ctx, runID, owner)
}

func (r *releaseHook) Commit(ctx context.Context, c backend.Commit) error {
	if c.ReleaseLease != "" {
		r.fire()
	}
	return r.Backend.Commit(ctx, c)
}

func (r *releaseHook) fire() {
	r.mu.Lock()
	fn := r.fn
	r.fn = nil
	r.mu.Unlock()
	if fn != nil {
		fn()
	}
}

// The case that single flight must get right: a delivery lands after the holder's last inbox
// read, and its wake is coalesced by another runner because the lease is still held. The holder
// reads the run again after letting go, and takes the delivery itself; no wake is left to do it.
func TestHolderTakesWhatArrivedAsItLetGo(t *testing.T) {
	t.Parallel()
	b, clock, reg, _ := setup(t)
	registerListener(t, reg)
	other := newEngine(b, clock, reg)
	t.Cleanup(other.Close)
	hooked := &releaseHook{Backend: b}
	holder := newEngine(hooked, clock, reg)
	t.Cleanup(holder.Close)
	startListener(t, b, clock, other, 2)

	deliver(t, b, "r1", `"first"`)
	hooked.set(func() {
		// After the holder's turn, before it lets go.
		deliver(t, b, "r1", `"late"`)
		require.NoError(t, other.Drive(t.Context(), "r1"))
	})
	before := other.Stats()
	require.NoError(t, holder.Drive(t.Context(), "r1"))
	require.Equal(t, before.Coalesced+1, other.Stats().Coalesced, "the late delivery's wake was coalesced")
	require.Equal(t, before.Turns, other.Stats().Turns)

	run, err := b.GetRun(t.Context(), "r1")
	require.NoError(t, err)
	require.Equal(t, backend.StatusCompleted, run.Status, "the holder took the late delivery after letting go")
	require.JSONEq(t, `["first","late"]`, string(run.Output))
	require.Zero(t, inboxLen(t, b))
}

// A runner that died holding a run delays it until the lease lapses, then the next wake (the
// sweeper's, say) turns it.
func TestLapsedLeaseIsTakenOver(t *testing.T) {
	t.Parallel()
	b, clock, reg, _ := setup(t)
	registerListener(t, reg)
	e := newEngine(b, clock, reg)
	t.Cleanup(e.Close)
	ctx := t.Context()
	startListener(t, b, clock, e, 1)
	now := clock.Now()
	require.NoError(t, b.TakeLease(ctx, "r1", "dead-runner", now, now.Add(DefaultLeaseTTL)))
	deliver(t, b, "r1", `"x"`)
	require.NoError(t, e.Drive(ctx, "r1"))
	require.Equal(t, 1, inboxLen(t, b), "held: coalesced")

	clock.advance(DefaultLeaseTTL)
	n, err := Sweep(ctx, e, 0)
	require.NoError(t, err)
	require.Equal(t, 1, n, "the sweeper wakes the run with an inbox item")
	require.NoError(t, e.Drive(ctx, "r1"))
	run, err := b.GetRun(ctx, "r1")
	require.NoError(t, err)
	require.Equal(t, backend.StatusCompleted, run.Status)
}

// Concurrent wakes of one run on several engines (runner Lambdas) and within one engine turn it
// one at a time: no turn loses a race, and every delivery is received once.
func TestConcurrentDrivesDoNotConflict(t *testing.T) {
	t.Parallel()
	b, clock, reg, _ := setup(t)
	registerListener(t, reg)
	engines := []*Engine{newEngine(b, clock, reg), newEngine(b, clock, reg), newEngine(b, clock, reg)}
	for _, e := range engines {
		t.Cleanup(e.Close)
	}
	const n = 40
	startListener(t, b, clock, engines[0], n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			deliver(t, b, "r1", fmt.Sprintf(`"p%02d"`, i))
			require.NoError(t, engines[i%3].Drive(t.Context(), "r1"))
			require.NoError(t, engines[(i+1)%3].Drive(t.Context(), "r1"))
		})
	}
	wg.Wait()
	require.NoError(t, engines[0].Drive(t.Context(), "r1")) // what the last holder left, if anything
	var conflicts int64
	for _, e := range engines {
		conflicts += e.Stats().Conflicts
	}
	require.Zero(t, conflicts)
	run, err := b.GetRun(t.Context(), "r1")
	require.NoError(t, err)
	require.Equal(t, backend.StatusCompleted, run.Status)
	var got []string
	require.NoError(t, json.Unmarshal(run.Output, &got))
	require.Len(t, got, n)
	seen := map[string]bool{}
	for _, p := range got {
		require.False(t, seen[p], "%s received twice", p)
		seen[p] = true
	}
}

// Steps that follow each other quickly share a commit; with CheckpointEvery negative, each has
// its own, as before.
func TestQuickStepsShareACommit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		every       time.Duration
		min, max    int64
		description string
	}{
		{0, 1, 2, "default: the run's one turn commits once, as it ends"},
		{-1, 21, 30, "every step committed"},
	} {
		t.Run(fmt.Sprint(tc.every), func(t *testing.T) {
			t.Parallel()
			clock := &testClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			b := memory.New(memory.WithClock(clock))
			t.Cleanup(func() { _ = b.Close() })
			reg := NewRegistry()
			var ran atomic.Int32
			require.NoError(t, reg.Register("burst", func(c *Ctx, _ json.RawMessage) (json.RawMessage, error) {
				for i := range 20 {
					if _, err := ScheduleStep(c, fmt.Sprint("s", i), func(context.Context) (any, error) {
						ran.Add(1)
						return i, nil
					}, StepOptions{}).Get(c); err != nil {
						return nil, err
					}
				}
				return json.RawMessage(`"done"`), nil
			}))
			e := New(b, reg, Options{Clock: clock, Logger: slog.New(slog.DiscardHandler), CheckpointEvery: tc.every})
			t.Cleanup(e.Close)
			_, _, err := StartRun(t.Context(), b, clock, "burst", "r1", nil)
			require.NoError(t, err)
			require.NoError(t, e.Drive(t.Context(), "r1"))
			run, err := b.GetRun(t.Context(), "r1")
			require.NoError(t, err)
			require.Equal(t, backend.StatusCompleted, run.Status)
			require.EqualValues(t, 20, ran.Load())
			commits := run.Version - 1
			require.True(t, commits >= tc.min && commits <= tc.max, "%s: %d commits", tc.description, commits)
		})
	}
}

// A token created before a step is claimed before the step runs, even with grouped commits:
// the step may hand it out.
func TestTokenIsDurableBeforeTheNextStep(t *testing.T) {
	t.Parallel()
	b, clock, reg, _ := setup(t)
	require.NoError(t, reg.Register("hand-out", func(c *Ctx, _ json.RawMessage) (json.RawMessage, error) {
		if _, err := CreateHook(c, HookSpec{Token: "handed", Kind: backend.TokenHook}); err != nil {
			return nil, err
		}
		v, err := ScheduleStep(c, "send", func(ctx context.Context) (any, error) {
			_, err := b.GetToken(ctx, "handed")
			return err == nil, nil
		}, StepOptions{}).Get(c)
		if err != nil {
			return nil, err
		}
		return v.(json.RawMessage), nil
	}))
	e := newEngine(b, clock, reg)
	t.Cleanup(e.Close)
	_, _, err := StartRun(t.Context(), b, clock, "hand-out", "r1", nil)
	require.NoError(t, err)
	require.NoError(t, e.Drive(t.Context(), "r1"))
	run, err := b.GetRun(t.Context(), "r1")
	require.NoError(t, err)
	require.JSONEq(t, `true`, string(run.Output), "the step found the token claimed")
}

// A run that always has more work is let go after MaxHold with a continuation queued, so that
// one hot run does not keep a worker; without the bound, one Drive takes it all.
func TestMaxHoldLetsGoWithAContinuation(t *testing.T) {
	t.Parallel()
	b, clock, reg, _ := setup(t)
	registerListener(t, reg)
	e := New(b, reg, Options{Clock: clock, Logger: slog.New(slog.DiscardHandler), MaxHold: time.Nanosecond})
	t.Cleanup(e.Close)
	startListener(t, b, clock, e, 2*IntakeItems)
	for i := range 2 * IntakeItems {
		deliver(t, b, "r1", fmt.Sprintf(`"p%d"`, i))
	}
	msgs, err := b.Receive(t.Context(), 100, 0)
	require.NoError(t, err)
	require.NoError(t, b.Ack(t.Context(), msgs...))

	require.NoError(t, e.Drive(t.Context(), "r1"))
	require.Equal(t, IntakeItems, inboxLen(t, b), "one turn's intake, then it let go")
	require.Equal(t, 1, b.Pending(), "with a continuation queued")
	run, err := b.GetRun(t.Context(), "r1")
	require.NoError(t, err)
	require.Empty(t, run.LeaseOwner)

	whole := newEngine(b, clock, reg)
	t.Cleanup(whole.Close)
	require.NoError(t, whole.Drive(t.Context(), "r1"))
	run, err = b.GetRun(t.Context(), "r1")
	require.NoError(t, err)
	require.Equal(t, backend.StatusCompleted, run.Status)
}

// A delivery to a run that a runner holds queues no wake: the holder takes it after letting go.
// A delivery to a free run queues one.
func TestDeliveryToAHeldRunQueuesNoWake(t *testing.T) {
	t.Parallel()
	b, clock, reg, _ := setup(t)
	registerListener(t, reg)
	hooked := &releaseHook{Backend: b}
	holder := newEngine(hooked, clock, reg)
	t.Cleanup(holder.Close)
	startListener(t, b, clock, holder, 2)
	msgs, err := b.Receive(t.Context(), 10, 0)
	require.NoError(t, err)
	require.NoError(t, b.Ack(t.Context(), msgs...))

	deliver(t, b, "r1", `"first"`)
	require.NoError(t, WakeAfterDelivery(t.Context(), b, clock, "r1"))
	require.Equal(t, 1, b.Pending(), "a free run is woken")
	msgs, err = b.Receive(t.Context(), 10, 0)
	require.NoError(t, err)

	hooked.set(func() { // while the holder still holds the run
		deliver(t, b, "r1", `"second"`)
		require.NoError(t, WakeAfterDelivery(t.Context(), b, clock, "r1"))
		require.Zero(t, b.Pending(), "no wake for a held run")
	})
	require.NoError(t, holder.Drive(t.Context(), msgs[0].RunID))
	require.NoError(t, b.Ack(t.Context(), msgs...))
	run, err := b.GetRun(t.Context(), "r1")
	require.NoError(t, err)
	require.Equal(t, backend.StatusCompleted, run.Status, "the holder took the second delivery itself")
	require.JSONEq(t, `["first","second"]`, string(run.Output))
	require.Zero(t, b.Pending())
}

// failRelease, once on is set, fails every ReleaseLease and every commit that would release
// the lease (storing nothing of it), after running the hook of its releaseHook.
type failRelease struct {
	*releaseHook
	on *atomic.Bool
}

func (f failRelease) ReleaseLease(ctx context.Context, runID, owner string) error {
	if !f.on.Load() {
		return f.releaseHook.ReleaseLease(ctx, runID, owner)
	}
	f.fire()
	return errors.New("injected: release failed")
}

func (f failRelease) Commit(ctx context.Context, c backend.Commit) error {
	if f.on.Load() && c.ReleaseLease != "" {
		f.fire()
		return errors.New("injected: commit failed")
	}
	return f.releaseHook.Commit(ctx, c)
}

// A holder that cannot let go (its last commit fails, and so does its release) leaves the
// lease behind, and deliveries then send no wake. It queues a wake for when the lease lapses,
// and nothing is lost: the next runner takes both deliveries.
func TestFailedReleaseLosesNothing(t *testing.T) {
	t.Parallel()
	b, clock, reg, _ := setup(t)
	registerListener(t, reg)
	hooked := &releaseHook{Backend: b}
	var failing atomic.Bool
	holder := newEngine(failRelease{hooked, &failing}, clock, reg)
	t.Cleanup(holder.Close)
	startListener(t, b, clock, holder, 2)
	msgs, err := b.Receive(t.Context(), 10, 0)
	require.NoError(t, err)
	require.NoError(t, b.Ack(t.Context(), msgs...))

	deliver(t, b, "r1", `"first"`)
	failing.Store(true)
	hooked.set(func() {
		deliver(t, b, "r1", `"second"`)
		require.NoError(t, WakeAfterDelivery(t.Context(), b, clock, "r1"))
		require.Zero(t, b.Pending(), "no wake for a held run")
	})
	require.NoError(t, holder.Drive(t.Context(), "r1"), "the failed turn is recorded and retried later")
	run, err := b.GetRun(t.Context(), "r1")
	require.NoError(t, err)
	require.NotEqual(t, backend.StatusCompleted, run.Status)
	require.NotEmpty(t, run.LeaseOwner, "the lease is left behind")
	at, ok := b.NextVisible()
	require.True(t, ok, "a wake is queued")
	require.False(t, at.After(clock.Now().Add(DefaultLeaseTTL)), "no later than when the lease lapses: %v", at)

	failing.Store(false)
	clock.advance(DefaultLeaseTTL + time.Second)
	next := newEngine(b, clock, reg)
	t.Cleanup(next.Close)
	for range 3 {
		require.NoError(t, next.Drive(t.Context(), "r1"))
	}
	run, err = b.GetRun(t.Context(), "r1")
	require.NoError(t, err)
	require.Equal(t, backend.StatusCompleted, run.Status)
	require.JSONEq(t, `["first","second"]`, string(run.Output))
}

// countReleases counts the ReleaseLease calls of the wrapped backend.
type countReleases struct {
	backend.Backend
	releases atomic.Int32
}

func (c *countReleases) ReleaseLease(ctx context.Context, runID, owner string) error {
	c.releases.Add(1)
	return c.Backend.ReleaseLease(ctx, runID, owner)
}

// A hold whose last turn commits lets go of the lease in that commit: no write of its own,
// and the run is free for the next runner at once, whether it waits or ends.
func TestLastCommitReleasesTheLease(t *testing.T) {
	t.Parallel()
	b, clock, reg, _ := setup(t)
	registerListener(t, reg)
	counted := &countReleases{Backend: b}
	holder := newEngine(counted, clock, reg)
	t.Cleanup(holder.Close)
	startListener(t, b, clock, holder, 2)

	for i, want := range []backend.RunStatus{backend.StatusWaiting, backend.StatusCompleted} {
		deliver(t, b, "r1", fmt.Sprintf(`"%d"`, i))
		require.NoError(t, holder.Drive(t.Context(), "r1"))
		run, err := b.GetRun(t.Context(), "r1")
		require.NoError(t, err)
		require.Equal(t, want, run.Status)
		require.Empty(t, run.LeaseOwner, "the lease is free")
		require.Zero(t, counted.releases.Load(), "no ReleaseLease call")
	}
}
