package workflow_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/workflow"
	"github.com/hookflow/hookflow/pkg/workflow/workflowtest"
)

func TestBadDefinitionsAreRefused(t *testing.T) {
	t.Parallel()
	noName := workflow.Define("", func(ctx workflow.Context, _ int) (int, error) { return 0, nil })
	noFunc := workflow.Define[int, int]("no-func", nil)
	ok := workflow.Define("ok", func(ctx workflow.Context, _ int) (int, error) { return 0, nil })
	dup := workflow.Define("ok", func(ctx workflow.Context, _ string) (string, error) { return "", nil })

	reg := workflow.NewRegistry(noName, noFunc, ok, dup, nil)
	err := reg.Err()
	require.ErrorIs(t, err, workflow.ErrInvalidArgument)
	require.ErrorContains(t, err, "workflow name is empty")
	require.ErrorContains(t, err, `workflow "no-func": nil function`)
	require.ErrorContains(t, err, `workflow "ok" is registered twice`)
	require.ErrorContains(t, err, "nil workflow")

	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	w := workflow.NewWorker(b, reg, workflow.WorkerOptions{})
	require.ErrorIs(t, w.Run(t.Context()), workflow.ErrInvalidArgument, "a worker refuses to run a bad registry")

	c := workflow.NewClient(b, workflow.ClientOptions{})
	_, err = workflow.Start(t.Context(), c, noName, 1)
	require.ErrorIs(t, err, workflow.ErrInvalidArgument)
	_, err = workflow.Start(t.Context(), c, noFunc, 1)
	require.ErrorIs(t, err, workflow.ErrInvalidArgument)
	_, err = workflow.Start[int, int](t.Context(), c, nil, 1)
	require.ErrorIs(t, err, workflow.ErrInvalidArgument)
	_, err = workflow.Start(t.Context(), nil, ok, 1)
	require.ErrorIs(t, err, workflow.ErrInvalidArgument)
	require.Zero(t, b.Pending(), "nothing was queued")
}

func TestUnserializableInputStoresNothing(t *testing.T) {
	t.Parallel()
	wf := workflow.Define("takes-func", func(ctx workflow.Context, in any) (int, error) { return 0, nil })
	env := workflowtest.New(t, wf)
	_, err := workflow.Start(t.Context(), env.Client(), wf, any(func() {}), workflow.WithRunID("r1"))
	require.ErrorIs(t, err, workflow.ErrInvalidArgument)
	require.ErrorContains(t, err, "not serializable")
	_, err = env.Client().GetRun(t.Context(), "r1")
	require.ErrorIs(t, err, workflow.ErrRunNotFound)
	require.Zero(t, env.Backend().Pending())
}

func TestBadDurableCallsReturnErrors(t *testing.T) {
	t.Parallel()
	type result struct {
		EmptyStepName, NilStepFunc, NilContext, EmptySelect, NilSelectItem, NilGo, NilFuture string
		Unserializable, CalledFromStep, NilContextSleep                                      string
	}
	errText := func(err error) string {
		if err == nil {
			return ""
		}
		return err.Error()
	}
	wf := workflow.Define("misuse", func(ctx workflow.Context, _ struct{}) (result, error) {
		var r result
		_, err := workflow.Step(ctx, "", func(context.Context) (int, error) { return 1, nil })
		r.EmptyStepName = errText(err)
		_, err = workflow.Step[int](ctx, "nil-func", nil)
		r.NilStepFunc = errText(err)
		_, err = workflow.Step(nil, "nil-ctx", func(context.Context) (int, error) { return 1, nil })
		r.NilContext = errText(err)
		r.NilContextSleep = errText(workflow.Sleep(nil, time.Second))
		_, err = workflow.Select(ctx)
		r.EmptySelect = errText(err)
		_, err = workflow.Select(ctx, workflow.Timer(ctx, time.Second), nil)
		r.NilSelectItem = errText(err)
		_, err = workflow.Go[int](ctx, "nil-go", nil).Get(ctx)
		r.NilGo = errText(err)
		var nilFuture *workflow.Future[int]
		_, err = nilFuture.Get(ctx)
		r.NilFuture = errText(err)
		_, err = workflow.Step(ctx, "inf", func(context.Context) (float64, error) { return math.Inf(1), nil })
		r.Unserializable = errText(err)
		inner, err := workflow.Step(ctx, "sleeps-inside", func(context.Context) (string, error) {
			return errText(workflow.Sleep(ctx, time.Second)), nil
		})
		r.CalledFromStep = inner
		return r, err
	})
	env := workflowtest.New(t, wf)
	run, err := workflow.Start(t.Context(), env.Client(), wf, struct{}{})
	require.NoError(t, err)
	r, err := run.Result(t.Context())
	require.NoError(t, err)
	require.Contains(t, r.EmptyStepName, "step name is empty")
	require.Contains(t, r.NilStepFunc, `step "nil-func": nil function`)
	require.Contains(t, r.NilContext, "nil workflow context")
	require.Contains(t, r.NilContextSleep, "nil workflow context")
	require.Contains(t, r.EmptySelect, "Select needs at least one item")
	require.Contains(t, r.NilSelectItem, "Select item 1 is nil")
	require.Contains(t, r.NilGo, "nil function")
	require.Contains(t, r.NilFuture, "nil future")
	require.Contains(t, r.Unserializable, "not serializable to JSON")
	require.Contains(t, r.Unserializable, "after 1 attempt", "an unserializable result is not retried")
	require.Contains(t, r.CalledFromStep, "must be called from workflow code")
	env.RequireReplay(wf, run.ID())
}
