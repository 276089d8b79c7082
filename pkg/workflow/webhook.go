package workflow

import (
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"time"

	"github.com/hookflow/hookflow/internal/engine"
	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
)

// WebhookPath is the route webhooks are served on, "/.well-known/workflow/v1/webhook/"; a
// webhook's URL is the base URL followed by WebhookPath and its token.
const WebhookPath = engine.WebhookPath

// Webhook response defaults and limits.
const (
	DefaultResponseTimeout = 25 * time.Second
	// MaxResponseTimeout keeps a manual webhook's caller, and the fallback it gets, inside
	// API Gateway's 29 s integration timeout and the webhook function's own timeout.
	MaxResponseTimeout = 27 * time.Second
)

// Response is an HTTP response for a webhook's caller.
type Response struct {
	Status int         `json:"status"`
	Header http.Header `json:"header,omitempty"`
	Body   []byte      `json:"body,omitempty"`
}

// JSONResponse returns a response with v encoded as JSON and the Content-Type set. A value
// that cannot be encoded gives a 500 response saying why.
func JSONResponse(status int, v any) Response {
	body, err := json.Marshal(v)
	if err != nil {
		return Response{
			Status: http.StatusInternalServerError,
			Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
			Body:   []byte("hookflow: JSONResponse: " + err.Error()),
		}
	}
	return Response{Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: body}
}

func (r *Response) validate(what string) error {
	if r.Status < 100 || r.Status > 599 {
		return fmt.Errorf("%w: %s: status %d is not an HTTP status", ErrInvalidArgument, what, r.Status)
	}
	return nil
}

// WebhookOptions configure CreateWebhook. Webhook tokens are always random: a public URL
// must not be guessable.
type WebhookOptions struct {
	// RespondWith is a static response sent to every request; nil: 202 Accepted, empty body.
	// Either way the response is sent only after the request is stored durably.
	RespondWith *Response
	// Manual makes the workflow answer each request with Request.RespondWith; the caller is
	// held until then, or until ResponseTimeout.
	Manual bool
	// ResponseTimeout is how long a manual webhook holds its caller; default 25s, at most 27s.
	ResponseTimeout time.Duration
	// FallbackResponse is sent in manual mode when the workflow has not answered in time, or
	// will never answer (the webhook was disposed, the run ended); default 504, empty body.
	FallbackResponse *Response
	// Timeout bounds each Receive, as HookOptions.Timeout.
	Timeout time.Duration
	// Verify, when set, makes the webhook route check each request's signature before
	// anything is stored: a request the spec refuses gets 401 with an empty body, is not
	// delivered and does not wake the run. The spec names its secrets (e.g.
	// "env:GITHUB_WEBHOOK_SECRET"); the route resolves them with ClientOptions.Secrets, and
	// the worker checks at creation that they resolve (WorkerOptions.Secrets). See package
	// verify for the senders it knows.
	Verify *verify.Spec
	// DeliveryIDHeader and DeliveryIDPointer name where the sender puts the id of a delivery,
	// which its retries repeat: a header (X-GitHub-Delivery, webhook-id, ...) or a JSON pointer
	// into the body ("/id" for Stripe's events), one of the two. A request without an
	// Idempotency-Key header uses that id as its key: a retried delivery is delivered once
	// and answered like the first. Unset, a Verify preset names its sender's (GitHub,
	// Standard Webhooks, Shopify, Twilio: their headers; Stripe: "/id"; Slack: "/event_id",
	// which its Events API retries repeat; a form-encoded body has none, and is not
	// deduplicated).
	DeliveryIDHeader  string
	DeliveryIDPointer string
	// Handshake makes the route answer the verification request a sender makes before it
	// delivers (Slack's url_verification, the hub.challenge of Meta and WebSub-style
	// senders) itself: it is not delivered and does not wake the run. See verify.Handshake.
	Handshake *verify.Handshake
	// KeepHeaders names request headers the webhook stores although they carry
	// credentials. By default a stored request (what Receive returns, the run's history, an
	// export) has no Authorization, Proxy-Authorization or Cookie header, and, once a Verify
	// spec has checked it, no signature header: keep one here when the workflow itself must
	// read it (to check a bearer token of its own, say), knowing that it is kept as long as
	// the run.
	KeepHeaders []string
}

// config checks the options and returns the settings the token record keeps.
func (o WebhookOptions) config() (*engine.WebhookConfig, error) {
	cfg := &engine.WebhookConfig{
		Manual: o.Manual, ResponseTimeout: o.ResponseTimeout,
		DeliveryIDHeader: o.DeliveryIDHeader, DeliveryIDPointer: o.DeliveryIDPointer,
	}
	for _, h := range o.KeepHeaders {
		if !validHeaderName(h) {
			return nil, fmt.Errorf("%w: KeepHeaders: %q is not a header name", ErrInvalidArgument, h)
		}
		cfg.KeepHeaders = append(cfg.KeepHeaders, http.CanonicalHeaderKey(h))
	}
	if o.Verify != nil && o.DeliveryIDHeader == "" && o.DeliveryIDPointer == "" {
		cfg.DeliveryIDHeader = verify.DeliveryIDHeader(o.Verify.Kind)
		switch o.Verify.Kind {
		case verify.KindStripe:
			cfg.DeliveryIDPointer = "/id"
		case verify.KindSlack:
			cfg.DeliveryIDPointer = "/event_id"
		}
	}
	switch {
	case o.Timeout < 0:
		return nil, fmt.Errorf("%w: webhook timeout %s is negative", ErrInvalidArgument, o.Timeout)
	case o.ResponseTimeout < 0 || o.ResponseTimeout > MaxResponseTimeout:
		return nil, fmt.Errorf("%w: webhook response timeout %s is not between 0 and %s", ErrInvalidArgument, o.ResponseTimeout, MaxResponseTimeout)
	case o.DeliveryIDHeader != "" && o.DeliveryIDPointer != "":
		return nil, fmt.Errorf("%w: a webhook names its sender's delivery id by a header or by a JSON pointer, not both", ErrInvalidArgument)
	case o.DeliveryIDPointer != "" && !strings.HasPrefix(o.DeliveryIDPointer, "/"):
		return nil, fmt.Errorf("%w: DeliveryIDPointer %q is not a JSON pointer (it starts with /)", ErrInvalidArgument, o.DeliveryIDPointer)
	case o.Manual && o.RespondWith != nil:
		return nil, fmt.Errorf("%w: a webhook has a static response (RespondWith) or answers manually, not both", ErrInvalidArgument)
	}
	if cfg.ResponseTimeout == 0 {
		cfg.ResponseTimeout = DefaultResponseTimeout
	}
	fallback := Response(engine.DefaultFallback())
	if o.FallbackResponse != nil {
		fallback = *o.FallbackResponse
	}
	if o.RespondWith != nil {
		if err := o.RespondWith.validate("RespondWith"); err != nil {
			return nil, err
		}
		static := engine.Response(*o.RespondWith)
		cfg.Static = &static
	}
	if err := fallback.validate("FallbackResponse"); err != nil {
		return nil, err
	}
	fb := engine.Response(fallback)
	cfg.Fallback = &fb
	return cfg, nil
}

// Webhook is a hook resumed by HTTP requests to its URL. Its payloads are the requests.
type Webhook struct {
	h *engine.Hook
}

// CreateWebhook creates a webhook with a fresh random token and claims it before returning.
// Requests to URL() resume it; they are answered with 202, the static RespondWith, or (in
// manual mode) what the workflow passes to Request.RespondWith.
func CreateWebhook(ctx Context, opts WebhookOptions) (*Webhook, error) {
	cfg, err := opts.config()
	if err != nil {
		return nil, err
	}
	if opts.Verify != nil {
		if err := opts.Verify.Validate(); err != nil {
			return nil, fmt.Errorf("%w: webhook Verify: %v", ErrInvalidArgument, err)
		}
	}
	if opts.Handshake != nil {
		if err := opts.Handshake.Validate(); err != nil {
			return nil, fmt.Errorf("%w: webhook Handshake: %v", ErrInvalidArgument, err)
		}
	}
	data, err := json.Marshal(engine.TokenData{Webhook: cfg, Verify: opts.Verify, Handshake: opts.Handshake})
	if err != nil {
		return nil, fmt.Errorf("%w: webhook settings: %v", ErrInvalidArgument, err)
	}
	fallback, err := json.Marshal(cfg.Fallback)
	if err != nil {
		return nil, fmt.Errorf("%w: webhook fallback response: %v", ErrInvalidArgument, err)
	}
	var secrets []string
	if opts.Verify != nil {
		secrets = append(secrets, opts.Verify.Secrets...)
	}
	if opts.Handshake != nil && opts.Handshake.VerifyToken != "" {
		secrets = append(secrets, opts.Handshake.VerifyToken)
	}
	c := ctxOf(ctx)
	h, err := engine.CreateHook(c, engine.HookSpec{
		Kind: backend.TokenWebhook, Data: data, Timeout: opts.Timeout,
		URL: engine.BaseURL(c) + WebhookPath, Manual: cfg.Manual, Fallback: fallback,
		Secrets: secrets,
	})
	if err != nil {
		return nil, err
	}
	return &Webhook{h: h}, nil
}

// URL returns the webhook's public URL: the worker's BaseURL, WebhookPath and the token.
func (w *Webhook) URL() string {
	if w == nil {
		return ""
	}
	return w.h.URL()
}

// Token returns the webhook's token.
func (w *Webhook) Token() string {
	if w == nil {
		return ""
	}
	return w.h.Token()
}

// Receive waits for the next request, as Hook.Receive.
func (w *Webhook) Receive(ctx Context) (*Request, error) {
	if w == nil {
		return nil, fmt.Errorf("%w: nil webhook", ErrInvalidArgument)
	}
	r, err := w.h.Receive(ctxOf(ctx))
	if err != nil {
		return nil, err
	}
	return w.decode(r)
}

// decode rebuilds a request from its record: the JSON of everything but the body, and the
// body beside it. Histories written before bodies were kept apart hold the body inside the
// JSON, which decodes too.
func (w *Webhook) decode(rec engine.Received) (*Request, error) {
	r := &Request{hook: w.h}
	if err := json.Unmarshal(rec.Payload, r); err != nil {
		return nil, fmt.Errorf("hookflow: webhook %s: corrupt request record: %w", w.h.ID(), err)
	}
	if rec.Body != nil {
		r.Body = rec.Body
	}
	return r, nil
}

// Next returns a receive as a future, as Hook.Next.
func (w *Webhook) Next(ctx Context) *Future[*Request] {
	if w == nil {
		return &Future[*Request]{f: engine.Failed(ctxOf(ctx), fmt.Errorf("%w: nil webhook", ErrInvalidArgument)), conv: asValue[*Request]}
	}
	return &Future[*Request]{f: w.h.Next(ctxOf(ctx)), conv: func(v any) (*Request, error) {
		return w.decode(v.(engine.Received))
	}}
}

// All ranges over the requests, as Hook.All.
func (w *Webhook) All(ctx Context) iter.Seq2[*Request, error] {
	return receiveAll(ctx, w.Receive)
}

// Dispose releases the webhook's token now: later requests get 404. Requests not received
// yet are dropped, and in manual mode their callers get the fallback response.
func (w *Webhook) Dispose(ctx Context) error {
	if w == nil {
		return nil
	}
	return w.h.Dispose(ctxOf(ctx))
}

// Request is an HTTP request a webhook received, as stored in the run's history.
type Request struct {
	ID         string      `json:"id"` // the delivery ID
	Method     string      `json:"method"`
	URL        string      `json:"url"` // the full URL, with the query
	Header     http.Header `json:"header,omitempty"`
	Body       []byte      `json:"body,omitempty"`
	ReceivedAt time.Time   `json:"receivedAt"`

	hook *engine.Hook
}

// JSON decodes the request body into v.
func (r *Request) JSON(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("hookflow: request %s: body is not the expected JSON: %w", r.ID, err)
	}
	return nil
}

// RespondWith answers this request of a manual webhook. It is a durable operation that may be
// called directly in workflow code (no step needed), once per request: the response is stored
// before RespondWith returns, and the waiting caller gets it at once.
func (r *Request) RespondWith(ctx Context, resp Response) error {
	if r == nil || r.hook == nil {
		return fmt.Errorf("%w: RespondWith on a request that did not come from a webhook", ErrInvalidArgument)
	}
	if err := resp.validate("RespondWith"); err != nil {
		return err
	}
	raw, err := json.Marshal(resp)
	if err != nil {
		return fmt.Errorf("%w: response: %v", ErrInvalidArgument, err)
	}
	return r.hook.RespondWith(ctxOf(ctx), r.ID, raw)
}

// validHeaderName reports whether s is an HTTP header field name (an RFC 9110 token).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}
