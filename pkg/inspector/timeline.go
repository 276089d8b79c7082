package inspector

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// entry is one event of a run's timeline, as its page shows it.
type entry struct {
	Seq    int
	Type   string // the event type, e.g. "step_retrying"
	Tone   string // "ok", "bad", "wait" or "info": how the page colours it
	At     time.Time
	Offset string // from the run's start, "+1.2s"
	Title  string // one line, e.g. "Step charge-card: attempt 2 failed"
	Facts  []fact
	Error  string
	Issues []string
	// JSON is a value worth reading (input, result, payload, output), indented and clipped;
	// JSONLabel names it.
	JSON, JSONLabel string
	// Delivery is the ID of the delivery the event is about: the entry links to its page.
	Delivery string
}

// fact is a labelled detail of an entry; with Link, its value links there.
type fact struct {
	Label, Value, Link string
}

// maxTimelineJSON bounds the JSON an entry shows; the delivery page shows it all.
const maxTimelineJSON = 4 << 10

// hookSeen is what the timeline remembers of a hook from its hook_created event.
type hookSeen struct {
	token   string
	webhook bool
}

// timeline turns a run's history into entries; deliveries (by ID) describe the webhook
// requests that hook_received events only name.
func timeline(run workflow.RunInfo, events []workflow.Event, deliveries map[string]workflow.Delivery) []entry {
	hooks := map[string]hookSeen{}
	out := make([]entry, 0, len(events))
	for _, ev := range events {
		e := entry{Seq: ev.Seq, Type: ev.Type, Tone: "info", At: ev.CreatedAt, Offset: offset(run.CreatedAt, ev.CreatedAt)}
		d, err := ev.DecodeData()
		if err != nil {
			e.Title, e.JSON, e.JSONLabel = ev.Type, clip(string(ev.Data), maxTimelineJSON), "data (not readable)"
			out = append(out, e)
			continue
		}
		describe(&e, run, ev, d, hooks, deliveries)
		out = append(out, e)
	}
	return out
}

// describe fills an entry from its event's data.
func describe(e *entry, run workflow.RunInfo, ev workflow.Event, d workflow.EventData, hooks map[string]hookSeen, deliveries map[string]workflow.Delivery) {
	setJSON := func(label string, raw json.RawMessage) {
		if len(raw) > 0 {
			e.JSONLabel, e.JSON = label, clip(prettyJSON(raw), maxTimelineJSON)
		}
	}
	attempt := func() string {
		if d.Attempt > 1 {
			return fmt.Sprintf(" (attempt %d)", d.Attempt)
		}
		return ""
	}
	switch ev.Type {
	case "run_created":
		e.Title = "Run started"
		e.Facts = append(e.Facts, fact{Label: "workflow", Value: d.Workflow})
		setJSON("input", d.Input)
	case "step_completed":
		e.Title, e.Tone = "Step "+d.Name+" completed"+attempt(), "ok"
		setJSON("result", d.Result)
	case "step_retrying":
		e.Title, e.Tone = fmt.Sprintf("Step %s: attempt %d failed, will retry", d.Name, d.Attempt), "bad"
		e.Error, e.Issues = errorText(d.Error)
		if !d.RetryAt.IsZero() {
			e.Facts = append(e.Facts, fact{Label: "retry at", Value: when(d.RetryAt) + " (" + offset(run.CreatedAt, d.RetryAt) + ")"})
		}
	case "step_failed":
		e.Title, e.Tone = fmt.Sprintf("Step %s failed for good, after %d attempts", d.Name, d.Attempt), "bad"
		e.Error, e.Issues = errorText(d.Error)
	case "timer_created":
		e.Title, e.Tone = "Timer "+d.Name+" set", "wait"
		e.Facts = append(e.Facts, fact{Label: "due", Value: when(d.Due) + " (" + offset(run.CreatedAt, d.Due) + ")"})
	case "timer_fired":
		e.Title = "Timer " + d.Name + " fired"
		e.Facts = append(e.Facts, fact{Label: "was due", Value: when(d.Due)})
	case "hook_created", "hook_conflict":
		hookCreated(e, ev, d, hooks)
	case "hook_received":
		hookReceived(e, d, hooks[ev.CorrelationID], deliveries[d.DeliveryID])
	case "hook_disposed":
		e.Title = "Hook disposed: token " + hooks[ev.CorrelationID].token + " released"
	case "hook_timed_out":
		e.Title, e.Tone = "Hook "+hooks[ev.CorrelationID].token+" received nothing in time", "bad"
	case "response_sent":
		e.Title, e.Delivery = "Response sent", d.DeliveryID
		if r, ok := workflow.EventResponse(d); ok {
			e.Title = fmt.Sprintf("Response sent: %d %s", r.Status, http.StatusText(r.Status))
			if len(r.Body) > 0 {
				e.JSONLabel, e.JSON = "body", clip(bodyText(r.Body), maxTimelineJSON)
			}
		}
	case "patch_applied":
		e.Title = "Patch " + d.Name + " applied"
	case "run_completed":
		e.Title, e.Tone = "Run completed", "ok"
		setJSON("output", d.Output)
	case "run_failed":
		e.Title, e.Tone = "Run failed", "bad"
		e.Error, e.Issues = errorText(d.Error)
	case "run_cancelled":
		e.Title, e.Tone = "Run cancelled", "bad"
	default:
		e.Title = ev.Type
		setJSON("data", ev.Data)
	}
}

// hookCreated describes hook_created and hook_conflict, and remembers the hook.
func hookCreated(e *entry, ev workflow.Event, d workflow.EventData, hooks map[string]hookSeen) {
	webhook := d.Name == "webhook"
	hooks[ev.CorrelationID] = hookSeen{token: d.Token, webhook: webhook}
	kind := "Hook"
	if webhook {
		kind = "Webhook"
		if d.Manual {
			kind = "Webhook (answered by the workflow)"
		}
	}
	e.Title, e.Tone = kind+" created", "wait"
	e.Facts = append(e.Facts, fact{Label: "token", Value: d.Token})
	if d.URL != "" {
		e.Facts = append(e.Facts, fact{Label: "URL", Value: d.URL})
	}
	if d.Timeout > 0 {
		e.Facts = append(e.Facts, fact{Label: "receive timeout", Value: d.Timeout.String()})
	}
	if ev.Type == "hook_conflict" {
		e.Title, e.Tone = kind+" not created: its token is held by another run", "bad"
		e.Facts = append(e.Facts, fact{Label: "held by", Value: d.Holder, Link: runURL(d.Holder)})
	}
}

// hookReceived describes hook_received: for a webhook, the request's method, path and body
// size; for a hook, its JSON payload.
func hookReceived(e *entry, d workflow.EventData, h hookSeen, dl workflow.Delivery) {
	e.Tone, e.Delivery = "ok", d.DeliveryID
	switch {
	case dl.Request != nil:
		path := dl.Request.URL
		if u, err := url.Parse(path); err == nil {
			path = u.Path
		}
		e.Title = fmt.Sprintf("Webhook request received: %s %s (%d bytes)", dl.Request.Method, path, len(dl.Request.Body))
	case h.webhook:
		e.Title = "Webhook request received"
	default:
		e.Title = "Hook payload received"
		if h.token != "" {
			e.Title += " by " + h.token
		}
		if len(d.Payload) > 0 {
			e.JSONLabel, e.JSON = "payload", clip(prettyJSON(d.Payload), maxTimelineJSON)
		}
	}
	if d.Dropped {
		e.Title += ", dropped: the hook was disposed"
		e.Tone = "bad"
	}
}

// errorText reads a stored error: its message and, for a schema's refusal, the issues.
func errorText(raw json.RawMessage) (string, []string) {
	if len(raw) == 0 {
		return "", nil
	}
	var rec struct {
		Message string   `json:"message"`
		Issues  []string `json:"issues"`
	}
	if json.Unmarshal(raw, &rec) != nil || rec.Message == "" {
		return string(raw), nil
	}
	return rec.Message, rec.Issues
}
