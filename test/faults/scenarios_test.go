package faults

import (
	"net/http"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// scenario is one story of the catalogue: play starts its run, drives it with the
// harness's callers and checks its result; the matrix checks the invariants after it.
type scenario struct {
	name string
	play func(h *harness)
	// baselineOnlyOnEndpoint keeps the scenario's cells to the embedded backend: on the
	// endpoint only its baseline runs. moto keeps a copy of a table for every action of
	// every transaction on it, so a scenario with large transactions on a growing table
	// costs the emulator over 100 MB a run.
	baselineOnlyOnEndpoint bool
}

// catalogue is every scenario the matrix runs.
var catalogue = []scenario{
	{name: "hook-idempotent", play: playHookIdempotent},
	{name: "webhook-manual", play: playWebhookManual},
	{name: "webhook-static", play: playWebhookStatic},
	{name: "steps-timer", play: playStepsTimer},
	{name: "cancel-waiting", play: playCancelWaiting},
	{name: "dispose-in-flight", play: playDisposeInFlight},
	{name: "end-with-pending", play: playEndWithPending},
	{name: "reclaim-token", play: playReclaimToken},
	{name: "dispose-many", play: playDisposeMany, baselineOnlyOnEndpoint: true},
}

// registry holds the workflows of the catalogue; every cell's worker runs it.
var registry = workflow.NewRegistry(collectThree, echoTwice, staticAndPlain, flakyThenSleep, cancelMe, disposeEarly, firstOnly, reclaim, disposeMany)

// tokenInput names a custom token for a run's hook.
type tokenInput struct {
	Token string `json:"token"`
}

// manualTimeout holds manual callers long enough for any recovery in a cell (the most a
// webhook may hold its caller, below API Gateway's 30 s).
const manualTimeout = workflow.MaxResponseTimeout

// collectThree receives three payloads on a hook with a custom token.
var collectThree = workflow.Define("faults-collect-three", func(ctx workflow.Context, in tokenInput) ([]string, error) {
	hook, err := workflow.CreateHook[hookPayload](ctx, workflow.HookOptions{Token: in.Token})
	if err != nil {
		return nil, err
	}
	var got []string
	for len(got) < 3 {
		p, err := hook.Receive(ctx)
		if err != nil {
			return got, err
		}
		got = append(got, p.Value)
	}
	return got, nil
})

// A hook resumed three times with idempotency keys, one of them retried by its caller after
// it succeeded: the retry is a duplicate with the first delivery's ID.
func playHookIdempotent(h *harness) {
	token := "tok-" + h.name
	run := start(h, collectThree, tokenInput{Token: token})
	h.awaitHooks(run.ID(), 1)
	h.resume(token, "k1", "a")
	h.idle()
	first := h.resume(token, "k2", "b")
	again := h.resume(token, "k2", "b")
	if !again.Duplicate || again.DeliveryID != first.DeliveryID {
		h.violate(invDuplicate, "a retried key got %+v, want the first delivery %s as a duplicate", again, first.DeliveryID)
	}
	h.resume(token, "k3", "c")
	out, err := result(h, run)
	h.expectResult(out, []string{"a", "b", "c"}, err, nil)
	if late := h.resume(token, "k3", "c"); !late.Duplicate {
		h.violate(invDuplicate, "a key retried after the run ended got %+v, want the first delivery", late)
	}
	h.resumeRefused(token, "k4")
}

// echoTwice answers two requests of a manual webhook with what they carried.
var echoTwice = workflow.Define("faults-echo-twice", func(ctx workflow.Context, _ struct{}) ([]string, error) {
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{Manual: true, ResponseTimeout: manualTimeout})
	if err != nil {
		return nil, err
	}
	var got []string
	for len(got) < 2 {
		req, err := wh.Receive(ctx)
		if err != nil {
			return got, err
		}
		var in struct {
			N string `json:"n"`
		}
		if err := req.JSON(&in); err != nil {
			return got, err
		}
		if err := req.RespondWith(ctx, workflow.Response{Status: http.StatusOK, Body: []byte("echo " + in.N)}); err != nil {
			return got, err
		}
		got = append(got, in.N)
	}
	return got, nil
})

// A manual webhook whose requests the workflow answers, one caller after the other.
func playWebhookManual(h *harness) {
	run := start(h, echoTwice, struct{}{})
	token := h.awaitHooks(run.ID(), 1)[0]
	for _, n := range []string{"m1", "m2"} {
		c := h.callManual(run.ID(), token, n, `{"n":"`+n+`"}`, answer{http.StatusOK, "echo " + n})
		h.awaitCallers(c)
	}
	out, err := result(h, run)
	h.expectResult(out, []string{"m1", "m2"}, err, nil)
	// A caller retrying after the webhook closed gets the first answer, and nothing is stored.
	h.send(run.ID(), token, "m2", `{"n":"m2"}`, answer{http.StatusOK, "echo m2"})
	h.sendRefused(token, "m3")
}

// staticAndPlain receives on a webhook with a static response and on one with the default
// 202.
var staticAndPlain = workflow.Define("faults-static-and-plain", func(ctx workflow.Context, _ struct{}) ([]string, error) {
	static, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{RespondWith: &workflow.Response{
		Status: http.StatusCreated, Body: []byte("thanks"),
	}})
	if err != nil {
		return nil, err
	}
	plain, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{})
	if err != nil {
		return nil, err
	}
	var got []string
	for _, wh := range []*workflow.Webhook{static, plain, static} {
		req, err := wh.Receive(ctx)
		if err != nil {
			return got, err
		}
		got = append(got, req.Header.Get("X-Delivery"))
	}
	return got, nil
})

// A static-response webhook and a 202 webhook, each request answered as soon as it is stored.
func playWebhookStatic(h *harness) {
	run := start(h, staticAndPlain, struct{}{})
	tokens := h.awaitHooks(run.ID(), 2)
	static, plain := tokens[0], tokens[1]
	thanks, accepted := answer{http.StatusCreated, "thanks"}, answer{status: http.StatusAccepted}
	h.send(run.ID(), static, "s1", `{}`, thanks)
	h.idle()
	h.send(run.ID(), plain, "p1", `{}`, accepted)
	h.send(run.ID(), static, "s2", `{}`, thanks)
	out, err := result(h, run)
	h.expectResult(out, []string{"s1", "p1", "s2"}, err, nil)
	h.sendRefused(plain, "p2")
}

// reclaim takes one payload on a hook, disposes it, and creates a hook with the same token
// for a second payload.
var reclaim = workflow.Define("faults-reclaim", func(ctx workflow.Context, in tokenInput) ([]string, error) {
	var got []string
	for range 2 {
		hook, err := workflow.CreateHook[hookPayload](ctx, workflow.HookOptions{Token: in.Token})
		if err != nil {
			return got, err
		}
		p, err := hook.Receive(ctx)
		if err != nil {
			return got, err
		}
		got = append(got, p.Value)
		if err := hook.Dispose(ctx); err != nil {
			return got, err
		}
	}
	return got, nil
})

// A token disposed and claimed again by the same run: each hook gets its own payload.
func playReclaimToken(h *harness) {
	token := "tok-" + h.name
	run := start(h, reclaim, tokenInput{Token: token})
	h.awaitHooks(run.ID(), 1)
	h.resume(token, "r1", "one")
	h.awaitHooks(run.ID(), 2)
	h.resume(token, "r2", "two")
	out, err := result(h, run)
	h.expectResult(out, []string{"one", "two"}, err, nil)
	h.resumeRefused(token, "r3")
}
