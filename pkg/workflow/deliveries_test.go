package workflow_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// A run's deliveries are read back from its history, what a webhook sent included, and an
// operator can send one again: to the same live webhook, or as the input of a new run. On
// memory and on DynamoDB.
func TestDeliveriesReadBackAndRedelivered(t *testing.T) {
	t.Parallel()
	type order struct {
		N int `json:"n"`
	}
	collect := workflow.Define("collect-deliveries", func(ctx workflow.Context, _ struct{}) ([]string, error) {
		h, err := workflow.CreateHook[order](ctx, workflow.HookOptions{Token: "order:" + workflow.RunID(ctx)})
		if err != nil {
			return nil, err
		}
		wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{})
		if err != nil {
			return nil, err
		}
		p, err := h.Receive(ctx)
		if err != nil {
			return nil, err
		}
		first, err := wh.Receive(ctx)
		if err != nil {
			return nil, err
		}
		again, err := wh.Receive(ctx)
		if err != nil {
			return nil, err
		}
		return []string{
			fmt.Sprint(p.N), string(first.Body), string(again.Body),
			fmt.Sprint(again.Header.Get(workflow.RedeliveredHeader) == first.ID),
			again.Header.Get("X-Sender"),
		}, nil
	})
	replay := workflow.Define("replay-request", func(_ workflow.Context, r *workflow.Request) (string, error) {
		return r.Method + " " + string(r.Body), nil
	})
	onBackends(t, func(t *testing.T, b workflow.Backend) {
		ctx := t.Context()
		c := workflow.NewClient(b, workflow.ClientOptions{})
		w := workflow.NewWorker(b, workflow.NewRegistry(collect, replay), workflow.WorkerOptions{Logger: slog.New(slog.DiscardHandler)})
		t.Cleanup(w.Close)
		run, err := workflow.Start(ctx, c, collect, struct{}{})
		require.NoError(t, err)
		require.NoError(t, w.RunTurn(ctx, run.ID()))
		hooks, err := c.ListHooks(ctx, workflow.HookFilter{RunID: run.ID()})
		require.NoError(t, err)
		require.Len(t, hooks, 2)
		webhookToken := hooks[0].Token
		if !hooks[0].Webhook {
			webhookToken = hooks[1].Token
		}

		_, err = c.ResumeHook(ctx, "order:"+run.ID(), order{N: 7})
		require.NoError(t, err)
		req := httptest.NewRequest(http.MethodPost, "https://hooks.example.test"+workflow.WebhookPath+webhookToken+"?src=test", strings.NewReader(`{"paid":true}`))
		req.Header.Set("X-Sender", "acme")
		resp, err := c.ResumeWebhook(ctx, webhookToken, req)
		require.NoError(t, err)
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		require.NoError(t, w.RunTurn(ctx, run.ID()))

		ds, err := c.ListDeliveries(ctx, run.ID())
		require.NoError(t, err)
		require.Len(t, ds, 2)
		require.False(t, ds[0].Webhook)
		require.JSONEq(t, `{"n":7}`, string(ds[0].Payload))
		require.Nil(t, ds[0].Request)
		sent := ds[1]
		require.True(t, sent.Webhook)
		require.Equal(t, run.ID(), sent.RunID)
		require.NotNil(t, sent.Request)
		require.Equal(t, sent.ID, sent.Request.ID)
		require.Equal(t, http.MethodPost, sent.Request.Method)
		require.Equal(t, "https://hooks.example.test"+workflow.WebhookPath+webhookToken+"?src=test", sent.Request.URL)
		require.Equal(t, "acme", sent.Request.Header.Get("X-Sender"))
		require.Equal(t, `{"paid":true}`, string(sent.Request.Body), "the body, from the event's attachment")
		require.Less(t, ds[0].Seq, sent.Seq)

		res, err := c.Redeliver(ctx, run.ID(), sent.ID)
		require.NoError(t, err)
		require.Equal(t, run.ID(), res.RunID)
		require.NotEqual(t, sent.ID, res.DeliveryID, "a new delivery")
		require.NoError(t, w.RunTurn(ctx, run.ID()))
		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"7", `{"paid":true}`, `{"paid":true}`, "true", "acme"}, out)

		_, err = c.Redeliver(ctx, run.ID(), sent.ID)
		require.ErrorIs(t, err, workflow.ErrHookNotFound, "the run ended: its webhook is gone")
		_, err = c.Redeliver(ctx, run.ID(), "dlv_nope")
		require.ErrorIs(t, err, workflow.ErrDeliveryNotFound)
		_, err = c.ListDeliveries(ctx, "run_nope")
		require.ErrorIs(t, err, workflow.ErrRunNotFound)

		id, err := c.RedeliverAsRun(ctx, run.ID(), sent.ID, "replay-request")
		require.NoError(t, err)
		require.NoError(t, w.RunTurn(ctx, id))
		info, err := c.GetRun(ctx, id)
		require.NoError(t, err)
		require.Equal(t, workflow.StatusCompleted, info.Status)
		var got string
		require.NoError(t, json.Unmarshal(info.Output, &got))
		require.Equal(t, `POST {"paid":true}`, got)

		for name, start := range map[string]func() (string, error){
			"empty name":     func() (string, error) { return c.StartByName(ctx, " ", nil) },
			"input not JSON": func() (string, error) { return c.StartByName(ctx, "replay-request", json.RawMessage("{")) },
		} {
			_, err := start()
			require.ErrorIs(t, err, workflow.ErrInvalidArgument, name)
		}
	})
}
