package engine

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/workflow/werr"
)

// deliverySetup returns a client of a memory backend holding one run that waits on a plain
// hook "plain" (with a schema: an object with a required "n"), a webhook "web" (202) and a
// manual webhook "manual" (fallback 504 after 20 ms).
func deliverySetup(t *testing.T) *Client {
	t.Helper()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := memory.New(memory.WithClock(&testClock{now: now}))
	t.Cleanup(func() { _ = b.Close() })
	ctx := context.Background()
	_, err := b.CreateRun(ctx, backend.Run{ID: "r1", Workflow: "w", Status: backend.StatusPending, CreatedAt: now, UpdatedAt: now},
		[]backend.Event{{Seq: 1, Type: EventRunCreated, CreatedAt: now}})
	require.NoError(t, err)
	data := func(d TokenData) json.RawMessage { return mustJSON(d) }
	fallback := DefaultFallback()
	require.NoError(t, b.Commit(ctx, backend.Commit{
		RunID: "r1", Version: 1, Status: backend.StatusWaiting, Now: now,
		ClaimTokens: []backend.Token{
			{Token: "plain", RunID: "r1", HookID: "h1", Kind: backend.TokenHook, CreatedAt: now,
				Data: data(TokenData{Schema: json.RawMessage(`{"type":"object","required":["n"]}`)})},
			{Token: "web", RunID: "r1", HookID: "h2", Kind: backend.TokenWebhook, CreatedAt: now, Data: data(TokenData{Webhook: &WebhookConfig{}})},
			{Token: "manual", RunID: "r1", HookID: "h3", Kind: backend.TokenWebhook, CreatedAt: now,
				Data: data(TokenData{Webhook: &WebhookConfig{Manual: true, ResponseTimeout: 20 * time.Millisecond, Fallback: &fallback}})},
		},
	}))
	c, err := NewClient(b, ClientOptions{MaxPayloadBytes: 64})
	require.NoError(t, err)
	return c
}

// ResumeHook gives every outcome as a Delivery, never as an error.
func TestResumeHookOutcomes(t *testing.T) {
	t.Parallel()
	c := deliverySetup(t)
	ctx := t.Context()
	for _, tc := range []struct {
		name, token, payload, key string
		want                      Outcome
		errIs                     error
	}{
		{"stored", "plain", `{"n":1}`, "", Stored, nil},
		{"stored with a key", "plain", `{"n":2}`, "k1", Stored, nil},
		{"the same key again", "plain", `{"n":2}`, "k1", Duplicate, nil},
		{"empty token", "", `{"n":1}`, "", NotFound, werr.ErrHookNotFound},
		{"unknown token", "nope", `{"n":1}`, "", NotFound, werr.ErrHookNotFound},
		{"a webhook's token", "web", `{"n":1}`, "", NotFound, werr.ErrHookNotFound},
		{"over the limit", "plain", `{"n":"` + strings.Repeat("x", 64) + `"}`, "", TooLarge, werr.ErrPayloadTooLarge},
		{"key over the limit", "plain", `{"n":1}`, strings.Repeat("k", MaxIdempotencyKeyBytes+1), Invalid, werr.ErrInvalidArgument},
	} {
		d, err := c.ResumeHook(ctx, tc.token, json.RawMessage(tc.payload), tc.key)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, d.Outcome, "%s: %v", tc.name, d.Err)
		if tc.errIs != nil {
			require.ErrorIs(t, d.Err, tc.errIs, tc.name)
			require.True(t, d.Refused(), tc.name)
		} else {
			require.NoError(t, d.Err, tc.name)
			require.Equal(t, "r1", d.Result.RunID, tc.name)
			require.Equal(t, "h1", d.Result.HookID, tc.name)
			require.Equal(t, tc.want == Duplicate, d.Result.Duplicate, tc.name)
		}
	}
	d, err := c.ResumeHook(ctx, "plain", json.RawMessage(`{"m":1}`), "")
	require.NoError(t, err)
	require.Equal(t, Invalid, d.Outcome, "the schema rejects it")
	var invalid *werr.ValidationError
	require.ErrorAs(t, d.Err, &invalid)
	require.NotEmpty(t, invalid.Issues)

	items, err := c.Backend().ListInbox(ctx, "r1", 0)
	require.NoError(t, err)
	require.Len(t, items, 2, "only the two stored payloads")
}

// A webhook request is found, then delivered, and gets its caller's answer; a retry with
// the same key gets the same answer, stored once.
func TestWebhookDeliveryOutcomes(t *testing.T) {
	t.Parallel()
	c := deliverySetup(t)
	ctx := t.Context()
	req := WebhookRequest{Method: http.MethodPost, URL: "https://x/y?z=1", Header: http.Header{"A": {"b"}}, Body: []byte("hi")}

	_, d, err := c.FindWebhook(ctx, "plain", "")
	require.NoError(t, err)
	require.Equal(t, NotFound, d.Outcome, "a plain hook is not a webhook")
	_, d, err = c.FindWebhook(ctx, "web", strings.Repeat("k", MaxIdempotencyKeyBytes+1))
	require.NoError(t, err)
	require.Equal(t, Invalid, d.Outcome)

	for i, want := range []Outcome{Stored, Duplicate} {
		target, d, err := c.FindWebhook(ctx, "web", "key")
		require.NoError(t, err)
		require.NotNil(t, target, "attempt %d: %v", i, d)
		d, err = target.Deliver(ctx, req)
		require.NoError(t, err)
		require.Equal(t, want, d.Outcome)
		require.Equal(t, &Response{Status: http.StatusAccepted}, d.Response)
	}

	target, _, err := c.FindWebhook(ctx, "manual", "")
	require.NoError(t, err)
	d, err = target.Deliver(ctx, req)
	require.NoError(t, err)
	require.Equal(t, Stored, d.Outcome)
	require.Equal(t, http.StatusGatewayTimeout, d.Response.Status, "no answer within the response timeout: the fallback")

	items, err := c.Backend().ListInbox(ctx, "r1", 0)
	require.NoError(t, err)
	require.Len(t, items, 2, "the retry stored nothing")
	var rec RequestRecord
	require.NoError(t, json.Unmarshal(items[0].Payload, &rec))
	require.Equal(t, "https://x/y?z=1", rec.URL)
	require.Equal(t, []byte("hi"), items[0].Body, "the body travels beside the record")
}
