package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// throughput is scenario 6: total webhook deliveries (202) from senders at once, into one
// hook or spread over hooks runs, with the worker running in process, on a fresh backend
// (moto's transactions slow down as the table grows). The rate is the deliveries over the
// time from the first POST to the workflow code seeing the last; every delivery must reach
// its run's history exactly once.
func (s *suite) throughput(t *testing.T, sub, senders, hooks int) {
	e := newEnv(t, s.kind, s.ae)
	_, stop := e.startWorker(t)
	defer stop()
	total := s.sz.throughput.of(s.kind)
	require.Zero(t, total%hooks, "deliveries spread evenly over the hooks")
	per := total / hooks
	sk := newSink()
	defer sk.close()
	ctx := waitCtx(t)
	runIDs := make([]string, hooks)
	tokens := make([]string, hooks)
	for i := range hooks {
		runIDs[i] = start(t, e, webhookFlow, flowInput{Sink: sk.id, Mode: mode202, Count: per}, false)
	}
	for i, id := range runIDs {
		tokens[i] = awaitToken(t, sk, id)
	}
	send, release := e.sender(nil)
	defer release()

	t0 := time.Now()
	took, err := parallel(ctx, senders, total, func(ctx context.Context, i int) error {
		status, b, err := send(ctx, tokens[i%hooks], body(i))
		if err == nil && status != http.StatusAccepted {
			err = fmt.Errorf("answer %d %q, want 202", status, b)
		}
		return err
	})
	require.NoError(t, err)
	require.NoError(t, sk.waitCount(ctx, total, t.Logf))
	last := lastSeen(sinkCheck(t, sk, total))
	for _, id := range runIDs {
		awaitCount(t, e.client, id, per)
		receivedOnce(t, e.client, id, per)
	}
	e2e := last.Sub(t0)

	s.rp.add(row{scenario: 6, sub: sub, title: fmt.Sprintf("throughput, %s → %s", plural(senders, "sender"), plural(hooks, "hook")), kind: s.kind,
		rate: float64(total) / e2e.Seconds(), n: total, floor: s.fl.rate(t, "ingest", senders, total),
		notes: fmt.Sprintf("answered at %s; each received once", fmtRate(float64(total)/took.Seconds()))})
}

// resumers is scenario 8: 16 callers of Client.ResumeHook at once into one hook.
func (s *suite) resumers(t *testing.T) {
	e := newEnv(t, s.kind, s.ae)
	_, stop := e.startWorker(t)
	defer stop()
	total := s.sz.resumerTotals.of(s.kind)
	h := newHookRun(t, e, total, false)
	ctx := waitCtx(t)
	t0 := time.Now()
	took, err := parallel(ctx, s.sz.resumers, total, func(ctx context.Context, i int) error { return h.resume(ctx, e.client, i) })
	require.NoError(t, err)
	require.NoError(t, h.sk.waitCount(ctx, total, t.Logf))
	last := lastSeen(sinkCheck(t, h.sk, total))
	awaitCount(t, e.client, h.runID, total)
	receivedOnce(t, e.client, h.runID, total)
	e2e := last.Sub(t0)
	s.rp.add(row{scenario: 8, title: fmt.Sprintf("%d concurrent ResumeHook callers → 1 hook", s.sz.resumers), kind: s.kind,
		rate: float64(total) / e2e.Seconds(), n: total, floor: s.fl.rate(t, "resume", s.sz.resumers, total),
		notes: fmt.Sprintf("resumed at %s; each received once", fmtRate(float64(total)/took.Seconds()))})
}

// lastSeen returns the latest of the times.
func lastSeen(first map[int]time.Time) time.Time {
	var last time.Time
	for _, at := range first {
		if at.After(last) {
			last = at
		}
	}
	return last
}

// awaitCount waits for the run to complete and checks that it counted want deliveries.
func awaitCount(t *testing.T, c *workflow.Client, runID string, want int) {
	t.Helper()
	var info workflow.RunInfo
	require.Eventually(t, func() bool {
		var err error
		info, err = c.GetRun(t.Context(), runID)
		return err == nil && info.Status != workflow.StatusPending && info.Status != workflow.StatusRunning &&
			info.Status != workflow.StatusWaiting
	}, timeout, 20*time.Millisecond, "run %s never ended", runID)
	require.Equal(t, workflow.StatusCompleted, info.Status, "run %s: %s", runID, info.Error)
	var got int
	require.NoError(t, json.Unmarshal(info.Output, &got))
	require.Equal(t, want, got, "run %s counted its deliveries", runID)
}

// plural prints "1 hook", "100 hooks".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
