package webhook

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// The literal segments route matches are the routes' constants.
func TestRouteSegmentsAreTheConstants(t *testing.T) {
	t.Parallel()
	prefix := "/" + strings.Join(routePrefix, "/") + "/"
	require.Equal(t, workflow.WebhookPath, prefix+webhookSegment+"/")
	require.Equal(t, ResumePath, prefix+resumeSegment)
}

// route matches as http.ServeMux matches the patterns "/.well-known/workflow/v1/webhook",
// "/.well-known/workflow/v1/webhook/{token...}" and "/.well-known/workflow/v1/resume".
func TestRoute(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path  string
		want  Routes
		token string
	}{
		{"/.well-known/workflow/v1/webhook/abc", RouteWebhook, "abc"},
		{"/.well-known/workflow/v1/webhook/a/b/c", RouteWebhook, "a/b/c"},
		{"/.well-known/workflow/v1/webhook/a%2Fb", RouteWebhook, "a/b"},
		{"/.well-known/workflow/v1/webhook/a%zz", RouteWebhook, "a%zz"},
		{"/.well-known/workflow/v1/webhook/", RouteWebhook, ""},
		{"/.well-known/workflow/v1/webhook", RouteWebhook, ""},
		{"/.well-known/workflow/v1/%77ebhook/abc", RouteWebhook, "abc"},
		{"/.well-known/workflow/v1/webhook%2Fabc", 0, ""},
		{"/.well-known/workflow/v1/webhooks/abc", 0, ""},
		{"/.well-known/workflow/v1/resume", RouteResume, ""},
		{"/.well-known/workflow/v1/%72esume", RouteResume, ""},
		{"/.well-known/workflow/v1/resume/", 0, ""},
		{"/.well-known/workflow/v1/resume/x", 0, ""},
		{"/.well-known/workflow/v1", 0, ""},
		{"/.well-known/workflow/v1/", 0, ""},
		{"/", 0, ""},
		{"", 0, ""},
		{"*", 0, ""},
	} {
		got, token := route(tc.path)
		require.Equal(t, tc.want, got, tc.path)
		require.Equal(t, tc.token, token, tc.path)
	}
}

// muxRoute is what http.ServeMux makes of a path with the patterns the handler used to
// register: the route and the token.
func muxRoute(t testing.TB, escaped string) (Routes, string) {
	var got Routes
	var token string
	mux := http.NewServeMux()
	mux.HandleFunc(workflow.WebhookPath+"{token...}", func(_ http.ResponseWriter, r *http.Request) {
		got, token = RouteWebhook, r.PathValue("token")
	})
	mux.HandleFunc(workflow.WebhookPath[:len(workflow.WebhookPath)-1], func(http.ResponseWriter, *http.Request) {
		got = RouteWebhook
	})
	mux.HandleFunc("POST "+ResumePath, func(http.ResponseWriter, *http.Request) { got = RouteResume })
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.URL = &url.URL{Path: unescape(escaped), RawPath: escaped}
	if r.URL.EscapedPath() != escaped {
		t.Skip("a path url.URL cannot hold as it is")
	}
	mux.ServeHTTP(httptest.NewRecorder(), r)
	return got, token
}

// route agrees with http.ServeMux on every clean path.
func FuzzRouteMatchesServeMux(f *testing.F) {
	for _, p := range []string{
		"/.well-known/workflow/v1/webhook/abc", "/.well-known/workflow/v1/webhook/a/b", "/.well-known/workflow/v1/webhook/a%2Fb",
		"/.well-known/workflow/v1/webhook/a%zz", "/.well-known/workflow/v1/webhook/", "/.well-known/workflow/v1/webhook",
		"/.well-known/workflow/v1/%77ebhook/x", "/.well-known/workflow/v1/webhook%2Fx", "/.well-known/workflow/v1/resume",
		"/.well-known/workflow/v1/%72esume", "/.well-known/workflow/v1/resume/", "/", "/.well-known/workflow/v1/webhook/%20",
	} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if !isClean(p) {
			t.Skip("unclean paths are answered 404 before routing")
		}
		gotRoute, gotToken := route(p)
		wantRoute, wantToken := muxRoute(t, p)
		require.Equal(t, wantRoute, gotRoute, p)
		require.Equal(t, wantToken, gotToken, p)
	})
}
