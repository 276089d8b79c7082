package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/hookflow/hookflow/examples/approval"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// hookStory runs the approval workflow and resumes its hook by token: a malformed decision
// through the HTTP resume endpoint (refused by the schema stored with the token), an approval
// with an idempotency key and its retry (a duplicate), then a second approval.
func (d *demo) hookStory(ctx context.Context) error {
	in := approval.Request{
		Document: "RFC-7", Title: "Rollout plan for v2", Requester: "ada",
		Approvals: 2, Timeout: time.Minute,
	}
	fmt.Printf("starting %s for %s %q: %d approvals needed, each within %s\n",
		d.approval.Name(), in.Document, in.Title, in.Approvals, in.Timeout)
	r, err := workflow.Start(ctx, d.client, d.approval, in)
	if err != nil {
		return fmt.Errorf("starting the run: %w", err)
	}
	hooks, err := d.waitForHooks(ctx, r.ID())
	if err != nil {
		return err
	}
	if len(hooks) != 1 || hooks[0].Webhook {
		return fmt.Errorf("run %s: want one hook, got %+v", r.ID(), hooks)
	}
	token := hooks[0].Token
	fmt.Printf("hook token (from Client.ListHooks): %s\nhook metadata: %s\n", token, hooks[0].Metadata)

	// A caller that is not Go: the HTTP resume endpoint validates against the JSON Schema that
	// DefineHook stored with the token.
	bad, err := json.Marshal(webhook.ResumeRequest{Token: token, Payload: json.RawMessage(`{"approved":"yes"}`)})
	if err != nil {
		return err
	}
	fmt.Printf("\nPOST %s %s\n", webhook.ResumePath, bad)
	if err := send(ctx, d.baseURL+webhook.ResumePath, bad, http.Header{"Content-Type": {"application/json"}}, http.StatusBadRequest); err != nil {
		return err
	}

	grace := approval.Approval{Approved: true, By: "grace", Comment: "ship it"}
	key := workflow.WithIdempotencyKey("review-RFC-7-grace")
	fmt.Printf("\napproval.Hook.Resume(ctx, client, %q, %s, WithIdempotencyKey(%q))\n", token, asJSON(grace), "review-RFC-7-grace")
	first, err := approval.Hook.Resume(ctx, d.client, token, grace, key)
	if err != nil {
		return fmt.Errorf("resuming %s: %w", token, err)
	}
	printResume(first)
	fmt.Printf("\nthe same call again, as a retry would\n")
	again, err := approval.Hook.Resume(ctx, d.client, token, grace, key)
	if err != nil {
		return fmt.Errorf("resuming %s again: %w", token, err)
	}
	printResume(again)
	if !again.Duplicate || again.DeliveryID != first.DeliveryID {
		return fmt.Errorf("the retry should be a duplicate of delivery %s, got %+v", first.DeliveryID, again)
	}

	linus := approval.Approval{Approved: true, By: "linus", Comment: "lgtm"}
	fmt.Printf("\nclient.ResumeHook(ctx, %q, %s)\n", token, asJSON(linus))
	res, err := d.client.ResumeHook(ctx, token, linus)
	if err != nil {
		return fmt.Errorf("resuming %s: %w", token, err)
	}
	printResume(res)

	decision, runErr := r.Result(ctx)
	info, err := d.finish(ctx, r.ID(), runErr)
	if err != nil {
		return err
	}
	var by []string
	for _, a := range decision.Reviews {
		by = append(by, a.By)
	}
	fmt.Printf("\ndecision: %s %s by %s; published as %s\n", decision.Document, decision.Outcome, strings.Join(by, " and "), decision.Publication)
	fmt.Printf("status: %s in %s\n", info.Status, info.UpdatedAt.Sub(info.CreatedAt).Round(time.Millisecond))
	if decision.Outcome != approval.Approved || len(decision.Reviews) != 2 {
		return fmt.Errorf("want two approvals, got %+v", decision)
	}
	if _, err := d.client.GetHookByToken(ctx, token); err == nil {
		return fmt.Errorf("token %s is still live after the run ended", token)
	}
	return nil
}

func printResume(r workflow.ResumeResult) {
	fmt.Fprintf(os.Stdout, "  <- run %s, hook %s, delivery %s, Duplicate: %t\n", r.RunID, r.HookID, r.DeliveryID, r.Duplicate)
}

func asJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}
