package codec

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
)

// Backend is a backend.Backend that stores every payload through a Codec: what a workflow is
// given and returns, and what the outside world sends it. Wrap a driver with it and give the
// result to every client, worker, webhook route and Lambda handler of a deployment; all of
// them must use the same keys.
//
// The fields it encodes are the payloads:
//   - a run's input, output and error (backend.Run Input, Output, Error);
//   - every history event's Data and Body (step results, hook payloads, webhook requests with
//     their headers and bodies, timers and the rest);
//   - every inbox item's Payload and Body (a hook payload, a webhook request);
//   - a manual webhook's stored response (backend.Response Data).
//
// It leaves alone what the store needs to read, or what says nothing of a payload: IDs,
// statuses, times, event types and correlation IDs, tokens and their records (a hook's
// metadata, schema and webhook settings, which the webhook and resume paths read without
// workflow code), idempotency records (IDs of the first delivery), run errors of failed
// turns (LastError). Values stored before the codec was turned on are read as they are.
//
// A value that does not decode (a key that is gone, an altered record) fails the read with an
// error matching ErrDecode and naming the run: a turn of that run fails with it, and after
// the engine's retries the run is parked as stuck with that error as its LastError, where an
// operator sees it. Nothing panics.
type Backend struct {
	inner backend.Backend
	c     Codec
}

var (
	_ backend.Backend                       = (*Backend)(nil)
	_ backend.Clocked                       = (*Backend)(nil)
	_ backend.SweepHinter                   = (*Backend)(nil)
	_ interface{ Unwrap() backend.Backend } = (*Backend)(nil)
)

// Wrap returns b with its payloads stored through c.
func Wrap(b backend.Backend, c Codec) *Backend { return &Backend{inner: b, c: c} }

// Unwrap returns the wrapped backend.
func (b *Backend) Unwrap() backend.Backend { return b.inner }

// Clock returns the wrapped backend's clock (backend.Clocked).
func (b *Backend) Clock() backend.Clock { return backend.ClockOf(b.inner) }

// SweepEvery passes on the wrapped backend's hint (backend.SweepHinter); 0 when it has none.
func (b *Backend) SweepEvery() time.Duration {
	if h, ok := b.inner.(backend.SweepHinter); ok {
		return h.SweepEvery()
	}
	return 0
}

// Close closes the wrapped backend.
func (b *Backend) Close() error { return b.inner.Close() }

// enc encodes one value; nil stays nil.
func (b *Backend) enc(ctx context.Context, v []byte, what string) ([]byte, error) {
	if len(v) == 0 {
		return v, nil
	}
	out, err := b.c.Encode(ctx, v)
	if err != nil {
		return nil, fmt.Errorf("codec: encoding %s: %w", what, err)
	}
	return out, nil
}

// dec decodes one value; nil stays nil.
func (b *Backend) dec(ctx context.Context, v []byte, what string) ([]byte, error) {
	if len(v) == 0 {
		return v, nil
	}
	out, err := b.c.Decode(ctx, v)
	if err != nil {
		return nil, fmt.Errorf("codec: decoding %s: %w", what, err)
	}
	return out, nil
}

// fields applies fn to each named value in turn, replacing it, and stops at the first error.
func fields(fn func(v []byte, what string) ([]byte, error), what string, vs ...*[]byte) error {
	for _, v := range vs {
		out, err := fn(*v, what)
		if err != nil {
			return err
		}
		*v = out
	}
	return nil
}

func (b *Backend) encRun(ctx context.Context, r *backend.Run) error {
	return fields(func(v []byte, w string) ([]byte, error) { return b.enc(ctx, v, w) }, "run "+r.ID,
		(*[]byte)(&r.Input), (*[]byte)(&r.Output), (*[]byte)(&r.Error))
}

// decRun decodes the run's payloads. One that does not decode is left empty, and the error
// matches backend.ErrUnreadable as well as ErrDecode: the rest of the record still serves.
func (b *Backend) decRun(ctx context.Context, r *backend.Run) error {
	var first error
	for _, f := range []*json.RawMessage{&r.Input, &r.Output, &r.Error} {
		out, err := b.dec(ctx, *f, "run "+r.ID)
		if err != nil {
			first = cmp.Or(first, err)
			out = nil
		}
		*f = out
	}
	if first != nil {
		return fmt.Errorf("%w: %w", backend.ErrUnreadable, first)
	}
	return nil
}

func (b *Backend) encEvents(ctx context.Context, runID string, evs []backend.Event) ([]backend.Event, error) {
	out := make([]backend.Event, len(evs))
	for i, e := range evs {
		what := fmt.Sprintf("event %d of run %s", e.Seq, runID)
		if err := fields(func(v []byte, w string) ([]byte, error) { return b.enc(ctx, v, w) }, what,
			(*[]byte)(&e.Data), &e.Body); err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

func (b *Backend) decEvents(ctx context.Context, runID string, evs []backend.Event) error {
	for i := range evs {
		e := &evs[i]
		what := fmt.Sprintf("event %d of run %s", e.Seq, runID)
		if err := fields(func(v []byte, w string) ([]byte, error) { return b.dec(ctx, v, w) }, what,
			(*[]byte)(&e.Data), &e.Body); err != nil {
			return err
		}
	}
	return nil
}

func (b *Backend) encItem(ctx context.Context, it *backend.InboxItem) error {
	return fields(func(v []byte, w string) ([]byte, error) { return b.enc(ctx, v, w) }, "an inbox item of run "+it.RunID,
		(*[]byte)(&it.Payload), &it.Body)
}

func (b *Backend) decItem(ctx context.Context, it *backend.InboxItem) error {
	return fields(func(v []byte, w string) ([]byte, error) { return b.dec(ctx, v, w) }, "inbox item "+it.ID+" of run "+it.RunID,
		(*[]byte)(&it.Payload), &it.Body)
}

// CreateRun stores the run with its input and first events encoded. It returns the run with
// its payloads as given, or, when the run exists already, the stored one decoded.
func (b *Backend) CreateRun(ctx context.Context, run backend.Run, first []backend.Event) (backend.Run, error) {
	plain := run
	if err := b.encRun(ctx, &run); err != nil {
		return backend.Run{}, err
	}
	evs, err := b.encEvents(ctx, run.ID, first)
	if err != nil {
		return backend.Run{}, err
	}
	got, err := b.inner.CreateRun(ctx, run, evs)
	switch {
	case err == nil:
		got.Input, got.Output, got.Error = plain.Input, plain.Output, plain.Error
		return got, nil
	case errors.Is(err, backend.ErrRunExists):
		if derr := b.decRun(ctx, &got); derr != nil {
			return got, errors.Join(err, derr)
		}
	}
	return got, err
}

// GetRun returns the run with its payloads decoded.
//
// A run whose payloads do not decode is returned with them empty, beside an error that
// matches ErrDecode and backend.ErrUnreadable.
func (b *Backend) GetRun(ctx context.Context, runID string) (backend.Run, error) {
	run, err := b.inner.GetRun(ctx, runID)
	if err != nil {
		return run, err
	}
	return run, b.decRun(ctx, &run)
}

// ListRuns returns a page of runs with their payloads decoded. A run whose payloads do not
// decode is listed with them empty, so that one unreadable run does not hide the others;
// GetRun of it reports why.
func (b *Backend) ListRuns(ctx context.Context, q backend.RunQuery) (backend.RunPage, error) {
	page, err := b.inner.ListRuns(ctx, q)
	if err != nil {
		return page, err
	}
	for i := range page.Runs {
		_ = b.decRun(ctx, &page.Runs[i])
	}
	return page, nil
}

// ListEvents returns the run's events with their Data and Body decoded.
func (b *Backend) ListEvents(ctx context.Context, runID string, afterSeq int64) ([]backend.Event, error) {
	evs, err := b.inner.ListEvents(ctx, runID, afterSeq)
	if err != nil {
		return evs, err
	}
	if err := b.decEvents(ctx, runID, evs); err != nil {
		return nil, err
	}
	return evs, nil
}

// Commit encodes the commit's output, error, events and responses, and applies it.
func (b *Backend) Commit(ctx context.Context, c backend.Commit) error {
	what := "the commit of run " + c.RunID
	if err := fields(func(v []byte, w string) ([]byte, error) { return b.enc(ctx, v, w) }, what,
		(*[]byte)(&c.Output), (*[]byte)(&c.Error)); err != nil {
		return err
	}
	evs, err := b.encEvents(ctx, c.RunID, c.Events)
	if err != nil {
		return err
	}
	c.Events = evs
	if len(c.PutResponses) > 0 {
		rs := make([]backend.Response, len(c.PutResponses))
		for i, r := range c.PutResponses {
			if r.Data, err = b.enc(ctx, r.Data, "the response to delivery "+r.DeliveryID); err != nil {
				return err
			}
			rs[i] = r
		}
		c.PutResponses = rs
	}
	return b.inner.Commit(ctx, c)
}

// PutInbox stores the item with its payload encoded; it returns the item with the payload as
// given.
func (b *Backend) PutInbox(ctx context.Context, item backend.InboxItem, idem *backend.Idempotency) (backend.InboxItem, *backend.Idempotency, error) {
	plain := item
	if err := b.encItem(ctx, &item); err != nil {
		return backend.InboxItem{}, nil, err
	}
	got, rec, err := b.inner.PutInbox(ctx, item, idem)
	if err != nil {
		return got, rec, err
	}
	got.Payload, got.Body = plain.Payload, plain.Body
	return got, rec, nil
}

// ListInbox returns the run's inbox items with their payloads decoded.
func (b *Backend) ListInbox(ctx context.Context, runID string, limit int) ([]backend.InboxItem, error) {
	items, err := b.inner.ListInbox(ctx, runID, limit)
	if err != nil {
		return items, err
	}
	for i := range items {
		if err := b.decItem(ctx, &items[i]); err != nil {
			return nil, err
		}
	}
	return items, nil
}

// GetResponse returns a manual webhook's response with its data decoded.
func (b *Backend) GetResponse(ctx context.Context, deliveryID string) (backend.Response, error) {
	r, err := b.inner.GetResponse(ctx, deliveryID)
	if err != nil {
		return r, err
	}
	if r.Data, err = b.dec(ctx, r.Data, "the response to delivery "+deliveryID); err != nil {
		return backend.Response{}, err
	}
	return r, nil
}

// RejectDelivery passes through.
func (b *Backend) RejectDelivery(ctx context.Context, token, runID, hookID string, at time.Time) error {
	return b.inner.RejectDelivery(ctx, token, runID, hookID, at)
}

// GetToken passes through: token records hold no payload.
func (b *Backend) GetToken(ctx context.Context, token string) (backend.Token, error) {
	return b.inner.GetToken(ctx, token)
}

// ListTokens passes through.
func (b *Backend) ListTokens(ctx context.Context, runID string) ([]backend.Token, error) {
	return b.inner.ListTokens(ctx, runID)
}

// GetIdempotency passes through: idempotency records hold IDs, not payloads.
func (b *Backend) GetIdempotency(ctx context.Context, key string) (backend.Idempotency, error) {
	return b.inner.GetIdempotency(ctx, key)
}

// TakeLease passes through.
func (b *Backend) TakeLease(ctx context.Context, runID, owner string, now, until time.Time) error {
	return b.inner.TakeLease(ctx, runID, owner, now, until)
}

// ReleaseLease passes through.
func (b *Backend) ReleaseLease(ctx context.Context, runID, owner string) error {
	return b.inner.ReleaseLease(ctx, runID, owner)
}

// DeleteRun passes through.
func (b *Backend) DeleteRun(ctx context.Context, runID string) error {
	return b.inner.DeleteRun(ctx, runID)
}

// ListDue passes through.
func (b *Backend) ListDue(ctx context.Context, q backend.DueQuery) ([]string, error) {
	return b.inner.ListDue(ctx, q)
}

// Enqueue passes through.
func (b *Backend) Enqueue(ctx context.Context, runID string, delay time.Duration) error {
	return b.inner.Enqueue(ctx, runID, delay)
}

// Receive passes through.
func (b *Backend) Receive(ctx context.Context, max int, wait time.Duration) ([]backend.WakeMessage, error) {
	return b.inner.Receive(ctx, max, wait)
}

// Ack passes through.
func (b *Backend) Ack(ctx context.Context, msgs ...backend.WakeMessage) error {
	return b.inner.Ack(ctx, msgs...)
}
