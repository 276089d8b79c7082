package webhook_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// broken is a backend whose token lookups fail, as when the store is unreachable.
type broken struct{ *memory.Backend }

func (broken) GetToken(context.Context, string) (backend.Token, error) {
	return backend.Token{}, errors.New("store unreachable")
}

func serve(t *testing.T, h http.Handler, method, target, body string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, strings.NewReader(body)))
	return rec
}

func TestBackendFailuresAre500WithoutDetails(t *testing.T) {
	t.Parallel()
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	c := workflow.NewClient(broken{b}, workflow.ClientOptions{})
	h := webhook.NewHandler(c, webhook.Options{Logger: slog.New(slog.DiscardHandler)})

	rec := serve(t, h, http.MethodPost, workflow.WebhookPath+"tok", "x")
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	require.Empty(t, rec.Body.String(), "no internal detail leaks to a public caller")

	rec = serve(t, h, http.MethodPost, webhook.ResumePath, `{"token":"t","payload":1}`)
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	require.JSONEq(t, `{"error":"internal error"}`, rec.Body.String())
}

func TestUnknownRoutesAre404(t *testing.T) {
	t.Parallel()
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	h := webhook.NewHandler(workflow.NewClient(b, workflow.ClientOptions{}), webhook.Options{})
	require.Equal(t, http.StatusNotFound, serve(t, h, http.MethodGet, "/", "").Code)
	require.Equal(t, http.StatusNotFound, serve(t, h, http.MethodPost, "/.well-known/workflow/v1/other", "").Code)
	rec := serve(t, h, http.MethodDelete, workflow.WebhookPath+"a/b/c", "")
	require.Equal(t, http.StatusNotFound, rec.Code, "a token with slashes is just an unknown token")
	body, _ := io.ReadAll(rec.Body)
	require.Empty(t, body)
}

func TestResumeStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, http.StatusOK},
		{&workflow.ValidationError{Issues: []string{"/x: bad"}}, http.StatusBadRequest},
		{workflow.ErrInvalidArgument, http.StatusBadRequest},
		{workflow.ErrHookNotFound, http.StatusNotFound},
		{workflow.ErrPayloadTooLarge, http.StatusRequestEntityTooLarge},
		{errors.New("boom"), http.StatusInternalServerError},
	} {
		got, _ := webhook.ResumeStatus(workflow.ResumeResult{}, tc.err)
		require.Equal(t, tc.want, got, "%v", tc.err)
	}
}

func FuzzDecodeResumeRequest(f *testing.F) {
	for _, s := range []string{
		`{"token":"t","payload":{"a":1},"idempotencyKey":"k"}`,
		`{"token":"t","payload":null}`,
		`{"token":"","payload":1}`,
		`{"payload":1}`, `[]`, `null`, `{"token":"t","payload":1}{}`, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := webhook.DecodeResumeRequest(body)
		if err != nil {
			return
		}
		if req.Token == "" || len(req.Payload) == 0 {
			t.Fatalf("accepted a request without token or payload: %q", body)
		}
	})
}

// FuzzWebhookRoute sends arbitrary paths, methods and bodies to the handler: it must answer
// every one with a status, never panic, and never store anything for an unknown token.
func FuzzWebhookRoute(f *testing.F) {
	f.Add("tok", "POST", []byte("{}"))
	f.Add("", "GET", []byte(nil))
	f.Add("a%2Fb", "PUT", []byte("x"))
	b := memory.New()
	f.Cleanup(func() { _ = b.Close() })
	h := webhook.NewHandler(workflow.NewClient(b, workflow.ClientOptions{}), webhook.Options{Logger: slog.New(slog.DiscardHandler)})
	f.Fuzz(func(t *testing.T, token, method string, body []byte) {
		req, err := http.NewRequest(method, "http://x"+workflow.WebhookPath+token, strings.NewReader(string(body)))
		if err != nil {
			return // not a request a server could receive
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest && rec.Code != http.StatusNotFound && rec.Code != http.StatusMovedPermanently &&
			rec.Code != http.StatusMethodNotAllowed && rec.Code != http.StatusTemporaryRedirect {
			t.Fatalf("token %q method %q: status %d", token, method, rec.Code)
		}
		later := b.Clock().Now().Add(1e12)
		if due, _ := b.ListDue(t.Context(), backend.DueQuery{DueBefore: later, InboxBefore: later}); len(due) != 0 {
			t.Fatalf("something was stored: %v", due)
		}
	})
}

// A handler of a client that cannot deliver answers 500 on its routes and logs why.
func TestHandlerOfAnInvalidClient(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	c := workflow.NewClient(nil, workflow.ClientOptions{})
	h := webhook.NewHandler(c, webhook.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	rec := serve(t, h, http.MethodPost, workflow.WebhookPath+"tok", "x")
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	require.Empty(t, rec.Body.String())
	rec = serve(t, h, http.MethodPost, webhook.ResumePath, `{"token":"t","payload":1}`)
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	require.Contains(t, logs.String(), "no backend")
}

// Options.Routes chooses the routes: one left out is answered as an unknown route.
func TestRoutesChooseWhatIsServed(t *testing.T) {
	t.Parallel()
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	c := workflow.NewClient(b, workflow.ClientOptions{})
	quiet := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		routes          webhook.Routes
		webhook, resume int
	}{
		{0, http.StatusNotFound, http.StatusNotFound}, // all: an unknown token, an unknown token
		{webhook.AllRoutes, http.StatusNotFound, http.StatusNotFound},
		{webhook.RouteWebhook, http.StatusNotFound, http.StatusNotFound},
		{webhook.RouteResume, http.StatusNotFound, http.StatusNotFound},
	} {
		h := webhook.NewHandler(c, webhook.Options{Logger: quiet, Routes: tc.routes})
		wh := serve(t, h, http.MethodPost, workflow.WebhookPath+"tok", "x")
		rs := serve(t, h, http.MethodPost, webhook.ResumePath, `{"token":"t","payload":1}`)
		require.Equal(t, tc.webhook, wh.Code)
		require.Equal(t, tc.resume, rs.Code)
		servesWebhook := tc.routes == 0 || tc.routes&webhook.RouteWebhook != 0
		servesResume := tc.routes == 0 || tc.routes&webhook.RouteResume != 0
		// A served route answers an unknown token with its own 404 (empty, or JSON); a route
		// left out with the plain-text 404 of an unknown path.
		require.Equal(t, !servesWebhook, wh.Body.String() == "404 page not found\n", "routes %b: webhook body %q", tc.routes, wh.Body.String())
		require.Equal(t, servesResume, strings.HasPrefix(rs.Header().Get("Content-Type"), "application/json"), "routes %b", tc.routes)
		get := serve(t, h, http.MethodGet, webhook.ResumePath, "")
		if servesResume {
			require.Equal(t, http.StatusMethodNotAllowed, get.Code)
		} else {
			require.Equal(t, http.StatusNotFound, get.Code)
		}
	}
}
