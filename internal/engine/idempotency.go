package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
)

// IdempotencyTTL is how long idempotency keys are remembered (a hint for drivers with TTL).
const IdempotencyTTL = backend.IdempotencyTTL

// idemData is what an idempotency record remembers of the first delivery: its result, and for
// a webhook its response settings, so that a retry gets the first response even after the
// webhook has closed.
type idemData struct {
	Result
	Webhook *WebhookConfig `json:"webhook,omitempty"`
	// Signed: the webhook verified its requests' signatures. A retry that comes after such a
	// webhook closed cannot be verified any more (the spec went with the token), so it gets
	// no answer from this record.
	Signed bool `json:"signed,omitempty"`
}

// newIdempotency returns the idempotency record of a first delivery with key; nil without a
// key.
func newIdempotency(tok backend.Token, key string, res Result, data TokenData, now time.Time) (*backend.Idempotency, error) {
	if key == "" {
		return nil, nil
	}
	first, err := json.Marshal(idemData{Result: res, Webhook: data.Webhook, Signed: data.Verify != nil})
	if err != nil {
		return nil, fmt.Errorf("hookflow: idempotency record: %w", err)
	}
	return &backend.Idempotency{
		Key: idempotencyKey(tok.Kind, tok.Token, key), Data: first, CreatedAt: now, ExpiresAt: now.Add(IdempotencyTTL),
	}, nil
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
