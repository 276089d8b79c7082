package lambdafn

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// kindPaths are the two resume paths of a stack: the webhook function's public route and the
// resume function's direct Invoke.
type kindPaths struct {
	s      *stack
	resume *ResumeHandler
	hooks  *WebhookHandler
}

func newKindPaths(s *stack) kindPaths {
	c := workflow.NewClient(s.b, workflow.ClientOptions{})
	return kindPaths{s: s, resume: NewResumeHandler(c, quiet), hooks: NewWebhookHandler(c, quiet)}
}

// post sends a request with an Idempotency-Key to the webhook route of token.
func (p kindPaths) post(t *testing.T, token, key string) (int, string) {
	t.Helper()
	resp, err := p.hooks.Handle(t.Context(), apiEvent("POST", workflow.WebhookPath+token, "", "{}", false,
		map[string]string{"idempotency-key": key}))
	require.NoError(t, err)
	return resp.StatusCode, resp.Body
}

// invoke resumes token with an idempotency key through the resume function.
func (p kindPaths) invoke(t *testing.T, token, key string) InvokeResponse {
	t.Helper()
	out, err := p.resume.Handle(t.Context(), json.RawMessage(`{"token":"`+token+`","payload":1,"idempotencyKey":"`+key+`"}`))
	require.NoError(t, err)
	return out.(InvokeResponse)
}

// requireInbox checks how many deliveries the run's inbox holds.
func (p kindPaths) requireInbox(t *testing.T, n int) {
	t.Helper()
	inbox, err := p.s.b.ListInbox(t.Context(), p.s.runID, 0)
	require.NoError(t, err)
	require.Len(t, inbox, n)
}

// TestHookIdempotencyKeysAreNotSeenByTheWebhookRoute: a key used with the resume function
// must not turn the public route's 404 for a plain hook's token into a 202, or anyone could
// confirm a guessed custom token and key.
func TestHookIdempotencyKeysAreNotSeenByTheWebhookRoute(t *testing.T) {
	t.Parallel()
	onBackends(t, func(t *testing.T, s *stack) {
		p := newKindPaths(s)
		require.Equal(t, http.StatusOK, p.invoke(t, s.hook, "k1").Status)
		for _, key := range []string{"k1", "unused"} {
			status, body := p.post(t, s.hook, key)
			require.Equal(t, http.StatusNotFound, status, "key %q: a plain hook is not resumable over HTTP", key)
			require.Empty(t, body)
		}
		require.True(t, p.invoke(t, s.hook, "k1").Result.Duplicate, "the hook's own retry still deduplicates")
		p.requireInbox(t, 1)
	})
}

// TestWebhookIdempotencyKeysAreNotSeenByResume: a key a webhook caller used must not make the
// resume function return that delivery (Duplicate) instead of 404 for the webhook's token.
func TestWebhookIdempotencyKeysAreNotSeenByResume(t *testing.T) {
	t.Parallel()
	onBackends(t, func(t *testing.T, s *stack) {
		p := newKindPaths(s)
		status, _ := p.post(t, s.webhook, "k2")
		require.Equal(t, http.StatusAccepted, status)
		notFound := InvokeResponse{Status: http.StatusNotFound, Error: "hook not found"}
		for _, key := range []string{"k2", "unused"} {
			require.Equal(t, notFound, p.invoke(t, s.webhook, key), "key %q: a webhook is not resumable as a hook", key)
		}
		status, _ = p.post(t, s.webhook, "k2")
		require.Equal(t, http.StatusAccepted, status, "the webhook's own retry still deduplicates")
		p.requireInbox(t, 1)
	})
}
