package webhook_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// echoBody receives a webhook request and a hook payload, passes them through a step that
// fails once, and ends.
var echoBody = workflow.Define("echo-body", func(ctx workflow.Context, token string) (string, error) {
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{})
	if err != nil {
		return "", err
	}
	req, err := wh.Receive(ctx)
	if err != nil {
		return "", err
	}
	h, err := workflow.CreateHook[string](ctx, workflow.HookOptions{Token: token})
	if err != nil {
		return "", err
	}
	p, err := h.Receive(ctx)
	if err != nil {
		return "", err
	}
	tries := 0
	return workflow.Step(ctx, "echo", func(context.Context) (string, error) {
		if tries++; tries == 1 {
			return "", workflow.RetryAfter(context.DeadlineExceeded, 0)
		}
		return string(req.Body) + p, nil
	})
})

// Logs, at debug level, of a run that receives a webhook request and a hook payload and
// retries a step carry neither the payloads nor the request's headers, nor any token.
func TestLogsCarryNoPayloads(t *testing.T) {
	t.Parallel()
	onBackends(t, func(t *testing.T, b backend.Backend) {
		const (
			body    = `{"card":"log-sekret-4111-body"}`
			header  = "log-sekret-header-77"
			payload = "log-sekret-payload-93"
			token   = "log-sekret-token-12"
		)
		ctx := t.Context()
		var logs logBuffer
		log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		client := workflow.NewClient(b, workflow.ClientOptions{})
		worker := workflow.NewWorker(b, workflow.NewRegistry(echoBody), workflow.WorkerOptions{Logger: log})
		t.Cleanup(worker.Close)
		run, err := workflow.Start(ctx, client, echoBody, token)
		require.NoError(t, err)
		require.NoError(t, worker.RunTurn(ctx, run.ID()))
		hooks, err := client.ListHooks(ctx, workflow.HookFilter{RunID: run.ID()})
		require.NoError(t, err)
		require.Len(t, hooks, 1)
		r := httptest.NewRequest(http.MethodPost, workflow.WebhookPath+hooks[0].Token, strings.NewReader(body))
		r.Header.Set("X-Custom", header)
		rec := httptest.NewRecorder()
		webhook.NewHandler(client, webhook.Options{Logger: log}).ServeHTTP(rec, r)
		require.Equal(t, http.StatusAccepted, rec.Code)
		require.NoError(t, worker.RunTurn(ctx, run.ID()))
		_, err = client.ResumeHook(ctx, token, payload)
		require.NoError(t, err)
		for range 3 {
			require.NoError(t, worker.RunTurn(ctx, run.ID()))
		}
		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, body+payload, out)

		got := logs.String()
		require.NotEmpty(t, got, "the run logged")
		for _, secret := range []string{"log-sekret-4111-body", header, payload, token, hooks[0].Token} {
			require.NotContains(t, got, secret)
		}
	})
}
