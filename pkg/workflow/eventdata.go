package workflow

import (
	"encoding/json"
	"fmt"

	"github.com/hookflow/hookflow/internal/engine"
)

// EventData is an Event's Data decoded: each event type sets the fields it uses (Workflow and
// Input for run_created; Name, Attempt, Result, Error and RetryAt for steps; Name and Due for
// timers; Token, URL, Timeout, Manual and Holder for hook_created and hook_conflict;
// DeliveryID, Payload and Dropped for hook_received; DeliveryID and Response for
// response_sent; Output or Error for the end of a run). Read histories through it rather than
// the stored JSON.
type EventData = engine.EventData

// DecodeData decodes the event's Data.
func (e Event) DecodeData() (EventData, error) {
	d, err := engine.DecodeEventData(e.Data)
	if err != nil {
		return d, fmt.Errorf("hookflow: event %d (%s): %w", e.Seq, e.Type, err)
	}
	return d, nil
}

// EventError returns the error an event records (EventData.Error: a step's failed attempt,
// a run's failure or cancellation) as it was recorded, still matching the package's
// sentinels and error types (a *ValidationError keeps its Issues); nil when it records none.
func EventError(d EventData) error { return engine.DecodeError(d.Error) }

// EventResponse returns the response a response_sent event records.
func EventResponse(d EventData) (Response, bool) {
	var r engine.Response
	if len(d.Response) == 0 || json.Unmarshal(d.Response, &r) != nil || r.Status == 0 {
		return Response{}, false
	}
	return Response(r), true
}
