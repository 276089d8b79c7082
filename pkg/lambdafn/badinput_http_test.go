package lambdafn

import (
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// Bodies above the limits: the payload limit (webhook bodies, hook payloads) and the resume
// endpoint's request limit.
var (
	overPayloadLimit = strings.Repeat("x", workflow.DefaultMaxPayloadBytes+1)
	overResumeLimit  = `{"token":"{hook}","payload":"` + strings.Repeat("x", 2*workflow.DefaultMaxPayloadBytes+4096) + `"}`
)

// httpRow is a request to the handler of package webhook.
type httpRow struct {
	name   string
	method string // default POST
	path   string // {hook}, {schema} and {webhook} stand for live tokens (see stack.fill)
	header map[string]string
	body   string
	broken bool // reading the body fails
	status int
	// Resume endpoint: the error body's message contains want; issues: it lists validation
	// issues. The webhook route answers every 4xx with an empty body.
	want   string
	issues bool
}

// webhookRouteRows: ANY /.well-known/workflow/v1/webhook/{token} answers 400 without a
// token, 404 with an empty body for anything that is not a live webhook's token (including
// path tricks, which are never redirected), 413 for a body over the limit, and 400 for a body
// that cannot be read.
func (s *stack) webhookRouteRows(t *testing.T) {
	const wh = workflow.WebhookPath
	for _, tc := range []httpRow{
		{name: "empty token", path: wh, status: http.StatusBadRequest},
		{name: "no token, no slash", path: strings.TrimSuffix(wh, "/"), status: http.StatusBadRequest},
		{name: "unknown token", path: wh + "c2VjcmV0LXRva2Vu", status: http.StatusNotFound},
		{name: "plain hook's token", path: wh + "{hook}", status: http.StatusNotFound},
		{name: "plain hook's token, idempotency key", path: wh + "{hook}", header: map[string]string{"Idempotency-Key": "k"}, status: http.StatusNotFound},
		{name: "schema hook's token", path: wh + "{schema}", body: `{"orderId":"o1","cents":5}`, status: http.StatusNotFound},
		{name: "dot-dot to the resume endpoint", path: wh + "../resume", body: `{"token":"{hook}","payload":1}`, status: http.StatusNotFound},
		{name: "encoded dot-dot", path: wh + "%2e%2e/resume", status: http.StatusNotFound},
		{name: "encoded slashes", path: wh + "..%2F..%2Fresume", status: http.StatusNotFound},
		{name: "double slash before a live token", path: wh + "/{webhook}", status: http.StatusNotFound},
		{name: "dot segment before a live token", path: wh + "./{webhook}", status: http.StatusNotFound},
		{name: "live token, trailing slash", path: wh + "{webhook}/", status: http.StatusNotFound},
		{name: "live token, extra segment", path: wh + "{webhook}/x", status: http.StatusNotFound},
		{name: "live token, then dot-dot", path: wh + "{webhook}/..", status: http.StatusNotFound},
		{name: "live token in lower case", path: wh + "{webhook-lower}", status: http.StatusNotFound},
		{name: "unicode token", path: wh + "t%C3%B6k%E2%80%8Ben", status: http.StatusNotFound},
		{name: "NUL in token", path: wh + "{webhook}%00", status: http.StatusNotFound},
		{name: "CR LF in token", path: wh + "{webhook}%0D%0AX-Injected:%201", status: http.StatusNotFound},
		{name: "invalid UTF-8 in token", path: wh + "%FF%FE{webhook}", status: http.StatusNotFound},
		{name: "10 KB token", path: wh + strings.Repeat("A", 10<<10), status: http.StatusNotFound},
		{name: "body over the limit", path: wh + "{webhook}", body: overPayloadLimit, status: http.StatusRequestEntityTooLarge},
		{name: "body over the limit, unknown token", path: wh + "nope", body: overPayloadLimit, status: http.StatusNotFound},
		{name: "2 KB Idempotency-Key", path: wh + "{webhook}", header: map[string]string{"Idempotency-Key": strings.Repeat("k", 2<<10)}, status: http.StatusBadRequest},
		{name: "body that cannot be read", path: wh + "{webhook}", broken: true, status: http.StatusBadRequest},
		{name: "odd method, unknown token", method: "PROPFIND", path: wh + "nope", status: http.StatusNotFound},
	} {
		s.row(t, tc.name, func(t *testing.T, e entry) {
			rec := e.serveHTTP(t, tc)
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			require.Empty(t, rec.Body.String(), "the public route says nothing more")
			require.Empty(t, rec.Header().Get("Location"), "and sends nobody elsewhere")
		})
	}
}

// resumeEndpointRows: POST /.well-known/workflow/v1/resume answers 400 for a malformed
// request or an invalid payload (with the issues), 404 for anything that is not a live plain
// hook's token, 413 for a request or payload over the limits.
func (s *stack) resumeEndpointRows(t *testing.T) {
	const rp = webhook.ResumePath
	for _, tc := range []httpRow{
		{name: "bad JSON", body: `{"token":`, status: http.StatusBadRequest, want: "must be a JSON object"},
		{name: "not an object", body: `["{hook}",1]`, status: http.StatusBadRequest, want: "must be a JSON object"},
		{name: "null", body: `null`, status: http.StatusBadRequest, want: "token is required"},
		{name: "empty body", body: ``, status: http.StatusBadRequest, want: "must be a JSON object"},
		{name: "token is a number", body: `{"token":42,"payload":1}`, status: http.StatusBadRequest, want: "must be a JSON object"},
		{name: "idempotency key is an object", body: `{"token":"{hook}","payload":1,"idempotencyKey":{}}`, status: http.StatusBadRequest, want: "must be a JSON object"},
		{name: "no payload", body: `{"token":"{hook}"}`, status: http.StatusBadRequest, want: "payload is required"},
		{name: "unknown field", body: `{"token":"{hook}","payload":1,"runId":"run-doors"}`, status: http.StatusBadRequest, want: "unknown field"},
		{name: "two objects", body: `{"token":"{hook}","payload":1}{"token":"{hook}","payload":2}`, status: http.StatusBadRequest, want: "one JSON object"},
		{name: "empty token", body: `{"token":"","payload":1}`, status: http.StatusBadRequest, want: "token is required"},
		{name: "unknown token", body: `{"token":"order-0000","payload":1}`, status: http.StatusNotFound, want: "hook not found"},
		{name: "webhook's token", body: `{"token":"{webhook}","payload":1,"idempotencyKey":"k"}`, status: http.StatusNotFound, want: "hook not found"},
		{name: "dot-dot token", body: `{"token":"../{hook}","payload":1}`, status: http.StatusNotFound, want: "hook not found"},
		{name: "NUL in token", body: `{"token":"{hook}\u0000","payload":1}`, status: http.StatusNotFound, want: "hook not found"},
		{name: "zero-width space in token", body: `{"token":"{hook}\u200b","payload":1}`, status: http.StatusNotFound, want: "hook not found"},
		{name: "request over the limit", body: overResumeLimit, status: http.StatusRequestEntityTooLarge, want: "too large"},
		{name: "payload over the limit", body: `{"token":"{hook}","payload":"` + overPayloadLimit + `"}`, status: http.StatusRequestEntityTooLarge, want: "limit"},
		{name: "payload missing a required field", body: `{"token":"{schema}","payload":{"orderId":"o1"}}`, status: http.StatusBadRequest, want: "invalid payload", issues: true},
		{name: "payload of the wrong type", body: `{"token":"{schema}","payload":"refund me"}`, status: http.StatusBadRequest, want: "invalid payload", issues: true},
		{name: "GET", method: http.MethodGet, body: `{"token":"{hook}","payload":1}`, status: http.StatusMethodNotAllowed},
	} {
		tc.path = rp
		s.row(t, tc.name, func(t *testing.T, e entry) {
			rec := e.serveHTTP(t, tc)
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			if tc.want == "" {
				return
			}
			var body webhook.ErrorBody
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
			require.Contains(t, body.Error, tc.want)
			require.Equal(t, tc.issues, len(body.Issues) > 0, "issues: %v", body.Issues)
		})
	}
}

// serveHTTP sends the row's request to a webhook.Handler on the entry's client.
func (e entry) serveHTTP(t *testing.T, tc httpRow) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader = strings.NewReader(e.s.fill(tc.body))
	if tc.broken {
		body = iotest.ErrReader(errors.New("connection reset by peer"))
	}
	req := httptest.NewRequestWithContext(t.Context(), cmp.Or(tc.method, http.MethodPost), e.s.fill(tc.path), body)
	for k, v := range tc.header {
		req.Header.Set(k, e.s.fill(v))
	}
	rec := httptest.NewRecorder()
	webhook.NewHandler(e.c, webhook.Options{Logger: e.log}).ServeHTTP(rec, req)
	return rec
}
