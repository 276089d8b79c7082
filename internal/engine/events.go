package engine

import (
	"encoding/json"
	"time"
)

// Event types of a run's history. They are part of the stored format: never rename one.
//
// Command events are written when workflow code makes a durable call, and replay matches
// them against the calls the code makes. Delivery events are written when something happens
// to the run (a step finishes, a timer fires, a payload arrives) and replay feeds them back.
const (
	EventRunCreated    = "run_created"    // delivery: the run's input; starts the workflow
	EventStepCompleted = "step_completed" // delivery: a step's result
	EventStepRetrying  = "step_retrying"  // delivery: an attempt failed; the next is due at retryAt
	EventStepFailed    = "step_failed"    // delivery: a step failed for good
	EventTimerCreated  = "timer_created"  // command: Sleep, SleepUntil, Timer
	EventTimerFired    = "timer_fired"    // delivery
	EventHookCreated   = "hook_created"   // command: CreateHook, CreateWebhook (token claimed)
	EventHookConflict  = "hook_conflict"  // command: the token was held by another run
	EventHookReceived  = "hook_received"  // delivery: a payload moved from the inbox
	EventHookDisposed  = "hook_disposed"  // command: Dispose
	EventHookTimedOut  = "hook_timed_out" // command: a receive saw its timeout timer fire first
	EventResponseSent  = "response_sent"  // command: Request.RespondWith
	EventPatchApplied  = "patch_applied"  // command: Patched took a patch's new path
	EventRunCompleted  = "run_completed"  // terminal
	EventRunFailed     = "run_failed"     // terminal
	EventRunCancelled  = "run_cancelled"  // terminal
)

func isCommandEvent(t string) bool {
	switch t {
	case EventTimerCreated, EventHookCreated, EventHookConflict, EventHookDisposed, EventHookTimedOut, EventResponseSent, EventPatchApplied:
		return true
	}
	return false
}

type runCreatedData struct {
	Workflow string          `json:"workflow"`
	Input    json.RawMessage `json:"input,omitempty"`
}

type stepData struct {
	Name    string          `json:"name"`
	Attempt int             `json:"attempt"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   json.RawMessage `json:"error,omitempty"`
	RetryAt time.Time       `json:"retryAt,omitzero"`
}

type timerData struct {
	Name string    `json:"name"`
	Due  time.Time `json:"due"`
}

type runEndData struct {
	Output json.RawMessage `json:"output,omitempty"`
	Error  json.RawMessage `json:"error,omitempty"`
}

// eventName is the part of every event's data that replay checks.
type eventName struct {
	Name string `json:"name"`
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		// Event data structs hold only strings, numbers, times and raw JSON already validated.
		panic("hookflow: encoding event data: " + err.Error())
	}
	return b
}
