package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// hookRun is a run of hookFlow, its token, and the sink its step reports to.
type hookRun struct {
	e     *env
	sk    *sink
	token string
	runID string
}

// newHookRun starts a run of hookFlow that sees each payload in a step, and waits for its
// hook.
func newHookRun(t *testing.T, e *env, count int, step bool) *hookRun {
	t.Helper()
	sk := newSink()
	t.Cleanup(sk.close)
	h := &hookRun{e: e, sk: sk, token: "bench-" + sk.id}
	h.runID = start(t, e, hookFlow, flowInput{Sink: sk.id, Token: h.token, Count: count, Step: step}, false)
	awaitToken(t, sk, h.runID)
	return h
}

// resume sends payload n through c.
func (h *hookRun) resume(ctx context.Context, c *workflow.Client, n int) error {
	_, err := c.ResumeHook(ctx, h.token, payload(n))
	return err
}

// roundTrip resumes the hook with payload n and waits for the step that sees it, returning the
// time from the call to the step.
func (h *hookRun) roundTrip(ctx context.Context, n int) (time.Duration, error) {
	t0 := time.Now()
	if err := h.resume(ctx, h.e.client, n); err != nil {
		return 0, err
	}
	at, err := h.sk.wait(ctx, n)
	return at.Sub(t0), err
}

// awaitSteps waits until the run's history holds count completed steps: the turns that took
// the payloads sent so far have committed, and the run is parked waiting for the next one.
func (h *hookRun) awaitSteps(t *testing.T, count int) {
	t.Helper()
	require.Eventually(t, func() bool {
		evs, err := h.e.client.ListEvents(t.Context(), h.runID)
		if err != nil {
			return false
		}
		steps := 0
		for _, ev := range evs {
			if ev.Type == "step_completed" {
				steps++
			}
		}
		return steps >= count
	}, timeout, 2*time.Millisecond, "the turns of %d payloads never committed", count)
}

// parkedRoundTrip times the round trip of payload n, and then waits until the worker has
// committed the turn that took it, so that the next round trip finds the run parked.
func (h *hookRun) parkedRoundTrip(t *testing.T, w *workflow.Worker, n int) time.Duration {
	t.Helper()
	commits := w.Stats().Commits
	d, err := h.roundTrip(t.Context(), n)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return w.Stats().Commits > commits }, timeout, 100*time.Microsecond,
		"the turn that took payload %d never committed", n)
	return d
}

// series times n round trips of the hook, numbered from first, after warmup untimed ones.
func (h *hookRun) series(t *testing.T, first, warmup, n int) latency {
	t.Helper()
	ctx := waitCtx(t)
	for i := range warmup {
		_, err := h.roundTrip(ctx, first+i)
		require.NoError(t, err)
	}
	ds := make([]time.Duration, 0, n)
	for i := range n {
		d, err := h.roundTrip(ctx, first+warmup+i)
		require.NoError(t, err)
		ds = append(ds, d)
	}
	return summarize(ds)
}

// resumeToStep is scenario 4: Client.ResumeHook until a step of the workflow holding the
// payload runs, one at a time, with the worker running in process.
func (s *suite) resumeToStep(t *testing.T) {
	e := newEnv(t, s.kind, s.ae)
	_, stop := e.startWorker(t)
	defer stop()
	h := newHookRun(t, e, 0, true)
	n := s.sz.resume.of(s.kind)
	lat := h.series(t, 0, s.sz.warmup, n)
	r := row{scenario: 4, title: "resume → step body", kind: s.kind, lat: ptr(lat), n: n,
		floor: s.fl.latency(t, "resume", n, s.sz.warmup)}
	if s.kind == kindDynamoDB {
		mc := e.meteredClient()
		var reads string
		r.usage, reads = s.metered(t, e, 1, func(ctx context.Context, i int) error {
			if err := h.resume(ctx, mc, i); err != nil {
				return err
			}
			_, err := h.sk.wait(ctx, i)
			return err
		})
		r.notes = join("calls: ResumeHook's only", reads)
	}
	s.rp.add(r)
}

// afterN is scenario 5: +1 delivery to a run that already received n payloads (each seen in a
// step), warm (the worker holds the run parked in memory) and cold (a new worker, which
// replays the run's history first, for each delivery).
func (s *suite) afterN(t *testing.T, sub, n int) {
	e := newEnv(t, s.kind, s.ae)
	w, stop := e.startWorker(t)
	defer func() { stop() }()
	h := newHookRun(t, e, 0, true)

	// The n earlier deliveries, from 16 callers at once.
	ctx := waitCtx(t)
	t0 := time.Now()
	_, err := parallel(ctx, 16, n, func(ctx context.Context, i int) error { return h.resume(ctx, e.client, i) })
	require.NoError(t, err)
	require.NoError(t, h.sk.waitCount(ctx, n, t.Logf))
	fill := time.Since(t0)
	// Each +1 delivery finds the run parked: the turn of the one before has committed (the
	// first time, read from the history; then, from the worker's count of commits, which costs
	// nothing that could slow the next delivery down).
	h.awaitSteps(t, n)
	warm := s.sz.warmAfterN.of(s.kind)
	ws := make([]time.Duration, 0, warm)
	sent := n
	for range warm {
		d := h.parkedRoundTrip(t, w, sent)
		ws = append(ws, d)
		sent++
	}

	cold := s.sz.coldAfterN.of(s.kind)
	ds := make([]time.Duration, 0, cold)
	var replays int64
	for range cold {
		stop()
		if s.kind == kindDynamoDB {
			// The stopped worker's last long poll may still be open at the endpoint, which
			// would take the next wake and lose it for the visibility timeout: let it end.
			time.Sleep(1100 * time.Millisecond)
		}
		w, stop = e.startWorker(t)
		ds = append(ds, h.parkedRoundTrip(t, w, sent))
		replays += w.Stats().Replays
		sent++
	}
	require.GreaterOrEqual(t, replays, int64(cold), "each cold delivery replays the history")
	stop()
	evs, err := e.client.ListEvents(ctx, h.runID)
	require.NoError(t, err)
	floor := s.fl.latency(t, "resume", s.sz.resume.of(s.kind), s.sz.warmup)
	s.rp.add(row{scenario: 5, sub: 2 * sub, title: fmt.Sprintf("+1 delivery after N = %s, warm", thousands(int64(n))),
		kind: s.kind, lat: ptr(summarize(ws)), n: warm, floor: floor,
		notes: fmt.Sprintf("the N took %v; history of %s events at the end", fill.Round(time.Millisecond), thousands(int64(len(evs))))})
	s.rp.add(row{scenario: 5, sub: 2*sub + 1, title: fmt.Sprintf("+1 delivery after N = %s, cold (a new worker replays)", thousands(int64(n))),
		kind: s.kind, lat: ptr(summarize(ds)), n: cold, floor: floor})
}
