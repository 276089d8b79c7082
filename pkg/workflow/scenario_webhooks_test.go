package workflow_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
	"github.com/hookflow/hookflow/pkg/workflow/workflowtest"
)

type httpResult struct {
	status int
	header http.Header
	body   string
}

func send(t *testing.T, method, url string, body string, header http.Header) httpResult {
	t.Helper()
	r, err := doSend(t.Context(), method, url, body, header)
	require.NoError(t, err)
	return r
}

func doSend(ctx context.Context, method, url string, body string, header http.Header) (httpResult, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return httpResult{}, err
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return httpResult{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return httpResult{resp.StatusCode, resp.Header, string(b)}, err
}

// webhookURL waits for the run's webhook and returns its URL.
func webhookURL(t *testing.T, env *workflowtest.Env, runID string) string {
	t.Helper()
	env.WaitIdle()
	hooks, err := env.Client().ListHooks(t.Context(), workflow.HookFilter{RunID: runID})
	require.NoError(t, err)
	require.Len(t, hooks, 1)
	require.True(t, hooks[0].Webhook)
	require.True(t, strings.HasPrefix(hooks[0].URL, env.WebhookServer().URL+workflow.WebhookPath), hooks[0].URL)
	return hooks[0].URL
}

// seen is what a workflow reports about the request it received.
type seen struct {
	Method string
	URL    string
	Header http.Header
	Body   string
	URLOK  bool
}

var receiveOne = workflow.Define("receive-one", func(ctx workflow.Context, _ struct{}) (seen, error) {
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{})
	if err != nil {
		return seen{}, err
	}
	req, err := wh.Receive(ctx)
	if err != nil {
		return seen{}, err
	}
	return seen{req.Method, req.URL, req.Header, string(req.Body), strings.HasSuffix(wh.URL(), wh.Token())}, nil
})

func TestScenarioWebhookAcceptsWith202AndTheWorkflowSeesTheRequest(t *testing.T) {
	t.Parallel()
	modes(t, func(t *testing.T, newEnv func(...workflow.Registrable) *workflowtest.Env) {
		env := newEnv(receiveOne)
		ctx, c := t.Context(), env.Client()
		run, err := workflow.Start(ctx, c, receiveOne, struct{}{})
		require.NoError(t, err)
		url := webhookURL(t, env, run.ID())

		got := send(t, http.MethodPut, url+"?attempt=2&tag=a&tag=b", `{"event":"push"}`, http.Header{
			"Content-Type": {"application/json"},
			"X-Tag":        {"one", "two"},
		})
		require.Equal(t, http.StatusAccepted, got.status)
		require.Empty(t, got.body)

		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, http.MethodPut, out.Method)
		require.Equal(t, url+"?attempt=2&tag=a&tag=b", out.URL)
		require.Equal(t, []string{"one", "two"}, out.Header["X-Tag"])
		require.Equal(t, "application/json", out.Header.Get("Content-Type"))
		require.Equal(t, `{"event":"push"}`, out.Body)
		require.True(t, out.URLOK)
		env.RequireReplay(receiveOne, run.ID())

		again := send(t, http.MethodPost, url, "late", nil)
		require.Equal(t, http.StatusNotFound, again.status, "the run ended: its webhook is gone")
		require.Empty(t, again.body)
	})
}

func TestScenarioWebhookStaticResponse(t *testing.T) {
	t.Parallel()
	modes(t, func(t *testing.T, newEnv func(...workflow.Registrable) *workflowtest.Env) {
		wf := workflow.Define("paywall", func(ctx workflow.Context, _ struct{}) ([]string, error) {
			wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{RespondWith: &workflow.Response{
				Status: http.StatusPaymentRequired,
				Header: http.Header{"Content-Type": {"text/plain"}, "X-Price": {"42"}},
				Body:   []byte("pay first"),
			}})
			if err != nil {
				return nil, err
			}
			var bodies []string
			for req, err := range wh.All(ctx) {
				if err != nil {
					return nil, err
				}
				bodies = append(bodies, string(req.Body))
				if len(bodies) == 2 {
					break
				}
			}
			return bodies, nil
		})
		env := newEnv(wf)
		ctx, c := t.Context(), env.Client()
		run, err := workflow.Start(ctx, c, wf, struct{}{})
		require.NoError(t, err)
		url := webhookURL(t, env, run.ID())
		for _, body := range []string{"one", "two"} {
			got := send(t, http.MethodPost, url, body, nil)
			require.Equal(t, http.StatusPaymentRequired, got.status)
			require.Equal(t, "pay first", got.body)
			require.Equal(t, "42", got.header.Get("X-Price"))
		}
		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"one", "two"}, out)
		env.RequireReplay(wf, run.ID())
	})
}

var echoManual = workflow.Define("echo-manual", func(ctx workflow.Context, _ struct{}) (int, error) {
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{Manual: true, ResponseTimeout: 10 * time.Second})
	if err != nil {
		return 0, err
	}
	n := 0
	for req, err := range wh.All(ctx) {
		if err != nil {
			return n, err
		}
		var in struct {
			Type string `json:"type"`
		}
		if err := req.JSON(&in); err != nil {
			if err := req.RespondWith(ctx, workflow.Response{Status: http.StatusBadRequest, Body: []byte("bad json")}); err != nil {
				return n, err
			}
			continue
		}
		n++
		if err := req.RespondWith(ctx, workflow.JSONResponse(http.StatusOK, map[string]any{
			"message": "processing " + in.Type, "n": n,
		})); err != nil {
			return n, err
		}
		if err := req.RespondWith(ctx, workflow.Response{Status: 200}); err == nil {
			return n, fmt.Errorf("a second RespondWith for one request must fail")
		}
		if in.Type == "done" {
			break
		}
	}
	return n, nil
})

func TestScenarioWebhookManualResponseFromTheRequest(t *testing.T) {
	t.Parallel()
	modes(t, func(t *testing.T, newEnv func(...workflow.Registrable) *workflowtest.Env) {
		env := newEnv(echoManual)
		ctx, c := t.Context(), env.Client()
		run, err := workflow.Start(ctx, c, echoManual, struct{}{})
		require.NoError(t, err)
		url := webhookURL(t, env, run.ID())

		got := send(t, http.MethodPost, url, `{"type":"urgent"}`, nil)
		require.Equal(t, http.StatusOK, got.status)
		require.Equal(t, "application/json", got.header.Get("Content-Type"))
		require.JSONEq(t, `{"message":"processing urgent","n":1}`, got.body)

		got = send(t, http.MethodPost, url, `not json`, nil)
		require.Equal(t, http.StatusBadRequest, got.status)
		require.Equal(t, "bad json", got.body)

		got = send(t, http.MethodPost, url, `{"type":"done"}`, nil)
		require.JSONEq(t, `{"message":"processing done","n":2}`, got.body)
		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, 2, out)
		env.RequireReplay(echoManual, run.ID())
	})
}

func TestScenarioWebhookManualFallbackAtTheDeadline(t *testing.T) {
	t.Parallel()
	wf := workflow.Define("never-answers", func(ctx workflow.Context, _ struct{}) (string, error) {
		wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{
			Manual:           true,
			ResponseTimeout:  300 * time.Millisecond,
			FallbackResponse: &workflow.Response{Status: http.StatusServiceUnavailable, Body: []byte("try later")},
		})
		if err != nil {
			return "", err
		}
		req, err := wh.Receive(ctx)
		if err != nil {
			return "", err
		}
		if err := workflow.Sleep(ctx, time.Hour); err != nil { // busy; answers nothing
			return "", err
		}
		return string(req.Body), nil
	})
	env := workflowtest.New(t, wf)
	ctx := t.Context()
	run, err := workflow.Start(ctx, env.Client(), wf, struct{}{})
	require.NoError(t, err)
	url := webhookURL(t, env, run.ID())
	start := time.Now()
	got := send(t, http.MethodPost, url, "hello?", nil)
	require.Equal(t, http.StatusServiceUnavailable, got.status)
	require.Equal(t, "try later", got.body)
	require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond, "the caller was held until the deadline")
	env.AdvanceTime(time.Hour)
	out, err := run.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, "hello?", out, "the request was delivered all the same")
}

func TestScenarioWebhookRunEndAnswersWaitingCallers(t *testing.T) {
	t.Parallel()
	wf := workflow.Define("ends-early", func(ctx workflow.Context, _ struct{}) (string, error) {
		wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{Manual: true, ResponseTimeout: 20 * time.Second})
		if err != nil {
			return "", err
		}
		req, err := wh.Receive(ctx)
		if err != nil {
			return "", err
		}
		return string(req.Body), nil // returns without answering
	})
	env := workflowtest.New(t, wf)
	run, err := workflow.Start(t.Context(), env.Client(), wf, struct{}{})
	require.NoError(t, err)
	url := webhookURL(t, env, run.ID())
	start := time.Now()
	got := send(t, http.MethodPost, url, "bye", nil)
	require.Equal(t, http.StatusGatewayTimeout, got.status, "the default fallback")
	require.Less(t, time.Since(start), 10*time.Second, "answered when the run ended, not at the 20 s deadline")
	out, err := run.Result(t.Context())
	require.NoError(t, err)
	require.Equal(t, "bye", out)
}

func TestScenarioWebhookIdempotencyKey(t *testing.T) {
	t.Parallel()
	env := workflowtest.New(t, echoManual)
	ctx, c := t.Context(), env.Client()
	run, err := workflow.Start(ctx, c, echoManual, struct{}{})
	require.NoError(t, err)
	url := webhookURL(t, env, run.ID())
	key := http.Header{"Idempotency-Key": {"delivery-1"}}
	first := send(t, http.MethodPost, url, `{"type":"a"}`, key)
	retry := send(t, http.MethodPost, url, `{"type":"a"}`, key)
	require.Equal(t, first, retry, "the retry gets the first response")
	require.JSONEq(t, `{"message":"processing a","n":1}`, retry.body)
	got := send(t, http.MethodPost, url, `{"type":"done"}`, nil)
	require.JSONEq(t, `{"message":"processing done","n":2}`, got.body, "the retry was not delivered again")
	_, err = run.Result(ctx)
	require.NoError(t, err)

	late := send(t, http.MethodPost, url, `{"type":"a"}`, key)
	require.Equal(t, first.status, late.status, "a retry after the run ended still gets the first response")
	require.Equal(t, first.body, late.body)
	require.Equal(t, http.StatusNotFound, send(t, http.MethodPost, url, `{}`, http.Header{"Idempotency-Key": {"new"}}).status)
}

func TestScenarioWebhookRouteErrors(t *testing.T) {
	t.Parallel()
	env := workflowtest.New(t, approvalFlow, receiveOne)
	ctx, c := t.Context(), env.Client()
	base := env.WebhookServer().URL

	hookRun, err := workflow.Start(ctx, c, approvalFlow, "doc")
	require.NoError(t, err)
	hookToken := onlyHook(t, env, hookRun.ID())
	got := send(t, http.MethodPost, base+workflow.WebhookPath+hookToken, `{"approved":true}`, nil)
	require.Equal(t, http.StatusNotFound, got.status, "plain hooks are never resumable over the public URL")
	require.Empty(t, got.body)

	for _, path := range []string{workflow.WebhookPath, strings.TrimSuffix(workflow.WebhookPath, "/")} {
		got = send(t, http.MethodPost, base+path, "x", nil)
		require.Equal(t, http.StatusBadRequest, got.status, "missing token: %s", path)
	}
	got = send(t, http.MethodGet, base+workflow.WebhookPath+"unknown-token", "", nil)
	require.Equal(t, http.StatusNotFound, got.status)
	require.Empty(t, got.body)

	whRun, err := workflow.Start(ctx, c, receiveOne, struct{}{})
	require.NoError(t, err)
	url := webhookURL(t, env, whRun.ID())
	got = send(t, http.MethodPost, url, strings.Repeat("x", workflow.DefaultMaxPayloadBytes+1), nil)
	require.Equal(t, http.StatusRequestEntityTooLarge, got.status)
	info, err := c.GetHookByToken(ctx, url[strings.LastIndex(url, "/")+1:])
	require.NoError(t, err)
	require.Zero(t, info.Deliveries, "nothing was stored")
	got = send(t, http.MethodPost, url, strings.Repeat("x", workflow.DefaultMaxPayloadBytes), nil)
	require.Equal(t, http.StatusAccepted, got.status, "exactly the limit is accepted")
	out, err := whRun.Result(ctx)
	require.NoError(t, err)
	require.Len(t, out.Body, workflow.DefaultMaxPayloadBytes)
}

func TestResumeEndpoint(t *testing.T) {
	t.Parallel()
	env := workflowtest.New(t, refunds)
	ctx, c := t.Context(), env.Client()
	run, err := workflow.Start(ctx, c, refunds, "o-9")
	require.NoError(t, err)
	env.WaitIdle()
	endpoint := env.WebhookServer().URL + "/.well-known/workflow/v1/resume"
	post := func(body string) httpResult {
		return send(t, http.MethodPost, endpoint, body, http.Header{"Content-Type": {"application/json"}})
	}

	got := post(`{"token":"refund:o-9","payload":{"orderId":"o-9"}}`)
	require.Equal(t, http.StatusBadRequest, got.status)
	var e struct {
		Error  string
		Issues []string
	}
	require.NoError(t, json.Unmarshal([]byte(got.body), &e))
	require.Equal(t, "invalid payload", e.Error)
	require.NotEmpty(t, e.Issues)

	for _, bad := range []string{`not json`, `{"payload":1}`, `{"token":"refund:o-9"}`, `{"token":"x","payload":1,"extra":true}`, `{"token":"x","payload":1}{}`} {
		require.Equal(t, http.StatusBadRequest, post(bad).status, bad)
	}
	require.Equal(t, http.StatusNotFound, post(`{"token":"refund:nope","payload":{"orderId":"x","cents":1}}`).status)
	require.Equal(t, http.StatusMethodNotAllowed, send(t, http.MethodGet, endpoint, "", nil).status)

	body := `{"token":"refund:o-9","payload":{"orderId":"o-9","cents":700},"idempotencyKey":"k1"}`
	got = post(body)
	require.Equal(t, http.StatusOK, got.status)
	var res workflow.ResumeResult
	require.NoError(t, json.Unmarshal([]byte(got.body), &res))
	require.Equal(t, run.ID(), res.RunID)
	got = post(body)
	require.Equal(t, http.StatusOK, got.status)
	var dup workflow.ResumeResult
	require.NoError(t, json.Unmarshal([]byte(got.body), &dup))
	require.True(t, dup.Duplicate)
	require.Equal(t, res.DeliveryID, dup.DeliveryID)

	out, err := run.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, 700, out)
}

func TestClientResumeWebhookDirectly(t *testing.T) {
	t.Parallel()
	env := workflowtest.New(t, receiveOne)
	ctx, c := t.Context(), env.Client()
	run, err := workflow.Start(ctx, c, receiveOne, struct{}{})
	require.NoError(t, err)
	url := webhookURL(t, env, run.ID())
	token := url[strings.LastIndex(url, "/")+1:]
	req, err := http.NewRequest(http.MethodPatch, "https://example.test/hooks/x?y=1", bytes.NewReader([]byte("direct")))
	require.NoError(t, err)
	resp, err := c.ResumeWebhook(ctx, token, req)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	out, err := run.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, "https://example.test/hooks/x?y=1", out.URL)
	require.Equal(t, "direct", out.Body)

	resp, err = c.ResumeWebhook(ctx, token, req)
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	_, err = c.ResumeWebhook(ctx, token, nil)
	require.ErrorIs(t, err, workflow.ErrInvalidArgument)
}

func TestConcurrentWebhookCallers(t *testing.T) {
	t.Parallel()
	const n = 20
	wf := workflow.Define("webhook-fan-in", func(ctx workflow.Context, _ struct{}) (int, error) {
		wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{Manual: true})
		if err != nil {
			return 0, err
		}
		for i := range n {
			req, err := wh.Receive(ctx)
			if err != nil {
				return i, err
			}
			if err := req.RespondWith(ctx, workflow.Response{Status: 200, Body: append([]byte("ack "), req.Body...)}); err != nil {
				return i, err
			}
		}
		return n, nil
	})
	env := workflowtest.New(t, wf)
	run, err := workflow.Start(t.Context(), env.Client(), wf, struct{}{})
	require.NoError(t, err)
	url := webhookURL(t, env, run.ID())
	var wg sync.WaitGroup
	results := make([]httpResult, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { results[i], errs[i] = doSend(t.Context(), http.MethodPost, url, fmt.Sprint(i), nil) })
	}
	wg.Wait()
	for i, r := range results {
		require.NoError(t, errs[i])
		require.Equal(t, http.StatusOK, r.status)
		require.Equal(t, fmt.Sprint("ack ", i), r.body, "each caller gets the answer to its own request")
	}
	out, err := run.Result(t.Context())
	require.NoError(t, err)
	require.Equal(t, n, out)
}

func TestManualWebhookAnswersBeforeTheCallersDeadline(t *testing.T) {
	t.Parallel()
	wf := workflow.Define("slow-answer", func(ctx workflow.Context, _ struct{}) (string, error) {
		wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{Manual: true, ResponseTimeout: 20 * time.Second})
		if err != nil {
			return "", err
		}
		req, err := wh.Receive(ctx)
		if err != nil {
			return "", err
		}
		return string(req.Body), workflow.Sleep(ctx, time.Hour)
	})
	env := workflowtest.New(t, wf)
	run, err := workflow.Start(t.Context(), env.Client(), wf, struct{}{})
	require.NoError(t, err)
	url := webhookURL(t, env, run.ID())
	token := url[strings.LastIndex(url, "/")+1:]
	// A Lambda's context ends before the webhook's 20 s: the fallback goes out a second ahead.
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader("hi"))
	require.NoError(t, err)
	start := time.Now()
	resp, err := env.Client().ResumeWebhook(ctx, token, req)
	require.NoError(t, err)
	require.Equal(t, http.StatusGatewayTimeout, resp.StatusCode)
	require.Less(t, time.Since(start), 1400*time.Millisecond)
	require.NoError(t, ctx.Err(), "answered while the caller could still send it")
}
