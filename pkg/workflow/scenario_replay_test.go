package workflow_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
	"github.com/hookflow/hookflow/pkg/workflow/workflowtest"
)

// fanOut starts n coroutines that interleave through sleeps of different lengths and steps,
// appending to a shared log whose order only the scheduler decides.
var fanOut = workflow.Define("fan-out", func(ctx workflow.Context, n int) ([]string, error) {
	var log []string
	futs := make([]workflow.Awaitable, n)
	for i := range n {
		futs[i] = workflow.Go(ctx, fmt.Sprintf("worker-%d", i), func(ctx workflow.Context) (int, error) {
			for round := range 3 {
				log = append(log, fmt.Sprintf("w%d.r%d", i, round))
				if err := workflow.Sleep(ctx, time.Duration(n-i)*time.Minute); err != nil {
					return 0, err
				}
			}
			v, err := workflow.Step(ctx, fmt.Sprintf("work-%d", i), func(context.Context) (int, error) { return i * i, nil })
			log = append(log, fmt.Sprintf("w%d=%d", i, v))
			return v, err
		})
	}
	if err := workflow.All(ctx, futs...); err != nil {
		return nil, err
	}
	log = append(log, "id:"+workflow.NewID(ctx), fmt.Sprintf("rand:%d", workflow.Rand(ctx).IntN(1000)))
	return log, nil
})

func TestScenarioCoroutinesAreDeterministic(t *testing.T) {
	t.Parallel()
	var results [][]string
	var histories [][]string
	for _, opts := range []workflowtest.Options{{}, {ReplayEveryTurn: true}, {ReplayEveryTurn: true}} {
		env := workflowtest.NewWithOptions(t, opts, fanOut)
		run, err := workflow.Start(t.Context(), env.Client(), fanOut, 3, workflow.WithRunID("fan-out-1"))
		require.NoError(t, err)
		env.AdvanceTime(time.Hour)
		out, err := run.Result(t.Context())
		require.NoError(t, err)
		results = append(results, out)
		histories = append(histories, env.EventTypes(run.ID()))
		env.RequireReplay(fanOut, run.ID())
	}
	require.Equal(t, results[0], results[1])
	require.Equal(t, results[0], results[2])
	require.Equal(t, histories[0], histories[1])
	// Coroutines start in creation order, and then wake in timer order: worker-2 sleeps 1m,
	// worker-1 2m, worker-0 3m.
	require.Equal(t, []string{"w0.r0", "w1.r0", "w2.r0", "w2.r1", "w1.r1", "w2.r2"}, results[0][:6])
	require.Len(t, results[0], 3*3+3+2)
}

func TestScenarioChangedStepOrderIsNonDeterministic(t *testing.T) {
	t.Parallel()
	var swapped atomic.Bool
	wf := workflow.Define("two-steps", func(ctx workflow.Context, _ struct{}) (string, error) {
		names := []string{"reserve", "charge"}
		if swapped.Load() {
			names = []string{"charge", "reserve"}
		}
		for _, name := range names {
			if _, err := workflow.Step(ctx, name, func(context.Context) (string, error) { return name, nil }); err != nil {
				return "", err
			}
			if err := workflow.Sleep(ctx, time.Hour); err != nil {
				return "", err
			}
		}
		return "done", nil
	})
	env := workflowtest.NewWithOptions(t, workflowtest.Options{ReplayEveryTurn: true}, wf)
	ctx := t.Context()
	run, err := workflow.Start(ctx, env.Client(), wf, struct{}{})
	require.NoError(t, err)
	env.WaitIdle() // "reserve" is recorded; the run sleeps

	swapped.Store(true) // a deploy changes the order while the run is in flight
	env.AdvanceTime(time.Hour)

	_, err = run.Result(ctx)
	require.ErrorIs(t, err, workflow.ErrNonDeterminism)
	var nd *workflow.NonDeterminismError
	require.ErrorAs(t, err, &nd)
	require.Equal(t, run.ID(), nd.RunID)
	require.Equal(t, 2, nd.Position)
	require.Contains(t, nd.Recorded, `step_completed s1 "reserve"`)
	require.Contains(t, nd.Current, `step s1 "charge"`)
	require.Equal(t, workflow.StatusFailed, env.Status(run.ID()))

	// ReplayHistory finds the same problem before a deploy would.
	evs, err := env.Client().ListEvents(ctx, run.ID())
	require.NoError(t, err)
	require.ErrorIs(t, workflow.ReplayHistory(wf, run.ID(), evs[:len(evs)-1]), workflow.ErrNonDeterminism)
	swapped.Store(false)
	require.NoError(t, workflow.ReplayHistory(wf, run.ID(), evs[:len(evs)-1]))
}

func TestScenarioRemovedSleepIsNonDeterministic(t *testing.T) {
	t.Parallel()
	var noSleep atomic.Bool
	wf := workflow.Define("sleepy", func(ctx workflow.Context, _ struct{}) (int, error) {
		if !noSleep.Load() {
			if err := workflow.Sleep(ctx, time.Minute); err != nil {
				return 0, err
			}
		}
		return workflow.Step(ctx, "after", func(context.Context) (int, error) { return 1, nil })
	})
	env := workflowtest.NewWithOptions(t, workflowtest.Options{ReplayEveryTurn: true}, wf)
	run, err := workflow.Start(t.Context(), env.Client(), wf, struct{}{})
	require.NoError(t, err)
	env.WaitIdle()
	noSleep.Store(true)
	env.AdvanceTime(time.Minute)
	_, err = run.Result(t.Context())
	var nd *workflow.NonDeterminismError
	require.ErrorAs(t, err, &nd)
	require.Contains(t, nd.Recorded, "timer_created")
}

func TestScenarioStartTwiceWithRunIDGivesOneRun(t *testing.T) {
	t.Parallel()
	var bodies atomic.Int32
	wf := workflow.Define("onboard", func(ctx workflow.Context, user string) (string, error) {
		bodies.Add(1)
		return "welcome " + user, nil
	})
	other := workflow.Define("other", func(ctx workflow.Context, user string) (string, error) { return user, nil })
	env := workflowtest.New(t, wf, other)
	ctx := t.Context()
	r1, err := workflow.Start(ctx, env.Client(), wf, "ada", workflow.WithRunID("onboard-ada"))
	require.NoError(t, err)
	r2, err := workflow.Start(ctx, env.Client(), wf, "ada", workflow.WithRunID("onboard-ada"))
	require.NoError(t, err)
	require.Equal(t, "onboard-ada", r1.ID())
	require.Equal(t, r1.ID(), r2.ID())
	out, err := r2.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, "welcome ada", out)
	r3, err := workflow.Start(ctx, env.Client(), wf, "ada", workflow.WithRunID("onboard-ada"))
	require.NoError(t, err, "a finished run is returned too")
	out, err = r3.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, "welcome ada", out)
	require.EqualValues(t, 1, bodies.Load())
	require.Equal(t, []string{"run_created", "run_completed"}, env.EventTypes(r1.ID()))

	_, err = workflow.Start(ctx, env.Client(), other, "ada", workflow.WithRunID("onboard-ada"))
	require.ErrorIs(t, err, workflow.ErrInvalidArgument, "the ID belongs to another workflow")
}

func TestScenarioWorkflowPanicFailsTheRun(t *testing.T) {
	t.Parallel()
	wf := workflow.Define("panics", func(ctx workflow.Context, _ struct{}) (int, error) {
		var xs []int
		return xs[3], nil
	})
	env := workflowtest.New(t, wf)
	run, err := workflow.Start(t.Context(), env.Client(), wf, struct{}{})
	require.NoError(t, err)
	_, err = run.Result(t.Context())
	require.ErrorIs(t, err, workflow.ErrWorkflowPanic)
	require.ErrorContains(t, err, "index out of range")
}

func TestScenarioWorkflowErrorIsRecorded(t *testing.T) {
	t.Parallel()
	errNoStock := errors.New("out of stock")
	wf := workflow.Define("fails", func(ctx workflow.Context, _ struct{}) (int, error) {
		return 0, fmt.Errorf("reserving: %w", errNoStock)
	})
	env := workflowtest.New(t, wf)
	run, err := workflow.Start(t.Context(), env.Client(), wf, struct{}{})
	require.NoError(t, err)
	_, err = run.Result(t.Context())
	require.EqualError(t, err, "reserving: out of stock")
	info, err := env.Client().GetRun(t.Context(), run.ID())
	require.NoError(t, err)
	require.Equal(t, workflow.StatusFailed, info.Status)
	require.Equal(t, "reserving: out of stock", info.Error)
}
