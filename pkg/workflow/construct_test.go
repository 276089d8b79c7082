package workflow_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/workflow"
)

var noop = workflow.Define("noop", func(workflow.Context, struct{}) (struct{}, error) { return struct{}{}, nil })

// A client made with an impossible combination says so at once (Err), and every call on it
// returns that error instead of failing on a nil backend.
func TestClientOfNothingFailsClearly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		b    workflow.Backend
		opts workflow.ClientOptions
		want string
	}{
		{"no backend", nil, workflow.ClientOptions{}, "no backend"},
		{"base URL not http", memory.New(), workflow.ClientOptions{BaseURL: "ftp://example.com"}, "not an http(s) URL"},
		{"base URL without host", memory.New(), workflow.ClientOptions{BaseURL: "https://"}, "not an http(s) URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.b != nil {
				t.Cleanup(func() { _ = tc.b.Close() })
			}
			c := workflow.NewClient(tc.b, tc.opts)
			require.ErrorIs(t, c.Err(), workflow.ErrInvalidArgument)
			require.ErrorContains(t, c.Err(), tc.want)
			ctx := t.Context()
			_, err := workflow.Start(ctx, c, noop, struct{}{})
			require.ErrorIs(t, err, workflow.ErrInvalidArgument)
			_, err = c.GetRun(ctx, "r")
			require.ErrorIs(t, err, workflow.ErrInvalidArgument)
			_, err = c.ResumeHook(ctx, "t", 1)
			require.ErrorIs(t, err, workflow.ErrInvalidArgument)
			_, err = c.ResumeWebhook(ctx, "t", httptest.NewRequest(http.MethodPost, "/", nil))
			require.ErrorIs(t, err, workflow.ErrInvalidArgument)
			_, err = c.ListHooks(ctx, workflow.HookFilter{})
			require.ErrorIs(t, err, workflow.ErrInvalidArgument)
			require.ErrorIs(t, c.CancelRun(ctx, "r"), workflow.ErrInvalidArgument)
		})
	}
	var nilClient *workflow.Client
	require.ErrorIs(t, nilClient.Err(), workflow.ErrInvalidArgument)
	_, err := workflow.Start(t.Context(), nilClient, noop, struct{}{})
	require.ErrorIs(t, err, workflow.ErrInvalidArgument)
}

// resumerFunc is a workflow.Resumer made of a function.
type resumerFunc func(ctx context.Context, token string, payload json.RawMessage, key string) (workflow.ResumeResult, error)

func (f resumerFunc) Resume(ctx context.Context, token string, payload json.RawMessage, key string) (workflow.ResumeResult, error) {
	return f(ctx, token, payload, key)
}

// A client with a Resumer and no backend is valid: it resumes hooks through the Resumer, and
// its other calls say it has no backend.
func TestClientWithOnlyAResumer(t *testing.T) {
	t.Parallel()
	var got string
	c := workflow.NewClient(nil, workflow.ClientOptions{Resumer: resumerFunc(func(_ context.Context, token string, payload json.RawMessage, _ string) (workflow.ResumeResult, error) {
		got = token + "=" + string(payload)
		return workflow.ResumeResult{RunID: "r1"}, nil
	})})
	require.NoError(t, c.Err())
	res, err := c.ResumeHook(t.Context(), "approval:1", map[string]bool{"ok": true})
	require.NoError(t, err)
	require.Equal(t, "r1", res.RunID)
	require.Equal(t, `approval:1={"ok":true}`, got)
	_, err = c.GetRun(t.Context(), "r1")
	require.ErrorIs(t, err, workflow.ErrInvalidArgument)
	require.ErrorContains(t, err, "no backend")
}

// A worker without a backend says so, and none of its calls panics.
func TestWorkerOfNothingFailsClearly(t *testing.T) {
	t.Parallel()
	w := workflow.NewWorker(nil, workflow.NewRegistry(noop), workflow.WorkerOptions{})
	require.ErrorIs(t, w.Err(), workflow.ErrInvalidArgument)
	require.ErrorIs(t, w.Run(t.Context()), workflow.ErrInvalidArgument)
	require.ErrorIs(t, w.RunTurn(t.Context(), "r"), workflow.ErrInvalidArgument)
	_, err := w.Sweep(t.Context(), 0)
	require.ErrorIs(t, err, workflow.ErrInvalidArgument)
	require.Zero(t, w.Stats())
	w.Close()

	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	bad := workflow.NewWorker(b, workflow.NewRegistry(noop, noop), workflow.WorkerOptions{})
	t.Cleanup(bad.Close)
	require.ErrorIs(t, bad.Err(), workflow.ErrInvalidArgument, "a registry with a duplicate")
	good := workflow.NewWorker(b, workflow.NewRegistry(noop), workflow.WorkerOptions{})
	t.Cleanup(good.Close)
	require.NoError(t, good.Err())
}
