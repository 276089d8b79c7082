package workflow_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// startWorker runs a worker on b until the test ends.
func startWorker(t *testing.T, b workflow.Backend, opts workflow.WorkerOptions, ws ...workflow.Registrable) (stop func()) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	w := workflow.NewWorker(b, workflow.NewRegistry(ws...), opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			require.NoError(t, <-done)
		})
	}
	t.Cleanup(stop)
	return stop
}

var sleepThenStep = workflow.Define("sleep-then-step", func(ctx workflow.Context, n int) (int, error) {
	if err := workflow.Sleep(ctx, 30*time.Millisecond); err != nil {
		return 0, err
	}
	return workflow.Step(ctx, "square", func(context.Context) (int, error) { return n * n, nil })
})

func TestWorkerRunsManyRunsOnTheRealClock(t *testing.T) {
	t.Parallel()
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	startWorker(t, b, workflow.WorkerOptions{Concurrency: 4}, sleepThenStep)
	c := workflow.NewClient(b, workflow.ClientOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	runs := make([]*workflow.Run[int], 20)
	for i := range runs {
		r, err := workflow.Start(ctx, c, sleepThenStep, i)
		require.NoError(t, err)
		runs[i] = r
	}
	for i, r := range runs {
		out, err := r.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, i*i, out)
	}
}

// lossyQueue drops wake messages while drop is set (only delayed ones when delayedOnly is
// set), as a crash between a durable write and the queue send would.
type lossyQueue struct {
	workflow.Backend
	drop        atomic.Bool
	delayedOnly bool
}

func (l *lossyQueue) Enqueue(ctx context.Context, runID string, delay time.Duration) error {
	if l.drop.Load() && (delay > 0 || !l.delayedOnly) {
		return nil
	}
	return l.Backend.Enqueue(ctx, runID, delay)
}

func TestSweeperStartsARunWhoseWakeWasLost(t *testing.T) {
	t.Parallel()
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	lossy := &lossyQueue{Backend: b}
	lossy.drop.Store(true)
	// The worker's own wakes get through; only the client's are lost.
	startWorker(t, b, workflow.WorkerOptions{SweepEvery: 20 * time.Millisecond}, sleepThenStep)
	c := workflow.NewClient(lossy, workflow.ClientOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	r, err := workflow.Start(ctx, c, sleepThenStep, 7)
	require.NoError(t, err)
	out, err := r.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, 49, out)
}

func TestSweeperFiresATimerWhoseWakeWasLost(t *testing.T) {
	t.Parallel()
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	lossy := &lossyQueue{Backend: b, delayedOnly: true}
	startWorker(t, lossy, workflow.WorkerOptions{SweepEvery: 20 * time.Millisecond}, sleepThenStep)
	c := workflow.NewClient(b, workflow.ClientOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	lossy.drop.Store(true) // the worker's delayed wake for the timer never arrives; the sweep's does
	r, err := workflow.Start(ctx, c, sleepThenStep, 3)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		info, err := c.GetRun(ctx, r.ID())
		return err == nil && info.Status == workflow.StatusWaiting
	}, 10*time.Second, 5*time.Millisecond)
	out, err := r.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, 9, out)
}

func TestRunsSurviveARestartOnABboltFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookflow.db")
	var calls atomic.Int32
	wf := workflow.Define("restart", func(ctx workflow.Context, _ struct{}) (string, error) {
		first, err := workflow.Step(ctx, "first", func(context.Context) (int32, error) { return calls.Add(1), nil })
		if err != nil {
			return "", err
		}
		if err := workflow.Sleep(ctx, 200*time.Millisecond); err != nil {
			return "", err
		}
		second, err := workflow.Step(ctx, "second", func(context.Context) (int32, error) { return calls.Add(1), nil })
		return fmt.Sprintf("%d then %d", first, second), err
	})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	b1, err := memory.Open(path)
	require.NoError(t, err)
	stop := startWorker(t, b1, workflow.WorkerOptions{SweepEvery: 20 * time.Millisecond}, wf)
	c1 := workflow.NewClient(b1, workflow.ClientOptions{})
	r, err := workflow.Start(ctx, c1, wf, struct{}{}, workflow.WithRunID("survivor"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		info, err := c1.GetRun(ctx, r.ID())
		return err == nil && info.Status == workflow.StatusWaiting
	}, 10*time.Second, 5*time.Millisecond)
	stop() // the process "dies" while the run sleeps; the queue is lost with it
	require.NoError(t, b1.Close())

	b2, err := memory.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b2.Close() })
	startWorker(t, b2, workflow.WorkerOptions{SweepEvery: 20 * time.Millisecond}, wf)
	c2 := workflow.NewClient(b2, workflow.ClientOptions{})
	again, err := workflow.Start(ctx, c2, wf, struct{}{}, workflow.WithRunID("survivor"))
	require.NoError(t, err)
	out, err := again.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, "1 then 2", out, "the first step ran once, before the restart")
	require.EqualValues(t, 2, calls.Load())
}

// Compile-time check that the test's wrapper is a full backend.
var _ backend.Backend = (*lossyQueue)(nil)
