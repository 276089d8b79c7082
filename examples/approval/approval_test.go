package approval_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/examples/approval"
	"github.com/hookflow/hookflow/pkg/workflow"
	"github.com/hookflow/hookflow/pkg/workflow/workflowtest"
)

type httpResult struct {
	status int
	body   string
}

// post sends a JSON body over real HTTP.
func post(t *testing.T, url string, body []byte) httpResult {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return httpResult{resp.StatusCode, string(b)}
}

func request(doc string, approvals int) approval.Request {
	return approval.Request{
		Document: doc, Title: "Rollout plan", Requester: "ada",
		Approvals: approvals, Timeout: 48 * time.Hour,
	}
}

func TestTwoApprovalsPublish(t *testing.T) {
	t.Parallel()
	workflowtest.Modes(t, func(t *testing.T, opts workflowtest.Options) {
		pub := &approval.FakePublisher{}
		wf := approval.New(pub)
		env := workflowtest.NewWithOptions(t, opts, wf)
		ctx, c := t.Context(), env.Client()

		run, err := workflow.Start(ctx, c, wf, request("RFC-7", 2))
		require.NoError(t, err)
		env.WaitIdle()

		// The hook is open under the document's token, with the metadata for whoever lists it.
		hooks := env.OpenHooks()
		require.Len(t, hooks, 1)
		require.Equal(t, approval.Token("RFC-7"), hooks[0].Token)
		require.Equal(t, run.ID(), hooks[0].RunID)
		require.False(t, hooks[0].Webhook)
		require.JSONEq(t, `{"document":"RFC-7","title":"Rollout plan","requester":"ada"}`, string(hooks[0].Metadata))

		first, err := approval.Hook.Resume(ctx, c, approval.Token("RFC-7"),
			approval.Approval{Approved: true, By: "grace", Comment: "ship it"}, workflow.WithIdempotencyKey("review-1"))
		require.NoError(t, err)
		require.False(t, first.Duplicate)
		require.Equal(t, run.ID(), first.RunID)
		env.WaitIdle()

		// A retry with the same key delivers nothing and returns the first result.
		retry, err := approval.Hook.Resume(ctx, c, approval.Token("RFC-7"),
			approval.Approval{Approved: true, By: "grace", Comment: "ship it"}, workflow.WithIdempotencyKey("review-1"))
		require.NoError(t, err)
		require.True(t, retry.Duplicate)
		retry.Duplicate = false
		require.Equal(t, first, retry)

		// The same reviewer approving again (a new key: a new delivery) does not count twice.
		_, err = approval.Hook.Resume(ctx, c, approval.Token("RFC-7"), approval.Approval{Approved: true, By: "grace"})
		require.NoError(t, err)
		env.WaitIdle()
		require.Equal(t, workflow.StatusWaiting, env.Status(run.ID()))
		require.Empty(t, pub.Published())

		_, err = approval.Hook.Resume(ctx, c, approval.Token("RFC-7"), approval.Approval{Approved: true, By: "linus", Comment: "lgtm"})
		require.NoError(t, err)
		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, approval.Decision{
			Document: "RFC-7",
			Outcome:  approval.Approved,
			Reviews: []approval.Approval{
				{Approved: true, By: "grace", Comment: "ship it"},
				{Approved: true, By: "linus", Comment: "lgtm"},
			},
			Publication: "pub-RFC-7",
		}, out)
		require.Equal(t, []string{"RFC-7"}, pub.Published())
		require.Equal(t, []string{
			"run_created",
			"hook_created",  // approval:RFC-7
			"timer_created", // the first wait's timeout
			"hook_received", // grace
			"timer_created", // the second wait's timeout
			"hook_received", // grace again: ignored
			"timer_created",
			"hook_received", // linus
			"hook_disposed", // released before publishing
			"step_completed",
			"run_completed",
		}, env.EventTypes(run.ID()))
		require.Empty(t, env.OpenHooks())
		_, err = c.ResumeHook(ctx, approval.Token("RFC-7"), approval.Approval{Approved: true, By: "late"})
		require.ErrorIs(t, err, workflow.ErrHookNotFound)
		env.RequireReplay(wf, run.ID())
	})
}

func TestOneRejectionEndsTheReview(t *testing.T) {
	t.Parallel()
	workflowtest.Modes(t, func(t *testing.T, opts workflowtest.Options) {
		pub := &approval.FakePublisher{}
		wf := approval.New(pub)
		env := workflowtest.NewWithOptions(t, opts, wf)
		ctx, c := t.Context(), env.Client()

		run, err := workflow.Start(ctx, c, wf, request("RFC-8", 2))
		require.NoError(t, err)
		env.WaitIdle()
		_, err = approval.Hook.Resume(ctx, c, approval.Token("RFC-8"), approval.Approval{Approved: true, By: "grace"})
		require.NoError(t, err)
		_, err = approval.Hook.Resume(ctx, c, approval.Token("RFC-8"), approval.Approval{Approved: false, By: "linus", Comment: "needs numbers"})
		require.NoError(t, err)

		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, approval.Rejected, out.Outcome)
		require.Equal(t, []approval.Approval{
			{Approved: true, By: "grace"},
			{Approved: false, By: "linus", Comment: "needs numbers"},
		}, out.Reviews)
		require.Empty(t, out.Publication)
		require.Empty(t, pub.Published(), "a rejected document is not published")
		require.NotContains(t, env.EventTypes(run.ID()), "step_completed")
		env.RequireReplay(wf, run.ID())
	})
}

func TestReviewExpires(t *testing.T) {
	t.Parallel()
	workflowtest.Modes(t, func(t *testing.T, opts workflowtest.Options) {
		pub := &approval.FakePublisher{}
		wf := approval.New(pub)
		env := workflowtest.NewWithOptions(t, opts, wf)
		ctx, c := t.Context(), env.Client()

		run, err := workflow.Start(ctx, c, wf, request("RFC-9", 2))
		require.NoError(t, err)
		env.WaitIdle()
		env.AdvanceTime(47 * time.Hour)
		_, err = approval.Hook.Resume(ctx, c, approval.Token("RFC-9"), approval.Approval{Approved: true, By: "grace"})
		require.NoError(t, err)
		env.WaitIdle()

		// Each wait has its own 48 h: 47 h after grace's review the run still waits.
		env.AdvanceTime(47 * time.Hour)
		require.Equal(t, workflow.StatusWaiting, env.Status(run.ID()))
		env.AdvanceTime(time.Hour)

		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, approval.Decision{
			Document: "RFC-9",
			Outcome:  approval.Expired,
			Reviews:  []approval.Approval{{Approved: true, By: "grace"}},
		}, out)
		require.Empty(t, pub.Published())
		require.Equal(t, []string{
			"run_created", "hook_created",
			"timer_created", "hook_received", // grace, within the first 48 h
			"timer_created", "timer_fired", "hook_timed_out", // nobody else within the next 48 h
			"hook_disposed", "run_completed",
		}, env.EventTypes(run.ID()))
		_, err = c.ResumeHook(ctx, approval.Token("RFC-9"), approval.Approval{Approved: true, By: "linus"})
		require.ErrorIs(t, err, workflow.ErrHookNotFound, "the token was released")
		env.RequireReplay(wf, run.ID())
	})
}

func TestInvalidDecisionsAreRejectedBeforeAnythingIsStored(t *testing.T) {
	t.Parallel()
	wf := approval.New(&approval.FakePublisher{})
	env := workflowtest.New(t, wf)
	ctx, c := t.Context(), env.Client()
	run, err := workflow.Start(ctx, c, wf, request("RFC-10", 1))
	require.NoError(t, err)
	env.WaitIdle()
	token := approval.Token("RFC-10")
	before := env.EventTypes(run.ID())

	// The schema stored with the token is checked by Client.ResumeHook, which knows nothing of
	// Approval: "approved" is not a boolean and "by" is missing.
	_, err = c.ResumeHook(ctx, token, map[string]any{"approved": "yes"})
	var invalid *workflow.ValidationError
	require.ErrorAs(t, err, &invalid)
	issues := fmt.Sprint(invalid.Issues)
	require.Contains(t, issues, "/approved")
	require.Contains(t, issues, "by")

	// The same schema guards the HTTP resume endpoint, for callers that are not Go.
	body, err := json.Marshal(map[string]any{"token": token, "payload": map[string]any{"approved": true}})
	require.NoError(t, err)
	resp := post(t, env.WebhookServer().URL+"/.well-known/workflow/v1/resume", body)
	require.Equal(t, http.StatusBadRequest, resp.status)
	require.Contains(t, resp.body, `"invalid payload"`)
	require.Contains(t, resp.body, "by")

	// A payload over the 256 KiB limit is refused whole, on every path.
	huge := approval.Approval{Approved: true, By: "grace", Comment: strings.Repeat("x", workflow.DefaultMaxPayloadBytes)}
	_, err = approval.Hook.Resume(ctx, c, token, huge)
	require.ErrorIs(t, err, workflow.ErrPayloadTooLarge)
	body, err = json.Marshal(map[string]any{"token": token, "payload": huge})
	require.NoError(t, err)
	require.Equal(t, http.StatusRequestEntityTooLarge, post(t, env.WebhookServer().URL+"/.well-known/workflow/v1/resume", body).status)

	// Validate runs in the caller: a blank reviewer passes the schema but not the definition.
	_, err = approval.Hook.Resume(ctx, c, token, approval.Approval{Approved: true, By: "  "})
	require.ErrorAs(t, err, &invalid)
	require.Equal(t, []string{"by: the reviewer's name is required"}, invalid.Issues)

	info, err := c.GetHookByToken(ctx, token)
	require.NoError(t, err)
	require.Zero(t, info.Deliveries, "nothing was stored")
	env.WaitIdle()
	require.Equal(t, before, env.EventTypes(run.ID()))

	_, err = approval.Hook.Resume(ctx, c, token, approval.Approval{Approved: true, By: "grace"})
	require.NoError(t, err)
	out, err := run.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, approval.Approved, out.Outcome)
	require.Equal(t, "pub-RFC-10", out.Publication)
	env.RequireReplay(wf, run.ID())
}

func TestSecondReviewOfTheSameDocumentConflicts(t *testing.T) {
	t.Parallel()
	wf := approval.New(&approval.FakePublisher{})
	env := workflowtest.New(t, wf)
	ctx, c := t.Context(), env.Client()
	first, err := workflow.Start(ctx, c, wf, request("RFC-11", 1))
	require.NoError(t, err)
	env.WaitIdle()

	second, err := workflow.Start(ctx, c, wf, request("RFC-11", 1))
	require.NoError(t, err)
	_, err = second.Result(ctx)
	var conflict *workflow.HookConflictError
	require.ErrorAs(t, err, &conflict)
	require.Equal(t, first.ID(), conflict.RunID)
	require.Equal(t, approval.Token("RFC-11"), conflict.Token)
	require.Equal(t, []string{"run_created", "hook_conflict", "run_failed"}, env.EventTypes(second.ID()))
	env.RequireReplay(wf, second.ID())

	// The first run keeps its token and finishes normally.
	_, err = approval.Hook.Resume(ctx, c, approval.Token("RFC-11"), approval.Approval{Approved: true, By: "grace"})
	require.NoError(t, err)
	out, err := first.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, approval.Approved, out.Outcome)
}
