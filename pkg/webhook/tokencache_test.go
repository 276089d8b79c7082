package webhook_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// A warm client reads a webhook's token record once: later deliveries to it cost their
// conditional write only. Once the webhook closes, a signed request and a forged one both get
// 404, as without the cache. On memory and DynamoDB.
func TestTokenRecordsAreCached(t *testing.T) {
	t.Parallel()
	onBackends(t, func(t *testing.T, bk backend.Backend) {
		s := start(t, bk, secrets, signed)
		b, run, w, h, hooks, ctx := s.b, s.run, s.w, s.h, s.hooks, t.Context()
		send := func(body, signature string) int {
			r := httptest.NewRequest(http.MethodPost, workflow.WebhookPath+hooks[0].Token, strings.NewReader(body))
			if signature != "" {
				r.Header.Set("X-Hub-Signature-256", signature)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			return rec.Code
		}
		before := b.lookups.Load()
		require.Equal(t, http.StatusUnauthorized, send(`{"n":0}`, githubSignature("guess", `{"n":0}`)))
		require.Equal(t, http.StatusAccepted, send(`{"n":1}`, githubSignature(githubSecret, `{"n":1}`)))
		require.Equal(t, http.StatusAccepted, send(`{"n":2}`, githubSignature(githubSecret, `{"n":2}`)))
		require.Equal(t, int64(1), b.lookups.Load()-before, "one read of the token for three requests")

		require.NoError(t, w.RunTurn(ctx, run.ID())) // the run takes a request and ends: the webhook closes
		_, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, http.StatusNotFound, send(`{"n":3}`, githubSignature(githubSecret, `{"n":3}`)), "a signed request to a closed webhook")
		require.Equal(t, http.StatusNotFound, send(`{"n":4}`, githubSignature("guess", `{"n":4}`)), "a forged one too")
	})
}

// A custom hook token released by one run and claimed by another is resumed into the new
// holder, even by a client that cached the first holder's record.
func TestCachedTokenClaimedAgain(t *testing.T) {
	t.Parallel()
	waits := workflow.Define("cache-waits", func(ctx workflow.Context, n int) (int, error) {
		h, err := workflow.CreateHook[int](ctx, workflow.HookOptions{Token: "order:1"})
		if err != nil {
			return 0, err
		}
		v, err := h.Receive(ctx)
		return v + n, err
	})
	onBackends(t, func(t *testing.T, bk backend.Backend) {
		ctx := t.Context()
		b := &counting{Backend: bk}
		c := workflow.NewClient(b, workflow.ClientOptions{})
		w := workflow.NewWorker(b, workflow.NewRegistry(waits), workflow.WorkerOptions{Logger: slog.New(slog.DiscardHandler)})
		t.Cleanup(w.Close)
		first, err := workflow.Start(ctx, c, waits, 100)
		require.NoError(t, err)
		require.NoError(t, w.RunTurn(ctx, first.ID()))
		res, err := c.ResumeHook(ctx, "order:1", 1) // caches the first run's record
		require.NoError(t, err)
		require.Equal(t, first.ID(), res.RunID)
		require.NoError(t, w.RunTurn(ctx, first.ID()))
		out, err := first.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, 101, out)

		second, err := workflow.Start(ctx, c, waits, 200)
		require.NoError(t, err)
		require.NoError(t, w.RunTurn(ctx, second.ID())) // claims "order:1" again
		res, err = c.ResumeHook(ctx, "order:1", 2)
		require.NoError(t, err)
		require.Equal(t, second.ID(), res.RunID, "delivered to the token's new holder")
		require.NoError(t, w.RunTurn(ctx, second.ID()))
		out, err = second.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, 202, out)
	})
}
