package engine

import (
	"encoding/json"
	"time"
)

// EventData is the data of any event, decoded: the union of the event data types the engine
// writes (runCreatedData, stepData, timerData, runEndData in events.go; hookCreatedData,
// hookReceivedData, hookEventData in hook.go), each event type setting the fields it uses.
// Tools that show histories read events through it, so that the stored format is known in
// one place; TestEventDataReadsEveryType keeps it in step with the types it unites.
type EventData struct {
	// run_created: the workflow and its input.
	Workflow string          `json:"workflow,omitempty"`
	Input    json.RawMessage `json:"input,omitempty"`
	// run_completed: the output. run_failed, run_cancelled, step_retrying, step_failed: the
	// error, as EncodeError wrote it (DecodeError reads it back).
	Output json.RawMessage `json:"output,omitempty"`
	Error  json.RawMessage `json:"error,omitempty"`
	// Steps: the step's name, the attempt, its result (step_completed) and when it is tried
	// again (step_retrying). Timers: the timer's name and when it is due. Hooks: "hook" or
	// "webhook".
	Name    string          `json:"name,omitempty"`
	Attempt int             `json:"attempt,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
	RetryAt time.Time       `json:"retryAt,omitzero"`
	Due     time.Time       `json:"due,omitzero"`
	// hook_created, hook_conflict: the token, a webhook's URL, the receive timeout, manual
	// mode, and (hook_conflict) the run that holds the token.
	Token   string        `json:"token,omitempty"`
	URL     string        `json:"url,omitempty"`
	Timeout time.Duration `json:"timeout,omitempty"`
	Manual  bool          `json:"manual,omitempty"`
	Holder  string        `json:"holderRunId,omitempty"`
	// hook_received: the delivery, its payload (a webhook's request record) and whether it
	// came after the hook was disposed. response_sent: the delivery and its response.
	DeliveryID string          `json:"deliveryId,omitempty"`
	Payload    json.RawMessage `json:"payload,omitempty"`
	Dropped    bool            `json:"dropped,omitempty"`
	Response   json.RawMessage `json:"response,omitempty"`
}

// DecodeEventData reads an event's data.
func DecodeEventData(raw json.RawMessage) (EventData, error) {
	var d EventData
	if len(raw) == 0 {
		return d, nil
	}
	err := json.Unmarshal(raw, &d)
	return d, err
}
