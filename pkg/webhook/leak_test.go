package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
	"github.com/hookflow/hookflow/pkg/workflow/workflowtest"
)

// Store failures whose messages carry the token, the way the DynamoDB driver words them.
const (
	failGetToken       = "GetToken"
	failPutInbox       = "PutInbox"
	failGetIdempotency = "GetIdempotency"
	failCorruptData    = "corrupt token data"
)

// leaky is a backend whose store fails, in one of the ways above, with errors that name the
// token (or the idempotency key, which holds it).
type leaky struct {
	*memory.Backend
	fail string
}

func (l leaky) GetToken(ctx context.Context, token string) (backend.Token, error) {
	switch l.fail {
	case failGetToken:
		return backend.Token{}, fmt.Errorf("aws: get token %q: RequestTimeout", token)
	case failCorruptData:
		tok, err := l.Backend.GetToken(ctx, token)
		tok.Data = json.RawMessage(`{"schema":`)
		return tok, err
	}
	return l.Backend.GetToken(ctx, token)
}

func (l leaky) PutInbox(ctx context.Context, it backend.InboxItem, idem *backend.Idempotency) (backend.InboxItem, *backend.Idempotency, error) {
	if l.fail == failPutInbox {
		return backend.InboxItem{}, nil, fmt.Errorf("aws: put inbox: token %q of run %q: ThrottlingException", it.Token, it.RunID)
	}
	return l.Backend.PutInbox(ctx, it, idem)
}

func (l leaky) GetIdempotency(ctx context.Context, key string) (backend.Idempotency, error) {
	if l.fail == failGetIdempotency {
		return backend.Idempotency{}, fmt.Errorf("aws: get idempotency %q: InternalServerError", key)
	}
	return l.Backend.GetIdempotency(ctx, key)
}

// logBuffer collects what a logger writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// doors waits on a plain hook with a custom token and on a webhook.
var doors = workflow.Define("doors", func(ctx workflow.Context, _ struct{}) (string, error) {
	hook, err := workflow.CreateHook[int](ctx, workflow.HookOptions{Token: "order-7f3a9c"})
	if err != nil {
		return "", err
	}
	if _, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{}); err != nil {
		return "", err
	}
	_, err = hook.Receive(ctx)
	return "", err
})

// liveDoors starts doors and returns the Env and the live tokens of its plain hook and webhook.
func liveDoors(t *testing.T) (env *workflowtest.Env, hook, webhook string) {
	t.Helper()
	env = workflowtest.New(t, doors)
	_, err := workflow.Start(t.Context(), env.Client(), doors, struct{}{})
	require.NoError(t, err)
	env.WaitIdle()
	for _, h := range env.OpenHooks() {
		if h.Webhook {
			webhook = h.Token
		} else {
			hook = h.Token
		}
	}
	require.NotEmpty(t, hook)
	require.NotEmpty(t, webhook)
	return env, hook, webhook
}

// TestStoreFailuresDoNotLogTokens: when the store fails with an error that names the token,
// the webhook route and the resume endpoint answer 500 and log the failure without the token.
func TestStoreFailuresDoNotLogTokens(t *testing.T) {
	t.Parallel()
	env, hookToken, webhookToken := liveDoors(t)
	type row struct {
		path, fail, token string
		header            http.Header
		body              string
		wantBody          string
	}
	var rows []row
	for _, fail := range []string{failGetToken, failPutInbox, failCorruptData} {
		rows = append(rows,
			row{path: "webhook", fail: fail, token: webhookToken},
			row{path: "resume", fail: fail, token: hookToken, wantBody: `{"error":"internal error"}`})
	}
	// An idempotency key is looked up when the token is not found: a plain hook's token on the
	// public route, a webhook's on the resume endpoint.
	rows = append(rows,
		row{path: "webhook", fail: failGetIdempotency, token: hookToken, header: http.Header{"Idempotency-Key": {"k"}}},
		row{path: "resume", fail: failGetIdempotency, token: webhookToken, wantBody: `{"error":"internal error"}`})
	for _, tc := range rows {
		t.Run(tc.path+"/"+tc.fail, func(t *testing.T) {
			t.Parallel()
			var logs logBuffer
			c := workflow.NewClient(leaky{Backend: env.Backend(), fail: tc.fail}, workflow.ClientOptions{})
			h := webhook.NewHandler(c, webhook.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
			target, body := workflow.WebhookPath+tc.token, "{}"
			if tc.path == "resume" {
				target, body = webhook.ResumePath, `{"token":"`+tc.token+`","payload":1,"idempotencyKey":"k"}`
			}
			req := newRequest(t, http.MethodPost, target, body)
			for k, vs := range tc.header {
				req.Header[k] = vs
			}
			rec := do(h, req)

			require.Equal(t, http.StatusInternalServerError, rec.Code, rec.Body.String())
			if tc.wantBody == "" {
				require.Empty(t, rec.Body.String())
			} else {
				require.JSONEq(t, tc.wantBody, rec.Body.String())
			}
			require.Contains(t, logs.String(), "failed", "the failure is logged")
			require.NotContains(t, logs.String(), tc.token, "the log line holds the token")
			require.Contains(t, logs.String(), webhook.TokenFingerprint(tc.token), "operators can still correlate")
		})
	}
}

func newRequest(t *testing.T, method, target, body string) *http.Request {
	t.Helper()
	return httptest.NewRequestWithContext(t.Context(), method, target, strings.NewReader(body))
}

func do(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}
