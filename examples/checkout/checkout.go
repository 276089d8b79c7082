// Package checkout waits for Stripe to confirm the payment of one order. A run opens a webhook
// for Stripe's events, fulfils the order (in a step) when its Checkout Session completes paid,
// and gives up when the session expires or its delayed payment fails.
//
// The webhook checks Stripe's signature in the route (the verify.KindStripe preset: the
// Stripe-Signature header, a five-minute window on its timestamp), so a forged event gets 401
// before anything is stored and never wakes the run; and since the preset makes the event's
// "id" the request's idempotency key, Stripe's retries of an event reach the workflow once.
//
// Register the webhook's URL as a Stripe webhook endpoint (in the Dashboard, or with the
// webhook_endpoints API when the run starts) and keep its signing secret where the route can
// resolve it: Config.SigningSecret names it, e.g. "env:STRIPE_WEBHOOK_SECRET" or, on AWS,
// "ssm:/shop/stripe-webhook". A Stripe account usually has one endpoint for all its sessions;
// one run per session keeps this example small, and events of other sessions are ignored.
package checkout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/pkg/webhook/verify"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// Name is the workflow's name, stored in every run's history: keep it stable.
const Name = "stripe-checkout"

// Input names the order and the Checkout Session that pays for it.
type Input struct {
	Order   string `json:"order"`   // "ord_1001"
	Session string `json:"session"` // the Checkout Session's id, "cs_test_..."
}

// Outcomes of a run.
const (
	Fulfilled = "fulfilled" // the session completed paid (at once or later), the order shipped
	Expired   = "expired"   // the session expired unpaid
	Failed    = "failed"    // a delayed payment (bank debit, say) failed
	TimedOut  = "timed out" // no event settled the session within Config.Wait
)

// Result is the workflow's output.
type Result struct {
	Order         string `json:"order"`
	Session       string `json:"session"`
	Status        string `json:"status"` // one of the outcomes above
	PaymentIntent string `json:"paymentIntent,omitempty"`
	Shipment      string `json:"shipment,omitempty"`
	Events        int    `json:"events"`  // Stripe events received
	Ignored       int    `json:"ignored"` // of those, the ones that did not settle the session
}

// Event is the part of a Stripe event the workflow reads.
type Event struct {
	ID   string `json:"id"`   // "evt_...", the same on every retry
	Type string `json:"type"` // "checkout.session.completed", ...
	Data struct {
		Object struct {
			ID            string `json:"id"`             // the session's id
			PaymentStatus string `json:"payment_status"` // "paid", "unpaid", "no_payment_required"
			PaymentIntent string `json:"payment_intent"`
		} `json:"object"`
	} `json:"data"`
}

// Fulfiller ships a paid order.
type Fulfiller interface {
	Fulfil(ctx context.Context, order, paymentIntent string) (shipment string, err error)
}

// Config is what the workflow is bound to.
type Config struct {
	// SigningSecret names the endpoint's signing secret ("whsec_..."), as a reference the
	// route resolves: "env:STRIPE_WEBHOOK_SECRET", "ssm:/name", "secretsmanager:name".
	SigningSecret string
	Fulfiller     Fulfiller
	// Wait bounds the wait for each event; default 25 hours (a session expires within 24).
	Wait time.Duration
}

// New returns the checkout workflow bound to cfg.
func New(cfg Config) *workflow.Workflow[Input, Result] {
	if cfg.Wait <= 0 {
		cfg.Wait = 25 * time.Hour
	}
	return workflow.Define(Name, func(ctx workflow.Context, in Input) (Result, error) {
		return await(ctx, cfg, in)
	})
}

func await(ctx workflow.Context, cfg Config, in Input) (Result, error) {
	res := Result{Order: in.Order, Session: in.Session}
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{
		Verify:  &verify.Spec{Kind: verify.KindStripe, Secrets: []string{cfg.SigningSecret}},
		Timeout: cfg.Wait,
	})
	if err != nil {
		return res, err
	}
	defer wh.Dispose(ctx)
	workflow.Logger(ctx).Info("waiting for Stripe", "session", in.Session, "url", wh.URL())

	for {
		req, err := wh.Receive(ctx)
		if errors.Is(err, workflow.ErrTimeout) {
			res.Status = TimedOut
			return res, nil
		}
		if err != nil {
			return res, err
		}
		res.Events++
		var ev Event
		if err := req.JSON(&ev); err != nil || ev.Data.Object.ID != in.Session {
			res.Ignored++ // signed by Stripe, but not about this session
			continue
		}
		switch {
		case ev.Type == "checkout.session.completed" && ev.Data.Object.PaymentStatus == "unpaid":
			res.Ignored++ // a delayed payment method: async_payment_succeeded or _failed follows
		case ev.Type == "checkout.session.completed", ev.Type == "checkout.session.async_payment_succeeded":
			res.PaymentIntent = ev.Data.Object.PaymentIntent
			res.Shipment, err = workflow.Step(ctx, "fulfil", func(ctx context.Context) (string, error) {
				return cfg.Fulfiller.Fulfil(ctx, in.Order, res.PaymentIntent)
			})
			if err != nil {
				return res, fmt.Errorf("fulfilling %s: %w", in.Order, err)
			}
			res.Status = Fulfilled
			return res, nil
		case ev.Type == "checkout.session.expired":
			res.Status = Expired
			return res, nil
		case ev.Type == "checkout.session.async_payment_failed":
			res.Status = Failed
			return res, nil
		default:
			res.Ignored++
		}
	}
}
