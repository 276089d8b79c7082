package faults

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/faultbackend"
	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// baseURL is the public base URL of the cells' webhooks; requests are served in process.
const baseURL = "http://hooks.test"

// harness is one run of one scenario: a backend behind the fault wrapper, a worker whose
// turns the harness runs itself (receive, turn, acknowledge, as the runner Lambda does), a
// client and the webhook handler for the callers, and the record of what the callers saw,
// which the invariants check at the end.
type harness struct {
	t      *testing.T
	ctx    context.Context
	st     *store
	fb     *faultbackend.Backend
	client *workflow.Client
	worker *workflow.Worker
	hook   http.Handler
	name   string // unique per cell, for tokens and run IDs
	armed  bool   // a fault is armed

	mu        sync.Mutex
	runs      []string
	steps     map[string][]string // run ID: the steps that must complete exactly once
	accepted  []delivery          // deliveries whose caller saw them accepted
	refused   []string            // keys of deliveries refused (the hook was gone)
	callers   []*caller
	turnErrs  int
	lastSweep time.Time // driver only; on the fake clock, its time
	// violations are the invariants broken so far (see invariants_test.go).
	violations []string
}

// delivery is a payload a caller saw accepted.
type delivery struct {
	runID      string
	key        string // the caller's idempotency key; the payload carries it too
	deliveryID string // known for hook resumes
}

var discard = slog.New(slog.DiscardHandler)

// newHarness wraps st in a fault wrapper and builds the worker and client on it.
func newHarness(t *testing.T, st *store, name string) *harness {
	fb := faultbackend.New(st.b)
	h := &harness{
		t: t, ctx: t.Context(), st: st, fb: fb, name: name, steps: map[string][]string{},
		client: workflow.NewClient(fb, workflow.ClientOptions{BaseURL: baseURL}),
		// A short lease: a cell that crashes while holding a run waits for it to lapse.
		worker: workflow.NewWorker(fb, registry, workflow.WorkerOptions{
			Logger: discard, BaseURL: baseURL, LeaseTTL: leaseTTL,
			// Ended runs are kept: the invariants check that an ended run is never due again.
			Retention: workflow.KeepForever,
		}),
	}
	h.hook = webhook.NewHandler(h.client, webhook.Options{Logger: discard})
	t.Cleanup(h.worker.Close)
	return h
}

// pump receives one batch of wake messages and runs their turns, acknowledging a message
// only when its turn succeeded (a failed turn's message comes back after the visibility
// timeout, as SQS redelivers it). It reports whether there was anything to do.
func (h *harness) pump() bool {
	msgs, err := h.fb.Receive(h.ctx, 10, 0)
	if err != nil || len(msgs) == 0 {
		return false
	}
	for _, m := range msgs {
		if err := h.worker.RunTurn(h.ctx, m.RunID); err != nil {
			h.mu.Lock()
			h.turnErrs++
			h.mu.Unlock()
			continue
		}
		// A failed acknowledgement only brings the message back: its turn finds nothing new.
		_ = h.fb.Ack(h.ctx, m)
	}
	return true
}

// until runs turns, sweeping when the queue is empty, and checks cond whenever nothing is
// runnable; on the fake clock it then jumps to the next due time or visible message. It fails
// the cell when cond does not hold within the store's patience.
func (h *harness) until(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(h.st.patience)
	quiet := false // nothing could happen on the previous pass either
	for {
		if h.ctx.Err() != nil {
			h.fatal(invStalled, "%s: %v", what, h.ctx.Err())
		}
		if h.pump() {
			quiet = false
			continue
		}
		if h.sweep() > 0 {
			quiet = false
			continue
		}
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			h.fatal(invStalled, "%s: not reached within %v", what, h.st.patience)
		}
		if h.wait() {
			quiet = false
			continue
		}
		if quiet {
			h.fatal(invStalled, "%s: never (nothing is queued, due or in flight: the run is stranded)", what)
		}
		quiet = true
	}
}

// leaseTTL is the workers' lease on a run; fakeSweepEvery spaces sweeps on the fake clock.
const (
	leaseTTL       = 2 * time.Second
	fakeSweepEvery = time.Second
)

// sweep runs the sweeper, as a worker does every SweepEvery: on the fake clock at most every
// fakeSweepEvery of its time (wait moves the clock on to the next sweep when a run is due but
// nothing else can happen: a run held by a lease that a crash left behind is woken again only
// once the lease lapses), on the endpoint at most every sweepEvery (a sweep is a query), and
// returns how many runs it woke.
func (h *harness) sweep() int {
	now := time.Now()
	every := h.st.sweepEvery
	if h.st.clock != nil {
		now, every = h.st.clock.Now(), fakeSweepEvery
	}
	if !h.lastSweep.IsZero() && now.Sub(h.lastSweep) < every {
		return 0
	}
	h.lastSweep = now
	n, _ := h.worker.Sweep(h.ctx, 0)
	return n
}

// idle runs turns until nothing is runnable now.
func (h *harness) idle() { h.until("idle", func() bool { return true }) }

// wait lets time pass: on the fake clock it jumps to the next visible message or due run;
// otherwise (or when nothing is scheduled) it sleeps briefly for the callers in flight. It
// reports false when nothing can ever happen: on the fake clock, nothing is scheduled and no
// caller is in flight.
func (h *harness) wait() bool {
	if h.st.clock != nil {
		next, ok := h.nextDue()
		if ok && !next.After(h.st.clock.Now()) {
			next = h.lastSweep.Add(fakeSweepEvery) // due now: only the next sweep wakes it
		}
		if ok && next.After(h.st.clock.Now()) {
			h.st.clock.advanceTo(next)
			return true
		}
		if !ok && !h.callersInFlight() {
			return false
		}
	}
	time.Sleep(h.st.idle)
	return true
}

// nextDue is the earliest of the next visible wake message and the runs' due times.
func (h *harness) nextDue() (time.Time, bool) {
	next, ok := h.st.mem.NextVisible()
	for _, id := range h.runIDs() {
		run, err := h.st.b.GetRun(h.ctx, id)
		if err != nil || run.Status == backend.StatusStuck {
			continue
		}
		if run.LeaseOwner != "" && (!ok || run.LeaseUntil.Before(next)) {
			next, ok = run.LeaseUntil, true // a lease a crash left behind lapses
		}
		if !run.DueAt.IsZero() && (!ok || run.DueAt.Before(next)) {
			next, ok = run.DueAt, true
		}
	}
	// A run with an inbox item but no wake (its wake was lost) waits for the next sweep.
	if now := h.st.clock.Now(); !ok || next.After(now) {
		due, err := h.st.b.ListDue(h.ctx, backend.DueQuery{DueBefore: now, InboxBefore: now})
		if sweep := h.lastSweep.Add(fakeSweepEvery); err == nil && len(due) > 0 && (!ok || sweep.Before(next)) {
			next, ok = sweep, true
		}
	}
	return next, ok
}

func (h *harness) runIDs() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.runs)
}

// status reads a run's status without going through the fault wrapper.
func (h *harness) status(runID string) backend.RunStatus {
	run, err := h.st.b.GetRun(h.ctx, runID)
	if err != nil {
		return ""
	}
	return run.Status
}

// awaitEnd runs turns until the run has ended.
func (h *harness) awaitEnd(runID string) {
	h.t.Helper()
	h.until("run "+runID+" ends", func() bool { return h.status(runID).Terminal() })
}

// awaitHooks runs turns until the run has created n hooks, and returns their tokens in the
// order the workflow created them.
func (h *harness) awaitHooks(runID string, n int) []string {
	h.t.Helper()
	var tokens []string
	what := fmt.Sprintf("run %s creates %d hooks", runID, n)
	h.until(what, func() bool {
		tokens = h.createdTokens(runID)
		return len(tokens) >= n || h.status(runID).Terminal()
	})
	if len(tokens) < n {
		h.fatal(invStalled, "%s: it ended first", what)
	}
	return tokens[:n]
}

// createdTokens reads the tokens of the run's hook_created events, in order.
func (h *harness) createdTokens(runID string) []string {
	evs, err := h.st.b.ListEvents(h.ctx, runID, 0)
	if err != nil {
		return nil
	}
	var tokens []string
	for _, ev := range evs {
		if ev.Type == "hook_created" {
			var d struct {
				Token string `json:"token"`
			}
			if decode(ev.Data, &d) == nil {
				tokens = append(tokens, d.Token)
			}
		}
	}
	return tokens
}

// expectSteps names steps of the run that must complete exactly once.
func (h *harness) expectSteps(runID string, names ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.steps[runID] = append(h.steps[runID], names...)
}

// settle waits for the callers in flight and runs turns until nothing is runnable, so that
// the invariants see the state a quiet system would have.
func (h *harness) settle() {
	h.t.Helper()
	h.until("callers answered", func() bool { return !h.callersInFlight() })
	h.idle()
}

// failedTurns is how many turns returned an error.
func (h *harness) failedTurns() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.turnErrs
}

// callersInFlight reports whether a manual caller is still waiting for its answer.
func (h *harness) callersInFlight() bool {
	for _, c := range h.callerList() {
		select {
		case <-c.done:
		default:
			return true
		}
	}
	return false
}

// dump describes the state of the cell's runs, for a failure message.
func (h *harness) dump() string {
	var sb strings.Builder
	ctx := context.WithoutCancel(h.ctx)
	for _, f := range h.fb.Fired() {
		fmt.Fprintf(&sb, "fault fired: %s (call %d, %s)\n", f.Fault, f.Call, f.Detail)
	}
	h.mu.Lock()
	fmt.Fprintf(&sb, "failed turns: %d\n", h.turnErrs)
	h.mu.Unlock()
	for _, id := range h.runIDs() {
		run, err := h.st.b.GetRun(ctx, id)
		if err != nil {
			fmt.Fprintf(&sb, "run %s: %v\n", id, err)
			continue
		}
		fmt.Fprintf(&sb, "run %s: status=%s version=%d due=%v failures=%d lastError=%q error=%s\n",
			id, run.Status, run.Version, run.DueAt, run.Failures, run.LastError, run.Error)
		evs, _ := h.st.b.ListEvents(ctx, id, 0)
		types := make([]string, len(evs))
		for i, ev := range evs {
			types[i] = ev.Type
			if ev.CorrelationID != "" {
				types[i] += "(" + ev.CorrelationID + ")"
			}
		}
		fmt.Fprintf(&sb, "  history: %s\n", strings.Join(types, " "))
		items, _ := h.st.b.ListInbox(ctx, id, 0)
		for _, it := range items {
			fmt.Fprintf(&sb, "  inbox: %s %s delivery=%s\n", it.ID, it.Kind, it.DeliveryID)
		}
		toks, _ := h.st.b.ListTokens(ctx, id)
		for _, tk := range toks {
			fmt.Fprintf(&sb, "  token: %s (%s %s)\n", tk.Token, tk.Kind, tk.HookID)
		}
	}
	return sb.String()
}
