package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Wake message bodies. A driver whose queue carries messages as text (SQS) writes its wake
// messages with EncodeWake, so that a host that receives them as raw bodies, and not through
// Receive (the runner Lambda, from its SQS event source), reads them with DecodeWake: the seam
// decodes what it enqueued. SendOnEarly chains a delay longer than the queue holds, in one
// place for the driver's Receive and for such hosts.

// ErrBadWake reports a message body that is not a wake message; redelivering it never helps.
var ErrBadWake = errors.New("backend: not a wake message")

// Wake is what a wake message says.
type Wake struct {
	RunID string
	// NotBefore is the time before which the run must not be woken, for a delay longer than
	// the queue holds; zero: now.
	NotBefore time.Time
	// TraceParent is the W3C trace context of whatever queued the wake (a delivery), so that
	// the turn it asks for joins that trace (see TraceParent); empty: none.
	TraceParent string
}

// wakeBody is the JSON of a wake message.
type wakeBody struct {
	RunID       string     `json:"runId"`
	NotBefore   *time.Time `json:"notBefore,omitempty"`
	TraceParent string     `json:"traceparent,omitempty"`
}

// EncodeWake returns the body of a wake message.
func EncodeWake(w Wake) string {
	body := wakeBody{RunID: w.RunID, TraceParent: w.TraceParent}
	if !w.NotBefore.IsZero() {
		at := w.NotBefore.UTC()
		body.NotBefore = &at
	}
	raw, _ := json.Marshal(body) // strings and a time always encode
	return string(raw)
}

// DecodeWake reads a wake message body. A body that is not one fails with ErrBadWake; a
// trace context that is not one is dropped (it only links traces).
func DecodeWake(body string) (Wake, error) {
	var w wakeBody
	if err := json.Unmarshal([]byte(body), &w); err != nil {
		return Wake{}, fmt.Errorf("%w: %v", ErrBadWake, err)
	}
	if w.RunID == "" {
		return Wake{}, fmt.Errorf("%w: no runId", ErrBadWake)
	}
	out := Wake{RunID: w.RunID}
	if w.NotBefore != nil {
		out.NotBefore = *w.NotBefore
	}
	if validTraceParent(w.TraceParent) {
		out.TraceParent = w.TraceParent
	}
	return out, nil
}

// SendOnEarly sends a wake whose time is a second or more away (its delay was longer than
// one message holds) on for the rest of it, with q.Enqueue, which chains what the queue
// cannot hold, and reports whether it did; a wake that is due (queues delay by whole
// seconds: a fraction of a second early is on time) is left to the caller. It is the one
// place where hosts that read wake bodies chain long delays.
func SendOnEarly(ctx context.Context, q Queue, clock Clock, runID string, notBefore time.Time) (sent bool, err error) {
	left := notBefore.Sub(clock.Now())
	if left < time.Second {
		return false, nil
	}
	if err := q.Enqueue(ctx, runID, left); err != nil {
		return false, fmt.Errorf("backend: sending on a delayed wake of run %s: %w", runID, err)
	}
	return true, nil
}
