// Package catalog lists the workflows the reference runner (functions/runner) serves: the
// examples, bound to their fake services, and a few small hook and webhook workflows that the
// end-to-end tests and a fresh deployment can exercise. A user's own runner main lists their
// workflows the same way.
package catalog

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/hookflow/hookflow/examples/approval"
	"github.com/hookflow/hookflow/examples/deploy"
	"github.com/hookflow/hookflow/examples/order"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// EnvDeploySecret names the variable holding the deploy example's webhook secret. When it is
// set, the deploy webhook checks GitHub signatures with "env:"+EnvDeploySecret (so the webhook
// function and the runner both need it); unset, unsigned requests are accepted.
const EnvDeploySecret = "HOOKFLOW_DEMO_WEBHOOK_SECRET"

// deploySecret is the deploy webhook's secret reference, or "" when none is configured.
func deploySecret() string {
	if os.Getenv(EnvDeploySecret) == "" {
		return ""
	}
	return "env:" + EnvDeploySecret
}

// Workflows returns every workflow of the catalog.
func Workflows() []workflow.Registrable {
	return []workflow.Registrable{
		order.New(order.NewFakes(1).Services()),
		deploy.New(deploy.Config{Secret: deploySecret(), Deployer: &deploy.FakeDeployer{}}),
		approval.New(&approval.FakePublisher{}),
		Inbox, Paywall, Echo, Collect, Nap,
	}
}

// Inbox waits on a webhook that answers 202 and returns the body of the first request.
var Inbox = workflow.Define("inbox-webhook", func(ctx workflow.Context, _ struct{}) (string, error) {
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{})
	if err != nil {
		return "", err
	}
	req, err := wh.Receive(ctx)
	if err != nil {
		return "", err
	}
	return req.Method + " " + string(req.Body), nil
})

// Paywall answers every request with a static 402 and returns after two requests.
var Paywall = workflow.Define("paywall-webhook", func(ctx workflow.Context, _ struct{}) (int, error) {
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{RespondWith: &workflow.Response{
		Status: http.StatusPaymentRequired,
		Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
		Body:   []byte("payment required"),
	}})
	if err != nil {
		return 0, err
	}
	for range 2 {
		if _, err := wh.Receive(ctx); err != nil {
			return 0, err
		}
	}
	return 2, nil
})

// Echo answers each request of a manual webhook with the JSON it was sent, wrapped, until a
// request's body is {"stop": true}.
var Echo = workflow.Define("echo-webhook", func(ctx workflow.Context, _ struct{}) (int, error) {
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{Manual: true, ResponseTimeout: 20 * time.Second})
	if err != nil {
		return 0, err
	}
	defer wh.Dispose(ctx)
	n := 0
	for req, err := range wh.All(ctx) {
		if err != nil {
			return n, err
		}
		var body map[string]any
		if err := req.JSON(&body); err != nil {
			if err := req.RespondWith(ctx, workflow.JSONResponse(http.StatusBadRequest, map[string]string{"error": "not JSON"})); err != nil {
				return n, err
			}
			continue
		}
		n++
		if err := req.RespondWith(ctx, workflow.JSONResponse(http.StatusOK, map[string]any{"echo": body, "n": n})); err != nil {
			return n, err
		}
		if body["stop"] == true {
			return n, nil
		}
	}
	return n, nil
})

// CollectInput configures Collect.
type CollectInput struct {
	Token string `json:"token"` // the hook's custom token
	Count int    `json:"count"` // how many payloads to collect
}

// Collect receives Count payloads on a hook with a custom token and returns them in order.
var Collect = workflow.Define("collect-hook", func(ctx workflow.Context, in CollectInput) ([]any, error) {
	hook, err := workflow.CreateHook[any](ctx, workflow.HookOptions{Token: in.Token})
	if err != nil {
		return nil, err
	}
	defer hook.Dispose(ctx)
	var got []any
	for range in.Count {
		v, err := hook.Receive(ctx)
		if err != nil {
			return got, err
		}
		got = append(got, v)
	}
	return got, nil
})

// Nap sleeps for the given duration, then records the time in a step.
var Nap = workflow.Define("nap", func(ctx workflow.Context, d time.Duration) (string, error) {
	start := workflow.Now(ctx)
	if err := workflow.Sleep(ctx, d); err != nil {
		return "", err
	}
	slept := workflow.Now(ctx).Sub(start).Round(time.Second)
	return workflow.Step(ctx, "wake-up", func(context.Context) (string, error) {
		return "slept " + slept.String(), nil
	})
})
