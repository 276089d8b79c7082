package checkout_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	stripewebhook "github.com/stripe/stripe-go/v82/webhook"

	"github.com/hookflow/hookflow/examples/checkout"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
	"github.com/hookflow/hookflow/pkg/workflow"
	"github.com/hookflow/hookflow/pkg/workflow/workflowtest"
)

const (
	secret  = "whsec_test_51Hx"
	session = "cs_test_a1b2c3"
)

var input = checkout.Input{Order: "ord_1001", Session: session}

// setup starts a run on a test kit Env whose worker and webhook server resolve the signing
// secret, and returns the Env, the run, and the webhook's URL.
func setup(t *testing.T, opts workflowtest.Options) (*workflowtest.Env, *checkout.FakeFulfiller, *workflow.Workflow[checkout.Input, checkout.Result], *workflow.Run[checkout.Result], string) {
	t.Helper()
	opts.Secrets = verify.EnvResolver{Getenv: func(name string) string {
		return map[string]string{"STRIPE_WEBHOOK_SECRET": secret}[name]
	}}
	f := &checkout.FakeFulfiller{}
	wf := checkout.New(checkout.Config{SigningSecret: "env:STRIPE_WEBHOOK_SECRET", Fulfiller: f})
	env := workflowtest.NewWithOptions(t, opts, wf)
	run, err := workflow.Start(t.Context(), env.Client(), wf, input)
	require.NoError(t, err)
	env.WaitIdle()
	hooks := env.OpenHooks()
	require.Len(t, hooks, 1)
	require.Equal(t, env.WebhookServer().URL+workflow.WebhookPath+hooks[0].Token, hooks[0].URL)
	return env, f, wf, run, hooks[0].URL
}

// event returns a Stripe event about a Checkout Session.
func event(id, typ, session, paymentStatus string) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": id, "object": "event", "type": typ,
		"data": map[string]any{"object": map[string]any{
			"id": session, "object": "checkout.session", "payment_status": paymentStatus, "payment_intent": "pi_3Mtw",
		}},
	})
	return b
}

// post sends body to url with a Stripe-Signature header made by stripe-go, Stripe's own
// library, with secret at time at (an empty secret: no header).
func post(t *testing.T, url string, body []byte, secret string, at time.Time) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(string(body)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		signed := stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at})
		req.Header.Set("Stripe-Signature", signed.Header)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(got)
}

// A paid session is fulfilled once: events of other sessions are ignored, and Stripe's retry
// of an event (the same id) reaches the workflow once.
func TestCheckoutFulfilsThePaidSession(t *testing.T) {
	t.Parallel()
	workflowtest.Modes(t, func(t *testing.T, opts workflowtest.Options) {
		env, f, wf, run, url := setup(t, opts)
		now := env.Now()

		other := event("evt_1Other", "checkout.session.completed", "cs_test_zzz", "paid")
		for range 2 { // sent, then retried by Stripe with the same id
			status, body := post(t, url, other, secret, now)
			require.Equal(t, http.StatusAccepted, status)
			require.Empty(t, body)
		}
		status, _ := post(t, url, event("evt_1Paid", "checkout.session.completed", session, "paid"), secret, now)
		require.Equal(t, http.StatusAccepted, status)

		res, err := run.Result(t.Context())
		require.NoError(t, err)
		require.Equal(t, checkout.Result{
			Order: "ord_1001", Session: session, Status: checkout.Fulfilled,
			PaymentIntent: "pi_3Mtw", Shipment: "shp_ord_1001", Events: 2, Ignored: 1,
		}, res)
		require.Equal(t, []string{"ord_1001 pi_3Mtw"}, f.Shipped())
		require.Equal(t, []string{
			"run_created", "hook_created",
			"timer_created", "hook_received", // each receive waits at most Config.Wait
			"timer_created", "hook_received", // the other session's event, once, then the paid one
			"step_completed", "hook_disposed", "run_completed",
		}, env.EventTypes(run.ID()))
		env.RequireReplay(wf, run.ID())
	})
}

// Forged events are refused in the route with 401 and an empty body: wrong secret, no
// signature, a body altered after signing, a signature older than Stripe's five minutes. They
// are counted on the hook and never reach the workflow.
func TestCheckoutRefusesForgedEvents(t *testing.T) {
	t.Parallel()
	env, f, _, run, url := setup(t, workflowtest.Options{})
	now := env.Now()
	paid := event("evt_1Paid", "checkout.session.completed", session, "paid")

	for name, send := range map[string]func() (int, string){
		"wrong secret": func() (int, string) { return post(t, url, paid, "whsec_guess", now) },
		"unsigned":     func() (int, string) { return post(t, url, paid, "", now) },
		"stale":        func() (int, string) { return post(t, url, paid, secret, now.Add(-6*time.Minute)) },
		"altered": func() (int, string) {
			signed := stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: paid, Secret: secret, Timestamp: now})
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url,
				strings.NewReader(strings.Replace(string(paid), session, "cs_test_mine", 1)))
			require.NoError(t, err)
			req.Header.Set("Stripe-Signature", signed.Header)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		},
	} {
		status, body := send()
		require.Equal(t, http.StatusUnauthorized, status, name)
		require.Empty(t, body, name)
	}
	info, err := env.Client().GetHookByToken(t.Context(), url[strings.LastIndex(url, "/")+1:])
	require.NoError(t, err)
	require.Equal(t, 4, info.Rejections)
	require.Zero(t, info.Deliveries)
	require.Equal(t, []string{"run_created", "hook_created", "timer_created"}, env.EventTypes(run.ID()), "nothing reached the workflow")
	require.Empty(t, f.Shipped())
}

// A session that expires, or whose delayed payment fails, ends the run unfulfilled; an
// unpaid completion waits for the delayed payment's outcome; no event at all times out.
func TestCheckoutUnpaidOutcomes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		events [][]byte
		want   string
	}{
		{"expired", [][]byte{event("evt_1", "checkout.session.expired", session, "unpaid")}, checkout.Expired},
		{"delayed payment failed", [][]byte{
			event("evt_1", "checkout.session.completed", session, "unpaid"),
			event("evt_2", "checkout.session.async_payment_failed", session, "unpaid"),
		}, checkout.Failed},
		{"no event", nil, checkout.TimedOut},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env, f, wf, run, url := setup(t, workflowtest.Options{})
			for _, ev := range tc.events {
				status, _ := post(t, url, ev, secret, env.Now())
				require.Equal(t, http.StatusAccepted, status)
			}
			if tc.events == nil {
				env.AdvanceTime(25 * time.Hour)
			}
			res, err := run.Result(t.Context())
			require.NoError(t, err)
			require.Equal(t, tc.want, res.Status)
			require.Equal(t, len(tc.events), res.Events)
			require.Empty(t, f.Shipped())
			env.RequireReplay(wf, run.ID())
		})
	}
}
