package main

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// A run waits on a webhook; `hooks ls` gives its URL on the dev server, an HTTP request to
// it completes the run, and `runs show`, `events` and `deliveries` show the request; it is
// then sent again as the input of a new run.
func TestWebhookStory(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)

	runID := okJSON[map[string]string](c, "start", "inbox-webhook")["runId"]
	require.NotEmpty(t, runID)
	h := singleHook(c, runID)
	require.True(t, h.Webhook)
	require.Equal(t, srv.Webhook+h.Token, h.URL, "the webhook's URL is on the dev server")
	ls := c.ok("hooks", "ls", "--run", runID)
	require.Regexp(t, regexp.QuoteMeta(h.URL)+`\s+webhook\s+`+runID, ls)
	show := c.ok("runs", "show", runID)
	require.Contains(t, show, "status    waiting")
	require.Regexp(t, `hook_created\s+webhook `+regexp.QuoteMeta(h.URL), show)
	require.Contains(t, show, "pending hooks\n  webhook "+h.URL+"  0 deliveries")
	view := okJSON[runView](c, "runs", "show", runID)
	require.Equal(t, workflow.StatusWaiting, view.Run.Status)
	require.Equal(t, []string{"run_created", "hook_created"}, []string{view.Events[0].Type, view.Events[1].Type})
	require.Len(t, view.Hooks, 1)
	require.Equal(t, h.URL, view.Hooks[0].URL)

	status, body := send(t, http.MethodPost, h.URL+"?src=test", http.Header{"Content-Type": {"application/json"}, "X-Test": {"yes"}}, `{"hello":"world"}`)
	require.Equal(t, http.StatusAccepted, status, body)
	info := waitStatus(c, runID, workflow.StatusCompleted)
	require.JSONEq(t, `"POST {\"hello\":\"world\"}"`, string(info.Output))

	ds := okJSON[struct {
		Deliveries []workflow.Delivery `json:"deliveries"`
	}](c, "deliveries", runID).Deliveries
	require.Len(t, ds, 1)
	d := ds[0]
	require.True(t, d.Webhook)
	require.Equal(t, http.MethodPost, d.Request.Method)
	require.Equal(t, h.URL+"?src=test", d.Request.URL)
	require.Equal(t, "yes", d.Request.Header.Get("X-Test"))
	require.Equal(t, `{"hello":"world"}`, string(d.Request.Body))

	plain := c.ok("deliveries", runID)
	for _, want := range []string{
		"delivery " + d.ID + "  webhook (hook " + d.HookID + ")",
		"  POST " + h.URL + "?src=test\n",
		"  Content-Type: application/json\n",
		"  X-Test: yes\n",
		"\n  {\"hello\":\"world\"}\n",
	} {
		require.Contains(t, plain, want)
	}
	show = c.ok("runs", "show", runID)
	require.Contains(t, show, "delivery "+d.ID+" POST /.well-known/workflow/v1/webhook/"+h.Token+" (17 B)")
	require.Contains(t, c.ok("events", runID), "body=17 B")

	// The webhook closed with its run: sent again as the input of a new run instead.
	c.fails(3, []string{"redeliver", runID, d.ID}, "hook not found")
	out := c.ok("redeliver", runID, d.ID, "--new-run", "inbox-webhook")
	require.Regexp(t, `^delivery `+d.ID+` started run run_[A-Z0-9]+ of inbox-webhook\n$`, out)
	red := okJSON[admin.RedeliverResult](c, "redeliver", runID, d.ID, "--new-run", "echo-webhook")
	require.True(t, red.NewRun)
	require.Equal(t, "echo-webhook", waitStatus(c, red.RunID, workflow.StatusWaiting).Workflow)
	c.fails(2, []string{"redeliver", runID, d.ID, "--new-run", "nope"}, `no workflow "nope"`)
	c.fails(3, []string{"redeliver", runID, "dlv_nope"}, `received no delivery "dlv_nope"`, "hookflow deliveries RUN")
}
