package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// timeline renders the events of one run in order, remembering each hook from its
// hook_created event to tell the events that follow apart.
type timeline struct {
	start time.Time
	hooks map[string]hookSeen // by correlation ID
}

type hookSeen struct {
	token, url string
	webhook    bool
}

func newTimeline(start time.Time) *timeline {
	return &timeline{start: start, hooks: map[string]hookSeen{}}
}

// about says what an event is about: `charge-card attempt 2 error="declined" retry at
// +1s`, `webhook http://.../webhook/...`, `delivery dlv_... POST /.../webhook/... (5 B)`.
func (tl *timeline) about(e workflow.Event) string {
	d, err := e.DecodeData()
	if err != nil {
		return oneLine(compactJSON(e.Data), 100)
	}
	switch e.Type {
	case "run_created":
		return fmt.Sprintf("%s input=%s", d.Workflow, oneLine(compactJSON(d.Input), 60))
	case "hook_created", "hook_conflict":
		return tl.hookCreated(e, d)
	case "hook_received":
		return tl.hookReceived(e, d)
	case "hook_disposed":
		return tl.hooks[e.CorrelationID].label() + " released"
	case "hook_timed_out":
		return tl.hooks[e.CorrelationID].label() + ": nothing received in time"
	case "response_sent":
		r, ok := workflow.EventResponse(d)
		if !ok {
			return "answered delivery " + d.DeliveryID
		}
		return fmt.Sprintf("answered delivery %s: %d %s", d.DeliveryID, r.Status, http.StatusText(r.Status))
	case "run_completed":
		return "output=" + oneLine(compactJSON(d.Output), 80)
	case "run_failed", "run_cancelled":
		if len(d.Error) > 0 {
			return "error=" + quoteError(d.Error)
		}
		return ""
	}
	var parts []string
	if d.Name != "" {
		parts = append(parts, d.Name)
	}
	if d.Attempt > 0 {
		parts = append(parts, fmt.Sprintf("attempt %d", d.Attempt))
	}
	if len(d.Result) > 0 {
		parts = append(parts, "result="+oneLine(compactJSON(d.Result), 60))
	}
	if len(d.Error) > 0 {
		parts = append(parts, "error="+quoteError(d.Error))
	}
	if !d.RetryAt.IsZero() {
		parts = append(parts, "retry at "+offset(tl.start, d.RetryAt))
	}
	if !d.Due.IsZero() {
		parts = append(parts, "due at "+offset(tl.start, d.Due))
	}
	return strings.Join(parts, " ")
}

func (tl *timeline) hookCreated(e workflow.Event, d workflow.EventData) string {
	h := hookSeen{token: d.Token, url: d.URL, webhook: d.Name == "webhook"}
	if e.Type == "hook_created" {
		tl.hooks[e.CorrelationID] = h
	}
	parts := []string{h.label()}
	if d.Manual {
		parts = append(parts, "(answered by the workflow)")
	}
	if d.Timeout > 0 {
		parts = append(parts, "receive timeout "+d.Timeout.String())
	}
	if d.Holder != "" {
		parts = append(parts, "held by run "+d.Holder)
	}
	return strings.Join(parts, " ")
}

// hookReceived names the delivery and, for a webhook, the request's method, path and body
// size (the body is the event's attachment); for a hook, its JSON payload.
func (tl *timeline) hookReceived(e workflow.Event, d workflow.EventData) string {
	s := "delivery " + d.DeliveryID
	if d.Dropped {
		s += " (dropped: the hook was disposed)"
	}
	h, known := tl.hooks[e.CorrelationID]
	var req struct {
		Method string `json:"method"`
		URL    string `json:"url"`
	}
	if (h.webhook || !known) && json.Unmarshal(d.Payload, &req) == nil && req.Method != "" {
		path := req.URL
		if u, err := url.Parse(req.URL); err == nil {
			path = u.Path
		}
		return fmt.Sprintf("%s %s %s (%d B)", s, req.Method, path, len(e.Body))
	}
	return s + " payload=" + oneLine(compactJSON(d.Payload), 60)
}

// label names a hook by what its callers use: a webhook's URL, a hook's token.
func (h hookSeen) label() string {
	switch {
	case h.webhook && h.url != "":
		return "webhook " + h.url
	case h.webhook:
		return "webhook token=" + h.token
	case h.token != "":
		return "hook token=" + h.token
	}
	return "hook"
}

// hookLabel names a live hook the same way.
func hookLabel(h workflow.HookInfo) string {
	return hookSeen{token: h.Token, url: h.URL, webhook: h.Webhook}.label()
}

// quoteError renders a stored error (an object with a message, or any JSON) quoted.
func quoteError(raw json.RawMessage) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &e) != nil || e.Message == "" {
		e.Message = compactJSON(raw)
	}
	return fmt.Sprintf("%q", oneLine(e.Message, 100))
}
