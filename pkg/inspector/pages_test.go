package inspector_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// The runs list shows every kind of run with its status and, for the failed and the stuck,
// why; it filters by status and workflow, pages with the cursor, and refuses a bad filter.
func TestRunsList(t *testing.T) {
	t.Parallel()
	b := setup(t)
	waiting := b.start(t, "approve", "doc-1")
	failed := b.start(t, "boom", struct{}{})
	stuck, err := b.ghosts.Start(t.Context(), admin.StartRequest{Workflow: "ghost"})
	require.NoError(t, err)
	b.waitStatus(t, waiting, workflow.StatusWaiting)
	b.waitStatus(t, failed, workflow.StatusFailed)
	b.waitStatus(t, stuck, workflow.StatusStuck)

	page := b.get(t, "/")
	require.Equal(t, http.StatusOK, page.Status)
	require.Contains(t, page.Header.Get("Content-Type"), "text/html")
	for id, status := range map[string]string{waiting: "waiting", failed: "failed", stuck: "stuck"} {
		require.Regexp(t, `<tr class="run" id="run-`+id+`" data-status="`+status+`"`, page.Body)
	}
	require.Contains(t, page.Body, "card declined &lt;b&gt;twice&lt;/b&gt;", "a failed run's error, escaped")
	require.Contains(t, page.Body, "not registered", "a stuck run's last error")
	require.Contains(t, page.Body, `<meta http-equiv="refresh" content="1">`, "the page reloads itself without JavaScript too")
	require.Contains(t, page.Body, `data-refresh="1"`)

	page = b.get(t, "/?status=waiting")
	require.Contains(t, page.Body, `id="run-`+waiting+`"`)
	require.NotContains(t, page.Body, `id="run-`+failed+`"`)
	require.Contains(t, page.Body, `<option value="waiting" selected>`)
	page = b.get(t, "/?workflow=boom")
	require.Contains(t, page.Body, `id="run-`+failed+`"`)
	require.NotContains(t, page.Body, `id="run-`+waiting+`"`)
	page = b.get(t, "/?workflow=nothing")
	require.Contains(t, page.Body, `id="no-runs"`)

	// Paging: one run a page, newest first, three pages.
	var seen []string
	next := "/?limit=1"
	for next != "" {
		page = b.get(t, next)
		require.Equal(t, http.StatusOK, page.Status)
		ids := regexp.MustCompile(`<tr class="run" id="run-([^"]+)"`).FindAllStringSubmatch(page.Body, -1)
		require.Len(t, ids, 1)
		seen = append(seen, ids[0][1])
		next = ""
		if m := regexp.MustCompile(`id="next-page" href="([^"]+)"`).FindStringSubmatch(page.Body); m != nil {
			next = strings.ReplaceAll(m[1], "&amp;", "&")
			require.Contains(t, page.Body, `<input type="hidden" name="limit" value="1">`, "the filter form keeps the page size")
		}
		if len(seen) > 1 {
			require.Contains(t, page.Body, `id="first-page" href="/?limit=1"`)
		}
	}
	require.ElementsMatch(t, []string{stuck, failed, waiting}, seen, "each run once (newest first; these may share a millisecond)")

	for _, bad := range []string{"/?status=asleep", "/?cursor=forged", "/?limit=ten"} {
		page = b.get(t, bad)
		require.Equal(t, http.StatusBadRequest, page.Status, bad)
		require.Contains(t, page.Body, `id="error"`, bad)
		require.NotContains(t, page.Body, `http-equiv="refresh"`, "an error page does not reload itself")
	}
}

// A run's page shows its status, input, pending hook with a resume form, and a timeline;
// a failed run's shows the step's attempts and errors; a stuck run's, why and a Retry button.
func TestRunPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	waiting := b.start(t, "approve", "doc-2")
	failed := b.start(t, "boom", struct{}{})
	stuck, err := b.ghosts.Start(t.Context(), admin.StartRequest{Workflow: "ghost", Input: []byte(`{"n":1}`)})
	require.NoError(t, err)
	b.waitStatus(t, waiting, workflow.StatusWaiting)
	b.waitStatus(t, failed, workflow.StatusFailed)
	b.waitStatus(t, stuck, workflow.StatusStuck)

	page := b.get(t, runPath(waiting))
	require.Equal(t, http.StatusOK, page.Status)
	for _, want := range []string{
		`<h1 id="page-title">Run ` + waiting + `</h1>`,
		`<dd id="run-status" data-status="waiting">`,
		`<dd id="run-workflow">approve</dd>`,
		`<pre id="run-input" class="json">&#34;doc-2&#34;</pre>`,
		`data-token="approve:doc-2"`,
		`<form class="resume-form" id="resume-h1" method="post" action="/runs/` + waiting + `/resume">`,
		`<input type="hidden" name="token" value="approve:doc-2">`,
		`<label for="payload-h1">Payload (JSON) for hook approve:doc-2</label>`,
		`id="cancel-form"`,
		`<strong class="event-title">Run started</strong>`,
		`<strong class="event-title">Hook created</strong>`,
		`id="no-deliveries"`,
	} {
		require.Contains(t, page.Body, want)
	}
	require.NotContains(t, page.Body, `id="retry-form"`, "only a stuck run is retried")

	page = b.get(t, runPath(failed))
	require.Equal(t, http.StatusOK, page.Status)
	for _, want := range []string{
		`<dd id="run-status" data-status="failed">`,
		`Step charge-card: attempt 1 failed, will retry`,
		`<dt>retry at</dt>`,
		`Step charge-card failed for good, after 2 attempts`,
		`card declined &lt;b&gt;twice&lt;/b&gt;`,
		`<strong class="event-title">Run failed</strong>`,
		`id="run-error"`,
	} {
		require.Contains(t, page.Body, want)
	}
	require.NotContains(t, page.Body, `id="cancel-form"`, "an ended run has no actions")
	require.NotContains(t, page.Body, `data-refresh="1"`, "an ended run's page does not reload itself")

	page = b.get(t, runPath(stuck))
	require.Equal(t, http.StatusOK, page.Status)
	require.Contains(t, page.Body, `<dd id="run-status" data-status="stuck">`)
	require.Contains(t, page.Body, `id="run-problem"`)
	require.Contains(t, page.Body, "not registered")
	require.Contains(t, page.Body, `<form id="retry-form" method="post" action="/runs/`+stuck+`/retry">`)
}

// What webhook senders send (headers, bodies, even a hook token) is shown escaped, never as
// markup; JSON bodies are indented, binary ones dumped in hex.
func TestDeliveryPageEscapes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hostile := "<script>alert(1)</script>"
	hooked := b.start(t, "approve", hostile)
	b.waitStatus(t, hooked, workflow.StatusWaiting)
	page := b.get(t, runPath(hooked))
	require.Equal(t, http.StatusOK, page.Status)
	requireNoHostileMarkup(t, page.Body)
	require.Contains(t, page.Body, `approve:&lt;script&gt;alert(1)&lt;/script&gt;`)

	run := b.start(t, "inbox", struct{}{})
	u := b.webhookURL(t, run)
	text := b.send(t, run, u, http.Header{
		"X-Evil":       {`"><script>alert(2)</script>`},
		"Content-Type": {"text/html"},
	}, []byte(`<script>alert("body")</script><img src=x onerror=alert(3)>`))
	page = b.get(t, deliveryPath(run, text))
	require.Equal(t, http.StatusOK, page.Status)
	requireNoHostileMarkup(t, page.Body)
	require.Contains(t, page.Body, `<dd id="delivery-method"><code>POST</code></dd>`)
	require.Contains(t, page.Body, `<tr class="header"><th scope="row">X-Evil</th><td><code>&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;</code></td></tr>`)
	require.Contains(t, page.Body, `<pre id="body" class="body body-text">&lt;script&gt;alert(&#34;body&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(3)&gt;</pre>`)
	require.Contains(t, page.Body, `<dd id="delivery-url"><code>`+u+`</code></dd>`)

	binary := b.send(t, run, u, nil, []byte{0xff, 0x00, 0x01, '<', 's'})
	page = b.get(t, deliveryPath(run, binary))
	require.Contains(t, page.Body, `id="body-binary"`)
	require.Contains(t, page.Body, "ff 00 01 3c 73")
	info := b.waitStatus(t, run, workflow.StatusCompleted)
	require.NotEmpty(t, info.Output)

	page = b.get(t, runPath(run))
	requireNoHostileMarkup(t, page.Body)
	require.Contains(t, page.Body, `href="`+deliveryPath(run, text)+`"`)
	require.Contains(t, page.Body, "Webhook request received: POST /.well-known/workflow/v1/webhook/")

	jsonRun := b.start(t, "inbox", struct{}{})
	u = b.webhookURL(t, jsonRun)
	dl := b.send(t, jsonRun, u, http.Header{"Content-Type": {"application/json"}}, []byte(`{"a":[1,2],"b":"<i>"}`))
	page = b.get(t, deliveryPath(jsonRun, dl))
	require.Contains(t, page.Body, "<pre id=\"body\" class=\"body body-json\">{\n  &#34;a&#34;: [\n    1,\n    2\n  ],\n  &#34;b&#34;: &#34;&lt;i&gt;&#34;\n}</pre>")
}

// requireNoHostileMarkup fails when a page holds a script or an attribute that it did not
// write itself.
func requireNoHostileMarkup(t *testing.T, body string) {
	t.Helper()
	require.NotContains(t, body, "<script>alert")
	require.NotContains(t, body, "<img")
	require.NotContains(t, body, "<b>")
	require.NotContains(t, body, `"><script`)
	require.Equal(t, strings.Count(body, "<script"), strings.Count(body, `<script nonce="`), "every script is the page's own")
}

// Unknown runs, deliveries and paths are 404 pages; a known path with another method is 405.
func TestNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	run := b.start(t, "approve", "doc-3")
	for path, status := range map[string]int{
		"/runs/run_nope":                    http.StatusNotFound,
		"/runs/run_nope/deliveries/dlv_1":   http.StatusNotFound,
		runPath(run) + "/deliveries/dlv_no": http.StatusNotFound,
		"/nothing":                          http.StatusNotFound,
		runPath(run) + "/cancel":            http.StatusMethodNotAllowed,
	} {
		page := b.get(t, path)
		require.Equal(t, status, page.Status, path)
		require.Contains(t, page.Body, `id="error"`, path)
	}
	page := b.post(t, "/runs/run_nope/cancel", nil)
	require.Equal(t, http.StatusNotFound, page.Status)
	page = b.post(t, "/", nil)
	require.Equal(t, http.StatusMethodNotAllowed, page.Status)
	require.Equal(t, "GET", page.Header.Get("Allow"))
}

// Every page forbids what it does not need: scripts and styles other than its own (by a
// nonce), framing, and sniffing.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t)
	page := b.get(t, "/")
	csp := page.Header.Get("Content-Security-Policy")
	m := regexp.MustCompile(`script-src 'nonce-([^']+)'`).FindStringSubmatch(csp)
	require.NotNil(t, m, csp)
	require.Contains(t, page.Body, `<style nonce="`+m[1]+`">`)
	require.Contains(t, page.Body, `<script nonce="`+m[1]+`">`)
	require.Contains(t, csp, "default-src 'none'")
	require.Contains(t, csp, "frame-ancestors 'none'")
	require.Equal(t, "nosniff", page.Header.Get("X-Content-Type-Options"))
	require.Equal(t, "no-store", page.Header.Get("Cache-Control"))
	again := b.get(t, "/")
	require.NotEqual(t, csp, again.Header.Get("Content-Security-Policy"), "a nonce per response")
}
