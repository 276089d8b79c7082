package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/examples/catalog"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// A run waits on a webhook; a POST to its URL through API Gateway gets 202 with an empty
// body once the request is stored, and the run goes on with it. The URL is dead afterwards.
func testWebhookAccepted(t *testing.T, s *stack) {
	run := start(t, s, catalog.Inbox, struct{}{})
	hookURL := s.webhookURL(t, run.ID())
	require.True(t, strings.HasPrefix(hookURL, s.gateway.URL()+workflow.WebhookPath), hookURL)

	resp := s.post(t, hookURL, "text/plain", "hello")
	require.Equal(t, http.StatusAccepted, resp.status)
	require.Empty(t, resp.body)
	require.Equal(t, "POST hello", result(t, run))

	resp = s.post(t, hookURL, "text/plain", "again")
	require.Equal(t, http.StatusNotFound, resp.status, "the run has ended and released its webhook")
	require.Empty(t, resp.body)
}

// What the workflow gets is what the caller sent, through API Gateway's event format: a
// binary body (base64 in the event), the query and repeated headers (joined with commas);
// but not its credentials: the cookies (a field of their own in the event) and the
// Authorization header are not stored.
func testWebhookRequestDetails(t *testing.T, s *stack) {
	run := start(t, s, catalog.Inbox, struct{}{})
	hookURL := s.webhookURL(t, run.ID())
	body := []byte{0, 0xff, 0xfe, 'h', 'i', 0x80}
	resp := s.send(t, http.MethodPut, hookURL+"?a=1&b=two%20words", http.Header{
		"Content-Type":  {"application/octet-stream"},
		"X-Multi":       {"one", "two"},
		"Cookie":        {"a=1; b=2"},
		"Authorization": {"Bearer x"},
	}, body)
	require.Equal(t, http.StatusAccepted, resp.status)
	require.True(t, strings.HasPrefix(result(t, run), "PUT "))

	got := deliveries(t, s.history(t, run.ID()))
	require.Len(t, got, 1)
	var req workflow.Request
	require.NoError(t, json.Unmarshal(got[0].Payload, &req))
	require.Equal(t, http.MethodPut, req.Method)
	require.Nil(t, req.Body, "the body is stored beside the request's JSON, not inside it")
	require.Equal(t, body, got[0].Body, "binary bodies survive base64 both ways")
	u, err := url.Parse(req.URL)
	require.NoError(t, err)
	hook, err := url.Parse(hookURL)
	require.NoError(t, err)
	require.Equal(t, hook.Scheme, u.Scheme, "the scheme the caller used (x-forwarded-proto)")
	require.Equal(t, hook.Host, u.Host)
	require.Equal(t, hook.Path, u.Path)
	require.Equal(t, "a=1&b=two%20words", u.RawQuery)
	require.Equal(t, "one,two", req.Header.Get("X-Multi"))
	require.Empty(t, req.Header.Values("Cookie"), "credentials are not stored")
	require.Empty(t, req.Header.Values("Authorization"), "credentials are not stored")
	require.NotContains(t, string(got[0].Payload), "Bearer x")
	require.Equal(t, "application/octet-stream", req.Header.Get("Content-Type"))
	require.Equal(t, got[0].DeliveryID, req.ID)
}

// A webhook created with a static response answers every request with it.
func testWebhookStaticResponse(t *testing.T, s *stack) {
	run := start(t, s, catalog.Paywall, struct{}{})
	hookURL := s.webhookURL(t, run.ID())
	for i := range 2 {
		resp := s.post(t, hookURL, "application/json", `{"try":`+string(rune('1'+i))+`}`)
		require.Equal(t, http.StatusPaymentRequired, resp.status)
		require.Equal(t, "payment required", string(resp.body))
		require.Equal(t, "text/plain; charset=utf-8", resp.header.Get("Content-Type"))
	}
	require.Equal(t, 2, result(t, run))
	require.Len(t, ofType(s.history(t, run.ID()), "hook_received"), 2)
}

// A manual webhook holds the caller until the workflow answers: the webhook function waits
// for the response that the runner's turn stores.
func testWebhookManualResponse(t *testing.T, s *stack) {
	run := start(t, s, catalog.Echo, struct{}{})
	hookURL := s.webhookURL(t, run.ID())

	resp := s.post(t, hookURL, "application/json", `{"a":1}`)
	require.Equal(t, http.StatusOK, resp.status)
	require.Equal(t, "application/json", resp.header.Get("Content-Type"))
	require.JSONEq(t, `{"echo":{"a":1},"n":1}`, string(resp.body))

	resp = s.post(t, hookURL, "text/plain", "not json")
	require.Equal(t, http.StatusBadRequest, resp.status)
	require.JSONEq(t, `{"error":"not JSON"}`, string(resp.body))

	resp = s.post(t, hookURL, "application/json", `{"stop":true}`)
	require.Equal(t, http.StatusOK, resp.status)
	require.JSONEq(t, `{"echo":{"stop":true},"n":2}`, string(resp.body))
	require.Equal(t, 2, result(t, run))
	require.Len(t, ofType(s.history(t, run.ID()), "response_sent"), 3)
}
