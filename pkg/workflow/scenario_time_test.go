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

func TestScenarioThirtyDaySleep(t *testing.T) {
	t.Parallel()
	modes(t, func(t *testing.T, newEnv func(...workflow.Registrable) *workflowtest.Env) {
		var reminders atomic.Int32
		wf := workflow.Define("trial-reminder", func(ctx workflow.Context, user string) (string, error) {
			started := workflow.Now(ctx)
			if err := workflow.Sleep(ctx, 30*24*time.Hour); err != nil {
				return "", err
			}
			slept := workflow.Now(ctx).Sub(started)
			_, err := workflow.Step(ctx, "send-reminder", func(context.Context) (bool, error) {
				reminders.Add(1)
				return true, nil
			})
			return fmt.Sprintf("%s reminded after %s", user, slept), err
		})
		env := newEnv(wf)
		ctx := t.Context()
		run, err := workflow.Start(ctx, env.Client(), wf, "ada")
		require.NoError(t, err)

		env.AdvanceTime(29 * 24 * time.Hour)
		require.Equal(t, workflow.StatusWaiting, env.Status(run.ID()))
		require.Zero(t, reminders.Load())

		env.AdvanceTime(24 * time.Hour)
		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, "ada reminded after 720h0m0s", out)
		require.EqualValues(t, 1, reminders.Load())
		env.RequireReplay(wf, run.ID())
	})
}

func TestScenarioSleepLoopFiresInOrder(t *testing.T) {
	t.Parallel()
	wf := workflow.Define("daily-digest", func(ctx workflow.Context, days int) ([]string, error) {
		var sent []string
		for range days {
			if err := workflow.Sleep(ctx, 24*time.Hour); err != nil {
				return nil, err
			}
			sent = append(sent, workflow.Now(ctx).Format(time.DateOnly))
		}
		return sent, nil
	})
	env := workflowtest.New(t, wf)
	run, err := workflow.Start(t.Context(), env.Client(), wf, 3)
	require.NoError(t, err)
	env.AdvanceTime(30 * 24 * time.Hour) // stops at each due timer on the way
	out, err := run.Result(t.Context())
	require.NoError(t, err)
	require.Equal(t, []string{"2026-01-02", "2026-01-03", "2026-01-04"}, out)
}

func TestScenarioSleepUntil(t *testing.T) {
	t.Parallel()
	wf := workflow.Define("sleep-until", func(ctx workflow.Context, at time.Time) (time.Time, error) {
		if err := workflow.SleepUntil(ctx, at); err != nil {
			return time.Time{}, err
		}
		if err := workflow.SleepUntil(ctx, at.Add(-time.Hour)); err != nil { // in the past: at once
			return time.Time{}, err
		}
		return workflow.Now(ctx), nil
	})
	env := workflowtest.New(t, wf)
	at := workflowtest.Start.Add(90 * time.Minute)
	run, err := workflow.Start(t.Context(), env.Client(), wf, at)
	require.NoError(t, err)
	env.AdvanceTime(89 * time.Minute)
	require.Equal(t, workflow.StatusWaiting, env.Status(run.ID()))
	env.AdvanceTime(time.Minute)
	out, err := run.Result(t.Context())
	require.NoError(t, err)
	require.True(t, out.Equal(at), "woke at %s, want %s", out, at)
	require.Equal(t, []string{"run_created", "timer_created", "timer_fired", "run_completed"}, env.EventTypes(run.ID()))
}

// selectWorkflow races a step whose first attempt asks to be retried in a minute against a
// timer of the given length.
func selectWorkflow(attempts *atomic.Int32) *workflow.Workflow[time.Duration, string] {
	return workflow.Define("race", func(ctx workflow.Context, d time.Duration) (string, error) {
		step := workflow.StepAsync(ctx, "fetch", func(context.Context) (string, error) {
			if attempts.Add(1) == 1 {
				return "", workflow.RetryAfter(errors.New("busy"), time.Minute)
			}
			return "fetched", nil
		})
		timer := workflow.Timer(ctx, d)
		i, err := workflow.Select(ctx, step, timer)
		if err != nil {
			return "", err
		}
		if i == 1 {
			return "timer won", nil
		}
		v, err := step.Get(ctx)
		return "step won: " + v, err
	})
}

func TestScenarioSelectStepVersusTimer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		timer time.Duration
		want  string
		types []string
	}{
		{30 * time.Second, "timer won", []string{"run_created", "timer_created", "step_retrying", "timer_fired", "run_completed"}},
		{5 * time.Minute, "step won: fetched", []string{"run_created", "timer_created", "step_retrying", "step_completed", "run_completed"}},
	} {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			modes(t, func(t *testing.T, newEnv func(...workflow.Registrable) *workflowtest.Env) {
				var attempts atomic.Int32
				wf := selectWorkflow(&attempts)
				env := newEnv(wf)
				run, err := workflow.Start(t.Context(), env.Client(), wf, tc.timer)
				require.NoError(t, err)
				env.AdvanceTime(10 * time.Minute)
				out, err := run.Result(t.Context())
				require.NoError(t, err)
				require.Equal(t, tc.want, out)
				require.Equal(t, tc.types, env.EventTypes(run.ID()))
				// Replaying the recorded history decides the same way, whatever the clock says.
				env.RequireReplay(wf, run.ID())
			})
		})
	}
}

func TestScenarioCancelStopsSleepingRun(t *testing.T) {
	t.Parallel()
	modes(t, func(t *testing.T, newEnv func(...workflow.Registrable) *workflowtest.Env) {
		var sent atomic.Int32
		wf := workflow.Define("nag", func(ctx workflow.Context, _ struct{}) (string, error) {
			if err := workflow.Sleep(ctx, 24*time.Hour); err != nil {
				return "", err
			}
			_, err := workflow.Step(ctx, "send", func(context.Context) (int, error) { return int(sent.Add(1)), nil })
			return "sent", err
		})
		env := newEnv(wf)
		ctx := t.Context()
		c := env.Client()
		run, err := workflow.Start(ctx, c, wf, struct{}{})
		require.NoError(t, err)
		env.WaitIdle()
		require.Equal(t, workflow.StatusWaiting, env.Status(run.ID()))

		require.NoError(t, c.CancelRun(ctx, run.ID()))
		_, err = run.Result(ctx)
		require.ErrorIs(t, err, workflow.ErrRunCancelled)
		env.AdvanceTime(48 * time.Hour)
		require.Zero(t, sent.Load(), "a cancelled run never runs again")
		require.Equal(t, workflow.StatusCancelled, env.Status(run.ID()))
		require.Equal(t, []string{"run_created", "timer_created", "run_cancelled"}, env.EventTypes(run.ID()))

		require.NoError(t, c.CancelRun(ctx, run.ID()), "cancelling twice is a no-op")
		require.ErrorIs(t, c.CancelRun(ctx, "run_does_not_exist"), workflow.ErrRunNotFound)
	})
}

func TestCancelCompletedRunIsRunEnded(t *testing.T) {
	t.Parallel()
	wf := workflow.Define("quick", func(ctx workflow.Context, n int) (int, error) { return n * 2, nil })
	env := workflowtest.New(t, wf)
	run, err := workflow.Start(t.Context(), env.Client(), wf, 21)
	require.NoError(t, err)
	out, err := run.Result(t.Context())
	require.NoError(t, err)
	require.Equal(t, 42, out)
	require.ErrorIs(t, env.Client().CancelRun(t.Context(), run.ID()), workflow.ErrRunEnded)
}
