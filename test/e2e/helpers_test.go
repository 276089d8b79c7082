package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/lambdafn"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// waitLimit bounds every wait for the stack: a run to end, a hook to appear.
const waitLimit = 60 * time.Second

// start starts a run of w on the stack, as an application would: the client writes the run
// and sends its first wake to SQS, which the event source delivers to the runner.
func start[In, Out any](t *testing.T, s *stack, w *workflow.Workflow[In, Out], in In) *workflow.Run[Out] {
	t.Helper()
	run, err := workflow.Start(t.Context(), s.client, w, in)
	require.NoError(t, err)
	return run
}

// result waits for the run to end and returns its output.
func result[Out any](t *testing.T, run *workflow.Run[Out]) Out {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()
	out, err := run.Result(ctx)
	require.NoError(t, err, "run %s", run.ID())
	return out
}

// eventually polls fn until it returns nil, and fails with its last error after waitLimit.
func eventually(t *testing.T, what string, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not after %v: %v", what, waitLimit, err)
		}
		sleep(t.Context(), 50*time.Millisecond)
	}
}

// webhookURL waits until the run's first turn has created its webhook and returns its URL.
func (s *stack) webhookURL(t *testing.T, runID string) string {
	t.Helper()
	var url string
	eventually(t, "the run's webhook", func() error {
		hooks, err := s.client.ListHooks(t.Context(), workflow.HookFilter{RunID: runID})
		if err != nil {
			return err
		}
		if len(hooks) != 1 || !hooks[0].Webhook {
			return errors.New("no webhook yet")
		}
		url = hooks[0].URL
		return nil
	})
	require.NotEmpty(t, url)
	return url
}

// awaitHook waits until a run holds token.
func (s *stack) awaitHook(t *testing.T, token string) workflow.HookInfo {
	t.Helper()
	var info workflow.HookInfo
	eventually(t, "hook "+token, func() (err error) {
		info, err = s.client.GetHookByToken(t.Context(), token)
		return err
	})
	return info
}

// response is what an HTTP caller got.
type response struct {
	status int
	header http.Header
	body   []byte
}

// send makes an HTTP request through the gateway.
func (s *stack) send(t *testing.T, method, url string, header http.Header, body []byte) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, bytes.NewReader(body))
	require.NoError(t, err)
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := s.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (s *stack) post(t *testing.T, url, contentType, body string) response {
	t.Helper()
	return s.send(t, http.MethodPost, url, http.Header{"Content-Type": {contentType}}, []byte(body))
}

// resumeRequest is the resume function's direct-invoke event, as the SDK sends it.
type resumeRequest struct {
	Token          string `json:"token"`
	Payload        any    `json:"payload"`
	IdempotencyKey string `json:"idempotencyKey,omitempty"`
}

// invokeResume calls the resume function as the SDK does (a direct Invoke).
func (s *stack) invokeResume(t *testing.T, req any) lambdafn.InvokeResponse {
	t.Helper()
	var out lambdafn.InvokeResponse
	require.NoError(t, s.resume.invokeInto(t.Context(), req, &out))
	return out
}

// sweep invokes the runner as its EventBridge schedule does.
func (s *stack) sweep(t *testing.T) lambdafn.SweepResult {
	t.Helper()
	ev := map[string]any{
		"version": "0", "id": rand.Text(), "detail-type": "Scheduled Event", "source": "aws.events",
		"account": "123456789012", "time": time.Now().UTC().Format(time.RFC3339), "region": s.env.Region,
		"resources": []string{"arn:aws:events:" + s.env.Region + ":123456789012:rule/hookflow-sweep"},
		"detail":    map[string]any{},
	}
	var out lambdafn.SweepResult
	require.NoError(t, s.runner.invokeInto(t.Context(), ev, &out))
	return out
}

// history returns the run's events.
func (s *stack) history(t *testing.T, runID string) []workflow.Event {
	t.Helper()
	evs, err := s.client.ListEvents(t.Context(), runID)
	require.NoError(t, err)
	return evs
}

// ofType returns the events of one type.
func ofType(evs []workflow.Event, typ string) []workflow.Event {
	var out []workflow.Event
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// received is the data of a hook_received event.
type received struct {
	DeliveryID string          `json:"deliveryId"`
	Payload    json.RawMessage `json:"payload"`
	Body       []byte          `json:"-"` // a webhook request's body, kept beside the event's data
}

// deliveries returns the hook_received events' data, in history order.
func deliveries(t *testing.T, evs []workflow.Event) []received {
	t.Helper()
	var out []received
	for _, e := range ofType(evs, "hook_received") {
		var r received
		require.NoError(t, json.Unmarshal(e.Data, &r))
		r.Body = e.Body
		out = append(out, r)
	}
	return out
}

// requireWellFormed checks a history: sequence numbers 1..n, and no delivery twice.
func requireWellFormed(t *testing.T, evs []workflow.Event) {
	t.Helper()
	seen := map[string]bool{}
	for i, e := range evs {
		require.Equal(t, i+1, e.Seq, "event %d of %v", i, evs)
	}
	for _, d := range deliveries(t, evs) {
		require.False(t, seen[d.DeliveryID], "delivery %s recorded twice", d.DeliveryID)
		seen[d.DeliveryID] = true
	}
}

// token returns a custom hook token unique to the test.
func token(prefix string) string { return prefix + ":" + rand.Text()[:12] }
