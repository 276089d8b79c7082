package admin_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/admin"
	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/workflow"
)

type verdict struct {
	OK bool `json:"ok"`
}

var approvals = workflow.DefineHook(workflow.DefineHookOptions[verdict]{})

// approve waits for a verdict on the hook "approve:<doc>".
var approve = workflow.Define("approve", func(ctx workflow.Context, doc string) (bool, error) {
	h, err := approvals.Create(ctx, workflow.HookOptions{Token: "approve:" + doc})
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
		out = append(out, string(r.Body)+" "+r.Header.Get(workflow.RedeliveredHeader))
	}
	return out, nil
})

// echo returns the request it is started with.
var echo = workflow.Define("echo", func(_ workflow.Context, r *workflow.Request) (string, error) {
	return r.Method + " " + string(r.Body), nil
})

// setup runs a worker on b and returns the API, locally or through the HTTP handler, and the
// client under it.
func setup(t *testing.T, b workflow.Backend, remote bool) (admin.API, *workflow.Client) {
	t.Helper()
	reg := workflow.NewRegistry(approve, inbox, echo)
	c := workflow.NewClient(b, workflow.ClientOptions{})
	w := workflow.NewWorker(b, reg, workflow.WorkerOptions{Logger: slog.New(slog.DiscardHandler), SweepEvery: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; w.Close() })
	api := admin.Local(c, reg)
	if remote {
		srv := httptest.NewServer(admin.NewHandler(api, admin.Options{Logger: slog.New(slog.DiscardHandler)}))
		t.Cleanup(srv.Close)
		api = admin.Remote(srv.URL, srv.Client())
	}
	return api, c
}

// onEach runs fn on memory and DynamoDB, each through the Local API and through HTTP.
func onEach(t *testing.T, fn func(t *testing.T, api admin.API, c *workflow.Client)) {
	t.Helper()
	for _, bk := range []struct {
		name string
		new  func(t *testing.T) workflow.Backend
	}{
		{"memory", func(t *testing.T) workflow.Backend {
			m := memory.New()
			t.Cleanup(func() { _ = m.Close() })
			return m
		}},
		{"dynamodb", func(t *testing.T) workflow.Backend { return awstest.Setup(t).NewBackend(t, awsbackend.Options{}) }},
	} {
		for _, mode := range []string{"local", "http"} {
			t.Run(bk.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				api, c := setup(t, bk.new(t), mode == "http")
				fn(t, api, c)
			})
		}
	}
}

// waitStatus waits until the run has the status.
func waitStatus(t *testing.T, api admin.API, runID string, want workflow.RunStatus) workflow.RunInfo {
	t.Helper()
	var info workflow.RunInfo
	require.Eventually(t, func() bool {
		var err error
		info, err = api.GetRun(t.Context(), runID)
		return err == nil && info.Status == want
	}, 20*time.Second, 20*time.Millisecond, "run %s never became %s (last: %+v)", runID, want, info)
	return info
}

// An operator starts a run by name, finds the hook it waits on, resumes it, and reads back
// the run, its events and its deliveries; mistakes come back as the same errors, locally and
// over HTTP.
func TestStartResumeAndRead(t *testing.T) {
	t.Parallel()
	onEach(t, func(t *testing.T, api admin.API, _ *workflow.Client) {
		ctx := t.Context()
		names, err := api.Workflows(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"approve", "echo", "inbox"}, names)

		id, err := api.Start(ctx, admin.StartRequest{Workflow: "approve", Input: json.RawMessage(`"doc-1"`)})
		require.NoError(t, err)
		waitStatus(t, api, id, workflow.StatusWaiting)
		hooks, err := api.ListHooks(ctx, workflow.HookFilter{RunID: id})
		require.NoError(t, err)
		require.Len(t, hooks, 1)
		require.Equal(t, "approve:doc-1", hooks[0].Token)

		var verr *workflow.ValidationError
		_, err = api.Resume(ctx, admin.ResumeRequest{Token: "approve:doc-1", Payload: json.RawMessage(`{"ok":"yes"}`)})
		require.ErrorAs(t, err, &verr, "the hook's schema refuses a string")
		require.NotEmpty(t, verr.Issues)
		res, err := api.Resume(ctx, admin.ResumeRequest{Token: "approve:doc-1", Payload: json.RawMessage(`{"ok":true}`), IdempotencyKey: "k1"})
		require.NoError(t, err)
		require.Equal(t, id, res.RunID)
		again, err := api.Resume(ctx, admin.ResumeRequest{Token: "approve:doc-1", Payload: json.RawMessage(`{"ok":true}`), IdempotencyKey: "k1"})
		require.NoError(t, err)
		require.True(t, again.Duplicate)

		info := waitStatus(t, api, id, workflow.StatusCompleted)
		require.JSONEq(t, "true", string(info.Output))
		require.JSONEq(t, `"doc-1"`, string(info.Input), "the run's input, as started")
		evs, err := api.ListEvents(ctx, id)
		require.NoError(t, err)
		require.Equal(t, "run_completed", evs[len(evs)-1].Type)
		ds, err := api.ListDeliveries(ctx, id)
		require.NoError(t, err)
		require.Len(t, ds, 1)
		require.JSONEq(t, `{"ok":true}`, string(ds[0].Payload))
		require.Equal(t, res.DeliveryID, ds[0].ID)

		page, err := api.ListRuns(ctx, workflow.RunFilter{Workflow: "approve", Status: workflow.StatusCompleted})
		require.NoError(t, err)
		require.Equal(t, []string{id}, []string{page.Runs[0].ID})
		page, err = api.ListRuns(ctx, workflow.RunFilter{Workflow: "approve", Status: workflow.StatusWaiting})
		require.NoError(t, err)
		require.Empty(t, page.Runs)

		require.ErrorIs(t, api.Cancel(ctx, id), workflow.ErrRunEnded)
		for name, err := range map[string]error{
			"unknown workflow":  second(api.Start(ctx, admin.StartRequest{Workflow: "nope"})),
			"input not JSON":    second(api.Start(ctx, admin.StartRequest{Workflow: "approve", Input: json.RawMessage(`{`)})),
			"unknown status":    second(api.ListRuns(ctx, workflow.RunFilter{Status: "asleep"})),
			"forged cursor":     second(api.ListRuns(ctx, workflow.RunFilter{Cursor: "x"})),
			"redeliver to none": second(api.Redeliver(ctx, admin.RedeliverRequest{RunID: id, DeliveryID: ds[0].ID, NewRunOf: "nope"})),
		} {
			require.ErrorIs(t, err, workflow.ErrInvalidArgument, name)
		}
		for name, err := range map[string]error{
			"get":        second(api.GetRun(ctx, "run_nope")),
			"events":     second(api.ListEvents(ctx, "run_nope")),
			"deliveries": second(api.ListDeliveries(ctx, "run_nope")),
			"cancel":     api.Cancel(ctx, "run_nope"),
			"retry":      api.Retry(ctx, "run_nope"),
		} {
			require.ErrorIs(t, err, workflow.ErrRunNotFound, name)
		}
		_, err = api.Resume(ctx, admin.ResumeRequest{Token: "approve:doc-1", Payload: json.RawMessage(`{"ok":true}`)})
		require.ErrorIs(t, err, workflow.ErrHookNotFound, "the run ended")
		_, err = api.Redeliver(ctx, admin.RedeliverRequest{RunID: id, DeliveryID: "dlv_nope"})
		require.ErrorIs(t, err, workflow.ErrDeliveryNotFound)
	})
}

// A webhook request is sent again to its webhook, then as the input of a new run.
func TestRedeliver(t *testing.T) {
	t.Parallel()
	onEach(t, func(t *testing.T, api admin.API, c *workflow.Client) {
		ctx := t.Context()
		id, err := api.Start(ctx, admin.StartRequest{Workflow: "inbox"})
		require.NoError(t, err)
		waitStatus(t, api, id, workflow.StatusWaiting)
		hooks, err := api.ListHooks(ctx, workflow.HookFilter{RunID: id})
		require.NoError(t, err)
		require.Len(t, hooks, 1)
		req := httptest.NewRequest(http.MethodPost, "http://example.test"+workflow.WebhookPath+hooks[0].Token, strings.NewReader("hello"))
		resp, err := c.ResumeWebhook(ctx, hooks[0].Token, req)
		require.NoError(t, err)
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		var ds []workflow.Delivery
		require.Eventually(t, func() bool {
			ds, err = api.ListDeliveries(ctx, id)
			return err == nil && len(ds) == 1
		}, 20*time.Second, 20*time.Millisecond)
		require.Equal(t, "hello", string(ds[0].Request.Body))

		res, err := api.Redeliver(ctx, admin.RedeliverRequest{RunID: id, DeliveryID: ds[0].ID})
		require.NoError(t, err)
		require.Equal(t, id, res.RunID)
		require.False(t, res.NewRun)
		info := waitStatus(t, api, id, workflow.StatusCompleted)
		require.JSONEq(t, `["hello ", "hello `+ds[0].ID+`"]`, string(info.Output))

		res, err = api.Redeliver(ctx, admin.RedeliverRequest{RunID: id, DeliveryID: ds[0].ID, NewRunOf: "echo"})
		require.NoError(t, err)
		require.True(t, res.NewRun)
		info = waitStatus(t, api, res.RunID, workflow.StatusCompleted)
		require.JSONEq(t, `"POST hello"`, string(info.Output))

		_, err = api.Redeliver(ctx, admin.RedeliverRequest{RunID: id, DeliveryID: ds[0].ID})
		require.ErrorIs(t, err, workflow.ErrHookNotFound, "the webhook closed with its run")
	})
}

func second[T any](_ T, err error) error { return err }
