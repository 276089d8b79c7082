package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookflow/hookflow/examples/order"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// eventData holds the fields of event data worth a line in the story; each event type sets
// some of them.
type eventData struct {
	Workflow string          `json:"workflow"`
	Name     string          `json:"name"`
	Attempt  int             `json:"attempt"`
	Error    json.RawMessage `json:"error"`
	RetryAt  time.Time       `json:"retryAt"`
	Due      time.Time       `json:"due"`
}

// printStory prints a run's history, one event a line, timed from the run's start.
func printStory(w io.Writer, info workflow.RunInfo, events []workflow.Event) {
	start := info.CreatedAt
	fmt.Fprintf(w, "\nrun %s (%s)\n", info.ID, info.Workflow)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  #\toffset\tevent\tcorrelation\tdetails")
	for _, e := range events {
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\n", e.Seq, offset(start, e.CreatedAt), e.Type, e.CorrelationID, summary(start, e.Data))
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
// error="..." retry at +1s`.
func summary(start time.Time, raw json.RawMessage) string {
	var d eventData
	if len(raw) == 0 || json.Unmarshal(raw, &d) != nil {
		return ""
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
