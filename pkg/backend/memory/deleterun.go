package memory

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hookflow/hookflow/pkg/backend"
)

// DeleteRun deletes an ended run with its history, inbox and the token records that still
// name it, as the contract of backend.Store.DeleteRun says: a run that has not ended fails
// with backend.ErrRunNotEnded, an unknown one with backend.ErrRunNotFound. Here it is one
// atomic change, in memory and in the file (the file's pages are reused by later writes;
// bbolt never shrinks a file).
func (b *Backend) DeleteRun(ctx context.Context, runID string) (err error) {
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
			err = settle(wait, fmt.Sprintf("memory: delete run %q", runID))
		}
	}()
	rs, ok := b.runs[runID]
	if !ok {
		return fmt.Errorf("memory: delete run %q: %w", runID, backend.ErrRunNotFound)
	}
	if !rs.run.Status.Terminal() {
		return fmt.Errorf("memory: delete run %q: it is %s: %w", runID, rs.run.Status, backend.ErrRunNotEnded)
	}
	var tokens []string
	for tok, t := range b.tokens {
		if t.RunID == runID {
			tokens = append(tokens, tok)
		}
	}
	wait = b.persist(func(tx *bolt.Tx) error {
		for _, bucket := range [][]byte{bucketEvents, bucketInbox} {
			parent := tx.Bucket(bucket)
			if parent.Bucket([]byte(runID)) == nil {
				continue
			}
			if err := parent.DeleteBucket([]byte(runID)); err != nil {
				return err
			}
		}
		for _, tok := range tokens {
			if err := deleteToken(tx, tok); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketRuns).Delete([]byte(runID))
	})
	for _, tok := range tokens {
		delete(b.tokens, tok)
	}
	delete(b.inbox, runID)
	delete(b.runs, runID)
	return nil
}

// expireEvery is how often a write looks for responses and idempotency records past their
// ExpiresAt (DynamoDB's TTL does this on AWS): often enough that a busy embedded store does
// not grow with them, rarely enough that the scan costs nothing.
const expireEvery = time.Minute

// expired is the set of short-lived records a write drops along with its own change.
type expired struct {
	responses, idem []string
}

// takeExpired removes from memory the responses and idempotency records whose ExpiresAt has
// passed, at most once every expireEvery, and returns them for the file. The caller holds
// b.mu and deletes them from the file in the same group as its own change (drop).
func (b *Backend) takeExpired() expired {
	now := b.clock.Now()
	if now.Sub(b.lastExpire) < expireEvery {
		return expired{}
	}
	b.lastExpire = now
	var x expired
	for k, r := range b.responses {
		if !r.ExpiresAt.IsZero() && !r.ExpiresAt.After(now) {
			x.responses = append(x.responses, k)
			delete(b.responses, k)
		}
	}
	for k, r := range b.idem {
		if !r.ExpiresAt.IsZero() && !r.ExpiresAt.After(now) {
			x.idem = append(x.idem, k)
			delete(b.idem, k)
		}
	}
	return x
}

// drop deletes x's records from the file.
func (x expired) drop(tx *bolt.Tx) error {
	for _, k := range x.responses {
		if err := tx.Bucket(bucketResponses).Delete([]byte(k)); err != nil {
			return err
		}
	}
	for _, k := range x.idem {
		if err := tx.Bucket(bucketIdempotency).Delete([]byte(k)); err != nil {
			return err
		}
	}
	return nil
}
