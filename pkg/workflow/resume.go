package workflow

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hookflow/hookflow/internal/engine"
	"github.com/hookflow/hookflow/pkg/backend"
)

// DefaultMaxPayloadBytes is the default limit on a hook payload (as JSON) and on a webhook
// request body: 256 KiB. Larger ones are refused with ErrPayloadTooLarge (413 on the webhook
// route) and nothing is stored.
const DefaultMaxPayloadBytes = 256 << 10

// MaxPayloadLimit is the largest MaxPayloadBytes that can be honoured: a payload is stored in
// one record (DynamoDB: 400 KB), and recordReserve of it is kept for what travels with the
// payload (a webhook request's method, URL and headers, the record's keys). A larger
// ClientOptions.MaxPayloadBytes counts as MaxPayloadLimit. A webhook body within the limit is
// always stored, except when its headers are so large that the whole request does not fit
// one record: it then gets 413 too.
const MaxPayloadLimit = backend.MaxItemBytes - recordReserve

// recordReserve is the part of a record kept for the request's headers, URL and the record's
// own fields: more than API Gateway lets through (10 KB of request line and headers).
const recordReserve = 24 << 10

// recordOverhead bounds the fields of an inbox record or hook_received event besides the
// payload and body (keys, IDs, token, times, attribute names).
const recordOverhead = 2 << 10

// checkRecordSize refuses a delivery whose record would not fit the store's item limit.
func checkRecordSize(raw json.RawMessage, body []byte) error {
	if n := len(raw) + len(body) + recordOverhead; n > backend.MaxItemBytes {
		return fmt.Errorf("%w: the delivery would take %d bytes with its headers, a record holds %d", ErrPayloadTooLarge, n, backend.MaxItemBytes)
	}
	return nil
}

// IdempotencyTTL is how long idempotency keys are remembered (a hint for drivers with TTL).
const IdempotencyTTL = 24 * time.Hour

// MaxIdempotencyKeyBytes bounds an idempotency key (WithIdempotencyKey, a webhook's
// Idempotency-Key header). A longer key is refused before anything is read or stored:
// ResumeHook returns ErrInvalidArgument, ResumeWebhook answers 400.
const MaxIdempotencyKeyBytes = 1024

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
	if int64(len(raw)) > c.maxPayload() {
		return ResumeResult{}, fmt.Errorf("%w: payload is %d bytes, the limit is %d", ErrPayloadTooLarge, len(raw), c.maxPayload())
	}
	var o resumeOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if n := len(o.idempotencyKey); n > MaxIdempotencyKeyBytes {
		return ResumeResult{}, fmt.Errorf("%w: idempotency key is %d bytes, the limit is %d", ErrInvalidArgument, n, MaxIdempotencyKeyBytes)
	}
	if c.opts.Resumer != nil {
		if token == "" {
			return ResumeResult{}, fmt.Errorf("%w: empty token", ErrHookNotFound)
		}
		return c.opts.Resumer.Resume(ctx, token, raw, o.idempotencyKey)
	}
	tok, data, err := c.lookup(ctx, token, backend.TokenHook)
	if errors.Is(err, ErrHookNotFound) && o.idempotencyKey != "" {
		// A retry that comes after the hook closed still gets the first result.
		if first, ok, ierr := c.firstDelivery(ctx, backend.TokenHook, token, o.idempotencyKey); ierr != nil || ok {
			return first.ResumeResult, ierr
		}
	}
	if err != nil {
		return ResumeResult{}, err
	}
	return c.deliver(ctx, tok, data, newDeliveryID(), raw, nil, o.idempotencyKey)
}

func (c *Client) maxPayload() int64 {
	if c.opts.MaxPayloadBytes > 0 {
		return min(c.opts.MaxPayloadBytes, MaxPayloadLimit)
	}
	return DefaultMaxPayloadBytes
}

func newDeliveryID() string { return "dlv_" + rand.Text() }

// lookup finds the live token of the given kind and decodes its data.
func (c *Client) lookup(ctx context.Context, token, kind string) (backend.Token, tokenData, error) {
	var data tokenData
	if token == "" {
		return backend.Token{}, data, fmt.Errorf("%w: empty token", ErrHookNotFound)
	}
	tok, err := c.b.GetToken(ctx, token)
	if errors.Is(err, backend.ErrTokenNotFound) {
		return tok, data, fmt.Errorf("%w: no live hook has token %q", ErrHookNotFound, token)
	}
	if err != nil {
		return tok, data, err
	}
	if tok.Kind != kind {
		return tok, data, fmt.Errorf("%w: token %q belongs to a %s, not a %s", ErrHookNotFound, token, tok.Kind, kind)
	}
	if len(tok.Data) > 0 {
		if err := json.Unmarshal(tok.Data, &data); err != nil {
			return tok, data, fmt.Errorf("hookflow: token %q has corrupt data: %w", token, err)
		}
	}
	return tok, data, nil
}

// deliver validates raw, stores it with its binary body (a webhook request's) in the run's
// inbox (with the idempotency record, when key is set) under the token's condition, and
// wakes the run.
func (c *Client) deliver(ctx context.Context, tok backend.Token, data tokenData, deliveryID string, raw json.RawMessage, body []byte, key string) (ResumeResult, error) {
	if len(data.Schema) > 0 {
		if err := validatePayload(data.Schema, raw); err != nil {
			return ResumeResult{}, err
		}
	}
	if err := checkRecordSize(raw, body); err != nil {
		return ResumeResult{}, err
	}
	now := c.clock.Now().UTC()
	res := ResumeResult{RunID: tok.RunID, HookID: tok.HookID, DeliveryID: deliveryID}
	item := backend.InboxItem{
		RunID: tok.RunID, Kind: backend.InboxHook, Token: tok.Token, HookID: tok.HookID,
		DeliveryID: deliveryID, Payload: raw, Body: body, CreatedAt: now,
	}
	var idem *backend.Idempotency
	if key != "" {
		first, err := json.Marshal(idemData{ResumeResult: res, Webhook: data.Webhook})
		if err != nil {
			return ResumeResult{}, fmt.Errorf("hookflow: idempotency record: %w", err)
		}
		idem = &backend.Idempotency{Key: idempotencyKey(tok.Kind, tok.Token, key), Data: first, CreatedAt: now, ExpiresAt: now.Add(IdempotencyTTL)}
	}
	_, existing, err := c.b.PutInbox(ctx, item, idem)
	switch {
	case errors.Is(err, backend.ErrDuplicate) && existing != nil:
		first, err := decodeIdem(*existing)
		if err != nil {
			return ResumeResult{}, err
		}
		c.wake(ctx, first.RunID)
		return first.ResumeResult, nil
	case errors.Is(err, backend.ErrTokenNotFound):
		return ResumeResult{}, fmt.Errorf("%w: token %q was released", ErrHookNotFound, tok.Token)
	case err != nil:
		return ResumeResult{}, err
	}
	c.wake(ctx, tok.RunID)
	return res, nil
}

// idemData is what an idempotency record remembers of the first delivery: its result, and for
// a webhook its response settings, so that a retry gets the first response even after the
// webhook has closed.
type idemData struct {
	ResumeResult
	Webhook *webhookConfig `json:"webhook,omitempty"`
}

func decodeIdem(rec backend.Idempotency) (idemData, error) {
	var d idemData
	if err := json.Unmarshal(rec.Data, &d); err != nil {
		return d, fmt.Errorf("hookflow: idempotency record %q is corrupt: %w", rec.Key, err)
	}
	d.Duplicate = true
	return d, nil
}

// firstDelivery looks up an earlier delivery made with the same key to the same token of
// the same kind (backend.TokenHook or backend.TokenWebhook).
func (c *Client) firstDelivery(ctx context.Context, kind, token, key string) (idemData, bool, error) {
	rec, err := c.b.GetIdempotency(ctx, idempotencyKey(kind, token, key))
	if errors.Is(err, backend.ErrIdempotencyNotFound) {
		return idemData{}, false, nil
	}
	if err != nil {
		return idemData{}, false, err
	}
	d, err := decodeIdem(rec)
	if err == nil && kind == backend.TokenHook && d.Webhook != nil {
		// A webhook's record from before webhooks had keys of their own: not the hook path's.
		return idemData{}, false, nil
	}
	return d, err == nil, err
}

// wake queues a turn of the run, unless a runner holds it and will see the payload itself
// (engine.WakeAfterDelivery). A failure is not returned: the payload is stored, and the
// sweeper wakes runs with inbox items that wait too long.
func (c *Client) wake(ctx context.Context, runID string) {
	_ = engine.WakeAfterDelivery(ctx, c.b, c.clock, runID)
}

// idempotencyKey scopes a caller's key to one token of one kind. Plain hooks (ResumeHook) and
// webhooks (the Idempotency-Key header) keep their records apart, so that neither path ever
// sees the other's: a key used with ResumeHook cannot turn the public route's 404 for a plain
// hook's token into the first delivery's answer, nor a webhook caller's key make ResumeHook
// on a webhook's token succeed. Plain hooks keep the original "resume:" form, so records
// written before the split still deduplicate; the length prefix keeps ("a:b", "c") and
// ("a", "b:c") apart.
func idempotencyKey(kind, token, key string) string {
	prefix := "resume:"
	if kind == backend.TokenWebhook {
		prefix = "webhook:"
	}
	return prefix + strconv.Itoa(len(token)) + ":" + token + ":" + key
}

// HookInfo describes a live hook.
type HookInfo struct {
	HookID     string
	RunID      string
	Token      string
	Webhook    bool            // true for webhooks
	URL        string          // webhooks only, when ClientOptions.BaseURL is set
	Metadata   json.RawMessage // HookOptions.Metadata
	Deliveries int             // payloads received so far
	CreatedAt  time.Time
}

// HookFilter selects hooks for ListHooks.
type HookFilter struct {
	RunID string // empty: all runs
}

// GetHookByToken returns the live hook holding token, or ErrHookNotFound.
func (c *Client) GetHookByToken(ctx context.Context, token string) (HookInfo, error) {
	if token == "" {
		return HookInfo{}, fmt.Errorf("%w: empty token", ErrHookNotFound)
	}
	tok, err := c.b.GetToken(ctx, token)
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
	toks, err := c.b.ListTokens(ctx, f.RunID)
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
	var data tokenData
	_ = json.Unmarshal(t.Data, &data) // corrupt data shows as no metadata
	info := HookInfo{
		HookID: t.HookID, RunID: t.RunID, Token: t.Token, Webhook: t.Kind == backend.TokenWebhook,
		Metadata: data.Metadata, Deliveries: int(t.Deliveries), CreatedAt: t.CreatedAt,
	}
	if info.Webhook && c.opts.BaseURL != "" {
		info.URL = c.opts.BaseURL + WebhookPath + t.Token
	}
	return info
}
