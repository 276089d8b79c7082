package inspector

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// Every event type of the history reads as a line of the timeline, with its details; data
// that cannot be read is shown as it is, never dropped.
func TestTimeline(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
	ev := func(seq int, typ, corr, data string) workflow.Event {
		return workflow.Event{Seq: seq, Type: typ, CorrelationID: corr, Data: json.RawMessage(data), CreatedAt: at(seq * 100)}
	}
	hookURL := "http://localhost:8080/.well-known/workflow/v1/webhook/tok1"
	events := []workflow.Event{
		ev(1, "run_created", "", `{"workflow":"order","input":{"id":7}}`),
		ev(2, "step_completed", "s1", `{"name":"reserve","attempt":2,"result":{"id":"r1"}}`),
		ev(3, "timer_created", "t2", `{"name":"sleep","due":"2026-01-02T03:05:05Z"}`),
		ev(4, "timer_fired", "t2", `{"name":"sleep","due":"2026-01-02T03:05:05Z"}`),
		ev(5, "hook_created", "h3", `{"name":"webhook","token":"tok1","url":"`+hookURL+`","timeout":60000000000,"manual":true}`),
		ev(6, "hook_received", "h3", `{"deliveryId":"dlv_1","payload":{"method":"POST"}}`),
		ev(7, "response_sent", "r4", `{"name":"respond","deliveryId":"dlv_1","response":{"status":201,"body":"b2s="}}`),
		ev(8, "hook_conflict", "h5", `{"name":"hook","token":"approve:1","holderRunId":"run_other"}`),
		ev(9, "hook_created", "h6", `{"name":"hook","token":"approve:2"}`),
		ev(10, "hook_received", "h6", `{"deliveryId":"dlv_2","payload":{"ok":true},"dropped":true}`),
		ev(11, "hook_disposed", "h6", `{"name":"dispose"}`),
		ev(12, "hook_timed_out", "h3", `{"name":"timeout"}`),
		ev(13, "patch_applied", "p:v2", `{"name":"v2"}`),
		ev(14, "something_new", "", `{"x":1}`),
		ev(15, "step_failed", "s7", `not json`),
		ev(16, "run_failed", "", `{"error":{"message":"schema","kind":"validation","issues":["/ok: want boolean"]}}`),
		ev(17, "run_cancelled", "", ``),
	}
	deliveries := map[string]workflow.Delivery{"dlv_1": {ID: "dlv_1", Webhook: true, Request: &workflow.Request{Method: "POST", URL: hookURL + "?a=1", Body: []byte("hello")}}}
	got := timeline(workflow.RunInfo{CreatedAt: start}, events, deliveries)
	require.Len(t, got, len(events))
	titles := make([]string, len(got))
	for i, e := range got {
		titles[i] = e.Title
	}
	require.Equal(t, []string{
		"Run started",
		"Step reserve completed (attempt 2)",
		"Timer sleep set",
		"Timer sleep fired",
		"Webhook (answered by the workflow) created",
		"Webhook request received: POST /.well-known/workflow/v1/webhook/tok1 (5 bytes)",
		"Response sent: 201 Created",
		"Hook not created: its token is held by another run",
		"Hook created",
		"Hook payload received by approve:2, dropped: the hook was disposed",
		"Hook disposed: token approve:2 released",
		"Hook tok1 received nothing in time",
		"Patch v2 applied",
		"something_new",
		"step_failed",
		"Run failed",
		"Run cancelled",
	}, titles)

	require.Equal(t, "+100ms", got[0].Offset)
	require.Equal(t, "{\n  \"id\": 7\n}", got[0].JSON)
	require.Equal(t, []fact{{Label: "due", Value: "2026-01-02 03:05:05.000 UTC (+1m0s)"}}, got[2].Facts)
	require.Equal(t, []fact{{Label: "token", Value: "tok1"}, {Label: "URL", Value: hookURL}, {Label: "receive timeout", Value: "1m0s"}}, got[4].Facts)
	require.Equal(t, "dlv_1", got[5].Delivery)
	require.Equal(t, "dlv_1", got[6].Delivery)
	require.Equal(t, "ok", got[6].JSON, "the response's body")
	require.Contains(t, got[7].Facts, fact{Label: "held by", Value: "run_other", Link: "/runs/run_other"})
	require.Equal(t, "bad", got[9].Tone)
	require.Equal(t, "{\n  \"x\": 1\n}", got[13].JSON)
	require.Equal(t, "not json", got[14].JSON, "unreadable data is shown as it is")
	require.Equal(t, "schema", got[15].Error)
	require.Equal(t, []string{"/ok: want boolean"}, got[15].Issues)
}

// A body is indented JSON, text as it is, or binary in hex.
func TestShowBody(t *testing.T) {
	t.Parallel()
	require.Equal(t, body{Kind: "empty"}, showBody(nil))
	require.Equal(t, body{Size: 7, Kind: "json", Text: "{\n  \"a\": 1\n}"}, showBody([]byte(`{"a":1}`)))
	require.Equal(t, body{Size: 12, Kind: "text", Text: "a=1&b=<x>\r\n\t"}, showBody([]byte("a=1&b=<x>\r\n\t")))
	bin := showBody([]byte{0x1f, 0x8b, 0x08, 0x00})
	require.Equal(t, "binary", bin.Kind)
	require.Contains(t, bin.Hex, "1f 8b 08 00")
	require.False(t, bin.Clipped)
	big := showBody(append([]byte{0xff}, make([]byte, 3000)...))
	require.True(t, big.Clipped)
	require.Equal(t, maxHexBytes, big.Shown)
	require.Equal(t, "(4 bytes of binary data)", bodyText([]byte{0, 1, 2, 3}))
	require.Equal(t, "binary", showBody([]byte("caf\xe9")).Kind, "not UTF-8")
}

// Clipping never cuts a character in two.
func TestClip(t *testing.T) {
	t.Parallel()
	require.Equal(t, "abc", clip("abc", 3))
	require.Equal(t, "é…", clip("ééé", 5))
	require.Equal(t, `{"a":1,"b":[1,2]}`, compactJSON([]byte("{\n \"a\": 1, \"b\": [1, 2]\n}"), 100))
}
