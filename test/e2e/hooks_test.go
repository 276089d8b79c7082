package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/examples/catalog"
	"github.com/hookflow/hookflow/pkg/lambdaresume"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// A plain hook is never resumable over the public webhook route, even with its token: 404
// with an empty body, as for a token nobody holds. The resume function still delivers.
func testHookTokenOnWebhookRoute(t *testing.T, s *stack) {
	tok := token("e2e-plain")
	run := start(t, s, catalog.Collect, catalog.CollectInput{Token: tok, Count: 1})
	s.awaitHook(t, tok)

	for _, tk := range []string{tok, token("e2e-nobody")} {
		resp := s.post(t, s.gateway.URL()+workflow.WebhookPath+tk, "application/json", `"sneaky"`)
		require.Equal(t, http.StatusNotFound, resp.status, tk)
		require.Empty(t, resp.body)
	}
	require.Empty(t, ofType(s.history(t, run.ID()), "hook_received"), "nothing was stored")

	res := s.invokeResume(t, resumeRequest{Token: tok, Payload: "by the SDK"})
	require.Equal(t, http.StatusOK, res.Status, res.Error)
	require.Equal(t, []any{"by the SDK"}, result(t, run))
}

// The SDK's resume call through the resume function (pkg/lambdaresume, lambda:Invoke, as a
// caller without rights on the table and queue makes it). Retried with the same idempotency
// key (three invokes in all) it delivers once, and every retry gets the first result, even
// after the hook has closed; a different key is a new delivery.
func testResumeIdempotent(t *testing.T, s *stack) {
	tok := token("e2e-collect")
	run := start(t, s, catalog.Collect, catalog.CollectInput{Token: tok, Count: 2})
	hook := s.awaitHook(t, tok)
	sdk := workflow.NewClient(nil, workflow.ClientOptions{
		Resumer: lambdaresume.New(s.resume.invoker(s.env.Config), emulatedFunctionName),
	})
	ctx := t.Context()

	first, err := sdk.ResumeHook(ctx, tok, map[string]any{"n": 1}, workflow.WithIdempotencyKey("order-1"))
	require.NoError(t, err)
	require.False(t, first.Duplicate)
	require.Equal(t, run.ID(), first.RunID)
	require.Equal(t, hook.HookID, first.HookID)
	for range 2 {
		retry, err := sdk.ResumeHook(ctx, tok, map[string]any{"n": 1}, workflow.WithIdempotencyKey("order-1"))
		require.NoError(t, err)
		require.True(t, retry.Duplicate)
		require.Equal(t, first.DeliveryID, retry.DeliveryID)
		require.Equal(t, first.RunID, retry.RunID)
	}
	second, err := sdk.ResumeHook(ctx, tok, map[string]any{"n": 2}, workflow.WithIdempotencyKey("order-2"))
	require.NoError(t, err)
	require.False(t, second.Duplicate)
	require.NotEqual(t, first.DeliveryID, second.DeliveryID)

	require.Equal(t, []any{map[string]any{"n": float64(1)}, map[string]any{"n": float64(2)}}, result(t, run))
	evs := s.history(t, run.ID())
	requireWellFormed(t, evs)
	got := deliveries(t, evs)
	require.Len(t, got, 2)
	require.Equal(t, first.DeliveryID, got[0].DeliveryID)
	require.Equal(t, second.DeliveryID, got[1].DeliveryID)

	late, err := sdk.ResumeHook(ctx, tok, map[string]any{"n": 1}, workflow.WithIdempotencyKey("order-1"))
	require.NoError(t, err, "a retry after the hook closed still gets the first result")
	require.True(t, late.Duplicate)
	require.Equal(t, first.DeliveryID, late.DeliveryID)
	_, err = sdk.ResumeHook(ctx, tok, 3)
	require.ErrorIs(t, err, workflow.ErrHookNotFound)

	// The raw protocol: the status codes the SDK maps back.
	gone := s.invokeResume(t, resumeRequest{Token: tok, Payload: 3})
	require.Equal(t, http.StatusNotFound, gone.Status)
	bad := s.invokeResume(t, map[string]any{"payload": 1})
	require.Equal(t, http.StatusBadRequest, bad.Status)
}

// A timer shorter than a minute fires on time: the runner sends itself a wake delayed with
// SQS DelaySeconds.
func testShortTimer(t *testing.T, s *stack) {
	const nap = 3 * time.Second
	started := time.Now()
	run := start(t, s, catalog.Nap, nap)
	out := result(t, run)
	took := time.Since(started)
	require.GreaterOrEqual(t, took, nap)
	slept, err := time.ParseDuration(strings.TrimPrefix(out, "slept "))
	require.NoError(t, err, out)
	require.GreaterOrEqual(t, slept, nap)
	require.Less(t, slept, nap+10*time.Second)
	evs := s.history(t, run.ID())
	require.Len(t, ofType(evs, "timer_created"), 1)
	require.Len(t, ofType(evs, "timer_fired"), 1)
	t.Logf("a %v nap took %v from start to result", nap, took.Round(time.Millisecond))
}
