package engine

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// EventData reads every field of every event data type the engine writes: a field added to
// one of them without EventData fails here.
func TestEventDataReadsEveryType(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)
	errRaw := EncodeError(errors.New("card declined"))
	for _, tc := range []struct {
		name string
		data any
		want EventData
	}{
		{"run_created", runCreatedData{Workflow: "wf", Input: json.RawMessage(`{"a":1}`)}, EventData{Workflow: "wf", Input: json.RawMessage(`{"a":1}`)}},
		{"step", stepData{Name: "charge", Attempt: 2, Result: json.RawMessage(`"ok"`), Error: errRaw, RetryAt: at},
			EventData{Name: "charge", Attempt: 2, Result: json.RawMessage(`"ok"`), Error: errRaw, RetryAt: at}},
		{"timer", timerData{Name: "sleep", Due: at}, EventData{Name: "sleep", Due: at}},
		{"run end", runEndData{Output: json.RawMessage(`3`), Error: errRaw}, EventData{Output: json.RawMessage(`3`), Error: errRaw}},
		{"hook_created", hookCreatedData{Name: "webhook", Token: "t", URL: "https://x/t", Timeout: time.Minute, Manual: true, Fallback: json.RawMessage(`{"status":504}`), Holder: "run_2"},
			EventData{Name: "webhook", Token: "t", URL: "https://x/t", Timeout: time.Minute, Manual: true, Holder: "run_2"}},
		{"hook_received", hookReceivedData{DeliveryID: "dlv_1", Payload: json.RawMessage(`{"n":1}`), Dropped: true},
			EventData{DeliveryID: "dlv_1", Payload: json.RawMessage(`{"n":1}`), Dropped: true}},
		{"response_sent", hookEventData{Name: "webhook", DeliveryID: "dlv_1", Response: json.RawMessage(`{"status":200}`)},
			EventData{Name: "webhook", DeliveryID: "dlv_1", Response: json.RawMessage(`{"status":200}`)}},
	} {
		raw, err := json.Marshal(tc.data)
		require.NoError(t, err)
		got, err := DecodeEventData(raw)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, got, tc.name)
		// Every key the engine wrote is one EventData knows (the fallback response is the
		// engine's own business: it answers manual callers when a run ends).
		var keys map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(raw, &keys))
		back, err := json.Marshal(got)
		require.NoError(t, err)
		var known map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(back, &known))
		for k := range keys {
			if k == "fallback" {
				continue
			}
			require.Contains(t, known, k, "%s: EventData does not read %q", tc.name, k)
		}
	}
}
