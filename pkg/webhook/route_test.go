package webhook

import (
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
