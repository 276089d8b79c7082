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

// wakeBody is the JSON of a wake message.
type wakeBody struct {
	RunID string `json:"runId"`
	// NotBefore is the due time of a wake whose delay was longer than one message can hold.
	NotBefore *time.Time `json:"notBefore,omitempty"`
}

// EncodeWake returns the body of a wake message for runID; a non-zero notBefore is the time
// before which the run must not be woken (for a delay longer than the queue holds).
func EncodeWake(runID string, notBefore time.Time) string {
	body := wakeBody{RunID: runID}
	if !notBefore.IsZero() {
		at := notBefore.UTC()
		body.NotBefore = &at
	}
	raw, _ := json.Marshal(body) // a string and a time always encode
	return string(raw)
}

// DecodeWake reads a wake message body: the run to wake and the time before which it must
// not be woken (zero: now). A body that is not one fails with ErrBadWake.
func DecodeWake(body string) (runID string, notBefore time.Time, err error) {
	var w wakeBody
	if err := json.Unmarshal([]byte(body), &w); err != nil {
		return "", time.Time{}, fmt.Errorf("%w: %v", ErrBadWake, err)
	}
	if w.RunID == "" {
		return "", time.Time{}, fmt.Errorf("%w: no runId", ErrBadWake)
	}
	if w.NotBefore != nil {
		notBefore = *w.NotBefore
	}
	return w.RunID, notBefore, nil
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
