package reliability

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// eachBackend runs fn on the embedded backend and on the AWS endpoint, in parallel.
func eachBackend(t *testing.T, fn func(t *testing.T, b backend.Backend)) {
	t.Helper()
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		b := memory.New()
		t.Cleanup(func() { _ = b.Close() })
		fn(t, b)
	})
	t.Run("dynamodb", func(t *testing.T) {
		t.Parallel()
		emulator <- struct{}{} // the emulator serves one request at a time: a few tests at once
		t.Cleanup(func() { <-emulator })
		fn(t, newAWS(t))
	})
}

var emulator = make(chan struct{}, 3)

// newAWS returns a backend on a table and queue of the test's own.
func newAWS(t *testing.T) *awsbackend.Backend {
	t.Helper()
	return awstest.Setup(t).NewBackend(t, awsbackend.Options{VisibilityTimeout: 2 * time.Second})
}

// stack is a client and a worker on one backend.
type stack struct {
	b      backend.Backend
	client *workflow.Client
	worker *workflow.Worker
}

func newStack(t *testing.T, b backend.Backend, opts workflow.WorkerOptions, ws ...workflow.Registrable) *stack {
	t.Helper()
	reg := workflow.NewRegistry(ws...)
	require.NoError(t, reg.Err())
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
		if testing.Verbose() {
			opts.Logger = slog.New(slog.NewTextHandler(tlog{t}, nil))
		}
	}
	opts.BaseURL = "http://hookflow.test"
	s := &stack{b: b, client: workflow.NewClient(b, workflow.ClientOptions{BaseURL: opts.BaseURL}), worker: workflow.NewWorker(b, reg, opts)}
	t.Cleanup(s.worker.Close)
	return s
}

// run starts the worker in the background until the test ends, or until the function it
// returns is called.
func (s *stack) run(t *testing.T) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.worker.Run(ctx)
	}()
	stop = func() {
		cancel()
		<-done
	}
	t.Cleanup(stop)
	return stop
}

// drain runs the turns of every visible wake message, until none is left.
func (s *stack) drain(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	for {
		msgs, err := s.b.Receive(ctx, 10, 0)
		require.NoError(t, err)
		if len(msgs) == 0 {
			return
		}
		turned := map[string]bool{} // one turn per run and batch, as the runner Lambda does
		for _, m := range msgs {
			if !turned[m.RunID] {
				turned[m.RunID] = true
				require.NoError(t, s.worker.RunTurn(ctx, m.RunID))
			}
		}
		require.NoError(t, s.b.Ack(ctx, msgs...))
	}
}

// purge takes every visible wake message without a turn: the wakes are lost.
func (s *stack) purge(t *testing.T) {
	t.Helper()
	for {
		msgs, err := s.b.Receive(t.Context(), 10, 0)
		require.NoError(t, err)
		if len(msgs) == 0 {
			return
		}
		require.NoError(t, s.b.Ack(t.Context(), msgs...))
	}
}

// await waits for the run to end, running nothing itself, and returns it.
func (s *stack) await(t *testing.T, runID string, within time.Duration) workflow.RunInfo {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		info, err := s.client.GetRun(t.Context(), runID)
		require.NoError(t, err)
		switch info.Status {
		case workflow.StatusCompleted, workflow.StatusFailed, workflow.StatusCancelled:
			return info
		}
		require.True(t, time.Now().Before(deadline), "run %s still %s after %s (last error %q)", runID, info.Status, within, info.LastError)
		time.Sleep(20 * time.Millisecond)
	}
}

// events returns the types of the run's history.
func (s *stack) events(t *testing.T, runID string) []workflow.Event {
	t.Helper()
	evs, err := s.client.ListEvents(t.Context(), runID)
	require.NoError(t, err)
	return evs
}

func count(evs []workflow.Event, typ string) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// requireSettled checks what every ended run must leave: no inbox item, no token, not due.
func requireSettled(t *testing.T, b backend.Backend, runID string) {
	t.Helper()
	ctx := t.Context()
	items, err := b.ListInbox(ctx, runID, 0)
	require.NoError(t, err)
	require.Empty(t, items, "the ended run's inbox is empty")
	toks, err := b.ListTokens(ctx, runID)
	require.NoError(t, err)
	require.Empty(t, toks, "the ended run holds no token")
	require.NotContains(t, due(t, b), runID, "the ended run is not due")
}

// due lists every run due by a far-future time.
func due(t *testing.T, b backend.Store) []string {
	t.Helper()
	later := time.Now().Add(24 * time.Hour)
	ids, err := b.ListDue(t.Context(), backend.DueQuery{DueBefore: later, InboxBefore: later})
	require.NoError(t, err)
	return ids
}

// tlog writes log lines to the test's log.
type tlog struct{ t *testing.T }

func (l tlog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
