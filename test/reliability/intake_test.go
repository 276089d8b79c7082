package reliability

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// tally sums n payloads of one hook.
var tally = workflow.Define("tally", func(ctx workflow.Context, n int) (int, error) {
	h, err := workflow.CreateHook[int](ctx, workflow.HookOptions{Token: "tally"})
	if err != nil {
		return 0, err
	}
	sum := 0
	for range n {
		v, err := h.Receive(ctx)
		if err != nil {
			return 0, err
		}
		sum += v
	}
	return sum, nil
})

// intakeWatch records the most inbox items one read returned and the most hook_received
// events one commit carried.
type intakeWatch struct {
	backend.Backend
	mu                sync.Mutex
	maxRead, maxMoved int
}

func (w *intakeWatch) ListInbox(ctx context.Context, runID string, limit int) ([]backend.InboxItem, error) {
	items, err := w.Backend.ListInbox(ctx, runID, limit)
	w.mu.Lock()
	w.maxRead = max(w.maxRead, len(items))
	w.mu.Unlock()
	return items, err
}

func (w *intakeWatch) Commit(ctx context.Context, c backend.Commit) error {
	n := 0
	for _, e := range c.Events {
		if e.Type == "hook_received" {
			n++
		}
	}
	w.mu.Lock()
	w.maxMoved = max(w.maxMoved, n)
	w.mu.Unlock()
	return w.Backend.Commit(ctx, c)
}

// Defect 10: a turn used to load a run's whole inbox and move all of it into one commit, so
// a flood into one run made memory and commit size unbounded. A turn now takes a bounded
// batch and leaves the rest to the next turn, queued at once.
func TestTurnIntakeIsBounded(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend.Backend) {
		n := 200
		if _, ok := b.(*memory.Backend); !ok {
			n = 100 // the emulator is slow; still more than one turn takes
		}
		ctx := t.Context()
		watch := &intakeWatch{Backend: b}
		s := newStack(t, watch, workflow.WorkerOptions{}, tally)
		run, err := workflow.Start(ctx, s.client, tally, n)
		require.NoError(t, err)
		s.drain(t)
		direct := workflow.NewClient(b, workflow.ClientOptions{})
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				_, err := direct.ResumeHook(ctx, "tally", i+1)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		s.drain(t)
		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, n*(n+1)/2, out)
		require.Equal(t, n, count(s.events(t, run.ID()), "hook_received"))
		require.LessOrEqual(t, watch.maxRead, 64, "a turn reads a bounded batch of the inbox")
		require.LessOrEqual(t, watch.maxMoved, 64, "a commit moves a bounded batch into history")
		requireSettled(t, b, run.ID())
	})
}
