package workflow_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// The checkout workflow in three versions, all under one name: v1 waits for a payment and
// charges; v2 adds an audit step before the wait and renames the charge step after it,
// behind a patch; v3 is v2 once every run older than the patch has ended.
const checkoutName = "checkout"

// stepNamed is a step that returns its own name, so a run's output lists the path it took.
func stepNamed(ctx workflow.Context, name string) (string, error) {
	return workflow.Step(ctx, name, func(context.Context) (string, error) { return name, nil })
}

func awaitPayment(ctx workflow.Context, token string) error {
	hook, err := workflow.CreateHook[int](ctx, workflow.HookOptions{Token: token})
	if err != nil {
		return err
	}
	_, err = hook.Receive(ctx)
	return err
}

var (
	checkoutV1 = workflow.Define(checkoutName, func(ctx workflow.Context, token string) ([]string, error) {
		if err := awaitPayment(ctx, token); err != nil {
			return nil, err
		}
		charged, err := stepNamed(ctx, "charge")
		return []string{charged}, err
	})
	checkoutV2 = workflow.Define(checkoutName, func(ctx workflow.Context, token string) ([]string, error) {
		var path []string
		if workflow.Patched(ctx, "audit-and-rename") {
			audited, err := stepNamed(ctx, "audit")
			if err != nil {
				return nil, err
			}
			path = append(path, audited)
		}
		if err := awaitPayment(ctx, token); err != nil {
			return nil, err
		}
		charge := "charge"
		if workflow.Patched(ctx, "audit-and-rename") { // the same answer as before the wait
			charge = "charge-v2"
		}
		charged, err := stepNamed(ctx, charge)
		return append(path, charged), err
	})
	// checkoutV2Unpatched is the same change made without a patch.
	checkoutV2Unpatched = workflow.Define(checkoutName, func(ctx workflow.Context, token string) ([]string, error) {
		audited, err := stepNamed(ctx, "audit")
		if err != nil {
			return nil, err
		}
		if err := awaitPayment(ctx, token); err != nil {
			return nil, err
		}
		charged, err := stepNamed(ctx, "charge-v2")
		return []string{audited, charged}, err
	})
	checkoutV3 = workflow.Define(checkoutName, func(ctx workflow.Context, token string) ([]string, error) {
		workflow.DeprecatePatch(ctx, "audit-and-rename")
		audited, err := stepNamed(ctx, "audit")
		if err != nil {
			return nil, err
		}
		if err := awaitPayment(ctx, token); err != nil {
			return nil, err
		}
		charged, err := stepNamed(ctx, "charge-v2")
		return []string{audited, charged}, err
	})
)

// deployment is one version of the code running on a shared backend.
type deployment struct {
	w *workflow.Worker
}

func deploy(t *testing.T, b workflow.Backend, cacheSize int, code any) deployment {
	t.Helper()
	reg, ok := code.(*workflow.Registry)
	if !ok {
		reg = workflow.NewRegistry(code.(workflow.Registrable))
	}
	worker := workflow.NewWorker(b, reg, workflow.WorkerOptions{CacheSize: cacheSize, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, worker.Err())
	t.Cleanup(worker.Close)
	return deployment{w: worker}
}

// drain runs every queued turn on this deployment's code.
func (d deployment) drain(t *testing.T, b workflow.Backend) {
	t.Helper()
	ctx := t.Context()
	wait := time.Duration(0)
	if _, ok := b.(*memory.Backend); !ok {
		wait = time.Second // SQS: a message just sent may take a poll to show
	}
	for {
		msgs, err := b.Receive(ctx, 10, wait)
		require.NoError(t, err)
		if len(msgs) == 0 {
			return
		}
		for _, m := range msgs {
			require.NoError(t, d.w.RunTurn(ctx, m.RunID))
		}
		require.NoError(t, b.Ack(ctx, msgs...))
	}
}

func output(t *testing.T, c *workflow.Client, runID string) []string {
	t.Helper()
	run, err := workflow.Start(t.Context(), c, checkoutV1, "", workflow.WithRunID(runID)) // the existing run
	require.NoError(t, err)
	out, err := run.Result(t.Context())
	require.NoError(t, err)
	return out
}

// A run waiting on a hook under v1 survives a deploy of v2 that adds a step before the hook
// and renames one after it behind a patch: it completes on the old path, while a run started
// on v2 takes the new one. Every history replays against v2; the same change without a patch
// fails the old run.
func TestPatchKeepsWaitingRunsOnTheirPath(t *testing.T) {
	t.Parallel()
	for _, mode := range []struct {
		name      string
		cacheSize int
		backend   func(t *testing.T) workflow.Backend
	}{
		{"memory, warm", 0, newMemory},
		{"memory, replay every turn", -1, newMemory},
		{"dynamodb, replay every turn", -1, newDynamoDB},
	} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			b := mode.backend(t)
			c := workflow.NewClient(b, workflow.ClientOptions{})
			ctx := t.Context()

			v1 := deploy(t, b, mode.cacheSize, checkoutV1)
			_, err := workflow.Start(ctx, c, checkoutV1, "pay:old", workflow.WithRunID("old"))
			require.NoError(t, err)
			v1.drain(t, b)
			v1.w.Close()

			v2 := deploy(t, b, mode.cacheSize, checkoutV2)
			_, err = workflow.Start(ctx, c, checkoutV2, "pay:new", workflow.WithRunID("new"))
			require.NoError(t, err)
			v2.drain(t, b)
			for _, token := range []string{"pay:old", "pay:new"} {
				_, err := c.ResumeHook(ctx, token, 100)
				require.NoError(t, err)
			}
			v2.drain(t, b)

			require.Equal(t, []string{"charge"}, output(t, c, "old"), "the old run keeps the old path")
			require.Equal(t, []string{"audit", "charge-v2"}, output(t, c, "new"), "a new run takes the new one")

			oldEvents, err := c.ListEvents(ctx, "old")
			require.NoError(t, err)
			newEvents, err := c.ListEvents(ctx, "new")
			require.NoError(t, err)
			require.NotContains(t, eventTypes(oldEvents), "patch_applied")
			require.Equal(t, 1, count(eventTypes(newEvents), "patch_applied"), "one marker, however many calls")

			require.NoError(t, workflow.ReplayHistory(checkoutV2, "old", oldEvents), "v2 replays the old history")
			require.NoError(t, workflow.ReplayHistory(checkoutV2, "new", newEvents))
			require.ErrorIs(t, workflow.ReplayHistory(checkoutV2Unpatched, "old", oldEvents), workflow.ErrNonDeterminism,
				"without the patch, the old run would fail")
			require.ErrorIs(t, workflow.ReplayHistory(checkoutV1, "new", newEvents), workflow.ErrNonDeterminism,
				"rolling back to v1 would fail the new run, and says so")

			// v3 retires the patch: runs that recorded the marker replay, and new runs record none.
			require.NoError(t, workflow.ReplayHistory(checkoutV3, "new", newEvents))
			require.ErrorIs(t, workflow.ReplayHistory(checkoutV3, "old", oldEvents), workflow.ErrNonDeterminism,
				"an old run must be gone before its patch is retired")
			v2.w.Close()
			v3 := deploy(t, b, mode.cacheSize, checkoutV3)
			_, err = workflow.Start(ctx, c, checkoutV3, "pay:v3", workflow.WithRunID("v3"))
			require.NoError(t, err)
			v3.drain(t, b)
			_, err = c.ResumeHook(ctx, "pay:v3", 100)
			require.NoError(t, err)
			v3.drain(t, b)
			require.Equal(t, []string{"audit", "charge-v2"}, output(t, c, "v3"))
			v3Events, err := c.ListEvents(ctx, "v3")
			require.NoError(t, err)
			require.NotContains(t, eventTypes(v3Events), "patch_applied")
		})
	}
}

// The same change without a patch fails the waiting run with a NonDeterminismError that
// names the call.
func TestUnpatchedChangeFailsTheWaitingRun(t *testing.T) {
	t.Parallel()
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	c := workflow.NewClient(b, workflow.ClientOptions{})
	ctx := t.Context()
	v1 := deploy(t, b, 0, checkoutV1)
	_, err := workflow.Start(ctx, c, checkoutV1, "pay:1", workflow.WithRunID("r"))
	require.NoError(t, err)
	v1.drain(t, b)
	v1.w.Close()

	v2 := deploy(t, b, 0, checkoutV2Unpatched)
	_, err = c.ResumeHook(ctx, "pay:1", 1)
	require.NoError(t, err)
	v2.drain(t, b)
	run, err := workflow.Start(ctx, c, checkoutV1, "", workflow.WithRunID("r"))
	require.NoError(t, err)
	_, err = run.Result(ctx)
	var nd *workflow.NonDeterminismError
	require.ErrorAs(t, err, &nd)
	require.Contains(t, nd.Current, "audit")
}

// Patched and DeprecatePatch refuse an empty ID: the turn fails and says why.
func TestPatchNeedsAnID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		w    *workflow.Workflow[string, string]
	}{
		{"Patched", workflow.Define("empty-patch", func(ctx workflow.Context, _ string) (string, error) {
			workflow.Patched(ctx, "")
			return "", nil
		})},
		{"DeprecatePatch", workflow.Define("empty-deprecate", func(ctx workflow.Context, _ string) (string, error) {
			workflow.DeprecatePatch(ctx, "")
			return "", nil
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := memory.New()
			t.Cleanup(func() { _ = b.Close() })
			c := workflow.NewClient(b, workflow.ClientOptions{})
			run, err := workflow.Start(t.Context(), c, tc.w, "")
			require.NoError(t, err)
			w := workflow.NewWorker(b, workflow.NewRegistry(tc.w), workflow.WorkerOptions{Logger: slog.New(slog.DiscardHandler)})
			t.Cleanup(w.Close)
			require.NoError(t, w.RunTurn(t.Context(), run.ID()), "a failed turn is recorded on the run")
			info, err := c.GetRun(t.Context(), run.ID())
			require.NoError(t, err)
			require.Equal(t, 1, info.Failures)
			require.Contains(t, info.LastError, "invalid argument: "+tc.name+": empty patch ID")
		})
	}
}

// onBackends runs fn as parallel subtests on the memory backend and on DynamoDB.
func onBackends(t *testing.T, fn func(t *testing.T, b workflow.Backend)) {
	t.Helper()
	for _, kind := range []struct {
		name    string
		backend func(t *testing.T) workflow.Backend
	}{{"memory", newMemory}, {"dynamodb", newDynamoDB}} {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			fn(t, kind.backend(t))
		})
	}
}

func newMemory(t *testing.T) workflow.Backend {
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// newDynamoDB returns the DynamoDB and SQS backend on a table and queue of the test's own;
// the test skips when the endpoint is down (see awstest).
func newDynamoDB(t *testing.T) workflow.Backend {
	return awstest.Setup(t).NewBackend(t, awsbackend.Options{})
}

func eventTypes(evs []workflow.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}

func count(xs []string, x string) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}
