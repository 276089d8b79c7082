package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"go.opentelemetry.io/otel/trace"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
)

// A webhook request is delivered in two steps, so that the edge reads a request's body only
// for a live webhook: FindWebhook looks the token up (and settles at once what needs no
// body: an unknown token, a retry of a delivery made before the webhook closed), then the
// edge reads the body within MaxPayload and hands the request to WebhookTarget.Deliver.

// WebhookTarget is a live webhook found by FindWebhook, ready to take a request.
type WebhookTarget struct {
	c    *Client
	tok  backend.Token
	data TokenData
	key  string
}

// WebhookRequest is a webhook request as the edge read it.
type WebhookRequest struct {
	Method string
	URL    string // the full URL the caller used, with the query
	Header http.Header
	Body   []byte // within Client.MaxPayload
}

// FindWebhook looks up the live webhook holding token, for a request with idempotency key
// (empty: none). It returns a target to deliver the request to, or, when the request is
// settled without its body, no target and the Delivery: NotFound for anything but a live
// webhook's token, Invalid for a key over MaxIdempotencyKeyBytes, Duplicate (with the first
// delivery's answer) for a retry that comes after the webhook closed. A backend failure is an
// error.
func (c *Client) FindWebhook(ctx context.Context, token, key string) (*WebhookTarget, Delivery, error) {
	if d, bad := checkKey(key); bad {
		return nil, d, nil
	}
	tok, data, d, err := c.lookup(ctx, token, backend.TokenWebhook)
	if err != nil {
		return nil, Delivery{}, err
	}
	if d.Outcome == NotFound && key != "" {
		// A retry that comes after the webhook closed still gets the first response.
		first, ok, err := c.firstDelivery(ctx, backend.TokenWebhook, token, key)
		if err != nil {
			return nil, Delivery{}, err
		}
		if ok && !first.Signed {
			resp, err := c.answer(ctx, first.DeliveryID, first.Webhook, true)
			if err != nil {
				return nil, Delivery{}, err
			}
			return nil, Delivery{Outcome: Duplicate, Result: first.Result, Response: &resp}, nil
		}
	}
	if d.Outcome != 0 {
		return nil, d, nil
	}
	return &WebhookTarget{c: c, tok: tok, data: data, key: key}, Delivery{}, nil
}

// Deliver stores the request in the webhook's run and returns the answer for its caller
// (Delivery.Response): once the request is stored durably, 202, the webhook's static
// response, or in manual mode the workflow's answer, waiting up to the webhook's
// ResponseTimeout (and not past a second before ctx's deadline), then the fallback. A retry
// with the key of a delivery made while the webhook is live is Duplicate and gets the
// answer again. NotFound when the webhook closed since FindWebhook; TooLarge when the
// request does not fit one record with its headers. A request whose signature or handshake
// verify token is refused is Unauthenticated, stores nothing and wakes nothing: it is only
// counted on the token record (backend.Token.Rejections).
func (t *WebhookTarget) Deliver(ctx context.Context, r WebhookRequest) (d Delivery, err error) {
	ctx, span := t.c.tracer.Start(ctx, "hookflow.webhook.deliver", trace.WithAttributes(
		attrRunID.String(t.tok.RunID), attrHookID.String(t.tok.HookID)))
	defer func() { endDelivery(span, d, err) }()
	return t.deliver(ctx, r)
}

func (t *WebhookTarget) deliver(ctx context.Context, r WebhookRequest) (Delivery, error) {
	d, err := t.check(ctx, r)
	switch {
	case err != nil:
		return Delivery{}, err
	case d.Outcome == Unauthenticated:
		return t.reject(ctx, d), nil
	case d.Outcome != 0:
		return d, nil
	}
	return t.store(ctx, r)
}

// reject counts the refusal d on the token record. The count is for operators: a failure to
// make it (the store is down) is joined to d.Err, and the caller still gets its 401. A
// webhook found closed by the count (its record came from the token cache) is NotFound, as
// it would have been without the cache.
func (t *WebhookTarget) reject(ctx context.Context, d Delivery) Delivery {
	err := t.c.b.RejectDelivery(ctx, t.tok.Token, t.tok.RunID, t.tok.HookID, t.c.clock.Now().UTC())
	switch {
	case errors.Is(err, backend.ErrTokenNotFound):
		t.c.tokens.drop(t.tok.Token)
		return notFound("token %q was released", t.tok.Token)
	case err != nil:
		d.Err = errors.Join(d.Err, fmt.Errorf("hookflow: counting the rejection: %w", err))
	}
	return d
}

// check settles, before anything is stored, the requests that are not deliveries: a
// handshake (Answered, or Unauthenticated for a wrong verify token) and a request whose
// signature the webhook's spec refuses (Unauthenticated). A zero Delivery lets r through.
func (t *WebhookTarget) check(ctx context.Context, r WebhookRequest) (Delivery, error) {
	// A hub.challenge GET is not signed: its verify token is its check. Slack signs its
	// url_verification like any request, so that one is answered after the signature.
	if hs := t.data.Handshake; hs != nil && hs.Kind == verify.HandshakeHub {
		if d, handled, err := t.handshake(ctx, *hs, r); err != nil || handled {
			return d, err
		}
	}
	if spec := t.data.Verify; spec != nil {
		if d, err := t.verify(ctx, *spec, r); err != nil || d.Refused() {
			return d, err
		}
	}
	if hs := t.data.Handshake; hs != nil && hs.Kind == verify.HandshakeSlack {
		if d, handled, err := t.handshake(ctx, *hs, r); err != nil || handled {
			return d, err
		}
	}
	return Delivery{}, nil
}

// store stores r in the webhook's run and waits for its answer.
func (t *WebhookTarget) store(ctx context.Context, r WebhookRequest) (Delivery, error) {
	c := t.c
	rec := RequestRecord{
		ID: newDeliveryID(), Method: r.Method, URL: r.URL, Header: storedHeader(r.Header, t.data),
		ReceivedAt: c.clock.Now().UTC(),
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return Delivery{}, fmt.Errorf("hookflow: encoding the request: %w", err)
	}
	body := r.Body
	if body == nil {
		body = []byte{}
	}
	key := t.key
	if key == "" {
		key = t.data.Webhook.deliveryKey(r.Header, r.Body)
		if d, bad := checkKey(key); bad {
			return d, nil
		}
	}
	d, err := c.deliver(ctx, t.tok, t.data, rec.ID, raw, body, key)
	if err != nil || d.Refused() {
		return d, err
	}
	resp, err := c.answer(ctx, d.Result.DeliveryID, t.data.Webhook, false)
	if err != nil {
		return Delivery{}, err
	}
	d.Response = &resp
	return d, nil
}

// verify checks the request's signature as the webhook's spec says, before anything is
// stored: a refusal is Unauthenticated; a secret that cannot be resolved, or a spec that
// cannot be used, is an error (the caller answers 500: the fault is not the sender's).
func (t *WebhookTarget) verify(ctx context.Context, spec verify.Spec, r WebhookRequest) (Delivery, error) {
	secrets := make([][]byte, len(spec.Secrets))
	for i, ref := range spec.Secrets {
		v, err := t.c.secrets.Resolve(ctx, ref)
		if err != nil {
			return Delivery{}, fmt.Errorf("hookflow: webhook %s: resolving its signing secret %d of %d: %w", t.tok.HookID, i+1, len(spec.Secrets), err)
		}
		secrets[i] = v
	}
	err := verify.Verify(spec, secrets, verify.Request{Method: r.Method, URL: r.URL, Header: r.Header, Body: r.Body}, t.c.clock.Now())
	switch {
	case errors.Is(err, verify.ErrInvalidSignature):
		return refused(Unauthenticated, err), nil
	case err != nil:
		return Delivery{}, fmt.Errorf("hookflow: webhook %s: %w", t.tok.HookID, err)
	}
	return Delivery{}, nil
}

// handshake answers the sender's handshake when r is one (handled): with its answer, or
// Unauthenticated for a hub.challenge whose verify token is wrong.
func (t *WebhookTarget) handshake(ctx context.Context, hs verify.Handshake, r WebhookRequest) (Delivery, bool, error) {
	var token []byte
	if hs.VerifyToken != "" {
		v, err := t.c.secrets.Resolve(ctx, hs.VerifyToken)
		if err != nil {
			return Delivery{}, false, fmt.Errorf("hookflow: webhook %s: resolving its handshake's verify token: %w", t.tok.HookID, err)
		}
		token = v
	}
	answer, contentType, ok, err := hs.Answer(verify.Request{Method: r.Method, URL: r.URL, Header: r.Header, Body: r.Body}, token)
	switch {
	case !ok:
		return Delivery{}, false, nil
	case errors.Is(err, verify.ErrInvalidSignature):
		return refused(Unauthenticated, err), true, nil
	case err != nil:
		return Delivery{}, false, fmt.Errorf("hookflow: webhook %s: %w", t.tok.HookID, err)
	}
	return Delivery{Outcome: Answered, Response: &Response{
		Status: http.StatusOK, Header: http.Header{"Content-Type": {contentType}}, Body: answer,
	}}, true, nil
}
