package reliability

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// manyHooks creates n hooks, disposes them all, then sleeps: the disposals release n tokens
// at once, more than one DynamoDB transaction holds.
var manyHooks = workflow.Define("many-hooks", func(ctx workflow.Context, n int) (int, error) {
	hooks := make([]*workflow.Hook[string], 0, n)
	for i := range n {
		h, err := workflow.CreateHook[string](ctx, workflow.HookOptions{Token: fmt.Sprintf("many:%03d", i)})
		if err != nil {
			return 0, err
		}
		hooks = append(hooks, h)
	}
	for _, h := range hooks {
		if err := h.Dispose(ctx); err != nil {
			return 0, err
		}
	}
	if err := workflow.Sleep(ctx, 200*time.Millisecond); err != nil {
		return 0, err
	}
	return len(hooks), nil
})

// Defect 1: disposing 100 hooks at once used to make a commit with 100 token releases, which
// DynamoDB refuses; the turn failed the same way on every replay and the run was jammed.
func TestDisposingManyHooksAtOnce(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend.Backend) {
		s := newStack(t, b, workflow.WorkerOptions{}, manyHooks)
		s.run(t)
		run, err := workflow.Start(t.Context(), s.client, manyHooks, 100)
		require.NoError(t, err)
		info := s.await(t, run.ID(), 90*time.Second)
		require.Equal(t, workflow.StatusCompleted, info.Status, info.Error)
		require.Equal(t, 100, count(s.events(t, run.ID()), "hook_disposed"))
		requireSettled(t, b, run.ID())
	})
}

// disposeAfterFirst answers the first request of a manual webhook, then disposes it while
// many more requests wait in the inbox, and goes on.
var disposeAfterFirst = workflow.Define("dispose-after-first", func(ctx workflow.Context, _ struct{}) (string, error) {
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{
		Manual: true, ResponseTimeout: workflow.MaxResponseTimeout, FallbackResponse: &workflow.Response{Status: http.StatusServiceUnavailable},
	})
	if err != nil {
		return "", err
	}
	req, err := wh.Receive(ctx)
	if err != nil {
		return "", err
	}
	if err := req.RespondWith(ctx, workflow.Response{Status: http.StatusOK}); err != nil {
		return "", err
	}
	if err := wh.Dispose(ctx); err != nil {
		return "", err
	}
	if err := workflow.Sleep(ctx, 200*time.Millisecond); err != nil {
		return "", err
	}
	return "done", nil
})

// Defect 1, from outside: ~100 callers of a manual webhook that the workflow disposes after
// the first. The disposal answers 99 of them with the fallback at once (more responses than
// one transaction holds), the run goes on, and nothing stays behind.
func TestDisposingAManualWebhookWithManyCallersWaiting(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend.Backend) {
		const callers = 100
		s := newStack(t, b, workflow.WorkerOptions{}, disposeAfterFirst)
		ctx := t.Context()
		run, err := workflow.Start(ctx, s.client, disposeAfterFirst, struct{}{})
		require.NoError(t, err)
		s.drain(t)
		hooks, err := s.client.ListHooks(ctx, workflow.HookFilter{RunID: run.ID()})
		require.NoError(t, err)
		require.Len(t, hooks, 1)
		token := hooks[0].Token

		// The callers are held while the run works; each would read its answer from the
		// response record. Once every request is stored they hang up (a hundred callers
		// polling would only load the emulator), and the records are checked instead.
		held, hangUp := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() {
				req := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(fmt.Sprint(i)))
				if _, err := s.client.ResumeWebhook(held, token, req); err != nil && !errors.Is(err, context.Canceled) {
					t.Errorf("caller %d: %v", i, err)
				}
			})
		}
		var items []backend.InboxItem
		require.Eventually(t, func() bool {
			items, err = b.ListInbox(ctx, run.ID(), 0)
			return err == nil && len(items) == callers
		}, 90*time.Second, 50*time.Millisecond, "every request is stored before the run takes any")
		hangUp()
		wg.Wait()
		s.run(t)
		info := s.await(t, run.ID(), 60*time.Second)
		require.Equal(t, workflow.StatusCompleted, info.Status, info.Error)

		// The answers the run stored: the workflow's for the first request, and the fallback
		// for the 99 it disposed of (a caller held past its timeout gets the fallback too, but
		// then nothing is stored: the records tell the disposal's answers apart).
		got := map[int]int{}
		for _, it := range items {
			rec, err := b.GetResponse(ctx, it.DeliveryID)
			require.NoError(t, err, "delivery %s was answered", it.DeliveryID)
			var resp workflow.Response
			require.NoError(t, json.Unmarshal(rec.Data, &resp))
			got[resp.Status]++
		}
		require.Equal(t, map[int]int{http.StatusOK: 1, http.StatusServiceUnavailable: callers - 1}, got)
		requireSettled(t, b, run.ID())
	})
}

// bodyDigest returns the length and SHA-256 of the body of the first request to a webhook.
var bodyDigest = workflow.Define("body-digest", func(ctx workflow.Context, _ struct{}) (string, error) {
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{})
	if err != nil {
		return "", err
	}
	req, err := wh.Receive(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d:%x", len(req.Body), sha256.Sum256(req.Body)), nil
})

// Defect 9: a body within the configured limit is always stored, byte for byte, even when it
// is binary and close to what one DynamoDB item holds (it used to be base64 inside the item:
// 300 KiB grew past 400 KB and the caller got 500); one byte more gets 413 and stores
// nothing.
func TestBodiesWithinTheLimitAreStored(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend.Backend) {
		const limit = 300 << 10
		s := newStack(t, b, workflow.WorkerOptions{}, bodyDigest)
		client := workflow.NewClient(b, workflow.ClientOptions{MaxPayloadBytes: limit})
		ctx := t.Context()
		run, err := workflow.Start(ctx, client, bodyDigest, struct{}{})
		require.NoError(t, err)
		s.drain(t)
		hooks, err := client.ListHooks(ctx, workflow.HookFilter{RunID: run.ID()})
		require.NoError(t, err)
		require.Len(t, hooks, 1)
		token := hooks[0].Token

		body := make([]byte, limit+1)
		_, _ = rand.Read(body)
		body[0] = 0xff // not UTF-8

		resp, err := client.ResumeWebhook(ctx, token, httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(string(body))))
		require.NoError(t, err)
		require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "one byte over the limit")
		items, err := b.ListInbox(ctx, run.ID(), 0)
		require.NoError(t, err)
		require.Empty(t, items, "a refused body stores nothing")

		body = body[:limit]
		req := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Set("X-Padding", strings.Repeat("p", 4<<10))
		resp, err = client.ResumeWebhook(ctx, token, req)
		require.NoError(t, err)
		require.Equal(t, http.StatusAccepted, resp.StatusCode, "a body at the limit")
		s.drain(t)
		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("%d:%x", limit, sha256.Sum256(body)), out)
		requireSettled(t, b, run.ID())
	})
}
