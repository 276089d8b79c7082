// Package workflowtest runs workflows in tests: an in-memory backend, a fake clock that moves
// only when the test says so, and turns run synchronously by the test itself.
//
//	env := workflowtest.New(t, approval)
//	run, _ := workflow.Start(ctx, env.Client(), approval, "doc-1")
//	env.AdvanceTime(30 * 24 * time.Hour) // a 30-day Sleep finishes now
//	out, err := run.Result(ctx)
//
// Run.Result on the Env's client runs queued turns while it waits, but never moves the clock:
// a run that sleeps needs AdvanceTime.
package workflowtest

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/clientlink"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/codec"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// Start is the fake clock's initial time.
var Start = time.Date(2026, time.January, 1, 9, 0, 0, 0, time.UTC)

// Env is a self-contained hookflow for one test.
type Env struct {
	t      testing.TB
	clock  *fakeClock
	b      *memory.Backend
	worker *workflow.Worker
	client *workflow.Client
	server *httptest.Server
	once   sync.Once // starts server

	mu sync.Mutex // serialises WaitIdle
}

// Options configure an Env made with NewWithOptions.
type Options struct {
	// ReplayEveryTurn keeps no run in memory between turns, so that every turn replays the
	// run's history from the start: a test then proves its workflow replays deterministically.
	ReplayEveryTurn bool
	// Logger receives worker and workflow logs; default: discarded.
	Logger *slog.Logger
	// Secrets resolves the secrets of webhooks' Verify specs, for the worker (which checks at
	// CreateWebhook that they resolve) and the webhook server (ClientOptions.Secrets);
	// default the process environment.
	Secrets verify.SecretResolver
	// Retention is how long ended runs are kept (WorkerOptions.Retention): AdvanceTime past
	// it deletes them. Default workflow.DefaultRetention; workflow.KeepForever keeps them.
	Retention time.Duration
	// Codec, when set, stores every payload through it (codec.Wrap), as a deployment that
	// compresses or encrypts does: the test proves the workflow works with it on.
	Codec codec.Codec
}

// New returns an Env running workflows. Invalid or duplicate definitions fail the test.
// Everything is released when the test ends.
func New(t testing.TB, workflows ...workflow.Registrable) *Env {
	t.Helper()
	return NewWithOptions(t, Options{}, workflows...)
}

// NewWithOptions is New with options.
func NewWithOptions(t testing.TB, opts Options, workflows ...workflow.Registrable) *Env {
	t.Helper()
	clock := &fakeClock{now: Start}
	b := memory.New(memory.WithClock(clock))
	reg := workflow.NewRegistry(workflows...)
	if err := reg.Err(); err != nil {
		t.Fatalf("workflowtest: %v", err)
	}
	e := &Env{t: t, clock: clock, b: b}
	// The webhook server's address is known now, so webhook URLs point at it; it starts
	// serving on the first WebhookServer call.
	e.server = httptest.NewUnstartedServer(nil)
	baseURL := "http://" + e.server.Listener.Addr().String()
	wo := workflow.WorkerOptions{Logger: opts.Logger, BaseURL: baseURL, Secrets: opts.Secrets, Retention: opts.Retention}
	var store workflow.Backend = b
	if opts.Codec != nil {
		store = codec.Wrap(b, opts.Codec)
	}
	if wo.Logger == nil {
		wo.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ReplayEveryTurn {
		wo.CacheSize = -1
	}
	e.worker = workflow.NewWorker(store, reg, wo)
	e.client = workflow.NewClient(store, workflow.ClientOptions{BaseURL: baseURL, Secrets: opts.Secrets})
	// The client's waits (Run.Result, a manual webhook's caller held by WebhookServer) run
	// the queued turns before each poll, so that they end without a worker.
	clientlink.SetPoll(e.client, e.drive)
	e.server.Config.Handler = webhook.NewHandler(e.client, webhook.Options{Logger: wo.Logger})
	t.Cleanup(func() {
		e.once.Do(func() {}) // a server never started must not start now
		e.server.Close()
		e.worker.Close()
		_ = b.Close()
	})
	return e
}

// WebhookServer returns a running server for the webhook route
// (/.well-known/workflow/v1/webhook/{token}) and the resume endpoint; the URLs of webhooks
// created in this Env point at it. While it holds a manual webhook's caller, it runs the
// queued turns, so the workflow can answer without the test's help.
func (e *Env) WebhookServer() *httptest.Server {
	e.once.Do(e.server.Start)
	return e.server
}

// OpenHooks returns the live hooks of every run.
func (e *Env) OpenHooks() []workflow.HookInfo {
	hooks, err := e.client.ListHooks(context.Background(), workflow.HookFilter{})
	if err != nil {
		e.t.Errorf("workflowtest: listing hooks: %v", err)
	}
	return hooks
}

// Client returns a client of the Env's backend. Its Run.Result runs queued turns while it
// waits.
func (e *Env) Client() *workflow.Client { return e.client }

// Backend returns the Env's in-memory backend.
func (e *Env) Backend() *memory.Backend { return e.b }

// Now returns the fake clock's time.
func (e *Env) Now() time.Time { return e.clock.Now() }

// WaitIdle runs queued turns, and turns of runs that are due, until nothing is runnable at the
// current fake time.
func (e *Env) WaitIdle() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.waitIdle()
}

func (e *Env) waitIdle() {
	ctx := context.Background()
	for round := 0; round < 2; round++ {
		e.drain(ctx)
		n, err := e.worker.Sweep(ctx, 0)
		if err != nil {
			e.t.Errorf("workflowtest: sweep: %v", err)
			return
		}
		if n == 0 {
			return
		}
	}
	e.drain(ctx)
}

func (e *Env) drain(ctx context.Context) {
	for {
		msgs, err := e.b.Receive(ctx, 64, 0)
		if err != nil {
			e.t.Errorf("workflowtest: receive: %v", err)
			return
		}
		if len(msgs) == 0 {
			return
		}
		for _, m := range msgs {
			if err := e.worker.RunTurn(ctx, m.RunID); err != nil {
				e.t.Logf("workflowtest: turn of run %s: %v", m.RunID, err)
			}
		}
		if err := e.b.Ack(ctx, msgs...); err != nil {
			e.t.Errorf("workflowtest: ack: %v", err)
			return
		}
	}
}

// AdvanceTime moves the fake clock forward by d, stopping at every timer that falls due on the
// way to run the turns it wakes, in due order: a 30-day Sleep finishes at once, and a loop of
// one-day sleeps runs 30 times. At the end it sweeps, as a worker's sweeper would: an ended
// run past its retention (Options.Retention) is deleted.
func (e *Env) AdvanceTime(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	target := e.clock.Now().Add(d)
	for {
		e.waitIdle()
		next, ok := e.b.NextVisible()
		if !ok || next.After(target) {
			break
		}
		e.clock.set(next)
	}
	e.clock.set(target)
	// What a worker's sweeper would find by then: ended runs past their retention (and any
	// run whose wake was lost, which the queue above never loses).
	if _, err := e.worker.Sweep(context.Background(), 0); err != nil {
		e.t.Errorf("workflowtest: sweeping due runs: %v", err)
	}
	e.waitIdle()
}

// drive runs whatever is queued, unless a turn is running already (a step calling the
// client, say).
func (e *Env) drive() {
	if e.mu.TryLock() {
		e.waitIdle()
		e.mu.Unlock()
	}
}
