package inspector_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/devserver"
	"github.com/hookflow/hookflow/pkg/inspector"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// verdict is what an approver sends.
type verdict struct {
	OK bool `json:"ok"`
}

var verdicts = workflow.DefineHook(workflow.DefineHookOptions[verdict]{})

// approve waits for a verdict on the hook "approve:<doc>", with the hook's schema.
var approve = workflow.Define("approve", func(ctx workflow.Context, doc string) (bool, error) {
	h, err := verdicts.Create(ctx, workflow.HookOptions{Token: "approve:" + doc})
	if err != nil {
		return false, err
	}
	v, err := h.Receive(ctx)
	return v.OK, err
})

// inbox takes two webhook requests and returns their bodies.
var inbox = workflow.Define("inbox", func(ctx workflow.Context, _ struct{}) ([]string, error) {
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{})
	if err != nil {
		return nil, err
	}
	var out []string
	for range 2 {
		r, err := wh.Receive(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, string(r.Body))
	}
	return out, nil
})

// echo returns the request it is started with.
var echo = workflow.Define("echo", func(_ workflow.Context, r *workflow.Request) (string, error) {
	return r.Method + " " + string(r.Body), nil
})

// boom's step fails twice, the second time for good, and so does the run.
var boom = workflow.Define("boom", func(ctx workflow.Context, _ struct{}) (string, error) {
	return workflow.Step(ctx, "charge-card", func(context.Context) (string, error) {
		return "", errors.New("card declined <b>twice</b>")
	}, workflow.WithRetries(1), workflow.WithRetryDelay(10*time.Millisecond))
})

// bundle is a running inspector: on server, over api (admin.Local on memory, a worker
// running the workflows above), with the webhook route on the same server.
type bundle struct {
	api    admin.API
	ghosts admin.API // the same client without a registry: it starts any name
	client *workflow.Client
	srv    *httptest.Server
	http   *http.Client // does not follow redirects
}

func setup(t *testing.T) *bundle {
	t.Helper()
	return setupWith(t, time.Second)
}

// setupWith is setup with the pages reloading every refresh.
func setupWith(t *testing.T, refresh time.Duration) *bundle {
	t.Helper()
	m := memory.New()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	c := workflow.NewClient(m, workflow.ClientOptions{BaseURL: base})
	reg := workflow.NewRegistry(approve, inbox, echo, boom)
	w := workflow.NewWorker(m, reg, workflow.WorkerOptions{
		Logger: slog.New(slog.DiscardHandler), BaseURL: base, SweepEvery: 50 * time.Millisecond,
		StuckAfter: 1, RetryBase: 10 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(ctx) }()

	b := &bundle{api: admin.Local(c, reg), ghosts: admin.Local(c, nil), client: c, srv: srv}
	mux := http.NewServeMux()
	mux.Handle(workflow.WebhookPath, webhook.NewHandler(c, webhook.Options{Logger: slog.New(slog.DiscardHandler), Routes: webhook.RouteWebhook}))
	mux.Handle("/", inspector.NewHandler(b.api, inspector.Options{Logger: slog.New(slog.DiscardHandler), Refresh: refresh}))
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		w.Close()
		_ = m.Close()
	})
	b.http = &http.Client{
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return b
}

// answer is a response with its body read.
type answer struct {
	Status int
	Header http.Header
	Body   string
}

// get fetches a page.
func (b *bundle) get(t *testing.T, path string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, b.srv.URL+path, nil)
	require.NoError(t, err)
	return b.do(t, req)
}

// post submits a form as a page of the inspector does (same origin).
func (b *bundle) post(t *testing.T, path string, form url.Values) answer {
	t.Helper()
	return b.postWith(t, path, form, http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {b.srv.URL}})
}

func (b *bundle) postWith(t *testing.T, path string, form url.Values, h http.Header) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, b.srv.URL+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header = h.Clone()
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(t, req)
}

func (b *bundle) do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := b.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{Status: resp.StatusCode, Header: resp.Header, Body: string(raw)}
}

// start starts a run through the API.
func (b *bundle) start(t *testing.T, name string, input any) string {
	t.Helper()
	raw, err := json.Marshal(input)
	require.NoError(t, err)
	id, err := b.api.Start(t.Context(), admin.StartRequest{Workflow: name, Input: raw})
	require.NoError(t, err)
	return id
}

// waitStatus waits until the run has the status.
func (b *bundle) waitStatus(t *testing.T, runID string, want workflow.RunStatus) workflow.RunInfo {
	t.Helper()
	var info workflow.RunInfo
	require.Eventually(t, func() bool {
		var err error
		info, err = b.api.GetRun(t.Context(), runID)
		return err == nil && info.Status == want
	}, 20*time.Second, 10*time.Millisecond, "run %s never became %s (last: %+v)", runID, want, info)
	return info
}

// webhookURL waits for the run's webhook and returns its URL.
func (b *bundle) webhookURL(t *testing.T, runID string) string {
	t.Helper()
	b.waitStatus(t, runID, workflow.StatusWaiting)
	hooks, err := b.api.ListHooks(t.Context(), workflow.HookFilter{RunID: runID})
	require.NoError(t, err)
	require.Len(t, hooks, 1)
	require.True(t, hooks[0].Webhook)
	require.NotEmpty(t, hooks[0].URL)
	return hooks[0].URL
}

// send sends a request to a webhook URL and waits until the run received it; it returns
// the delivery's ID.
func (b *bundle) send(t *testing.T, runID, u string, header http.Header, body []byte) string {
	t.Helper()
	before, err := b.api.ListDeliveries(t.Context(), runID)
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, u, strings.NewReader(string(body)))
	require.NoError(t, err)
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := b.http.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	var ds []workflow.Delivery
	require.Eventually(t, func() bool {
		ds, err = b.api.ListDeliveries(t.Context(), runID)
		return err == nil && len(ds) > len(before)
	}, 20*time.Second, 10*time.Millisecond)
	return ds[len(ds)-1].ID
}

// runPath is a run's page.
func runPath(id string) string { return "/runs/" + url.PathEscape(id) }

// deliveryPath is a delivery's page.
func deliveryPath(runID, deliveryID string) string {
	return fmt.Sprintf("%s/deliveries/%s", runPath(runID), url.PathEscape(deliveryID))
}

// setupDevServer runs the workflows above on a dev server (pkg/devserver: a store file, a
// worker, and the webhook route, the admin API and the inspector on one port) and returns a
// bundle on it and the server's root URL. The bundle's srv is nil: use the URL.
func setupDevServer(t *testing.T) (*bundle, string) {
	t.Helper()
	reg := workflow.NewRegistry(approve, inbox, echo, boom)
	srv, err := devserver.Start(t.Context(), devserver.Options{
		Addr: "127.0.0.1:0", Dir: t.TempDir(), Registry: reg, Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	b := &bundle{
		api: admin.Remote(srv.URL(), nil), client: srv.Client(),
		http: &http.Client{
			Timeout:       20 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	return b, srv.URL()
}
