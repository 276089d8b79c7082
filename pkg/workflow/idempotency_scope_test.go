package workflow_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/workflow"
	"github.com/hookflow/hookflow/pkg/workflow/workflowtest"
)

// twoDoors waits on a plain hook with a guessable custom token and on a webhook.
var twoDoors = workflow.Define("two-doors", func(ctx workflow.Context, _ struct{}) (string, error) {
	hook, err := workflow.CreateHook[int](ctx, workflow.HookOptions{Token: "order:42"})
	if err != nil {
		return "", err
	}
	if _, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{}); err != nil {
		return "", err
	}
	_, err = hook.Receive(ctx)
	return "", err
})

// twoDoorTokens starts twoDoors and returns its plain hook's and its webhook's tokens.
func twoDoorTokens(t *testing.T, env *workflowtest.Env) (hook, webhook string) {
	t.Helper()
	_, err := workflow.Start(t.Context(), env.Client(), twoDoors, struct{}{})
	require.NoError(t, err)
	env.WaitIdle()
	for _, h := range env.OpenHooks() {
		if h.Webhook {
			webhook = h.Token
		} else {
			hook = h.Token
		}
	}
	require.Equal(t, "order:42", hook)
	require.NotEmpty(t, webhook)
	return hook, webhook
}

// TestIdempotencyKeysOfHooksAreNotSeenByTheWebhookRoute: a key used with ResumeHook must not
// turn the public route's 404 for a plain hook's token into a 202, or anyone could confirm a
// guessed custom token and key.
func TestIdempotencyKeysOfHooksAreNotSeenByTheWebhookRoute(t *testing.T) {
	t.Parallel()
	env := workflowtest.New(t, twoDoors)
	hookToken, _ := twoDoorTokens(t, env)
	_, err := env.Client().ResumeHook(t.Context(), hookToken, 1, workflow.WithIdempotencyKey("k1"))
	require.NoError(t, err)

	base := env.WebhookServer().URL + workflow.WebhookPath
	unknown := send(t, http.MethodPost, base+"no-such-token", "{}", http.Header{"Idempotency-Key": {"k1"}})
	require.Equal(t, http.StatusNotFound, unknown.status)
	for _, key := range []string{"k1", "unused"} {
		got := send(t, http.MethodPost, base+hookToken, "{}", http.Header{"Idempotency-Key": {key}})
		require.Equal(t, http.StatusNotFound, got.status, "key %q: a plain hook is not resumable over HTTP", key)
		require.Equal(t, unknown.body, got.body, "key %q: every not found looks the same", key)
		require.Equal(t, unknown.header.Get("Content-Type"), got.header.Get("Content-Type"))
	}
}

// TestIdempotencyKeysOfWebhooksAreNotSeenByResumeHook: a key a webhook caller used must not
// make ResumeHook on the webhook's token return that delivery instead of ErrHookNotFound.
func TestIdempotencyKeysOfWebhooksAreNotSeenByResumeHook(t *testing.T) {
	t.Parallel()
	env := workflowtest.New(t, twoDoors)
	_, webhookToken := twoDoorTokens(t, env)
	got := send(t, http.MethodPost, env.WebhookServer().URL+workflow.WebhookPath+webhookToken, "{}",
		http.Header{"Idempotency-Key": {"k2"}})
	require.Equal(t, http.StatusAccepted, got.status)

	for _, key := range []string{"k2", "unused"} {
		res, err := env.Client().ResumeHook(t.Context(), webhookToken, 1, workflow.WithIdempotencyKey(key))
		require.ErrorIs(t, err, workflow.ErrHookNotFound, "key %q: a webhook is not resumable with ResumeHook", key)
		require.Zero(t, res, "key %q: nothing of the webhook's delivery comes back", key)
	}
	again := send(t, http.MethodPost, env.WebhookServer().URL+workflow.WebhookPath+webhookToken, "{}",
		http.Header{"Idempotency-Key": {"k2"}})
	require.Equal(t, http.StatusAccepted, again.status, "the webhook's own retry still deduplicates")
}

// TestLegacyWebhookIdempotencyRecordsAreNotSeenByResumeHook: records a webhook delivery wrote
// before the kinds had keys of their own ("resume:<len>:<token>:<key>", the form plain hooks
// still use) must not answer ResumeHook either.
func TestLegacyWebhookIdempotencyRecordsAreNotSeenByResumeHook(t *testing.T) {
	t.Parallel()
	env := workflowtest.New(t, twoDoors)
	_, webhookToken := twoDoorTokens(t, env)
	info, err := env.Client().GetHookByToken(t.Context(), webhookToken)
	require.NoError(t, err)
	now := env.Now()
	legacy := backend.Idempotency{
		Key:       "resume:" + strconv.Itoa(len(webhookToken)) + ":" + webhookToken + ":k3",
		Data:      json.RawMessage(`{"runId":"` + info.RunID + `","hookId":"` + info.HookID + `","deliveryId":"dlv_old","webhook":{"fallback":{"status":504}}}`),
		CreatedAt: now, ExpiresAt: now.Add(workflow.IdempotencyTTL),
	}
	_, _, err = env.Backend().PutInbox(t.Context(), backend.InboxItem{
		RunID: info.RunID, Kind: backend.InboxHook, Token: webhookToken, HookID: info.HookID,
		DeliveryID: "dlv_old", Payload: json.RawMessage(`{}`), CreatedAt: now,
	}, &legacy)
	require.NoError(t, err)

	_, err = env.Client().ResumeHook(t.Context(), webhookToken, 1, workflow.WithIdempotencyKey("k3"))
	require.ErrorIs(t, err, workflow.ErrHookNotFound)
}
