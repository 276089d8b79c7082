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
	"go.uber.org/goleak"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/workflow/werr"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// setup returns a memory backend on a fake clock and a registry with a workflow that runs
// steps and hourly sleeps, counting step executions.
func setup(t *testing.T) (*memory.Backend, *testClock, *Registry, *atomic.Int32) {
	t.Helper()
	clock := &testClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := memory.New(memory.WithClock(clock))
	t.Cleanup(func() { _ = b.Close() })
	var steps atomic.Int32
	reg := NewRegistry()
	require.NoError(t, reg.Register("ticker", func(c *Ctx, in json.RawMessage) (json.RawMessage, error) {
		var n int
		if err := json.Unmarshal(in, &n); err != nil {
			return nil, err
		}
		sum := 0
		for i := range n {
			v, err := ScheduleStep(c, fmt.Sprintf("tick-%d", i), func(context.Context) (any, error) {
				steps.Add(1)
				return i, nil
			}, StepOptions{Retries: -1}).Get(c)
			if err != nil {
				return nil, err
			}
			var k int
			_ = json.Unmarshal(v.(json.RawMessage), &k)
			sum += k
			if _, err := NewTimer(c, "sleep", time.Hour).Get(c); err != nil {
				return nil, err
			}
		}
		return json.Marshal(sum)
	}))
	return b, clock, reg, &steps
}

func newEngine(b backend.Backend, clock backend.Clock, reg *Registry) *Engine {
	return New(b, reg, Options{Clock: clock, Logger: slog.New(slog.DiscardHandler)})
}

// Two engines (two runner processes) take turns on one run: each finds its cached executor
// behind the other's commits and catches up from the events after its last one, without a
// replay from the start, and the run still records every step once.
func TestEnginesTakingTurnsCatchUpStaleCaches(t *testing.T) {
	t.Parallel()
	b, clock, reg, steps := setup(t)
	ctx := t.Context()
	a, z := newEngine(b, clock, reg), newEngine(b, clock, reg)
	t.Cleanup(a.Close)
	t.Cleanup(z.Close)
	_, _, err := StartRun(ctx, b, clock, "ticker", "r1", json.RawMessage(`4`))
	require.NoError(t, err)

	engines := []*Engine{a, z}
	for i := 0; i < 5; i++ {
		res, err := engines[i%2].Turn(ctx, "r1")
		require.NoError(t, err, "turn %d", i)
		if i < 4 {
			require.Equal(t, backend.StatusWaiting, res.Status)
		}
		clock.advance(time.Hour)
	}
	run, err := b.GetRun(ctx, "r1")
	require.NoError(t, err)
	require.Equal(t, backend.StatusCompleted, run.Status)
	require.JSONEq(t, `6`, string(run.Output))
	require.EqualValues(t, 4, steps.Load())
	for _, e := range engines {
		st := e.Stats()
		require.EqualValues(t, 1, st.Replays, "each engine replayed once, the first time it saw the run")
		require.GreaterOrEqual(t, st.CatchUps, int64(1), "and caught up afterwards")
	}
}

// Turns of one run racing in parallel never duplicate or lose an event: the version check lets
// one commit and the loser retries.
func TestConcurrentTurnsOnOneRun(t *testing.T) {
	t.Parallel()
	b, clock, reg, _ := setup(t)
	ctx := t.Context()
	_, _, err := StartRun(ctx, b, clock, "ticker", "r1", json.RawMessage(`3`))
	require.NoError(t, err)
	engines := []*Engine{newEngine(b, clock, reg), newEngine(b, clock, reg), newEngine(b, clock, reg)}
	for _, e := range engines {
		t.Cleanup(e.Close)
	}
	for round := 0; round < 4; round++ {
		var wg sync.WaitGroup
		for _, e := range engines {
			wg.Go(func() {
				err := TurnAndSchedule(ctx, e, "r1")
				require.NoError(t, err)
			})
		}
		wg.Wait()
		clock.advance(time.Hour)
	}
	run, err := b.GetRun(ctx, "r1")
	require.NoError(t, err)
	require.Equal(t, backend.StatusCompleted, run.Status)
	evs, err := b.ListEvents(ctx, "r1", 0)
	require.NoError(t, err)
	counts := map[string]int{}
	for i, ev := range evs {
		require.EqualValues(t, i+1, ev.Seq)
		counts[ev.Type]++
	}
	require.Equal(t, map[string]int{
		EventRunCreated: 1, EventStepCompleted: 3, EventTimerCreated: 3, EventTimerFired: 3, EventRunCompleted: 1,
	}, counts)
}

func TestTurnOfUnregisteredWorkflowIsAnError(t *testing.T) {
	t.Parallel()
	b, clock, reg, _ := setup(t)
	ctx := t.Context()
	_, _, err := StartRun(ctx, b, clock, "not-here", "r1", nil)
	require.NoError(t, err)
	e := newEngine(b, clock, reg)
	_, err = e.Turn(ctx, "r1")
	require.ErrorIs(t, err, werr.ErrNotRegistered)
	run, err := b.GetRun(ctx, "r1")
	require.NoError(t, err)
	require.Equal(t, backend.StatusPending, run.Status, "the run waits for a worker that knows it")
	_, err = e.Turn(ctx, "missing")
	require.ErrorIs(t, err, werr.ErrRunNotFound)
}

func TestErrorsSurviveTheirRecord(t *testing.T) {
	t.Parallel()
	sentinel := fmt.Errorf("wrapped: %w", werr.ErrTimeout)
	cases := []error{
		sentinel,
		&werr.StepError{Step: "charge", Attempts: 2, Err: sentinel},
		&werr.NonDeterminismError{RunID: "r", Position: 3, Recorded: "a", Current: "b"},
		&werr.HookConflictError{Token: "slack:C1", RunID: "r0"},
		&werr.ValidationError{Issues: []string{"/amount: must be >= 0"}},
		errors.New("plain"),
	}
	for _, orig := range cases {
		got := DecodeError(EncodeError(orig))
		require.Equal(t, orig.Error(), got.Error())
		require.Equal(t, errors.Is(orig, werr.ErrTimeout), errors.Is(got, werr.ErrTimeout), "%v", orig)
		require.Equal(t, errors.Is(orig, werr.ErrNonDeterminism), errors.Is(got, werr.ErrNonDeterminism), "%v", orig)
	}
	var se *werr.StepError
	require.ErrorAs(t, DecodeError(EncodeError(cases[1])), &se)
	require.Equal(t, 2, se.Attempts)
	var hc *werr.HookConflictError
	require.ErrorAs(t, DecodeError(EncodeError(cases[3])), &hc)
	require.Equal(t, "r0", hc.RunID)
	require.Nil(t, DecodeError(nil))
	require.Nil(t, EncodeError(nil))
	require.EqualError(t, DecodeError(json.RawMessage(`not json`)), "not json", "a corrupt record still shows its text")
}

func TestDiscardStopsParkedCoroutines(t *testing.T) {
	t.Parallel()
	s := newScheduler()
	var unwound atomic.Int32
	for i := range 3 {
		s.spawn(fmt.Sprint("c", i), func() {
			defer unwound.Add(1)
			s.block(func() bool { return false })
		})
	}
	s.run(func() bool { return false })
	s.kill()
	require.EqualValues(t, 3, unwound.Load(), "deferred calls ran; goleak checks the goroutines ended")
}

func TestRetryDelayBacksOffAndCaps(t *testing.T) {
	t.Parallel()
	err := errors.New("x")
	require.Equal(t, time.Second, retryDelay(err, time.Second, 1))
	require.Equal(t, 2*time.Second, retryDelay(err, time.Second, 2))
	require.Equal(t, 8*time.Second, retryDelay(err, time.Second, 4))
	require.Equal(t, time.Hour, retryDelay(err, time.Second, 40))
	require.Equal(t, 7*time.Millisecond, retryDelay(RetryAfter(err, 7*time.Millisecond), time.Second, 3))
}

// A run that ends holding more hooks than one commit may release releases them in chunks.
func TestRunEndingWithManyHooksReleasesThemAll(t *testing.T) {
	t.Parallel()
	b, clock, reg, _ := setup(t)
	ctx := t.Context()
	require.NoError(t, reg.Register("many-hooks", func(c *Ctx, _ json.RawMessage) (json.RawMessage, error) {
		for i := range 130 {
			if _, err := CreateHook(c, HookSpec{Token: fmt.Sprintf("tok-%03d", i), Kind: backend.TokenHook}); err != nil {
				return nil, err
			}
		}
		return json.RawMessage(`"done"`), nil
	}))
	e := newEngine(b, clock, reg)
	t.Cleanup(e.Close)
	_, _, err := StartRun(ctx, b, clock, "many-hooks", "r1", nil)
	require.NoError(t, err)
	res, err := e.Turn(ctx, "r1")
	require.NoError(t, err)
	require.Equal(t, backend.StatusCompleted, res.Status)
	toks, err := b.ListTokens(ctx, "")
	require.NoError(t, err)
	require.Empty(t, toks)
	run, err := b.GetRun(ctx, "r1")
	require.NoError(t, err)
	require.EqualValues(t, 1+130+2+1+1, run.Version,
		"one commit per claim, two chunks of 48 releases, one with the last 34 (before the last read of the inbox), the final commit")
}

// A turn whose context is about to end starts no step: it commits what it has, marks the run
// as running and due now, and asks for a continuation, which the next turn picks up.
func TestTurnNearItsDeadlineLeavesAContinuation(t *testing.T) {
	t.Parallel()
	b, clock, reg, steps := setup(t)
	e := New(b, reg, Options{Clock: clock, Logger: slog.New(slog.DiscardHandler), DeadlineMargin: time.Minute})
	t.Cleanup(e.Close)
	_, _, err := StartRun(t.Context(), b, clock, "ticker", "r1", json.RawMessage(`1`))
	require.NoError(t, err)
	msgs, err := b.Receive(t.Context(), 10, 0)
	require.NoError(t, err)
	require.NoError(t, b.Ack(t.Context(), msgs...))

	near, cancel := context.WithTimeout(t.Context(), 30*time.Second) // less than the margin
	defer cancel()
	require.NoError(t, TurnAndSchedule(near, e, "r1"))
	require.Zero(t, steps.Load(), "no step started so close to the deadline")
	run, err := b.GetRun(t.Context(), "r1")
	require.NoError(t, err)
	require.Equal(t, backend.StatusRunning, run.Status)
	require.False(t, run.DueAt.IsZero(), "due now: the sweeper would also pick it up")
	require.Equal(t, 1, b.Pending(), "a continuation was queued")

	require.NoError(t, TurnAndSchedule(t.Context(), e, "r1"))
	require.EqualValues(t, 1, steps.Load(), "the next turn ran the step")
}
