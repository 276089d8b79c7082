package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookflow/hookflow/examples/deploy"
	"github.com/hookflow/hookflow/examples/order"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// hookInfo is what the story remembers of a hook from its hook_created event, to tell the
// events that follow apart.
type hookInfo struct {
	token   string
	webhook bool
}

// printStory prints a run's history, one event a line, timed from the run's start.
func printStory(w io.Writer, info workflow.RunInfo, events []workflow.Event) {
	start := info.CreatedAt
	fmt.Fprintf(w, "\nrun %s (%s)\n", info.ID, info.Workflow)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  #\toffset\tevent\tcorrelation\tdetails")
	hooks := map[string]hookInfo{}
	for _, e := range events {
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\n", e.Seq, offset(start, e.CreatedAt), e.Type, e.CorrelationID, summary(start, e, hooks))
	}
	tw.Flush()
}

// printReceipt prints the receipt of a completed run and its status.
func printReceipt(w io.Writer, info workflow.RunInfo, r order.Receipt) {
	fmt.Fprintln(w, "\nreceipt")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  order\t%s\n  reservation\t%s\n  charge\t%s\n  tracking\t%s\n  confirmation\t%s\n  shipped at\t%s\n",
		r.OrderID, r.ReservationID, r.ChargeID, r.TrackingNumber, r.ConfirmationID, offset(info.CreatedAt, r.ShippedAt))
	tw.Flush()
	fmt.Fprintf(w, "\nstatus: %s in %s\n", info.Status, info.UpdatedAt.Sub(info.CreatedAt).Round(time.Millisecond))
}

func offset(start, t time.Time) string {
	return "+" + t.Sub(start).Round(time.Millisecond).String()
}

// summary renders the interesting part of an event's data, e.g. `charge-card attempt 1
// error="..." retry at +1s`, or `delivery dlv_... POST /.well-known/workflow/v1/webhook/...`.
func summary(start time.Time, e workflow.Event, hooks map[string]hookInfo) string {
	d, err := e.DecodeData()
	if len(e.Data) == 0 || err != nil {
		return ""
	}
	switch e.Type {
	case "hook_created", "hook_conflict":
		return hookCreated(e, d, hooks)
	case "hook_received":
		return hookReceived(d, hooks[e.CorrelationID], len(e.Body))
	case "response_sent":
		r, ok := workflow.EventResponse(d)
		if !ok {
			return "delivery " + d.DeliveryID
		}
		return fmt.Sprintf("delivery %s: %d %s", d.DeliveryID, r.Status, http.StatusText(r.Status))
	case "hook_disposed":
		return "token " + hooks[e.CorrelationID].token + " released"
	case "hook_timed_out":
		return "nothing received in time"
	}
	var parts []string
	for _, s := range []string{d.Workflow, d.Name} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if d.Attempt > 0 {
		parts = append(parts, fmt.Sprintf("attempt %d", d.Attempt))
	}
	if len(d.Error) > 0 {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(d.Error, &e) != nil || e.Message == "" {
			e.Message = string(d.Error)
		}
		parts = append(parts, fmt.Sprintf("error=%q", e.Message))
	}
	if !d.RetryAt.IsZero() {
		parts = append(parts, "retry at "+offset(start, d.RetryAt))
	}
	if !d.Due.IsZero() {
		parts = append(parts, "due at "+offset(start, d.Due))
	}
	return strings.Join(parts, " ")
}

// hookCreated renders hook_created (and hook_conflict), e.g. `hook token=approval:RFC-7
// timeout 1m0s` or `webhook manual url=http://...`, and remembers the hook.
func hookCreated(e workflow.Event, d workflow.EventData, hooks map[string]hookInfo) string {
	hooks[e.CorrelationID] = hookInfo{token: d.Token, webhook: d.Name == "webhook"}
	parts := []string{d.Name}
	if d.Manual {
		parts = append(parts, "manual")
	}
	if d.URL != "" {
		parts = append(parts, "url="+d.URL)
	} else {
		parts = append(parts, "token="+d.Token)
	}
	if d.Timeout > 0 {
		parts = append(parts, "receive timeout "+d.Timeout.String())
	}
	if d.Holder != "" {
		parts = append(parts, "held by run "+d.Holder)
	}
	return strings.Join(parts, " ")
}

// hookReceived renders hook_received: the delivery and, for a webhook, the request's method,
// path and body size (the body is the event's attachment, Event.Body); for a hook, its JSON
// payload.
func hookReceived(d workflow.EventData, h hookInfo, bodyLen int) string {
	s := "delivery " + d.DeliveryID
	if d.Dropped {
		s += " (dropped: the hook was disposed)"
	}
	if !h.webhook {
		return s + " " + clip(string(d.Payload), 80)
	}
	var req struct {
		Method string `json:"method"`
		URL    string `json:"url"`
	}
	if json.Unmarshal(d.Payload, &req) != nil {
		return s
	}
	path := req.URL
	if u, err := url.Parse(req.URL); err == nil {
		path = u.Path
	}
	return fmt.Sprintf("%s %s %s (%d B)", s, req.Method, path, bodyLen)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// interesting lists the response headers worth printing, in order.
var interesting = []string{"Content-Type", deploy.DeploymentHeader, "Allow", "Retry-After"}

// printResponse prints an HTTP answer: its status, the headers of interest and its body.
func printResponse(w io.Writer, resp *http.Response, body []byte) {
	fmt.Fprintf(w, "  <- %s\n", resp.Status)
	for _, k := range interesting {
		if v := resp.Header.Get(k); v != "" {
			fmt.Fprintf(w, "     %s: %s\n", k, v)
		}
	}
	if len(body) == 0 {
		fmt.Fprintln(w, "     (empty body)")
		return
	}
	fmt.Fprintf(w, "     %s\n", strings.TrimSpace(string(body)))
}
