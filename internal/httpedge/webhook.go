// Package httpedge maps a request on the public webhook route to an engine delivery, and the
// delivery's outcome to the answer its caller gets. pkg/webhook serves it (and through it the
// webhook Lambda); workflow.Client.ResumeWebhook returns the same answer as an
// *http.Response. It is internal so that both share one mapping without pkg/workflow
// depending on pkg/webhook.
package httpedge

import (
	"context"
	"errors"
	"net/http"

	"go.opentelemetry.io/otel/propagation"

	"github.com/hookflow/hookflow/internal/engine"
)

// Webhook answers a request for ANY /.well-known/workflow/v1/webhook/{token}: 400 for an
// empty token or an Idempotency-Key header over engine.MaxIdempotencyKeyBytes; 404 with an
// empty body for anything that is not a live webhook's token (an unknown token, a disposed
// webhook, an ended run, a plain hook's token: plain hooks are never resumable over HTTP),
// checked before the body is read; 413 for a body over the client's limit, or a request
// that does not fit one record with its headers; 400 for a body that cannot be read; 401 with
// an empty body for a request whose signature the webhook's Verify spec refuses;
// otherwise, once the request is stored durably, the answer the engine gives (202, the
// static response, the workflow's answer or the fallback). A retry with the same
// Idempotency-Key is not delivered again and gets the first delivery's answer. The error is
// non-nil only when the store failed; the caller then answers 500.
func Webhook(ctx context.Context, c *engine.Client, token string, r *http.Request) (engine.Response, error) {
	if token == "" {
		return status(http.StatusBadRequest), nil
	}
	// A sender that traces (a W3C traceparent header) makes the delivery, and the turn and
	// steps after it, part of its trace.
	ctx = propagation.TraceContext{}.Extract(ctx, propagation.HeaderCarrier(r.Header))
	target, d, err := c.FindWebhook(ctx, token, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return engine.Response{}, err
	}
	if target == nil {
		return answer(d), nil
	}
	body, err := readLimited(r.Body, c.MaxPayload())
	if errors.Is(err, errTooLarge) {
		return status(http.StatusRequestEntityTooLarge), nil
	}
	if err != nil {
		return status(http.StatusBadRequest), nil
	}
	d, err = target.Deliver(ctx, engine.WebhookRequest{Method: r.Method, URL: FullURL(r), Header: r.Header, Body: body})
	if err != nil {
		return engine.Response{}, err
	}
	return answer(d), nil
}

// answer maps a delivery's outcome to its caller's answer.
func answer(d engine.Delivery) engine.Response {
	switch {
	case d.Response != nil:
		return *d.Response
	case d.Outcome == engine.NotFound:
		return status(http.StatusNotFound)
	case d.Outcome == engine.TooLarge:
		return status(http.StatusRequestEntityTooLarge)
	case d.Outcome == engine.Unauthenticated:
		return status(http.StatusUnauthorized)
	default: // Invalid: an Idempotency-Key over the limit
		return status(http.StatusBadRequest)
	}
}

func status(code int) engine.Response { return engine.Response{Status: code} }
