package faultbackend

import (
	"context"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
)

// call runs fn as the next call of p, failing it as an armed fault says. The wrapped
// backend's own results, errors included, pass through unchanged; an injected fault returns
// zero values.
func call[T any](b *Backend, p Point, detail string, fn func() (T, error)) (T, error) {
	var zero T
	f, hit := b.enter(p, detail)
	if hit && f.Mode == FailBefore {
		return zero, injected(f, p, detail)
	}
	v, err := fn()
	if hit && err == nil {
		return zero, injected(f, p, detail)
	}
	return v, err
}

type none struct{}

// do is call for the methods that return only an error.
func do(b *Backend, p Point, detail string, fn func() error) error {
	_, err := call(b, p, detail, func() (none, error) { return none{}, fn() })
	return err
}

// CreateRun is the CreateRun point.
func (b *Backend) CreateRun(ctx context.Context, run backend.Run, first []backend.Event) (backend.Run, error) {
	return call(b, CreateRun, run.ID, func() (backend.Run, error) { return b.inner.CreateRun(ctx, run, first) })
}

// GetRun is the GetRun point.
func (b *Backend) GetRun(ctx context.Context, runID string) (backend.Run, error) {
	return call(b, GetRun, runID, func() (backend.Run, error) { return b.inner.GetRun(ctx, runID) })
}

// ListRuns is the ListRuns point.
func (b *Backend) ListRuns(ctx context.Context, q backend.RunQuery) (backend.RunPage, error) {
	return call(b, ListRuns, q.Cursor, func() (backend.RunPage, error) { return b.inner.ListRuns(ctx, q) })
}

// ListEvents is the ListEvents point.
func (b *Backend) ListEvents(ctx context.Context, runID string, afterSeq int64) ([]backend.Event, error) {
	return call(b, ListEvents, runID, func() ([]backend.Event, error) { return b.inner.ListEvents(ctx, runID, afterSeq) })
}

// Commit is the Commit point.
func (b *Backend) Commit(ctx context.Context, c backend.Commit) error {
	return do(b, Commit, c.RunID, func() error { return b.inner.Commit(ctx, c) })
}

// putResult is PutInbox's results as one value.
type putResult struct {
	item backend.InboxItem
	idem *backend.Idempotency
}

// PutInbox is the PutInbox point.
func (b *Backend) PutInbox(ctx context.Context, item backend.InboxItem, idem *backend.Idempotency) (backend.InboxItem, *backend.Idempotency, error) {
	res, err := call(b, PutInbox, item.RunID, func() (putResult, error) {
		stored, existing, err := b.inner.PutInbox(ctx, item, idem)
		return putResult{stored, existing}, err
	})
	return res.item, res.idem, err
}

// RejectDelivery is the RejectDelivery point.
func (b *Backend) RejectDelivery(ctx context.Context, token, runID, hookID string, at time.Time) error {
	return do(b, RejectDelivery, runID, func() error { return b.inner.RejectDelivery(ctx, token, runID, hookID, at) })
}

// ListInbox is the ListInbox point.
func (b *Backend) ListInbox(ctx context.Context, runID string, limit int) ([]backend.InboxItem, error) {
	return call(b, ListInbox, runID, func() ([]backend.InboxItem, error) { return b.inner.ListInbox(ctx, runID, limit) })
}

// GetToken is the GetToken point.
func (b *Backend) GetToken(ctx context.Context, token string) (backend.Token, error) {
	return call(b, GetToken, token, func() (backend.Token, error) { return b.inner.GetToken(ctx, token) })
}

// ListTokens is the ListTokens point.
func (b *Backend) ListTokens(ctx context.Context, runID string) ([]backend.Token, error) {
	return call(b, ListTokens, runID, func() ([]backend.Token, error) { return b.inner.ListTokens(ctx, runID) })
}

// GetResponse is the GetResponse point.
func (b *Backend) GetResponse(ctx context.Context, deliveryID string) (backend.Response, error) {
	return call(b, GetResponse, deliveryID, func() (backend.Response, error) { return b.inner.GetResponse(ctx, deliveryID) })
}

// GetIdempotency is the GetIdempotency point.
func (b *Backend) GetIdempotency(ctx context.Context, key string) (backend.Idempotency, error) {
	return call(b, GetIdempotency, key, func() (backend.Idempotency, error) { return b.inner.GetIdempotency(ctx, key) })
}

// TakeLease is the TakeLease point.
func (b *Backend) TakeLease(ctx context.Context, runID, owner string, now, until time.Time) error {
	return do(b, TakeLease, runID, func() error { return b.inner.TakeLease(ctx, runID, owner, now, until) })
}

// DeleteRun is the DeleteRun point.
func (b *Backend) DeleteRun(ctx context.Context, runID string) error {
	return do(b, DeleteRun, runID, func() error { return b.inner.DeleteRun(ctx, runID) })
}

// ReleaseLease is the ReleaseLease point.
func (b *Backend) ReleaseLease(ctx context.Context, runID, owner string) error {
	return do(b, ReleaseLease, runID, func() error { return b.inner.ReleaseLease(ctx, runID, owner) })
}

// ListDue is the ListDue point.
func (b *Backend) ListDue(ctx context.Context, q backend.DueQuery) ([]string, error) {
	return call(b, ListDue, "", func() ([]string, error) { return b.inner.ListDue(ctx, q) })
}

// Enqueue is the Enqueue point.
func (b *Backend) Enqueue(ctx context.Context, runID string, delay time.Duration) error {
	return do(b, Enqueue, runID, func() error { return b.inner.Enqueue(ctx, runID, delay) })
}

// Receive is the Receive point.
func (b *Backend) Receive(ctx context.Context, max int, wait time.Duration) ([]backend.WakeMessage, error) {
	return call(b, Receive, "", func() ([]backend.WakeMessage, error) { return b.inner.Receive(ctx, max, wait) })
}

// Ack is the Ack point.
func (b *Backend) Ack(ctx context.Context, msgs ...backend.WakeMessage) error {
	detail := ""
	if len(msgs) == 1 {
		detail = msgs[0].RunID
	}
	return do(b, Ack, detail, func() error { return b.inner.Ack(ctx, msgs...) })
}
