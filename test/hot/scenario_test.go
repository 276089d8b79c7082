package hot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// baseURL is the public base URL of the tests' webhooks.
const baseURL = "https://hooks.test"

// senders is how many callers deliver at once.
const senders = 16

// scenario is a load: runs runs of stream, each taking perRun deliveries, with k runners.
type scenario struct {
	runs, perRun, k int
}

func (s scenario) deliveries() int { return s.runs * s.perRun }

// rig is one backend with its runners: the embedded store with K workers, or DynamoDB and SQS
// with K runner Lambdas fed by pollers.
type rig interface {
	client() *workflow.Client
	// send delivers one webhook request, as a sender would, and fails unless it was accepted.
	send(ctx context.Context, token string, body []byte) error
	// startRunners starts k runners; stop stops them and returns their summed counters.
	startRunners(t *testing.T, k int) (stop func() workflow.WorkerStats)
}

// outcome is what a scenario cost.
type outcome struct {
	took  time.Duration // from the first delivery sent to the last run completed
	sent  time.Duration // from the first delivery sent to the last accepted
	stats workflow.WorkerStats
}

// turnsPerDelivery counts every turn, the first turn of each run included.
func (o outcome) turnsPerDelivery(s scenario) float64 {
	return float64(o.stats.Turns) / float64(s.deliveries())
}

func (o outcome) String() string {
	s := o.stats
	return fmt.Sprintf("%v (all sent in %v): %d wakes (%d coalesced), %d turns, %d conflicting, %d wasted, %d replays, %d catch-ups, %d commits, %d events",
		o.took.Round(time.Millisecond), o.sent.Round(time.Millisecond), s.Wakes, s.Coalesced, s.Turns, s.Conflicts, s.IdleTurns, s.Replays, s.CatchUps, s.Commits, s.Events)
}

// play runs the scenario on r: it starts the runs, waits for their webhooks, has the senders
// deliver every request (spread over the runs, so that they receive at the same time), waits
// up to bound for every run to complete, and checks that each run has each of its deliveries
// in its history exactly once.
func play(t *testing.T, r rig, s scenario, bound time.Duration) outcome {
	t.Helper()
	ctx := t.Context()
	stop := r.startRunners(t, s.k)
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()

	c := r.client()
	runIDs := make([]string, s.runs)
	for i := range runIDs {
		run, err := workflow.Start(ctx, c, stream, streamInput{Count: s.perRun})
		require.NoError(t, err)
		runIDs[i] = run.ID()
	}
	tokens := make([]string, s.runs)
	for i, id := range runIDs {
		require.Eventually(t, func() bool {
			hooks, err := c.ListHooks(ctx, workflow.HookFilter{RunID: id})
			if err != nil || len(hooks) == 0 {
				return false
			}
			tokens[i] = hooks[0].Token
			return true
		}, bound, 20*time.Millisecond, "run %s never created its webhook", id)
	}

	// Delivery n goes to run n % runs, by sender n % senders.
	began := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for sender := range senders {
		wg.Go(func() {
			for n := sender; n < s.deliveries(); n += senders {
				body := payload(sender, n)
				if err := r.send(ctx, tokens[n%s.runs], body); err != nil {
					errs <- fmt.Errorf("sender %d, delivery %d: %w", sender, n, err)
					return
				}
			}
		})
	}
	wg.Wait()
	sent := time.Since(began)
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	deadline := time.Now().Add(bound)
	progress := time.NewTicker(30 * time.Second)
	defer progress.Stop()
	for _, id := range runIDs {
		for {
			info, err := c.GetRun(ctx, id)
			require.NoError(t, err)
			if info.Status == workflow.StatusCompleted {
				break
			}
			require.NotEqual(t, workflow.StatusFailed, info.Status, "run %s failed: %s", id, info.Error)
			require.True(t, time.Now().Before(deadline), "stall: run %s is %s after %v, %s",
				id, info.Status, bound, receivedSoFar(t, c, id))
			select {
			case <-progress.C:
				t.Logf("after %v: run %s has %s", time.Since(began).Round(time.Second), id, receivedSoFar(t, c, id))
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	o := outcome{took: time.Since(began), sent: sent}
	stopped = true
	o.stats = stop()

	for i, id := range runIDs {
		want := map[int]bool{}
		for n := i; n < s.deliveries(); n += s.runs {
			want[n] = true
		}
		checkExactlyOnce(t, c, id, want)
	}
	return o
}

// payload is delivery n from sender, 1 KiB of JSON.
func payload(sender, n int) []byte {
	d := delivery{Sender: sender, N: n}
	base, _ := json.Marshal(d)
	d.Pad = strings.Repeat("x", 1024-len(base))
	b, _ := json.Marshal(d)
	return b
}

// checkExactlyOnce checks that the run's history has each delivery of want once, each with a
// completed step, and that the workflow saw them all.
func checkExactlyOnce(t *testing.T, c *workflow.Client, runID string, want map[int]bool) {
	t.Helper()
	evs, err := c.ListEvents(t.Context(), runID)
	require.NoError(t, err)
	seen := map[int]int{}
	ids := map[string]bool{}
	steps := 0
	for _, ev := range evs {
		switch ev.Type {
		case "hook_received":
			var meta struct {
				DeliveryID string `json:"deliveryId"`
			}
			require.NoError(t, json.Unmarshal(ev.Data, &meta))
			require.False(t, ids[meta.DeliveryID], "run %s: delivery %s recorded twice", runID, meta.DeliveryID)
			ids[meta.DeliveryID] = true
			var d delivery
			require.NoError(t, json.Unmarshal(ev.Body, &d), "run %s: event %d", runID, ev.Seq)
			seen[d.N]++
		case "step_completed":
			steps++
		}
	}
	for n := range want {
		require.Equal(t, 1, seen[n], "run %s: delivery %d in history %d times", runID, n, seen[n])
	}
	require.Len(t, seen, len(want), "run %s: deliveries it was not sent", runID)
	require.Equal(t, len(want), steps, "run %s: one step per delivery", runID)
	info, err := c.GetRun(t.Context(), runID)
	require.NoError(t, err)
	var out streamOutput
	require.NoError(t, json.Unmarshal(info.Output, &out))
	require.Equal(t, len(want), out.Count)
}

// receivedSoFar describes how far a run got, for stall messages.
func receivedSoFar(t *testing.T, c *workflow.Client, runID string) string {
	evs, err := c.ListEvents(t.Context(), runID)
	if err != nil {
		return err.Error()
	}
	n := 0
	for _, ev := range evs {
		if ev.Type == "hook_received" {
			n++
		}
	}
	return fmt.Sprintf("%d deliveries in its history", n)
}
