package faults

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/hookflow/hookflow/internal/faultbackend"
	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// The callers below act as production callers do: a call that fails (an error, or 500 from
// the webhook route) is retried as it was, with the same run ID or idempotency key. Only
// injected faults are retried: any other error fails the cell.

// maxAttempts bounds a caller's retries; one fault needs one.
const maxAttempts = 10

// transient reports whether err is an injected fault, which a production caller retries.
func transient(err error) bool { return errors.Is(err, faultbackend.ErrInjected) }

// start starts a run of wf under a run ID of the cell's, retrying Start with the same ID.
func start[In, Out any](h *harness, wf *workflow.Workflow[In, Out], in In) *workflow.Run[Out] {
	h.t.Helper()
	id := "run-" + h.name
	h.mu.Lock()
	h.runs = append(h.runs, id)
	h.mu.Unlock()
	var (
		run *workflow.Run[Out]
		err error
	)
	for range maxAttempts {
		if run, err = workflow.Start(h.ctx, h.client, wf, in, workflow.WithRunID(id)); !transient(err) {
			break
		}
		time.Sleep(h.st.retryPause)
	}
	if err != nil {
		h.fatal(invCall, "start: %v", err)
	}
	return run
}

// result runs turns until the run ends and returns its result, as Run.Result gives it.
func result[Out any](h *harness, run *workflow.Run[Out]) (Out, error) {
	h.t.Helper()
	h.awaitEnd(run.ID())
	var (
		out Out
		err error
	)
	for range maxAttempts {
		if out, err = run.Result(h.ctx); !transient(err) {
			break
		}
		time.Sleep(h.st.retryPause)
	}
	return out, err
}

// hookPayload is what the scenarios send to plain hooks.
type hookPayload struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// resume sends value to the hook with idempotency key key, retrying with the same key, and
// records the delivery as accepted.
func (h *harness) resume(token, key, value string) workflow.ResumeResult {
	h.t.Helper()
	res, err := h.tryResume(token, key, value)
	if err != nil {
		h.fatal(invCall, "resume %s: %v", key, err)
	}
	h.mu.Lock()
	h.accepted = append(h.accepted, delivery{runID: res.RunID, key: key, deliveryID: res.DeliveryID})
	h.mu.Unlock()
	return res
}

// resumeRefused resumes a hook that must be gone: the delivery is refused and never stored.
func (h *harness) resumeRefused(token, key string) {
	h.t.Helper()
	_, err := h.tryResume(token, key, "late")
	if !errors.Is(err, workflow.ErrHookNotFound) {
		h.fatal(invCall, "resume %s after the hook closed: %v, want ErrHookNotFound", key, err)
	}
	h.mu.Lock()
	h.refused = append(h.refused, key)
	h.mu.Unlock()
}

func (h *harness) tryResume(token, key, value string) (workflow.ResumeResult, error) {
	var (
		res workflow.ResumeResult
		err error
	)
	for range maxAttempts {
		res, err = h.client.ResumeHook(h.ctx, token, hookPayload{Key: key, Value: value}, workflow.WithIdempotencyKey(key))
		if !transient(err) {
			break
		}
		time.Sleep(h.st.retryPause)
	}
	return res, err
}

// cancel cancels the run, retrying when the call fails.
func (h *harness) cancel(runID string) {
	h.t.Helper()
	var err error
	for range maxAttempts {
		if err = h.client.CancelRun(h.ctx, runID); !transient(err) {
			break
		}
		time.Sleep(h.st.retryPause)
	}
	if err != nil {
		h.fatal(invCall, "cancel: %v", err)
	}
}

// answer is the HTTP response a webhook caller ended with.
type answer struct {
	status int
	body   string
}

// request is a webhook request of the scenarios: its body, and its idempotency key also in
// an X-Delivery header, which history keeps with the request.
func webhookRequest(ctx context.Context, token, key, body string) *http.Request {
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, baseURL+workflow.WebhookPath+token, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Idempotency-Key", key)
	r.Header.Set("X-Delivery", key)
	return r
}

// post sends the request to handler until it gets an answer other than 500 (the route's
// answer when the delivery failed on the server side), and returns that answer.
func post(ctx context.Context, handler http.Handler, token, key, body string, pause time.Duration) answer {
	var a answer
	for range maxAttempts {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, webhookRequest(ctx, token, key, body))
		a = answer{rec.Code, rec.Body.String()}
		if a.status != http.StatusInternalServerError {
			break
		}
		time.Sleep(pause)
	}
	return a
}

// send delivers a request to a static or 202 webhook and checks the answer.
func (h *harness) send(runID, token, key, body string, want answer) {
	h.t.Helper()
	got := post(h.ctx, h.hook, token, key, body, h.st.retryPause)
	if got != want {
		h.fatal(invResponse, "webhook request %s got %d %q, want %d %q", key, got.status, got.body, want.status, want.body)
	}
	h.mu.Lock()
	h.accepted = append(h.accepted, delivery{runID: runID, key: key})
	h.mu.Unlock()
}

// sendRefused delivers a request to a webhook that must be gone: 404, nothing stored.
func (h *harness) sendRefused(token, key string) {
	h.t.Helper()
	got := post(h.ctx, h.hook, token, key, `{}`, h.st.retryPause)
	if got.status != http.StatusNotFound {
		h.fatal(invResponse, "webhook request %s after the webhook closed got %d %q, want 404", key, got.status, got.body)
	}
	h.mu.Lock()
	h.refused = append(h.refused, key)
	h.mu.Unlock()
}

// caller is a manual webhook's caller, held until the workflow (or the fallback) answers.
type caller struct {
	runID, key string
	want       answer
	got        answer
	done       chan struct{}
}

// callManual starts a caller of a manual webhook and returns once its request is stored and
// it is waiting for the answer (or it has its answer already), so that the scenario's calls
// to the backend come in a fixed order.
func (h *harness) callManual(runID, token, key, body string, want answer) *caller {
	h.t.Helper()
	c := &caller{runID: runID, key: key, want: want, done: make(chan struct{})}
	polling := make(chan struct{})
	client := workflow.NewClient(&observer{Backend: h.fb, polling: sync.OnceFunc(func() { close(polling) })},
		workflow.ClientOptions{BaseURL: baseURL})
	handler := webhook.NewHandler(client, webhook.Options{Logger: discard})
	// The caller ends with the cell at the latest: its context is the cell's.
	ctx, cancel := context.WithTimeout(h.ctx, h.st.patience)
	go func() {
		defer close(c.done)
		defer cancel()
		c.got = post(ctx, handler, token, key, body, h.st.retryPause)
	}()
	h.t.Cleanup(func() { <-c.done })
	h.mu.Lock()
	h.callers = append(h.callers, c)
	h.mu.Unlock()
	select {
	case <-polling:
	case <-c.done:
	case <-time.After(h.st.patience):
		h.fatal(invStalled, "manual caller %s neither waits nor returns", key)
	}
	return c
}

func (h *harness) callerList() []*caller {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*caller(nil), h.callers...)
}

// awaitCallers runs turns until the callers have their answers.
func (h *harness) awaitCallers(cs ...*caller) {
	h.t.Helper()
	h.until("manual callers answered", func() bool {
		for _, c := range cs {
			select {
			case <-c.done:
			default:
				return false
			}
		}
		return true
	})
}

// observer is a caller's view of the backend: it reports the caller's first poll for its
// response, the point after which it only waits.
type observer struct {
	backend.Backend
	polling func()
}

func (o *observer) GetResponse(ctx context.Context, deliveryID string) (backend.Response, error) {
	o.polling()
	return o.Backend.GetResponse(ctx, deliveryID)
}

// Clock passes on the wrapped backend's clock (the fake one on the embedded backend).
func (o *observer) Clock() backend.Clock { return backend.ClockOf(o.Backend) }

func decode(raw json.RawMessage, v any) error { return json.Unmarshal(raw, v) }
