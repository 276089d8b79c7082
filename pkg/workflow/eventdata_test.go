package workflow_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// A history read through EventData: a step's retry with its recorded error (still matching
// ErrTimeout), a timer's due time, a webhook's token and URL, the delivery, the manual
// response, the output.
func TestEventData(t *testing.T) {
	t.Parallel()
	attempts := 0
	wf := workflow.Define("event-data", func(ctx workflow.Context, _ struct{}) (string, error) {
		_, err := workflow.Step(ctx, "flaky", func(context.Context) (int, error) {
			attempts++
			if attempts == 1 {
				return 0, workflow.ErrTimeout
			}
			return attempts, nil
		}, workflow.WithRetryDelay(time.Millisecond))
		if err != nil {
			return "", err
		}
		wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{Manual: true})
		if err != nil {
			return "", err
		}
		req, err := wh.Receive(ctx)
		if err != nil {
			return "", err
		}
		if err := req.RespondWith(ctx, workflow.JSONResponse(http.StatusCreated, map[string]bool{"ok": true})); err != nil {
			return "", err
		}
		return "done", nil
	})
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	ctx := t.Context()
	c := workflow.NewClient(b, workflow.ClientOptions{BaseURL: "https://hooks.test"})
	w := workflow.NewWorker(b, workflow.NewRegistry(wf), workflow.WorkerOptions{Logger: slog.New(slog.DiscardHandler), BaseURL: "https://hooks.test"})
	t.Cleanup(w.Close)
	run, err := workflow.Start(ctx, c, wf, struct{}{})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		require.NoError(t, w.RunTurn(ctx, run.ID()))
		hooks, err := c.ListHooks(ctx, workflow.HookFilter{RunID: run.ID()})
		return err == nil && len(hooks) == 1
	}, 5*time.Second, 5*time.Millisecond)
	hooks, err := c.ListHooks(ctx, workflow.HookFilter{RunID: run.ID()})
	require.NoError(t, err)
	answered := make(chan int, 1)
	go func() {
		r := httptest.NewRequest(http.MethodPost, "https://hooks.test"+workflow.WebhookPath+hooks[0].Token, strings.NewReader("{}"))
		resp, err := c.ResumeWebhook(context.WithoutCancel(ctx), hooks[0].Token, r)
		if err != nil {
			answered <- 0
			return
		}
		answered <- resp.StatusCode
	}()
	require.Eventually(t, func() bool {
		require.NoError(t, w.RunTurn(ctx, run.ID()))
		info, err := c.GetRun(ctx, run.ID())
		return err == nil && info.Status == workflow.StatusCompleted
	}, 5*time.Second, 5*time.Millisecond)

	require.Equal(t, http.StatusCreated, <-answered, "the caller got the workflow's answer")

	evs, err := c.ListEvents(ctx, run.ID())
	require.NoError(t, err)
	seen := map[string]workflow.EventData{}
	for _, e := range evs {
		d, err := e.DecodeData()
		require.NoError(t, err, e.Type)
		seen[e.Type] = d
	}
	require.Equal(t, "event-data", seen["run_created"].Workflow)
	retry := seen["step_retrying"]
	require.Equal(t, "flaky", retry.Name)
	require.Equal(t, 1, retry.Attempt)
	require.False(t, retry.RetryAt.IsZero())
	require.True(t, errors.Is(workflow.EventError(retry), workflow.ErrTimeout), "the recorded error still matches")
	require.JSONEq(t, "2", string(seen["step_completed"].Result))
	require.NoError(t, workflow.EventError(seen["step_completed"]))
	created := seen["hook_created"]
	require.Equal(t, "webhook", created.Name)
	require.Equal(t, hooks[0].Token, created.Token)
	require.Equal(t, "https://hooks.test"+workflow.WebhookPath+hooks[0].Token, created.URL)
	require.True(t, created.Manual)
	require.NotEmpty(t, seen["hook_received"].DeliveryID)
	resp, ok := workflow.EventResponse(seen["response_sent"])
	require.True(t, ok)
	require.Equal(t, http.StatusCreated, resp.Status)
	require.JSONEq(t, `{"ok":true}`, string(resp.Body))
	_, ok = workflow.EventResponse(seen["hook_received"])
	require.False(t, ok, "not a response")
	require.JSONEq(t, `"done"`, string(seen["run_completed"].Output))
}
