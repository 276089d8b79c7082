package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/workflow/werr"
)

// The payloads a run's hooks received are in its history, as hook_received events (a
// webhook's request as a RequestRecord, its body as the event's attachment). Operators read
// them back (what did the webhook actually send?) and send one again, to the same hook or as
// the input of a new run.

// DeliveryRecord is one payload a hook of a run received.
type DeliveryRecord struct {
	DeliveryID string
	RunID      string
	HookID     string
	Seq        int64     // the hook_received event
	ReceivedAt time.Time // when the run took it
	Webhook    bool
	// Payload is a hook's JSON payload; for a webhook, the request record.
	Payload json.RawMessage
	// Request is a webhook's request (nil for a hook), and Body its body.
	Request *RequestRecord
	Body    []byte
	// Dropped: the payload arrived after its hook was disposed, and no receive took it.
	Dropped bool
}

// ListDeliveries returns the payloads the run's hooks received, in history order, or an
// error matching ErrRunNotFound.
func (c *Client) ListDeliveries(ctx context.Context, runID string) ([]DeliveryRecord, error) {
	evs, err := c.b.ListEvents(ctx, runID, 0)
	if errors.Is(err, backend.ErrRunNotFound) {
		return nil, fmt.Errorf("%w: %s", werr.ErrRunNotFound, runID)
	}
	if err != nil {
		return nil, err
	}
	kinds := map[string]string{} // hook ID -> kind
	var out []DeliveryRecord
	for _, ev := range evs {
		switch ev.Type {
		case EventHookCreated:
			var d hookCreatedData
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				return nil, fmt.Errorf("hookflow: run %s: corrupt %s event %d: %w", runID, ev.Type, ev.Seq, err)
			}
			kinds[ev.CorrelationID] = d.Name
		case EventHookReceived:
			var d hookReceivedData
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				return nil, fmt.Errorf("hookflow: run %s: corrupt %s event %d: %w", runID, ev.Type, ev.Seq, err)
			}
			rec := DeliveryRecord{
				DeliveryID: d.DeliveryID, RunID: runID, HookID: ev.CorrelationID, Seq: ev.Seq,
				ReceivedAt: ev.CreatedAt, Payload: d.Payload, Dropped: d.Dropped,
				Webhook: kinds[ev.CorrelationID] == backend.TokenWebhook,
			}
			if rec.Webhook {
				var req RequestRecord
				if err := json.Unmarshal(d.Payload, &req); err != nil {
					return nil, fmt.Errorf("hookflow: run %s: event %d holds no webhook request: %w", runID, ev.Seq, err)
				}
				rec.Request, rec.Body = &req, ev.Body
			}
			out = append(out, rec)
		}
	}
	return out, nil
}

// FindDelivery returns the delivery of run runID with the given ID, or an error matching
// ErrRunNotFound or werr.ErrDeliveryNotFound.
func (c *Client) FindDelivery(ctx context.Context, runID, deliveryID string) (DeliveryRecord, error) {
	all, err := c.ListDeliveries(ctx, runID)
	if err != nil {
		return DeliveryRecord{}, err
	}
	for _, d := range all {
		if d.DeliveryID == deliveryID {
			return d, nil
		}
	}
	return DeliveryRecord{}, fmt.Errorf("%w: run %s received no delivery %q", werr.ErrDeliveryNotFound, runID, deliveryID)
}

// RedeliveredHeader marks a webhook request sent again by Redeliver, with the ID of the
// delivery it copies, so that workflow code can tell (pkg/workflow re-exports it).
const RedeliveredHeader = "Hookflow-Redelivered-From"

// Redeliver sends a delivery of run runID again to the hook that received it, as a new
// delivery (a new ID; a webhook request gets RedeliveredHeader), and wakes the run. The
// hook must still be live: NotFound otherwise. It is an operator's action: a webhook's
// signature is not checked again, nor is its idempotency key, and nobody waits for a manual
// webhook's answer.
func (c *Client) Redeliver(ctx context.Context, runID, deliveryID string) (out Delivery, err error) {
	ctx, span := c.tracer.Start(ctx, "hookflow.redeliver", trace.WithAttributes(attrRunID.String(runID)))
	defer func() { endDelivery(span, out, err) }()
	d, err := c.FindDelivery(ctx, runID, deliveryID)
	if err != nil {
		return Delivery{}, err
	}
	toks, err := c.b.ListTokens(ctx, runID)
	if err != nil {
		return Delivery{}, err
	}
	var tok *backend.Token
	for i := range toks {
		if toks[i].HookID == d.HookID {
			tok = &toks[i]
		}
	}
	if tok == nil {
		return notFound("hook %s of run %s is no longer live", d.HookID, runID), nil
	}
	data, err := DecodeTokenData(*tok)
	if err != nil {
		return Delivery{}, err
	}
	id, raw := newDeliveryID(), d.Payload
	if d.Request != nil {
		req := *d.Request
		req.ID, req.ReceivedAt = id, c.clock.Now().UTC()
		req.Header = req.Header.Clone()
		if req.Header == nil {
			req.Header = http.Header{}
		}
		req.Header.Set(RedeliveredHeader, deliveryID)
		if raw, err = json.Marshal(req); err != nil {
			return Delivery{}, err
		}
	}
	return c.deliver(ctx, *tok, data, id, raw, d.Body, "")
}
