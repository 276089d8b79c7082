package admin_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/internal/faultbackend"
	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// The HTTP interface refuses bad requests with the documented status and code, answers
// unknown paths and methods as such, and never shows a store failure's message.
func TestHandlerStatuses(t *testing.T) {
	t.Parallel()
	m := memory.New()
	t.Cleanup(func() { _ = m.Close() })
	fb := faultbackend.New(m)
	var logs strings.Builder
	c := workflow.NewClient(fb, workflow.ClientOptions{})
	srv := httptest.NewServer(admin.NewHandler(admin.Local(c, workflow.NewRegistry(approve)),
		admin.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}))
	t.Cleanup(srv.Close)

	do := func(method, path, body string) (int, http.Header, map[string]any) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+admin.Path+path, strings.NewReader(body))
		require.NoError(t, err)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		var out map[string]any
		if resp.Header.Get("Content-Type") == "application/json" {
			require.NoError(t, json.Unmarshal(raw, &out), "%s", raw)
		}
		return resp.StatusCode, resp.Header, out
	}
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"unknown field", "POST", "/runs", `{"workflow":"approve","color":"red"}`, 400, "invalid_argument"},
		{"two values", "POST", "/runs", `{"workflow":"approve"} {}`, 400, "invalid_argument"},
		{"not JSON", "POST", "/runs", `workflow=approve`, 400, "invalid_argument"},
		{"unknown workflow", "POST", "/runs", `{"workflow":"nope"}`, 400, "invalid_argument"},
		{"bad limit", "GET", "/runs?limit=ten", "", 400, "invalid_argument"},
		{"bad time", "GET", "/runs?createdAfter=yesterday", "", 400, "invalid_argument"},
		{"bad status", "GET", "/runs?status=asleep", "", 400, "invalid_argument"},
		{"unknown run", "GET", "/runs/run_nope", "", 404, "run_not_found"},
		{"unknown token", "POST", "/resume", `{"token":"t","payload":{}}`, 404, "hook_not_found"},
		{"unknown path", "GET", "/nothing", "", 404, "not_found"},
		{"resume without a body", "POST", "/resume", ``, 400, "invalid_argument"},
	} {
		status, _, body := do(tc.method, tc.path, tc.body)
		require.Equal(t, tc.status, status, tc.name)
		require.Equal(t, tc.code, body["code"], tc.name)
		require.NotEmpty(t, body["error"], tc.name)
	}
	status, header, _ := do("DELETE", "/runs", "")
	require.Equal(t, http.StatusMethodNotAllowed, status)
	require.Equal(t, "GET, POST", header.Get("Allow"))

	status, _, body := do("POST", "/runs", `{"workflow":"approve","input":"doc-9"}`)
	require.Equal(t, http.StatusCreated, status)
	runID, _ := body["runId"].(string)
	require.NotEmpty(t, runID)

	require.NoError(t, fb.Inject(faultbackend.Fault{Point: faultbackend.GetRun, N: fb.Calls(faultbackend.GetRun) + 1, Mode: faultbackend.FailBefore}))
	status, _, body = do("GET", "/runs/"+runID, "")
	require.Equal(t, http.StatusInternalServerError, status)
	require.Equal(t, map[string]any{"error": "internal error", "code": "internal"}, body, "the store's error is not shown")
	require.Contains(t, logs.String(), "injected", "but logged")
}
