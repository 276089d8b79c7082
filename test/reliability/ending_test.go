package reliability

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// beforeCommit is a backend that calls fn once, just before the first commit that when
// accepts: what fn does lands between the turn's reads and that commit.
type beforeCommit struct {
	backend.Backend
	when func(backend.Commit) bool
	once sync.Once
	fn   func()
}

func (a *beforeCommit) Commit(ctx context.Context, c backend.Commit) error {
	if a.when(c) {
		a.once.Do(a.fn)
	}
	return a.Backend.Commit(ctx, c)
}

// atFinalCommit calls fn before the commit that ends a run: after the turn's last look at the
// inbox, before the run is marked ended.
func atFinalCommit(b backend.Backend, fn func()) *beforeCommit {
	return &beforeCommit{Backend: b, when: func(c backend.Commit) bool { return c.Status.Terminal() }, fn: fn}
}

// collectOne receives one payload on a hook with a custom token and returns it; the run's end
// releases the hook.
var collectOne = workflow.Define("collect-one", func(ctx workflow.Context, token string) (string, error) {
	h, err := workflow.CreateHook[string](ctx, workflow.HookOptions{Token: token})
	if err != nil {
		return "", err
	}
	return h.Receive(ctx)
})

// Defect 3: a payload sent while the run is ending used to be accepted and then forgotten: it
// was stored after the last read of the inbox, the run ended without it, and the run stayed
// due for ever. Now the run releases its tokens before it reads its inbox for the last time,
// so the late payload is refused (ErrHookNotFound), as for any ended run.
func TestPayloadSentWhileTheRunEnds(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend.Backend) {
		ctx := t.Context()
		direct := workflow.NewClient(b, workflow.ClientOptions{})
		var lateErr error
		racing := atFinalCommit(b, func() {
			_, lateErr = direct.ResumeHook(ctx, "ending:1", "late")
		})
		s := newStack(t, racing, workflow.WorkerOptions{}, collectOne)
		run, err := workflow.Start(ctx, s.client, collectOne, "ending:1")
		require.NoError(t, err)
		s.drain(t)
		_, err = s.client.ResumeHook(ctx, "ending:1", "first")
		require.NoError(t, err)
		s.drain(t)
		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, "first", out)
		require.ErrorIs(t, lateErr, workflow.ErrHookNotFound, "a payload the run will never take is refused, not accepted")
		_, err = s.worker.Sweep(ctx, 0)
		require.NoError(t, err)
		s.drain(t)
		require.Equal(t, 1, count(s.events(t, run.ID()), "hook_received"))
		requireSettled(t, b, run.ID())
	})
}

// answerOne answers the first request of a manual webhook and ends.
var answerOne = workflow.Define("answer-one", func(ctx workflow.Context, _ struct{}) (string, error) {
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{
		Manual: true, ResponseTimeout: 15 * time.Second, FallbackResponse: &workflow.Response{Status: http.StatusServiceUnavailable},
	})
	if err != nil {
		return "", err
	}
	req, err := wh.Receive(ctx)
	if err != nil {
		return "", err
	}
	return "answered", req.RespondWith(ctx, workflow.Response{Status: http.StatusOK})
})

// Defect 3, for a manual webhook: a caller whose request lands while the run ends used to be
// held for its whole ResponseTimeout and then get the fallback. It is answered at once now.
func TestManualCallerWhileTheRunEnds(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend.Backend) {
		ctx := t.Context()
		direct := workflow.NewClient(b, workflow.ClientOptions{})
		var token string
		late := make(chan int, 1)
		racing := atFinalCommit(b, nil)
		s := newStack(t, racing, workflow.WorkerOptions{}, answerOne)
		run, err := workflow.Start(ctx, s.client, answerOne, struct{}{})
		require.NoError(t, err)
		racing.fn = func() {
			go func() {
				resp, err := direct.ResumeWebhook(ctx, token, httptest.NewRequest(http.MethodPost, "/x", nil))
				if err != nil {
					late <- -1
					return
				}
				late <- resp.StatusCode
			}()
			// Let the late request reach the store (or be turned away) before the run ends.
			deadline := time.Now().Add(3 * time.Second)
			for time.Now().Before(deadline) && len(late) == 0 {
				if items, err := b.ListInbox(ctx, run.ID(), 0); err == nil && len(items) > 0 {
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		s.drain(t)
		hooks, err := s.client.ListHooks(ctx, workflow.HookFilter{RunID: run.ID()})
		require.NoError(t, err)
		require.Len(t, hooks, 1)
		token = hooks[0].Token

		first := make(chan int, 1)
		go func() {
			resp, err := direct.ResumeWebhook(ctx, token, httptest.NewRequest(http.MethodPost, "/x", nil))
			if err != nil {
				first <- -1
				return
			}
			first <- resp.StatusCode
		}()
		// Turn the run until the caller is answered: its wake follows the stored request (after
		// a read of the run), so it may not be queued yet when the request is.
		status, answered := 0, false
		for deadline := time.Now().Add(10 * time.Second); !answered && time.Now().Before(deadline); {
			s.drain(t)
			select {
			case status = <-first:
				answered = true
			case <-time.After(5 * time.Millisecond):
			}
		}
		require.True(t, answered, "the first caller was not answered")
		require.Equal(t, http.StatusOK, status)
		select {
		case st := <-late:
			require.Contains(t, []int{http.StatusNotFound, http.StatusServiceUnavailable}, st,
				"the late caller is turned away, or gets the fallback")
		case <-time.After(5 * time.Second):
			t.Fatal("the late caller is still held: it waits for a run that has ended")
		}
		_, err = s.worker.Sweep(ctx, 0)
		require.NoError(t, err)
		s.drain(t)
		requireSettled(t, b, run.ID())
	})
}

// Defect 3, for CancelRun: a cancel that lands while the run ends is accepted (the run had
// not ended) but never applied; it used to stay in the inbox and keep the ended run due for
// ever. A turn of the ended run drops it.
func TestCancelWhileTheRunEnds(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend.Backend) {
		ctx := t.Context()
		direct := workflow.NewClient(b, workflow.ClientOptions{})
		var runID string
		var cancelErr error
		racing := atFinalCommit(b, func() { cancelErr = direct.CancelRun(ctx, runID) })
		s := newStack(t, racing, workflow.WorkerOptions{}, collectOne)
		run, err := workflow.Start(ctx, s.client, collectOne, "ending:cancel")
		require.NoError(t, err)
		runID = run.ID()
		s.drain(t)
		_, err = s.client.ResumeHook(ctx, "ending:cancel", "first")
		require.NoError(t, err)
		s.drain(t)
		require.NoError(t, cancelErr, "the run had not ended when the cancel came")
		out, err := run.Result(ctx)
		require.NoError(t, err, "the run completed: the cancel came too late")
		require.Equal(t, "first", out)
		_, err = s.worker.Sweep(ctx, 0)
		require.NoError(t, err)
		s.drain(t)
		requireSettled(t, b, run.ID())
	})
}

// disposeThenNap receives one payload, disposes its hook, sleeps and returns.
var disposeThenNap = workflow.Define("dispose-then-nap", func(ctx workflow.Context, token string) (string, error) {
	h, err := workflow.CreateHook[string](ctx, workflow.HookOptions{Token: token})
	if err != nil {
		return "", err
	}
	v, err := h.Receive(ctx)
	if err != nil {
		return "", err
	}
	if err := h.Dispose(ctx); err != nil {
		return "", err
	}
	if err := workflow.Sleep(ctx, 300*time.Millisecond); err != nil {
		return "", err
	}
	return v, nil
})

// A payload stored just before its hook's release lands is moved into history as dropped by
// the turn that ends the run; the end of the run must not record it a second time (it is
// still in the inbox until that turn commits).
func TestDroppedPayloadRecordedOnceWhenTheRunEnds(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend.Backend) {
		ctx := t.Context()
		direct := workflow.NewClient(b, workflow.ClientOptions{})
		var lateErr error
		racing := &beforeCommit{Backend: b, when: func(c backend.Commit) bool { return len(c.ReleaseTokens) > 0 }, fn: func() {
			_, lateErr = direct.ResumeHook(ctx, "nap:1", "late")
		}}
		s := newStack(t, racing, workflow.WorkerOptions{}, disposeThenNap)
		run, err := workflow.Start(ctx, s.client, disposeThenNap, "nap:1")
		require.NoError(t, err)
		s.drain(t)
		_, err = s.client.ResumeHook(ctx, "nap:1", "first")
		require.NoError(t, err)
		// One turn takes the first payload, disposes the hook (the late payload lands just
		// before the release) and sleeps. The late payload's wake is lost, so the turn that
		// fires the timer is the one that moves it into history, and ends the run.
		require.NoError(t, s.worker.RunTurn(ctx, run.ID()))
		require.NoError(t, lateErr, "the hook was live when the late payload came")
		time.Sleep(time.Second)
		s.purge(t)
		require.NoError(t, s.worker.RunTurn(ctx, run.ID()))
		info, err := s.client.GetRun(ctx, run.ID())
		require.NoError(t, err)
		require.Equal(t, workflow.StatusCompleted, info.Status, info.Error)
		evs := s.events(t, run.ID())
		require.Equal(t, 2, count(evs, "hook_received"), "the first payload, and the late one once, as dropped")
		requireSettled(t, b, run.ID())
	})
}
