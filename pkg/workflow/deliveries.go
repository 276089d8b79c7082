package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hookflow/hookflow/internal/engine"
)

// Delivery is one payload a hook or webhook of a run received, read back from the run's
// history: what the webhook actually sent.
type Delivery struct {
	ID         string    `json:"id"`
	RunID      string    `json:"runId"`
	HookID     string    `json:"hookId"`
	Seq        int       `json:"seq"` // the hook_received event
	ReceivedAt time.Time `json:"receivedAt"`
	Webhook    bool      `json:"webhook"`
	// Payload is a hook's payload (nil for a webhook).
	Payload json.RawMessage `json:"payload,omitempty"`
	// Request is a webhook's request, body included (nil for a hook).
	Request *Request `json:"request,omitempty"`
	// Dropped: the payload came after its hook was disposed, and nothing received it.
	Dropped bool `json:"dropped,omitempty"`
}

// ListDeliveries returns the payloads the run's hooks and webhooks received, in the order the
// run took them, or an error matching ErrRunNotFound.
func (c *Client) ListDeliveries(ctx context.Context, runID string) ([]Delivery, error) {
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	recs, err := e.ListDeliveries(ctx, runID)
	if err != nil {
		return nil, err
	}
	out := make([]Delivery, len(recs))
	for i, r := range recs {
		d := Delivery{
			ID: r.DeliveryID, RunID: r.RunID, HookID: r.HookID, Seq: int(r.Seq), ReceivedAt: r.ReceivedAt,
			Webhook: r.Webhook, Dropped: r.Dropped,
		}
		if r.Request != nil {
			d.Request = &Request{
				ID: r.Request.ID, Method: r.Request.Method, URL: r.Request.URL, Header: r.Request.Header,
				Body: r.Body, ReceivedAt: r.Request.ReceivedAt,
			}
		} else {
			d.Payload = r.Payload
		}
		out[i] = d
	}
	return out, nil
}

// RedeliveredHeader is the header a webhook request sent again by Redeliver carries, with the
// ID of the delivery it copies.
const RedeliveredHeader = engine.RedeliveredHeader

// Redeliver sends a payload the run received (deliveryID, from ListDeliveries) again to the
// same hook or webhook, as a new delivery, and wakes the run: an operator replaying what a
// sender sent, after fixing the code that mishandled it. A webhook request keeps its method,
// URL, headers and body, gets a new ID and RedeliveredHeader, and is not checked against the
// webhook's signature spec or idempotency keys again (the caller is an operator, not the
// sender); nobody waits for a manual webhook's answer to it. The hook must still be live,
// else the error matches ErrHookNotFound; an unknown delivery matches ErrDeliveryNotFound.
func (c *Client) Redeliver(ctx context.Context, runID, deliveryID string) (ResumeResult, error) {
	e, err := c.engine()
	if err != nil {
		return ResumeResult{}, err
	}
	d, err := e.Redeliver(ctx, runID, deliveryID)
	if err != nil {
		return ResumeResult{}, err
	}
	return ResumeResult(d.Result), d.Err
}

// RedeliverAsRun starts a run of the workflow named workflowName whose input is a payload
// that run runID received: a hook's payload as it is, a webhook's request as a Request in
// JSON (its body base64-encoded, as encoding/json writes []byte), so that a workflow defined
// with Define[*Request, Out] takes it. It returns the new run's ID.
func (c *Client) RedeliverAsRun(ctx context.Context, runID, deliveryID, workflowName string, opts ...StartOption) (string, error) {
	all, err := c.ListDeliveries(ctx, runID)
	if err != nil {
		return "", err
	}
	for _, d := range all {
		if d.ID != deliveryID {
			continue
		}
		input := d.Payload
		if d.Request != nil {
			if input, err = json.Marshal(d.Request); err != nil {
				return "", err
			}
		}
		return c.StartByName(ctx, workflowName, input, opts...)
	}
	return "", fmt.Errorf("%w: run %s received no delivery %q", ErrDeliveryNotFound, runID, deliveryID)
}

// StartByName starts a run of the workflow registered under name, with input as its JSON
// input, and returns its ID: Start for callers that do not link the workflow's code (the
// admin API, the CLI). Nothing checks here that a worker has the workflow: a run of an
// unknown workflow is parked as stuck by the first worker that takes it, with
// ErrNotRegistered as its LastError. An empty name or an input that is not JSON is an error
// matching ErrInvalidArgument.
func (c *Client) StartByName(ctx context.Context, name string, input json.RawMessage, opts ...StartOption) (string, error) {
	e, err := c.engine()
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(name) == "" {
		return "", fmt.Errorf("%w: empty workflow name", ErrInvalidArgument)
	}
	if len(input) == 0 {
		input = json.RawMessage("null")
	}
	if !json.Valid(input) {
		return "", fmt.Errorf("%w: workflow %q: the input is not JSON", ErrInvalidArgument, name)
	}
	var so startOptions
	for _, o := range opts {
		if o != nil {
			o(&so)
		}
	}
	run, _, err := e.StartRun(ctx, name, so.runID, input)
	if err != nil && run.ID == "" {
		return "", err
	}
	return run.ID, err
}
