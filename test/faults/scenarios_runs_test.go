package faults

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// attempts counts the attempts of the flaky step, per run.
var attempts sync.Map // run ID -> *atomic.Int64

// flakyThenSleep runs a step that fails twice before it succeeds, sleeps, and runs another.
var flakyThenSleep = workflow.Define("faults-flaky-then-sleep", func(ctx workflow.Context, _ struct{}) (string, error) {
	runID := workflow.RunID(ctx)
	n, err := workflow.Step(ctx, "flaky", func(context.Context) (string, error) {
		c, _ := attempts.LoadOrStore(runID, new(atomic.Int64))
		if c.(*atomic.Int64).Add(1) <= 2 {
			return "", errors.New("flaky: not yet")
		}
		return "flaky ok", nil
	}, workflow.WithRetries(4), workflow.WithRetryDelay(20*time.Millisecond))
	if err != nil {
		return "", err
	}
	if err := workflow.Sleep(ctx, 100*time.Millisecond); err != nil {
		return "", err
	}
	final, err := workflow.Step(ctx, "final", func(context.Context) (string, error) { return "final ok", nil })
	return n + ", " + final, err
})

// A workflow with a step retried twice and a timer between two steps.
func playStepsTimer(h *harness) {
	run := start(h, flakyThenSleep, struct{}{})
	h.expectSteps(run.ID(), "flaky", "final")
	out, err := result(h, run)
	h.expectResult(out, "flaky ok, final ok", err, nil)
}

// cancelMe takes one request of a manual webhook without answering it, then waits on a hook
// for ever.
var cancelMe = workflow.Define("faults-cancel-me", func(ctx workflow.Context, in tokenInput) (string, error) {
	hook, err := workflow.CreateHook[hookPayload](ctx, workflow.HookOptions{Token: in.Token})
	if err != nil {
		return "", err
	}
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{
		Manual: true, ResponseTimeout: manualTimeout,
		FallbackResponse: &workflow.Response{Status: http.StatusServiceUnavailable, Body: []byte("cancelled")},
	})
	if err != nil {
		return "", err
	}
	if _, err := wh.Receive(ctx); err != nil {
		return "", err
	}
	p, err := hook.Receive(ctx)
	return p.Value, err
})

// A run cancelled while it waits on a hook, holding a manual caller it never answered: the
// caller gets the fallback when the run ends, and both hooks are gone.
func playCancelWaiting(h *harness) {
	token := "tok-" + h.name
	run := start(h, cancelMe, tokenInput{Token: token})
	wh := h.awaitHooks(run.ID(), 2)[1]
	c := h.callManual(run.ID(), wh, "w1", `{}`, answer{http.StatusServiceUnavailable, "cancelled"})
	h.idle()
	h.cancel(run.ID())
	h.awaitCallers(c)
	_, err := result(h, run)
	h.expectResult(nil, nil, err, workflow.ErrRunCancelled)
	h.resumeRefused(token, "late")
	h.sendRefused(wh, "w2")
}

// disposeEarly takes one payload of a hook and one request of a manual webhook, answers it,
// disposes both while more deliveries wait, and finishes with a step.
var disposeEarly = workflow.Define("faults-dispose-early", func(ctx workflow.Context, in tokenInput) (string, error) {
	hook, err := workflow.CreateHook[hookPayload](ctx, workflow.HookOptions{Token: in.Token})
	if err != nil {
		return "", err
	}
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{
		Manual: true, ResponseTimeout: manualTimeout,
		FallbackResponse: &workflow.Response{Status: http.StatusGone, Body: []byte("gone")},
	})
	if err != nil {
		return "", err
	}
	p, err := hook.Receive(ctx)
	if err != nil {
		return "", err
	}
	req, err := wh.Receive(ctx)
	if err != nil {
		return "", err
	}
	if err := req.RespondWith(ctx, workflow.Response{Status: http.StatusOK, Body: []byte("first")}); err != nil {
		return "", err
	}
	if err := hook.Dispose(ctx); err != nil {
		return "", err
	}
	if err := wh.Dispose(ctx); err != nil {
		return "", err
	}
	s, err := workflow.Step(ctx, "after-dispose", func(context.Context) (string, error) { return "cleaned", nil })
	return p.Value + ", " + s, err
})

// A hook and a manual webhook disposed while deliveries wait in the run's inbox: the waiting
// payload is recorded and dropped, the waiting callers get the fallback, and later deliveries
// are refused.
func playDisposeInFlight(h *harness) {
	token := "tok-" + h.name
	run := start(h, disposeEarly, tokenInput{Token: token})
	wh := h.awaitHooks(run.ID(), 2)[1]
	h.resume(token, "x1", "first payload")
	h.resume(token, "x2", "in flight")
	first := h.callManual(run.ID(), wh, "d1", `{}`, answer{http.StatusOK, "first"})
	gone := answer{http.StatusGone, "gone"}
	second := h.callManual(run.ID(), wh, "d2", `{}`, gone)
	third := h.callManual(run.ID(), wh, "d3", `{}`, gone)
	h.awaitCallers(first, second, third)
	h.expectSteps(run.ID(), "after-dispose")
	out, err := result(h, run)
	h.expectResult(out, "first payload, cleaned", err, nil)
	h.resumeRefused(token, "x3")
	h.sendRefused(wh, "d4")
}

// firstOnly takes the first payload of a hook and ends, with a 202 webhook it never reads.
var firstOnly = workflow.Define("faults-first-only", func(ctx workflow.Context, in tokenInput) (string, error) {
	hook, err := workflow.CreateHook[hookPayload](ctx, workflow.HookOptions{Token: in.Token})
	if err != nil {
		return "", err
	}
	if _, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{}); err != nil {
		return "", err
	}
	p, err := hook.Receive(ctx)
	return p.Value, err
})

// A run that ends while deliveries it accepted wait in its inbox: a second hook payload and
// a request to a 202 webhook, both acknowledged to their callers before the run's turn.
// They must not vanish: the invariants require them in history (received, or recorded as
// dropped), like the payloads a disposed hook leaves behind.
func playEndWithPending(h *harness) {
	token := "tok-" + h.name
	run := start(h, firstOnly, tokenInput{Token: token})
	wh := h.awaitHooks(run.ID(), 2)[1]
	h.resume(token, "x1", "first")
	h.resume(token, "x2", "left over")
	h.send(run.ID(), wh, "w1", `{}`, answer{status: http.StatusAccepted})
	out, err := result(h, run)
	h.expectResult(out, "first", err, nil)
	h.resumeRefused(token, "x3")
}

// manyHooks is how many hooks disposeMany holds: more than one transaction can release at
// once (DynamoDB: 100 items, the run record among them).
const manyHooks = 110

// disposeMany creates manyHooks hooks, takes one payload on the first, disposes them all in
// one turn and finishes with a step.
var disposeMany = workflow.Define("faults-dispose-many", func(ctx workflow.Context, in tokenInput) (string, error) {
	hooks := make([]*workflow.Hook[hookPayload], manyHooks)
	for i := range hooks {
		h, err := workflow.CreateHook[hookPayload](ctx, workflow.HookOptions{Token: fmt.Sprintf("%s-%d", in.Token, i)})
		if err != nil {
			return "", err
		}
		hooks[i] = h
	}
	p, err := hooks[0].Receive(ctx)
	if err != nil {
		return "", err
	}
	for _, h := range hooks {
		if err := h.Dispose(ctx); err != nil {
			return "", err
		}
	}
	s, err := workflow.Step(ctx, "after-dispose", func(context.Context) (string, error) { return "released", nil })
	return p.Value + ", " + s, err
})

// A run that disposes more hooks at once than one transaction can release: every token is
// released, and each is free for a delivery to be refused.
func playDisposeMany(h *harness) {
	token := "tok-" + h.name
	run := start(h, disposeMany, tokenInput{Token: token})
	h.awaitHooks(run.ID(), manyHooks)
	h.resume(token+"-0", "first", "one")
	h.expectSteps(run.ID(), "after-dispose")
	out, err := result(h, run)
	h.expectResult(out, "one, released", err, nil)
	h.resumeRefused(token+"-1", "late")
}
