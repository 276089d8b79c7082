package inspector_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// An operator resumes a hook from its run's page: a payload that is not JSON, or that the
// hook's schema refuses, comes back on the page (kept in the form) with 400; a good one
// redirects to the run, which completes; the hook is then gone (404).
func TestResume(t *testing.T) {
	t.Parallel()
	b := setup(t)
	run := b.start(t, "approve", "doc-4")
	b.waitStatus(t, run, workflow.StatusWaiting)
	action := runPath(run) + "/resume"

	page := b.post(t, action, url.Values{"token": {"approve:doc-4"}, "payload": {`{"ok": tru`}})
	require.Equal(t, http.StatusBadRequest, page.Status)
	require.Contains(t, page.Body, `<p id="error-message">The payload is not JSON`)
	require.Contains(t, page.Body, `{&#34;ok&#34;: tru</textarea>`, "the payload is kept")
	require.NotContains(t, page.Body, `data-refresh="1"`, "an answer to a POST does not reload itself")

	page = b.post(t, action, url.Values{"token": {"approve:doc-4"}, "payload": {`{"ok": "yes"}`}})
	require.Equal(t, http.StatusBadRequest, page.Status)
	require.Contains(t, page.Body, "The hook&#39;s schema refused the payload.")
	require.Regexp(t, `<ul id="error-issues" class="issues"><li>[^<]+</li>`, page.Body)

	page = b.post(t, action, url.Values{"token": {"approve:doc-4"}, "payload": {""}})
	require.Equal(t, http.StatusBadRequest, page.Status)
	require.Contains(t, page.Body, "Enter a JSON payload")

	other := b.start(t, "approve", "doc-5")
	b.waitStatus(t, other, workflow.StatusWaiting)
	page = b.post(t, action, url.Values{"token": {"approve:doc-5"}, "payload": {`{"ok": true}`}})
	require.Equal(t, http.StatusNotFound, page.Status, "a form of one run does not resume another's hook")

	page = b.post(t, action, url.Values{"token": {"approve:doc-4"}, "payload": {`{"ok": true}`}, "key": {"k1"}})
	require.Equal(t, http.StatusSeeOther, page.Status, page.Body)
	require.Equal(t, runPath(run)+"?ok=resumed", page.Header.Get("Location"))
	info := b.waitStatus(t, run, workflow.StatusCompleted)
	require.JSONEq(t, "true", string(info.Output))
	page = b.get(t, runPath(run)+"?ok=resumed")
	require.Contains(t, page.Body, `<p id="flash" class="flash" role="status">The payload was delivered to the hook.</p>`)
	require.Contains(t, page.Body, "Hook payload received by approve:doc-4")
	require.Contains(t, page.Body, `<strong class="event-title">Run completed</strong>`)
	ds, err := b.api.ListDeliveries(t.Context(), run)
	require.NoError(t, err)
	require.Len(t, ds, 1)
	page = b.get(t, deliveryPath(run, ds[0].ID))
	require.Equal(t, http.StatusOK, page.Status)
	require.Contains(t, page.Body, "<pre id=\"payload\" class=\"json\">{\n  &#34;ok&#34;: true\n}</pre>")
	require.Contains(t, page.Body, `<dd id="delivery-hook"><code>h1</code>, token <code>approve:doc-4</code></dd>`)

	page = b.post(t, action, url.Values{"token": {"approve:doc-4"}, "payload": {`{"ok": true}`}})
	require.Equal(t, http.StatusNotFound, page.Status, "the hook is gone")
	require.Contains(t, page.Body, "No live hook holds that token any more")
}

// Cancel and retry redirect to the run; cancelling an ended run is a 409 on its page.
func TestCancelAndRetry(t *testing.T) {
	t.Parallel()
	b := setup(t)
	run := b.start(t, "approve", "doc-6")
	b.waitStatus(t, run, workflow.StatusWaiting)
	page := b.post(t, runPath(run)+"/cancel", nil)
	require.Equal(t, http.StatusSeeOther, page.Status, page.Body)
	require.Equal(t, runPath(run)+"?ok=cancelled", page.Header.Get("Location"))
	b.waitStatus(t, run, workflow.StatusCancelled)
	page = b.get(t, runPath(run))
	require.Contains(t, page.Body, `<strong class="event-title">Run cancelled</strong>`)

	done := b.start(t, "boom", struct{}{})
	b.waitStatus(t, done, workflow.StatusFailed)
	page = b.post(t, runPath(done)+"/cancel", nil)
	require.Equal(t, http.StatusConflict, page.Status)
	require.Contains(t, page.Body, "The run has ended")
	require.Contains(t, page.Body, `<h1 id="page-title">Run `+done+`</h1>`, "shown on the run's page")

	stuck, err := b.ghosts.Start(t.Context(), admin.StartRequest{Workflow: "ghost"})
	require.NoError(t, err)
	b.waitStatus(t, stuck, workflow.StatusStuck)
	page = b.post(t, runPath(stuck)+"/retry", nil)
	require.Equal(t, http.StatusSeeOther, page.Status, page.Body)
	require.Equal(t, runPath(stuck)+"?ok=retried", page.Header.Get("Location"))
	page = b.post(t, runPath(done)+"/retry", nil)
	require.Equal(t, http.StatusConflict, page.Status)
}

// The start form lists the workflows; a refused start keeps what was typed.
func TestStart(t *testing.T) {
	t.Parallel()
	b := setup(t)
	page := b.get(t, "/start?workflow=approve")
	require.Equal(t, http.StatusOK, page.Status)
	require.Contains(t, page.Body, `<label for="start-workflow">Workflow</label>`)
	require.Contains(t, page.Body, `<option value="approve" selected>approve</option>`)
	require.Contains(t, page.Body, `<option value="inbox">inbox</option>`)

	page = b.post(t, "/start", url.Values{"workflow": {"approve"}, "input": {`"doc`}})
	require.Equal(t, http.StatusBadRequest, page.Status)
	require.Contains(t, page.Body, "The input is not JSON")
	require.Contains(t, page.Body, `spellcheck="false">&#34;doc</textarea>`)
	page = b.post(t, "/start", url.Values{"workflow": {"nope"}})
	require.Equal(t, http.StatusBadRequest, page.Status)
	require.Contains(t, page.Body, "no workflow &#34;nope&#34; is registered")
	page = b.post(t, "/start", url.Values{"input": {`1`}})
	require.Equal(t, http.StatusBadRequest, page.Status)
	require.Contains(t, page.Body, "Choose the workflow")

	page = b.post(t, "/start", url.Values{"workflow": {"approve"}, "input": {` "doc-7" `}})
	require.Equal(t, http.StatusSeeOther, page.Status, page.Body)
	m := regexp.MustCompile(`^/runs/([^?]+)\?ok=started$`).FindStringSubmatch(page.Header.Get("Location"))
	require.NotNil(t, m, page.Header.Get("Location"))
	b.waitStatus(t, m[1], workflow.StatusWaiting)
	hooks, err := b.api.ListHooks(t.Context(), workflow.HookFilter{RunID: m[1]})
	require.NoError(t, err)
	require.Equal(t, "approve:doc-7", hooks[0].Token)
}

// A webhook request is sent again to its webhook, then as the input of a new run; a
// refusal shows on the page the form was on.
func TestRedeliver(t *testing.T) {
	t.Parallel()
	b := setup(t)
	run := b.start(t, "inbox", struct{}{})
	u := b.webhookURL(t, run)
	dl := b.send(t, run, u, nil, []byte("hello"))
	action := deliveryPath(run, dl) + "/redeliver"

	page := b.get(t, deliveryPath(run, dl))
	require.Contains(t, page.Body, `<form class="redeliver-form" method="post" action="`+action+`">`)
	require.Contains(t, page.Body, `<option value="echo">echo</option>`)
	require.Regexp(t, `<dd id="delivery-hook"><code>h1</code>, token <code>[A-Z0-9]+</code></dd>`, page.Body)

	page = b.post(t, action, url.Values{"from": {"delivery"}, "newRunOf": {"nope"}})
	require.Equal(t, http.StatusBadRequest, page.Status)
	require.Contains(t, page.Body, `<h1 id="page-title">Delivery `+dl+`</h1>`, "shown on the delivery's page")
	page = b.post(t, action, url.Values{"from": {"run"}, "newRunOf": {""}})
	require.Equal(t, http.StatusBadRequest, page.Status)
	require.Contains(t, page.Body, `<h1 id="page-title">Run `+run+`</h1>`, "shown on the run's page")
	require.Contains(t, page.Body, "Choose the workflow")

	page = b.post(t, action, url.Values{"from": {"run"}})
	require.Equal(t, http.StatusSeeOther, page.Status, page.Body)
	require.Equal(t, runPath(run)+"?ok=redelivered", page.Header.Get("Location"))
	info := b.waitStatus(t, run, workflow.StatusCompleted)
	require.JSONEq(t, `["hello", "hello"]`, string(info.Output))

	page = b.post(t, action, url.Values{"from": {"delivery"}, "newRunOf": {"echo"}})
	require.Equal(t, http.StatusSeeOther, page.Status, page.Body)
	m := regexp.MustCompile(`^/runs/([^?]+)\?ok=redelivered-new$`).FindStringSubmatch(page.Header.Get("Location"))
	require.NotNil(t, m, page.Header.Get("Location"))
	info = b.waitStatus(t, m[1], workflow.StatusCompleted)
	require.JSONEq(t, `"POST hello"`, string(info.Output))

	page = b.post(t, action, url.Values{"from": {"run"}})
	require.Equal(t, http.StatusNotFound, page.Status, "the webhook closed with its run")
}

// A POST from another site is refused with 403 and does nothing; one from the inspector's
// own pages, or from a client that is not a browser, is taken.
func TestCrossSiteRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	run := b.start(t, "approve", "doc-8")
	b.waitStatus(t, run, workflow.StatusWaiting)
	for name, h := range map[string]http.Header{
		"fetch metadata": {"Sec-Fetch-Site": {"cross-site"}},
		"same site":      {"Sec-Fetch-Site": {"same-site"}, "Origin": {b.srv.URL}},
		"origin only":    {"Origin": {"http://evil.example"}},
	} {
		page := b.postWith(t, runPath(run)+"/cancel", nil, h)
		require.Equal(t, http.StatusForbidden, page.Status, name)
		require.Contains(t, page.Body, "came from another site", name)
	}
	info, err := b.api.GetRun(t.Context(), run)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusWaiting, info.Status, "nothing was done")

	page := b.postWith(t, runPath(run)+"/cancel", nil, http.Header{})
	require.Equal(t, http.StatusSeeOther, page.Status, "curl sends neither header")
}
