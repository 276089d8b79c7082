package lambdafn

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
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
	backend.Backend
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

// TestStoreFailuresDoNotLogTokens: when the store fails with an error that names the token,
// the resume function (direct Invoke and API Gateway) and the webhook function answer 500,
// and neither their logs nor the function error the Lambda runtime logs hold the token.
func TestStoreFailuresDoNotLogTokens(t *testing.T) {
	t.Parallel()
	s := newStack(t, "memory")
	type row struct {
		path, fail, token string
	}
	var rows []row
	for _, fail := range []string{failGetToken, failPutInbox, failCorruptData} {
		rows = append(rows, row{"invoke", fail, s.hook}, row{"resume-api", fail, s.hook}, row{"webhook-fn", fail, s.webhook})
	}
	// An idempotency key is looked up when the token is not found: a webhook's token on the
	// resume paths, a plain hook's on the public route.
	rows = append(rows, row{"invoke", failGetIdempotency, s.webhook}, row{"resume-api", failGetIdempotency, s.webhook},
		row{"webhook-fn", failGetIdempotency, s.hook})
	for _, tc := range rows {
		t.Run(tc.path+"/"+tc.fail, func(t *testing.T) {
			t.Parallel()
			var logs logBuffer
			ctx := t.Context()
			c := workflow.NewClient(leaky{Backend: s.b, fail: tc.fail}, workflow.ClientOptions{})
			body := `{"token":"` + tc.token + `","payload":1,"idempotencyKey":"k"}`
			switch tc.path {
			case "invoke":
				out, err := NewResumeHandler(c, logs.logger()).Handle(ctx, json.RawMessage(body))
				require.Equal(t, InvokeResponse{Status: http.StatusInternalServerError, Error: "internal error"}, out)
				require.Error(t, err, "a store failure is a function error")
				require.NotContains(t, err.Error(), tc.token, "the Lambda runtime logs the function error")
				require.Contains(t, err.Error(), webhook.TokenFingerprint(tc.token))
			case "resume-api":
				raw, err := json.Marshal(apiEvent("POST", "/.well-known/workflow/v1/resume", "", body, false, nil))
				require.NoError(t, err)
				out, err := NewResumeHandler(c, logs.logger()).Handle(ctx, raw)
				require.NoError(t, err)
				resp := out.(events.APIGatewayV2HTTPResponse)
				require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
				require.JSONEq(t, `{"error":"internal error"}`, resp.Body)
			case "webhook-fn":
				resp, err := NewWebhookHandler(c, logs.logger()).Handle(ctx, apiEvent("POST",
					"/.well-known/workflow/v1/webhook/"+tc.token, "", "{}", false, map[string]string{"idempotency-key": "k"}))
				require.NoError(t, err)
				require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
				require.Empty(t, resp.Body)
			}
			require.Contains(t, logs.String(), "failed", "the failure is logged")
			require.NotContains(t, logs.String(), tc.token, "the log holds the token")
			require.Contains(t, logs.String(), webhook.TokenFingerprint(tc.token), "operators can still correlate")
		})
	}
}
