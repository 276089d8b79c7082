// Package slackapproval asks for an approval in a Slack channel and takes the verdict from a
// reaction on the message: ✅ (white_check_mark) approves, ❌ (x) rejects. A run opens a
// webhook for Slack's Events API, posts the message (in a step), and reads reaction_added
// events until one on its message, by one of its approvers, decides.
//
// The webhook route does Slack's part before anything is stored. It checks X-Slack-Signature
// (the verify.KindSlack preset: "v0=" + hex HMAC-SHA256 of "v0:{timestamp}:{body}" under the
// app's signing secret, with X-Slack-Request-Timestamp within five minutes), so a forged or
// replayed request gets 401 and never wakes the run. It answers Slack's url_verification
// handshake itself (verify.HandshakeSlack), so the run never sees it. And since the preset
// makes the body's "event_id" the request's idempotency key, Slack's retries of an event (it
// retries when it has no 2xx within 3 seconds, with X-Slack-Retry-Num) reach the workflow
// once. Every event is answered 202 as soon as it is stored.
//
// To try it against Slack: give a Slack app the chat:write and reactions:read scopes,
// subscribe it to the reaction_added bot event, and keep its signing secret where the route
// can resolve it (Config.SigningSecret names it: "env:SLACK_SIGNING_SECRET" or, on AWS,
// "ssm:/name"). Note that a Slack app has ONE Request URL, set once for the whole app, not
// one per message, and that a run's webhook URL answers 404 once the run ends, which Slack
// counts as failed deliveries: a real deployment routes events to runs by channel and
// message ts itself, with a small router in front of the runs' hooks (a custom-token hook per
// message, "slack:C123:1700000000.000100", resumed by the router), or a long-lived run per
// app that owns the Request URL (whose history grows with every event it takes, so it hands
// over to a fresh run now and then). This example keeps one run, and so one webhook URL, per approval
// to stay small: set the app's Request URL to the run's webhook URL (Slack sends the
// url_verification then), and events about anything but the run's message are ignored.
package slackapproval

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hookflow/hookflow/pkg/webhook/verify"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// Name is the workflow's name, stored in every run's history: keep it stable.
const Name = "slack-approval"

// The reactions that decide, by their Slack names.
const (
	ReactionApprove = "white_check_mark" // ✅
	ReactionReject  = "x"                // ❌
)

// Outcomes of a run.
const (
	Approved = "approved"
	Rejected = "rejected"
	TimedOut = "timed out" // no event came within Config.Wait
)

// DefaultWait is how long a run waits for each event when Config.Wait is zero.
const DefaultWait = 24 * time.Hour

// Input is what to ask, where, and whom.
type Input struct {
	Channel string `json:"channel"` // the channel's id, "C0123456789"
	Text    string `json:"text"`    // what to approve, e.g. "Deploy shop v1.4.2 to production?"
	// Approvers are the Slack user ids ("U...") whose reactions count; empty: anyone's.
	Approvers []string `json:"approvers,omitempty"`
}

// Result is the workflow's output.
type Result struct {
	Status    string `json:"status"`       // Approved, Rejected or TimedOut
	By        string `json:"by,omitempty"` // the user id of who decided
	MessageTS string `json:"messageTs"`    // the posted message's ts
	Ignored   int    `json:"ignored"`      // events that did not decide
}

// Message is a posted message as Slack names it: the channel's id and the message's ts.
type Message struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

// Poster posts a message to a channel. With slack-go it is Client.PostMessageContext(ctx,
// channel, slack.MsgOptionText(text, false)), which returns the channel's id and the ts. It
// runs in a step, at least once: a retry after a failure Slack did not report may post twice.
type Poster interface {
	Post(ctx context.Context, channel, text string) (Message, error)
}

// Config is what the workflow is bound to.
type Config struct {
	// SigningSecret names the Slack app's signing secret, as a reference the route resolves:
	// "env:SLACK_SIGNING_SECRET", "ssm:/name" or "secretsmanager:name".
	SigningSecret string
	Poster        Poster
	// Wait bounds the wait for each event (each event, even one ignored, starts a new wait);
	// default DefaultWait.
	Wait time.Duration
}

// EventCallback is the part of an Events API request the workflow reads: an event_callback
// wrapping a reaction_added event.
type EventCallback struct {
	Type    string `json:"type"`     // "event_callback"
	EventID string `json:"event_id"` // "Ev...", the same on every retry
	Event   struct {
		Type     string `json:"type"`     // "reaction_added"
		User     string `json:"user"`     // who reacted
		Reaction string `json:"reaction"` // "white_check_mark", "x", ...
		Item     struct {
			Type    string `json:"type"` // "message"
			Channel string `json:"channel"`
			TS      string `json:"ts"`
		} `json:"item"`
	} `json:"event"`
}

// New returns the approval workflow bound to cfg.
func New(cfg Config) *workflow.Workflow[Input, Result] {
	if cfg.Wait <= 0 {
		cfg.Wait = DefaultWait
	}
	return workflow.Define(Name, func(ctx workflow.Context, in Input) (Result, error) {
		return ask(ctx, cfg, in)
	})
}

func ask(ctx workflow.Context, cfg Config, in Input) (Result, error) {
	var res Result
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{
		Verify:    &verify.Spec{Kind: verify.KindSlack, Secrets: []string{cfg.SigningSecret}},
		Handshake: &verify.Handshake{Kind: verify.HandshakeSlack},
		Timeout:   cfg.Wait,
	})
	if err != nil {
		return res, err
	}
	defer wh.Dispose(ctx) // later requests get 404

	msg, err := workflow.Step(ctx, "post-message", func(ctx context.Context) (Message, error) {
		return cfg.Poster.Post(ctx, in.Channel, messageText(in))
	})
	if err != nil {
		return res, fmt.Errorf("posting to %s: %w", in.Channel, err)
	}
	res.MessageTS = msg.TS
	// The webhook's URL is what a Slack app's Request URL would be set to.
	workflow.Logger(ctx).Info("waiting for a reaction", "channel", msg.Channel, "ts", msg.TS, "url", wh.URL())

	for {
		req, err := wh.Receive(ctx)
		if errors.Is(err, workflow.ErrTimeout) {
			res.Status = TimedOut
			return res, nil
		}
		if err != nil {
			return res, err
		}
		status, by := decide(in, msg, req)
		if status == "" {
			res.Ignored++
			continue
		}
		res.Status, res.By = status, by
		return res, nil
	}
}

// decide reads a request Slack signed (the route checked it) and returns the outcome it
// decides and who decided, or "" for anything else: another event, a reaction on another
// message, another reaction, a user who is not an approver. It is plain deterministic code,
// so it runs in the workflow.
func decide(in Input, msg Message, req *workflow.Request) (status, by string) {
	var cb EventCallback
	if err := req.JSON(&cb); err != nil || cb.Type != "event_callback" {
		return "", ""
	}
	ev := cb.Event
	switch {
	case ev.Type != "reaction_added", ev.Item.Type != "message":
		return "", ""
	case ev.Item.Channel != msg.Channel || ev.Item.TS != msg.TS:
		return "", ""
	case len(in.Approvers) > 0 && !slices.Contains(in.Approvers, ev.User):
		return "", ""
	case ev.Reaction == ReactionApprove:
		return Approved, ev.User
	case ev.Reaction == ReactionReject:
		return Rejected, ev.User
	}
	return "", ""
}

// messageText is the message the run posts.
func messageText(in Input) string {
	var b strings.Builder
	b.WriteString(in.Text)
	b.WriteString("\nReact with :" + ReactionApprove + ": to approve or :" + ReactionReject + ": to reject")
	if len(in.Approvers) > 0 {
		mentions := make([]string, len(in.Approvers))
		for i, u := range in.Approvers {
			mentions[i] = "<@" + u + ">"
		}
		b.WriteString(" (" + strings.Join(mentions, ", ") + ")")
	}
	b.WriteString(".")
	return b.String()
}
