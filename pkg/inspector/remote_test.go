package inspector_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/inspector"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// The inspector works the same on a remote admin server: pages render, and a schema's
// refusal comes back with its issues.
func TestOverRemoteAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	adminSrv := httptest.NewServer(admin.NewHandler(b.api, admin.Options{Logger: slog.New(slog.DiscardHandler)}))
	t.Cleanup(adminSrv.Close)
	remote := httptest.NewServer(inspector.NewHandler(admin.Remote(adminSrv.URL, adminSrv.Client()), inspector.Options{Logger: slog.New(slog.DiscardHandler)}))
	t.Cleanup(remote.Close)
	b.srv = remote

	run := b.start(t, "approve", "doc-9")
	b.waitStatus(t, run, workflow.StatusWaiting)
	page := b.get(t, "/")
	require.Equal(t, http.StatusOK, page.Status)
	require.Contains(t, page.Body, `id="run-`+run+`"`)
	require.Contains(t, page.Body, `<meta http-equiv="refresh" content="3">`, "the default refresh")
	require.Contains(t, page.Body, `<title>Runs · hookflow inspector</title>`, "the default title")
	page = b.post(t, runPath(run)+"/resume", url.Values{"token": {"approve:doc-9"}, "payload": {`{"ok": 1}`}})
	require.Equal(t, http.StatusBadRequest, page.Status)
	require.Contains(t, page.Body, `id="error-issues"`)
	page = b.post(t, runPath(run)+"/resume", url.Values{"token": {"approve:doc-9"}, "payload": {`{"ok": false}`}})
	require.Equal(t, http.StatusSeeOther, page.Status, page.Body)
	b.waitStatus(t, run, workflow.StatusCompleted)
	page = b.get(t, "/runs/run_nope")
	require.Equal(t, http.StatusNotFound, page.Status)
}

// failingAPI fails to list runs, as a broken store would (and knows no workflows; its other
// methods are not called).
type failingAPI struct{ admin.API }

func (failingAPI) Workflows(context.Context) ([]string, error) { return nil, nil }

func (failingAPI) ListRuns(context.Context, workflow.RunFilter) (workflow.RunPage, error) {
	return workflow.RunPage{}, errors.New("disk on fire")
}

// A failure that is not the operator's is a 500 whose page does not show the error, and
// the log has it.
func TestInternalError(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	srv := httptest.NewServer(inspector.NewHandler(failingAPI{}, inspector.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}))
	t.Cleanup(srv.Close)
	b := &bundle{srv: srv, http: srv.Client()}
	page := b.get(t, "/")
	require.Equal(t, http.StatusInternalServerError, page.Status)
	require.Contains(t, page.Body, "the server&#39;s log has the reason")
	require.NotContains(t, page.Body, "disk on fire")
	require.Contains(t, logs.String(), "disk on fire")
}
