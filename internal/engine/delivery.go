package engine

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/trace"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
	"github.com/hookflow/hookflow/pkg/workflow/werr"
)

// Delivery is how a payload from the outside world reaches a run: the token is looked up,
// the payload checked (idempotency key, size, schema), stored in the run's inbox on the
// condition that the token is still live (with the idempotency record, in one write), and
// the run is woken. A webhook's caller then gets its answer (see webhookdelivery.go). The
// edges (pkg/webhook, pkg/lambdafn, pkg/workflow's ResumeHook) only map their protocol to
// these calls and the Delivery they return back to their protocol.

// Payload limits. pkg/workflow re-exports them.
const (
	// DefaultMaxPayloadBytes is the default limit on a hook payload (as JSON) and on a
	// webhook request body: 256 KiB.
	DefaultMaxPayloadBytes = 256 << 10
	// MaxPayloadLimit is the largest payload limit that can be honoured: a payload is stored
	// in one record (DynamoDB: 400 KB), and recordReserve of it is kept for what travels with
	// the payload (a webhook request's method, URL and headers, the record's keys).
	MaxPayloadLimit = backend.MaxItemBytes - recordReserve
	// MaxIdempotencyKeyBytes bounds an idempotency key; a longer one is refused before
	// anything is read or stored.
	MaxIdempotencyKeyBytes = 1024
)

// recordReserve is the part of a record kept for the request's headers, URL and the record's
// own fields: more than API Gateway lets through (10 KB of request line and headers).
const recordReserve = 24 << 10

// recordOverhead bounds the fields of an inbox record or hook_received event besides the
// payload and body (keys, IDs, token, times, attribute names).
const recordOverhead = 2 << 10

// Outcome says what became of a delivery.
type Outcome uint8

// Outcomes of a delivery.
const (
	// Stored: the payload is in the run's inbox, and the run was woken.
	Stored Outcome = iota + 1
	// Duplicate: the idempotency key matched an earlier delivery, whose result is given;
	// nothing was stored again.
	Duplicate
	// NotFound: no live hook of the kind holds the token (unknown, disposed, its run ended,
	// or a hook of the other kind).
	NotFound
	// TooLarge: the payload, or the record it would make, is over the limit; nothing stored.
	TooLarge
	// Invalid: bad input (an idempotency key over the limit, a payload the hook's schema
	// rejects); nothing stored.
	Invalid
	// Unauthenticated: a webhook request whose signature the webhook's Verify spec refuses;
	// nothing stored, the run not woken.
	Unauthenticated
	// Answered: a sender's handshake (Slack's url_verification, a hub.challenge) that the
	// webhook answered itself (Response); nothing stored, the run not woken.
	Answered
)

var outcomeNames = [...]string{
	Stored: "stored", Duplicate: "duplicate", NotFound: "not found", TooLarge: "too large", Invalid: "invalid",
	Unauthenticated: "unauthenticated", Answered: "answered",
}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) && outcomeNames[o] != "" {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", o)
}

// Result tells where a payload went. It has the fields and the JSON of
// workflow.ResumeResult.
type Result struct {
	RunID      string `json:"runId"`
	HookID     string `json:"hookId"`
	DeliveryID string `json:"deliveryId"`
	Duplicate  bool   `json:"duplicate,omitempty"` // an idempotency key matched an earlier delivery
}

// Delivery is the outcome of a delivery and what goes with it.
type Delivery struct {
	Outcome Outcome
	// Result is where the payload went (Stored, Duplicate).
	Result Result
	// Err says why the payload was refused (NotFound, TooLarge, Invalid); it matches
	// ErrHookNotFound, ErrPayloadTooLarge or ErrInvalidArgument, or is a *ValidationError
	// listing the schema's issues.
	Err error
	// Response is the answer for a webhook's caller (webhook deliveries that were Stored or
	// Duplicate): 202, the static response, the workflow's answer or the fallback.
	Response *Response
}

// Refused reports an outcome that stored nothing because of the input.
func (d Delivery) Refused() bool {
	return d.Outcome == NotFound || d.Outcome == TooLarge || d.Outcome == Invalid || d.Outcome == Unauthenticated
}

func refused(o Outcome, err error) Delivery { return Delivery{Outcome: o, Err: err} }

func notFound(format string, args ...any) Delivery {
	return refused(NotFound, fmt.Errorf("%w: "+format, append([]any{werr.ErrHookNotFound}, args...)...))
}

// ClientOptions configure a Client. The zero value is usable.
type ClientOptions struct {
	// MaxPayloadBytes limits hook payloads (as JSON) and webhook request bodies; not
	// positive: DefaultMaxPayloadBytes; above MaxPayloadLimit: MaxPayloadLimit.
	MaxPayloadBytes int64
	// Poll, when set, is called before every read of a polling wait (for a run's end, for a
	// manual webhook's answer): the test kit runs the queued turns there, so that a wait
	// ends without a worker.
	Poll func()
	// Secrets resolves the secret references of webhooks' Verify specs; default
	// verify.EnvResolver (env: references from the process environment).
	Secrets verify.SecretResolver
	// TracerProvider makes the spans of deliveries (see trace.go); default the global
	// provider, a no-op unless the application installs one.
	TracerProvider trace.TracerProvider
}

// Client is the engine's side of everything done from outside workflow code: delivering
// payloads (here), and starting, cancelling and awaiting runs (client.go). pkg/workflow's
// Client is its public face.
type Client struct {
	b          backend.Backend
	clock      backend.Clock
	maxPayload int64
	poll       func()
	secrets    verify.SecretResolver
	tracer     trace.Tracer
	tokens     *tokenCache // token records looked up lately (tokencache.go)
	recent     *recentRuns // runs delivered to lately (hotruns.go)
}

// NewClient returns a client of b; a nil b is refused.
func NewClient(b backend.Backend, opts ClientOptions) (*Client, error) {
	if b == nil {
		return nil, invalidf("nil backend")
	}
	secrets := opts.Secrets
	if secrets == nil {
		secrets = verify.EnvResolver{}
	}
	return &Client{
		b: b, clock: backend.ClockOf(b), maxPayload: PayloadLimit(opts.MaxPayloadBytes), poll: opts.Poll, secrets: secrets,
		tracer: tracerOf(opts.TracerProvider), tokens: newTokenCache(backend.ClockOf(b).Now),
		recent: newRecentRuns(backend.ClockOf(b).Now),
	}, nil
}

// PayloadLimit is the payload limit a ClientOptions.MaxPayloadBytes of n gives.
func PayloadLimit(n int64) int64 {
	if n > 0 {
		return min(n, MaxPayloadLimit)
	}
	return DefaultMaxPayloadBytes
}

// Backend returns the client's backend.
func (c *Client) Backend() backend.Backend { return c.b }

// Clock returns the client's clock (its backend's).
func (c *Client) Clock() backend.Clock { return c.clock }

// MaxPayload returns the limit on payloads and webhook bodies, in bytes.
func (c *Client) MaxPayload() int64 { return c.maxPayload }

// ResumeHook delivers payload (JSON) to the plain hook holding token. A backend failure is
// an error; everything else is an outcome: Stored or Duplicate with the Result, NotFound
// for anything but a live plain hook's token, TooLarge above the limit, Invalid for an
// idempotency key over MaxIdempotencyKeyBytes or a payload the hook's schema rejects.
func (c *Client) ResumeHook(ctx context.Context, token string, payload json.RawMessage, key string) (d Delivery, err error) {
	ctx, span := c.tracer.Start(ctx, "hookflow.hook.resume")
	defer func() { endDelivery(span, d, err) }()
	return c.resumeHook(ctx, token, payload, key)
}

func (c *Client) resumeHook(ctx context.Context, token string, payload json.RawMessage, key string) (Delivery, error) {
	if err := CheckResume(c.maxPayload, payload, key); err != nil {
		o := Invalid
		if errors.Is(err, werr.ErrPayloadTooLarge) {
			o = TooLarge
		}
		return refused(o, err), nil
	}
	tok, data, d, err := c.lookup(ctx, token, backend.TokenHook)
	if err != nil {
		return Delivery{}, err
	}
	if d.Outcome == NotFound && key != "" {
		// A retry that comes after the hook closed still gets the first result.
		if first, ok, err := c.firstDelivery(ctx, backend.TokenHook, token, key); err != nil || ok {
			return Delivery{Outcome: Duplicate, Result: first.Result}, err
		}
	}
	if d.Outcome != 0 {
		return d, nil
	}
	d, err = c.deliver(ctx, tok, data, newDeliveryID(), payload, nil, key)
	if err != nil || d.Outcome != NotFound {
		return d, err
	}
	// The token was released since the record was cached, and may have been claimed again by
	// another run (custom tokens): look it up afresh, once.
	if tok, data, d, err = c.lookup(ctx, token, backend.TokenHook); err != nil || d.Outcome != 0 {
		return d, err
	}
	return c.deliver(ctx, tok, data, newDeliveryID(), payload, nil, key)
}

// CheckResume refuses a hook payload over limit (ErrPayloadTooLarge) and an idempotency key
// over MaxIdempotencyKeyBytes (ErrInvalidArgument): the checks a resume passes before the
// token is looked up. A client that resumes through another process (a Resumer) makes them
// first too.
func CheckResume(limit int64, payload json.RawMessage, key string) error {
	if n := int64(len(payload)); n > limit {
		return fmt.Errorf("%w: payload is %d bytes, the limit is %d", werr.ErrPayloadTooLarge, n, limit)
	}
	if d, bad := checkKey(key); bad {
		return d.Err
	}
	return nil
}

// checkKey refuses an idempotency key over the limit.
func checkKey(key string) (Delivery, bool) {
	if n := len(key); n > MaxIdempotencyKeyBytes {
		return refused(Invalid, fmt.Errorf("%w: idempotency key is %d bytes, the limit is %d", werr.ErrInvalidArgument, n, MaxIdempotencyKeyBytes)), true
	}
	return Delivery{}, false
}

func newDeliveryID() string { return "dlv_" + rand.Text() }

// lookup finds the live token of the given kind and decodes its data, from the token cache
// when it holds the record (see tokencache.go); a token that is not one gives a NotFound
// delivery.
func (c *Client) lookup(ctx context.Context, token, kind string) (backend.Token, TokenData, Delivery, error) {
	var data TokenData
	if token == "" {
		return backend.Token{}, data, notFound("empty token"), nil
	}
	if tok, data, ok := c.tokens.get(token); ok && tok.Kind == kind {
		return tok, data, Delivery{}, nil
	}
	tok, err := c.b.GetToken(ctx, token)
	if errors.Is(err, backend.ErrTokenNotFound) {
		return tok, data, notFound("no live hook has token %q", token), nil
	}
	if err != nil {
		return tok, data, Delivery{}, err
	}
	if tok.Kind != kind {
		return tok, data, notFound("token %q belongs to a %s, not a %s", token, tok.Kind, kind), nil
	}
	if data, err = DecodeTokenData(tok); err != nil {
		return tok, data, Delivery{}, err
	}
	c.tokens.put(tok, data)
	return tok, data, Delivery{}, nil
}

// deliver validates raw, stores it with its binary body (a webhook request's) in the run's
// inbox (with the idempotency record, when key is set) under the token's condition, and
// wakes the run.
func (c *Client) deliver(ctx context.Context, tok backend.Token, data TokenData, deliveryID string, raw json.RawMessage, body []byte, key string) (Delivery, error) {
	if len(data.Schema) > 0 {
		if err := validatePayload(data.Schema, raw); err != nil {
			return refused(Invalid, err), nil
		}
	}
	if n := len(raw) + len(body) + recordOverhead; n > backend.MaxItemBytes {
		return refused(TooLarge, fmt.Errorf("%w: the delivery would take %d bytes with its headers, a record holds %d", werr.ErrPayloadTooLarge, n, backend.MaxItemBytes)), nil
	}
	now := c.clock.Now().UTC()
	res := Result{RunID: tok.RunID, HookID: tok.HookID, DeliveryID: deliveryID}
	item := backend.InboxItem{
		RunID: tok.RunID, Kind: backend.InboxHook, Token: tok.Token, HookID: tok.HookID,
		DeliveryID: deliveryID, Payload: raw, Body: body, CreatedAt: now,
		TraceParent: backend.TraceParent(ctx), // the turn that takes it joins or links this trace
	}
	idem, err := newIdempotency(tok, key, res, data, now)
	if err != nil {
		return Delivery{}, err
	}
	_, existing, err := c.b.PutInbox(ctx, item, idem)
	switch {
	case errors.Is(err, backend.ErrDuplicate) && existing != nil:
		first, err := decodeIdem(*existing)
		if err != nil {
			return Delivery{}, err
		}
		// No wake: the first delivery sent one. Had it died between its write and its wake,
		// the sweeper wakes a run whose inbox item waits longer than its grace.
		return Delivery{Outcome: Duplicate, Result: first.Result}, nil
	case errors.Is(err, backend.ErrTokenNotFound):
		c.tokens.drop(tok.Token)
		return notFound("token %q was released", tok.Token), nil
	case err != nil:
		return Delivery{}, err
	}
	c.wake(ctx, tok.RunID)
	return Delivery{Outcome: Stored, Result: res}, nil
}

// wake queues a turn of the run; when this client delivered to the run moments before, it
// may first read whether a runner holds the run and will see the payload itself, as
// WakeAfterDelivery does (see hotruns.go). A failure is not returned: the payload is stored, and
// the sweeper wakes runs with inbox items that wait too long.
func (c *Client) wake(ctx context.Context, runID string) {
	if c.recent.touch(runID) {
		held, _ := wakeUnlessHeld(ctx, c.b, c.clock, runID)
		c.recent.found(runID, held)
		return
	}
	_ = c.b.Enqueue(ctx, runID, 0)
}
