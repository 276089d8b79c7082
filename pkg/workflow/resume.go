package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/internal/engine"
	"github.com/hookflow/hookflow/pkg/backend"
)

// DefaultMaxPayloadBytes is the default limit on a hook payload (as JSON) and on a webhook
// request body: 256 KiB. Larger ones are refused with ErrPayloadTooLarge (413 on the webhook
// route) and nothing is stored.
const DefaultMaxPayloadBytes = engine.DefaultMaxPayloadBytes

// MaxPayloadLimit is the largest MaxPayloadBytes that can be honoured, 376 KiB: a payload is stored in
// one record (DynamoDB: 400 KB), and 24 KiB of it is kept for what travels with the payload
// (a webhook request's method, URL and headers, the record's keys). A larger
// ClientOptions.MaxPayloadBytes counts as MaxPayloadLimit. A webhook body within the limit is
// always stored, except when its headers are so large that the whole request does not fit
// one record: it then gets 413 too.
const MaxPayloadLimit = engine.MaxPayloadLimit

// IdempotencyTTL is how long idempotency keys are remembered: 24 hours (a hint for drivers
// with TTL).
const IdempotencyTTL = backend.IdempotencyTTL

// MaxIdempotencyKeyBytes bounds an idempotency key (WithIdempotencyKey, a webhook's
// Idempotency-Key header): 1024 bytes. A longer key is refused before anything is read or stored:
// ResumeHook returns ErrInvalidArgument, ResumeWebhook answers 400.
const MaxIdempotencyKeyBytes = engine.MaxIdempotencyKeyBytes

// ResumeOption configures a resume.
type ResumeOption func(*resumeOptions)

type resumeOptions struct{ idempotencyKey string }

// WithIdempotencyKey makes a resume safe to retry: a resume of the same token with the same
// key returns the first ResumeResult (with Duplicate set) and delivers nothing again. A key
// is at most MaxIdempotencyKeyBytes long.
func WithIdempotencyKey(key string) ResumeOption {
	return func(o *resumeOptions) { o.idempotencyKey = key }
}

// ResumeResult tells where a payload went.
type ResumeResult struct {
	RunID      string `json:"runId"`
	HookID     string `json:"hookId"`
	DeliveryID string `json:"deliveryId"`
	Duplicate  bool   `json:"duplicate,omitempty"` // an idempotency key matched an earlier resume
}

// ResumeHook sends payload to the hook holding token. It validates the payload against the
// hook's schema (DefineHook) before anything is written, stores it in the run's inbox on
// the condition that the token is still live, and wakes the run. Unknown tokens, disposed
// hooks, ended runs and webhook tokens give ErrHookNotFound; an invalid payload a
// *ValidationError; a payload above ClientOptions.MaxPayloadBytes ErrPayloadTooLarge; an
// idempotency key above MaxIdempotencyKeyBytes ErrInvalidArgument.
func (c *Client) ResumeHook(ctx context.Context, token string, payload any, opts ...ResumeOption) (ResumeResult, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return ResumeResult{}, fmt.Errorf("%w: payload is not serializable to JSON: %v", ErrInvalidArgument, err)
	}
	var o resumeOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if err := c.Err(); err != nil {
		return ResumeResult{}, err
	}
	if c.opts.Resumer != nil {
		// The payload and the key are checked here as the engine would, so that the
		// caller hears of them without a round trip.
		if err := engine.CheckResume(engine.PayloadLimit(c.opts.MaxPayloadBytes), raw, o.idempotencyKey); err != nil {
			return ResumeResult{}, err
		}
		if token == "" {
			return ResumeResult{}, fmt.Errorf("%w: empty token", ErrHookNotFound)
		}
		return c.opts.Resumer.Resume(ctx, token, raw, o.idempotencyKey)
	}
	e, err := c.engine()
	if err != nil {
		return ResumeResult{}, err
	}
	d, err := e.ResumeHook(ctx, token, raw, o.idempotencyKey)
	if err != nil {
		return ResumeResult{}, err
	}
	return ResumeResult(d.Result), d.Err
}

// HookInfo describes a live hook.
type HookInfo struct {
	HookID     string          `json:"hookId"`
	RunID      string          `json:"runId"`
	Token      string          `json:"token"`
	Webhook    bool            `json:"webhook,omitempty"`  // true for webhooks
	URL        string          `json:"url,omitempty"`      // webhooks only, when ClientOptions.BaseURL is set
	Metadata   json.RawMessage `json:"metadata,omitempty"` // HookOptions.Metadata
	Deliveries int             `json:"deliveries"`         // payloads received so far
	CreatedAt  time.Time       `json:"createdAt"`
	// Rejections counts the requests the webhook route refused before storing anything: a
	// signature that WebhookOptions.Verify did not accept, or a handshake with the wrong
	// verify token. LastRejectedAt is when the latest one came (zero: none did). A count that
	// climbs is a misconfigured secret or someone probing the URL.
	Rejections     int       `json:"rejections,omitempty"`
	LastRejectedAt time.Time `json:"lastRejectedAt,omitzero"`
}

// HookFilter selects hooks for ListHooks.
type HookFilter struct {
	RunID string // empty: all runs
}

// GetHookByToken returns the live hook holding token, or ErrHookNotFound.
func (c *Client) GetHookByToken(ctx context.Context, token string) (HookInfo, error) {
	e, err := c.engine()
	if err != nil {
		return HookInfo{}, err
	}
	if token == "" {
		return HookInfo{}, fmt.Errorf("%w: empty token", ErrHookNotFound)
	}
	tok, err := e.Backend().GetToken(ctx, token)
	if errors.Is(err, backend.ErrTokenNotFound) {
		return HookInfo{}, fmt.Errorf("%w: no live hook has token %q", ErrHookNotFound, token)
	}
	if err != nil {
		return HookInfo{}, err
	}
	return c.hookInfo(tok), nil
}

// ListHooks returns the live hooks of one run, or of all runs.
func (c *Client) ListHooks(ctx context.Context, f HookFilter) ([]HookInfo, error) {
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	toks, err := e.Backend().ListTokens(ctx, f.RunID)
	if err != nil {
		return nil, err
	}
	out := make([]HookInfo, len(toks))
	for i, t := range toks {
		out[i] = c.hookInfo(t)
	}
	return out, nil
}

func (c *Client) hookInfo(t backend.Token) HookInfo {
	data, _ := engine.DecodeTokenData(t) // corrupt data shows as no metadata
	info := HookInfo{
		HookID: t.HookID, RunID: t.RunID, Token: t.Token, Webhook: t.Kind == backend.TokenWebhook,
		Metadata: data.Metadata, Deliveries: int(t.Deliveries), CreatedAt: t.CreatedAt,
		Rejections: int(t.Rejections), LastRejectedAt: t.RejectedAt,
	}
	if info.Webhook && c.opts.BaseURL != "" {
		info.URL = c.opts.BaseURL + WebhookPath + t.Token
	}
	return info
}
