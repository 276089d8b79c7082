package catalog_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/examples/catalog"
	"github.com/hookflow/hookflow/pkg/workflow"
	"github.com/hookflow/hookflow/pkg/workflow/workflowtest"
)

// post sends body to url with hc: the webhook server's own client, since another test's
// httptest server closing drops the idle connections of http.DefaultClient's transport, and
// with them one a request of this test may be about to reuse.
func post(t *testing.T, hc *http.Client, url, body string) (int, string) {
	t.Helper()
	resp, err := hc.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func hookURL(t *testing.T, env *workflowtest.Env, runID string) string {
	t.Helper()
	env.WaitIdle()
	hooks, err := env.Client().ListHooks(t.Context(), workflow.HookFilter{RunID: runID})
	require.NoError(t, err)
	require.Len(t, hooks, 1)
	return hooks[0].URL
}

func TestCatalogRegisters(t *testing.T) {
	t.Parallel()
	require.NoError(t, workflow.NewRegistry(catalog.Workflows()...).Err())
}

func TestShowcaseWebhooks(t *testing.T) {
	t.Parallel()
	env := workflowtest.New(t, catalog.Inbox, catalog.Paywall, catalog.Echo)
	ctx, c := t.Context(), env.Client()
	hc := env.WebhookServer().Client()

	inbox, err := workflow.Start(ctx, c, catalog.Inbox, struct{}{})
	require.NoError(t, err)
	status, body := post(t, hc, hookURL(t, env, inbox.ID()), "hello")
	require.Equal(t, http.StatusAccepted, status)
	require.Empty(t, body)
	out, err := inbox.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, "POST hello", out)

	paywall, err := workflow.Start(ctx, c, catalog.Paywall, struct{}{})
	require.NoError(t, err)
	url := hookURL(t, env, paywall.ID())
	for range 2 {
		status, body = post(t, hc, url, "x")
		require.Equal(t, http.StatusPaymentRequired, status)
		require.Equal(t, "payment required", body)
	}
	n, err := paywall.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)

	echo, err := workflow.Start(ctx, c, catalog.Echo, struct{}{})
	require.NoError(t, err)
	url = hookURL(t, env, echo.ID())
	status, body = post(t, hc, url, `{"a":1}`)
	require.Equal(t, http.StatusOK, status)
	require.JSONEq(t, `{"echo":{"a":1},"n":1}`, body)
	status, _ = post(t, hc, url, `nope`)
	require.Equal(t, http.StatusBadRequest, status)
	status, body = post(t, hc, url, `{"stop":true}`)
	require.Equal(t, http.StatusOK, status)
	require.JSONEq(t, `{"echo":{"stop":true},"n":2}`, body)
	n, err = echo.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)
}

func TestShowcaseHookAndTimer(t *testing.T) {
	t.Parallel()
	env := workflowtest.New(t, catalog.Collect, catalog.Nap)
	ctx, c := t.Context(), env.Client()
	run, err := workflow.Start(ctx, c, catalog.Collect, catalog.CollectInput{Token: "inbox:1", Count: 2})
	require.NoError(t, err)
	env.WaitIdle()
	_, err = c.ResumeHook(ctx, "inbox:1", map[string]int{"n": 1})
	require.NoError(t, err)
	_, err = c.ResumeHook(ctx, "inbox:1", "two")
	require.NoError(t, err)
	got, err := run.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, []any{map[string]any{"n": float64(1)}, "two"}, got)

	nap, err := workflow.Start(ctx, c, catalog.Nap, 20*time.Second)
	require.NoError(t, err)
	env.AdvanceTime(20 * time.Second)
	msg, err := nap.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, "slept 20s", msg)
}
