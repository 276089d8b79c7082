package memory

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hookflow/hookflow/pkg/backend"
)

// RejectDelivery counts one refused delivery on the token record, as the contract of
// backend.Store.RejectDelivery says. The record with its counters must still fit
// backend.MaxItemBytes, as on DynamoDB, else the call fails with backend.ErrTooLarge.
func (b *Backend) RejectDelivery(ctx context.Context, token, runID, hookID string, at time.Time) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.lock(); err != nil {
		return err
	}
	var wait func() error
	defer func() {
		b.mu.Unlock()
		if err == nil {
			err = settle(wait, "memory: reject delivery")
		}
	}()
	t, ok := b.tokens[token]
	if !ok || t.RunID != runID || t.HookID != hookID {
		return fmt.Errorf("memory: reject delivery: token %q of run %q, hook %q: %w", token, runID, hookID, backend.ErrTokenNotFound)
	}
	t.Rejections++
	t.RejectedAt = at.UTC()
	if err := checkRecord("the token record", tokenSize(t)); err != nil {
		return fmt.Errorf("memory: reject delivery: token %q: %w", token, err)
	}
	wait = b.persist(func(tx *bolt.Tx) error { return putToken(tx, t) })
	b.tokens[token] = t
	return nil
}
