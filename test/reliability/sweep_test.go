package reliability

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// Defect 4: the sweep used to wake the 1,000 oldest due runs only, so 1,000 runs that stay
// due (a workflow nobody registered, say) hid every other due run, and a run whose wake was
// lost was stranded. The sweep now reaches every due run.
func TestSweepReachesEveryDueRun(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend.Backend) {
		stale := 1001 // the engine used to sweep the 1,000 oldest
		if _, ok := b.(*memory.Backend); !ok {
			stale = 150 // the emulator is slow: enough to check that every due run is reached
		}
		ctx := t.Context()
		s := newStack(t, b, workflow.WorkerOptions{})
		now := time.Now().UTC()
		create := func(id string, due time.Time) error {
			data, _ := json.Marshal(map[string]string{"workflow": "nobody"})
			_, err := b.CreateRun(ctx, backend.Run{
				ID: id, Workflow: "nobody", Status: backend.StatusPending, CreatedAt: due, UpdatedAt: due, DueAt: due,
			}, []backend.Event{{Seq: 1, Type: "run_created", Data: data, CreatedAt: due}})
			return err
		}
		var wg sync.WaitGroup
		errs := make(chan error, stale)
		ids := make(chan int, stale)
		for i := range stale {
			ids <- i
		}
		close(ids)
		for range 8 {
			wg.Go(func() {
				for i := range ids {
					errs <- create(fmt.Sprintf("stale-%04d", i), now.Add(-time.Hour).Add(time.Duration(i)*time.Millisecond))
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.NoError(t, create("stranded", now.Add(-time.Minute)))

		n, err := s.worker.Sweep(ctx, 0)
		require.NoError(t, err)
		require.Equal(t, stale+1, n, "every due run is woken")
		var woken []string
		for {
			msgs, err := b.Receive(ctx, 10, 0)
			require.NoError(t, err)
			if len(msgs) == 0 {
				break
			}
			for _, m := range msgs {
				woken = append(woken, m.RunID)
			}
			require.NoError(t, b.Ack(ctx, msgs...))
		}
		require.Contains(t, woken, "stranded")
		slices.Sort(woken)
		require.Len(t, slices.Compact(woken), stale+1)
	})
}

// napFor is long enough that the first turn's runner, which takes a timer that comes due while
// it holds the run, is done before it passes.
const napFor = 3 * time.Second

// nap sleeps briefly.
var nap = workflow.Define("nap", func(ctx workflow.Context, _ struct{}) (string, error) {
	if err := workflow.Sleep(ctx, napFor); err != nil {
		return "", err
	}
	return "rested", nil
})

// Defect 6: the sweep's grace, meant to give a fresh inbox item time for its own wake, was
// taken off timer due times too, so a timer whose wake was lost waited the grace (30 s on
// AWS) on top. A passed timer is due at once now.
func TestSweepGraceDoesNotDelayTimers(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend.Backend) {
		ctx := t.Context()
		s := newStack(t, b, workflow.WorkerOptions{}, nap)
		run, err := workflow.Start(ctx, s.client, nap, struct{}{})
		require.NoError(t, err)
		// The first turn only: it sets the timer and queues its delayed wake.
		msgs, err := b.Receive(ctx, 10, 5*time.Second)
		require.NoError(t, err)
		require.Len(t, msgs, 1)
		require.NoError(t, s.worker.RunTurn(ctx, run.ID()))
		require.NoError(t, b.Ack(ctx, msgs...))

		// Lose the timer's wake: once the timer has passed, take every message without a turn.
		time.Sleep(napFor + 500*time.Millisecond)
		for {
			msgs, err := b.Receive(ctx, 10, 0)
			require.NoError(t, err)
			if len(msgs) == 0 {
				break
			}
			require.NoError(t, b.Ack(ctx, msgs...))
		}
		info, err := s.client.GetRun(ctx, run.ID())
		require.NoError(t, err)
		require.Equal(t, workflow.StatusWaiting, info.Status)

		n, err := s.worker.Sweep(ctx, 30*time.Second)
		require.NoError(t, err)
		require.Equal(t, 1, n, "the passed timer is due, whatever the grace")
		s.drain(t)
		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, "rested", out)
	})
}
