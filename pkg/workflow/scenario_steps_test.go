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

func TestScenarioStepsRunOnceAcrossReplays(t *testing.T) {
	t.Parallel()
	modes(t, func(t *testing.T, newEnv func(...workflow.Registrable) *workflowtest.Env) {
		var calls [3]atomic.Int32
		var bodies atomic.Int32
		wf := workflow.Define("three-steps", func(ctx workflow.Context, base int) (int, error) {
			bodies.Add(1)
			total := base
			for i := range 3 {
				v, err := workflow.Step(ctx, fmt.Sprintf("add-%d", i), func(context.Context) (int, error) {
					calls[i].Add(1)
					return i + 1, nil
				})
				if err != nil {
					return 0, err
				}
				total += v
				if err := workflow.Sleep(ctx, time.Hour); err != nil {
					return 0, err
				}
			}
			return total, nil
		})
		env := newEnv(wf)
		ctx := t.Context()
		run, err := workflow.Start(ctx, env.Client(), wf, 10)
		require.NoError(t, err)
		env.WaitIdle()
		require.Equal(t, workflow.StatusWaiting, env.Status(run.ID()))
		env.AdvanceTime(3 * time.Hour)

		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, 16, out)
		for i := range calls {
			require.EqualValues(t, 1, calls[i].Load(), "step add-%d", i)
		}
		if t.Name() == "TestScenarioStepsRunOnceAcrossReplays/replay" {
			require.EqualValues(t, 4, bodies.Load(), "one replay per turn: start and three timers")
		} else {
			require.EqualValues(t, 1, bodies.Load(), "the warm cache continues the parked run")
		}
		require.Equal(t, []string{
			"run_created",
			"step_completed", "timer_created", "timer_fired",
			"step_completed", "timer_created", "timer_fired",
			"step_completed", "timer_created", "timer_fired",
			"run_completed",
		}, env.EventTypes(run.ID()))
		env.RequireReplay(wf, run.ID())
	})
}

func TestScenarioStepRetriesWithBackoff(t *testing.T) {
	t.Parallel()
	modes(t, func(t *testing.T, newEnv func(...workflow.Registrable) *workflowtest.Env) {
		var calls atomic.Int32
		wf := workflow.Define("flaky", func(ctx workflow.Context, _ struct{}) (string, error) {
			return workflow.Step(ctx, "call-api", func(context.Context) (string, error) {
				if calls.Add(1) < 3 {
					return "", errors.New("503 from upstream")
				}
				return "ok", nil
			})
		})
		env := newEnv(wf)
		ctx := t.Context()
		run, err := workflow.Start(ctx, env.Client(), wf, struct{}{})
		require.NoError(t, err)
		start := env.Now()

		env.WaitIdle()
		require.EqualValues(t, 1, calls.Load())
		env.AdvanceTime(999 * time.Millisecond) // the first retry waits 1s
		require.EqualValues(t, 1, calls.Load())
		env.AdvanceTime(time.Millisecond)
		require.EqualValues(t, 2, calls.Load())
		env.AdvanceTime(1999 * time.Millisecond) // the second waits 2s
		require.EqualValues(t, 2, calls.Load())
		env.AdvanceTime(time.Millisecond)
		require.EqualValues(t, 3, calls.Load())

		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, "ok", out)

		evs, err := env.Client().ListEvents(ctx, run.ID())
		require.NoError(t, err)
		require.Equal(t, []string{"run_created", "step_retrying", "step_retrying", "step_completed", "run_completed"},
			env.EventTypes(run.ID()))
		require.Contains(t, string(evs[1].Data), `"retryAt":"`+start.Add(time.Second).Format(time.RFC3339)+`"`)
		require.Contains(t, string(evs[1].Data), "503 from upstream")
		require.Contains(t, string(evs[3].Data), `"attempt":3`)
		env.RequireReplay(wf, run.ID())
	})
}

func TestScenarioFatalStopsRetries(t *testing.T) {
	t.Parallel()
	modes(t, func(t *testing.T, newEnv func(...workflow.Registrable) *workflowtest.Env) {
		var charges, refunds atomic.Int32
		wf := workflow.Define("checkout", func(ctx workflow.Context, amount int) (string, error) {
			_, err := workflow.Step(ctx, "charge", func(context.Context) (string, error) {
				charges.Add(1)
				return "", workflow.Fatal(fmt.Errorf("card declined for %d", amount))
			})
			var stepErr *workflow.StepError
			if !errors.As(err, &stepErr) {
				return "", fmt.Errorf("expected a StepError, got %v", err)
			}
			// The workflow sees the failure and compensates.
			_, err = workflow.Step(ctx, "refund-hold", func(context.Context) (bool, error) {
				refunds.Add(1)
				return true, nil
			})
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("declined after %d attempt(s): %s", stepErr.Attempts, stepErr.Err), nil
		})
		env := newEnv(wf)
		ctx := t.Context()
		run, err := workflow.Start(ctx, env.Client(), wf, 42)
		require.NoError(t, err)
		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, "declined after 1 attempt(s): card declined for 42", out)
		require.EqualValues(t, 1, charges.Load())
		require.EqualValues(t, 1, refunds.Load())
		env.AdvanceTime(time.Hour) // nothing is left to retry
		require.EqualValues(t, 1, charges.Load())
		env.RequireReplay(wf, run.ID())
	})
}

func TestScenarioRetriesExhaustedFailTheRun(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	wf := workflow.Define("always-fails", func(ctx workflow.Context, _ struct{}) (int, error) {
		return workflow.Step(ctx, "boom", func(context.Context) (int, error) {
			calls.Add(1)
			return 0, fmt.Errorf("attempt failed: %w", workflow.ErrTimeout)
		}, workflow.WithRetries(2), workflow.WithRetryDelay(10*time.Second))
	})
	env := workflowtest.New(t, wf)
	ctx := t.Context()
	run, err := workflow.Start(ctx, env.Client(), wf, struct{}{})
	require.NoError(t, err)
	env.AdvanceTime(10*time.Second + 20*time.Second) // 10s, then 20s
	_, err = run.Result(ctx)
	var stepErr *workflow.StepError
	require.ErrorAs(t, err, &stepErr)
	require.Equal(t, "boom", stepErr.Step)
	require.Equal(t, 3, stepErr.Attempts)
	require.ErrorIs(t, err, workflow.ErrTimeout, "sentinels survive the round trip through history")
	require.EqualValues(t, 3, calls.Load())
	info, err := env.Client().GetRun(ctx, run.ID())
	require.NoError(t, err)
	require.Equal(t, workflow.StatusFailed, info.Status)
	require.Contains(t, info.Error, `step "boom" failed after 3 attempts`)
}

func TestScenarioStepTimeout(t *testing.T) {
	t.Parallel()
	wf := workflow.Define("slow-step", func(ctx workflow.Context, _ struct{}) (string, error) {
		return workflow.Step(ctx, "wait-for-ctx", func(ctx context.Context) (string, error) {
			<-ctx.Done()
			return "", ctx.Err()
		}, workflow.WithStepTimeout(20*time.Millisecond), workflow.WithRetries(0))
	})
	env := workflowtest.New(t, wf)
	run, err := workflow.Start(t.Context(), env.Client(), wf, struct{}{})
	require.NoError(t, err)
	_, err = run.Result(t.Context())
	require.ErrorIs(t, err, workflow.ErrTimeout)
	require.ErrorContains(t, err, "took longer than 20ms")
}

func TestScenarioStepPanicIsAnError(t *testing.T) {
	t.Parallel()
	wf := workflow.Define("panicky-step", func(ctx workflow.Context, _ struct{}) (string, error) {
		_, err := workflow.Step(ctx, "nil-map", func(context.Context) (int, error) {
			var m map[string]int
			m["x"] = 1
			return 0, nil
		}, workflow.WithRetries(0))
		return fmt.Sprint(err != nil), nil
	})
	env := workflowtest.New(t, wf)
	run, err := workflow.Start(t.Context(), env.Client(), wf, struct{}{})
	require.NoError(t, err)
	out, err := run.Result(t.Context())
	require.NoError(t, err)
	require.Equal(t, "true", out)
	evs, err := env.Client().ListEvents(t.Context(), run.ID())
	require.NoError(t, err)
	require.Equal(t, "step_failed", evs[1].Type)
	require.Contains(t, string(evs[1].Data), "panicked")
}
