package load

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/internal/faultbackend"
	"github.com/hookflow/hookflow/pkg/backend"
	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// Backend kinds.
const (
	kindMemory   = "memory"
	kindDynamoDB = "dynamodb"
)

// baseURL is the public base URL of the tests' webhooks.
const baseURL = "http://hooks.test"

// env is a backend with a worker running turns in the background. The worker's calls go
// through a counting wrapper (a faultbackend without faults), so that tests can report the
// turns and commits a load cost.
type env struct {
	kind    string
	b       backend.Backend
	counted *faultbackend.Backend // the worker's view of b
	client  *workflow.Client
}

var discard = slog.New(slog.DiscardHandler)

// eachBackend runs fn on the embedded backend and on the endpoint, in parallel, with size
// callers on memory and awsSize on the endpoint.
func eachBackend(t *testing.T, size, awsSize int, fn func(t *testing.T, e *env, n int)) {
	t.Helper()
	t.Run(kindMemory, func(t *testing.T) {
		t.Parallel()
		fn(t, newEnv(t, kindMemory), size)
	})
	t.Run(kindDynamoDB, func(t *testing.T) {
		t.Parallel()
		fn(t, newEnv(t, kindDynamoDB), awsSize)
	})
}

// newEnv returns a fresh backend of kind with a worker running until the test ends.
func newEnv(t *testing.T, kind string) *env {
	t.Helper()
	var b backend.Backend
	if kind == kindMemory {
		mem := memory.New()
		t.Cleanup(func() { _ = mem.Close() })
		b = mem
	} else {
		b = newAWSBackend(t)
	}
	e := &env{kind: kind, b: b, counted: faultbackend.New(b)}
	e.client = workflow.NewClient(b, workflow.ClientOptions{BaseURL: baseURL})
	// The sweeper keeps its default period (embedded: 1s, AWS: 1m): every wake here is sent,
	// and sweeping often on a slow endpoint only adds duplicate wakes.
	w := workflow.NewWorker(e.counted, registry, workflow.WorkerOptions{Concurrency: 8, Logger: discard, BaseURL: baseURL})
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := w.Run(ctx); err != nil {
			t.Errorf("worker: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return e
}

// newAWSBackend makes a table and a queue for the test and returns a backend on them.
func newAWSBackend(t *testing.T) backend.Backend {
	t.Helper()
	return awstest.Setup(t).NewBackend(t, awsbackend.Options{VisibilityTimeout: 5 * time.Second})
}

// awaitResult waits up to d for the run's result.
func awaitResult[Out any](t *testing.T, run *workflow.Run[Out], d time.Duration) Out {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	out, err := run.Result(ctx)
	require.NoError(t, err, "run %s did not complete within %v", run.ID(), d)
	return out
}

// awaitToken waits until token is live.
func (e *env) awaitToken(t *testing.T, token string) workflow.HookInfo {
	t.Helper()
	var info workflow.HookInfo
	require.Eventually(t, func() bool {
		var err error
		info, err = e.client.GetHookByToken(t.Context(), token)
		return err == nil
	}, time.Minute, 10*time.Millisecond, "hook %s never appeared", token)
	return info
}

// received returns the delivery IDs of the run's hook_received events, with how many times
// each appears.
func (e *env) received(t *testing.T, runID string) map[string]int {
	t.Helper()
	evs, err := e.client.ListEvents(t.Context(), runID)
	require.NoError(t, err)
	ids := map[string]int{}
	for _, ev := range evs {
		if ev.Type != "hook_received" {
			continue
		}
		var d struct {
			DeliveryID string `json:"deliveryId"`
		}
		require.NoError(t, decode(ev.Data, &d))
		ids[d.DeliveryID]++
	}
	return ids
}

// report logs what the worker's calls to the backend were.
func (e *env) report(t *testing.T, what string, n int, took time.Duration) {
	t.Helper()
	c := e.counted.Counts()
	t.Logf("%s on %s: %d deliveries in %v (%.0f/s); worker calls: %d turns (GetRun), %d commits, %d inbox reads, %d enqueues",
		what, e.kind, n, took.Round(time.Millisecond), float64(n)/took.Seconds(),
		c[faultbackend.GetRun], c[faultbackend.Commit], c[faultbackend.ListInbox], c[faultbackend.Enqueue])
}
