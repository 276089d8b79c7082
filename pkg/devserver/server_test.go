package devserver_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/devserver"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// wait receives one payload on a hook with the token it is given.
var wait = workflow.Define("wait", func(ctx workflow.Context, token string) (any, error) {
	h, err := workflow.CreateHook[any](ctx, workflow.HookOptions{Token: token})
	if err != nil {
		return nil, err
	}
	return h.Receive(ctx)
})

// inbox returns the body of the first request to its webhook.
var inbox = workflow.Define("inbox", func(ctx workflow.Context, _ struct{}) (string, error) {
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{})
	if err != nil {
		return "", err
	}
	r, err := wh.Receive(ctx)
	if err != nil {
		return "", err
	}
	return string(r.Body), nil
})

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// start starts a server on a free port in dir and closes it when the test ends.
func start(t *testing.T, dir string, ui http.Handler) *devserver.Server {
	t.Helper()
	srv, err := devserver.Start(t.Context(), devserver.Options{
		Addr: "127.0.0.1:0", Dir: dir, Registry: workflow.NewRegistry(wait, inbox), Logger: quiet(), UI: ui,
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	return srv
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func waitStatus(t *testing.T, api admin.API, runID string, want workflow.RunStatus) workflow.RunInfo {
	t.Helper()
	var info workflow.RunInfo
	require.Eventually(t, func() bool {
		var err error
		info, err = api.GetRun(t.Context(), runID)
		return err == nil && info.Status == want
	}, 10*time.Second, 10*time.Millisecond, "run %s never became %s (last: %+v)", runID, want, info)
	return info
}

// One server serves the index, the admin API, the webhook route and the resume endpoint on
// one port; webhook URLs point at it; runs survive a restart on the same directory.
func TestServesEveryRouteOnOnePort(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "nested", ".hookflow")
	srv := start(t, dir, nil)
	require.Regexp(t, `^http://127\.0\.0\.1:[1-9][0-9]*$`, srv.URL())
	require.NotEqual(t, "http://127.0.0.1:0", srv.URL())
	require.Equal(t, filepath.Join(dir, devserver.StoreFile), srv.StorePath())
	require.FileExists(t, srv.StorePath())
	e := srv.Endpoints()
	require.Equal(t, devserver.Endpoints{
		URL: srv.URL(), Webhook: srv.URL() + "/.well-known/workflow/v1/webhook/", Resume: srv.URL() + "/.well-known/workflow/v1/resume",
		Admin: srv.URL() + "/.well-known/workflow/v1/admin", UI: srv.URL() + "/", Index: srv.URL() + "/.well-known/workflow/v1/",
	}, e)

	status, body := get(t, e.Index)
	require.Equal(t, http.StatusOK, status)
	for _, want := range []string{e.Webhook + "{token}", e.Resume, e.Admin, srv.StorePath(), "workflows: inbox, wait"} {
		require.Contains(t, body, want)
	}
	status, body = get(t, e.UI)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "<title>", "the web inspector")
	require.Contains(t, body, "hookflow dev")
	status, _ = get(t, srv.URL()+"/nothing-here")
	require.Equal(t, http.StatusNotFound, status)

	api := admin.Remote(srv.URL(), nil)
	ctx := t.Context()
	names, err := api.Workflows(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"inbox", "wait"}, names)

	// A webhook: its URL is on this server, and a request to it completes the run.
	whRun, err := api.Start(ctx, admin.StartRequest{Workflow: "inbox"})
	require.NoError(t, err)
	waitStatus(t, api, whRun, workflow.StatusWaiting)
	hooks, err := api.ListHooks(ctx, workflow.HookFilter{RunID: whRun})
	require.NoError(t, err)
	require.Len(t, hooks, 1)
	require.Equal(t, e.Webhook+hooks[0].Token, hooks[0].URL)
	status, _ = post(t, hooks[0].URL, "hello")
	require.Equal(t, http.StatusAccepted, status)
	info := waitStatus(t, api, whRun, workflow.StatusCompleted)
	require.JSONEq(t, `"hello"`, string(info.Output))

	// A hook, resumed through the resume endpoint.
	hookRun, err := api.Start(ctx, admin.StartRequest{Workflow: "wait", Input: json.RawMessage(`"t-1"`)})
	require.NoError(t, err)
	waitStatus(t, api, hookRun, workflow.StatusWaiting)
	status, body = post(t, e.Resume, `{"token":"t-1","payload":{"ok":true}}`)
	require.Equal(t, http.StatusOK, status, body)
	info = waitStatus(t, api, hookRun, workflow.StatusCompleted)
	require.JSONEq(t, `{"ok":true}`, string(info.Output))

	// Unclean webhook paths are answered 404 by the route, never redirected.
	status, _ = post(t, srv.URL()+"/.well-known/workflow/v1/webhook/../admin/runs", "")
	require.Equal(t, http.StatusNotFound, status)

	// The client the server hands out sees the same runs, with the same URLs.
	got, err := srv.Client().GetRun(ctx, whRun)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusCompleted, got.Status)

	// Closed and started again on the same directory: the runs are still there.
	require.NoError(t, srv.Close())
	require.NoError(t, srv.Close(), "closing twice is not an error")
	again := start(t, dir, nil)
	got, err = again.Client().GetRun(ctx, hookRun)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusCompleted, got.Status)
}

// Options.UI takes "/" and every path no route takes; the routes stay where they are.
func TestUIReplacesTheIndex(t *testing.T) {
	t.Parallel()
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "inspector at "+r.URL.Path) })
	srv := start(t, t.TempDir(), ui)
	status, body := get(t, srv.URL()+"/")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "inspector at /", body)
	_, body = get(t, srv.URL()+"/runs/run_1")
	require.Equal(t, "inspector at /runs/run_1", body)
	status, body = get(t, srv.Endpoints().Admin+"/workflows")
	require.Equal(t, http.StatusOK, status)
	require.JSONEq(t, `{"workflows":["inbox","wait"]}`, body)
	status, _ = post(t, srv.Endpoints().Resume, `{"token":"nobody","payload":1}`)
	require.Equal(t, http.StatusNotFound, status)
}

// Options that cannot work are refused with an error saying what to change, and nothing is
// left running.
func TestStartRefusesBadOptions(t *testing.T) {
	t.Parallel()
	reg := workflow.NewRegistry(wait)
	file := filepath.Join(t.TempDir(), "a-file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o600))
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = busy.Close() })

	for _, tc := range []struct {
		name string
		opts devserver.Options
		want []string
	}{
		{"no registry", devserver.Options{Dir: t.TempDir()}, []string{"Options.Registry is required"}},
		{"invalid registry", devserver.Options{Dir: t.TempDir(), Registry: workflow.NewRegistry(wait, wait)}, []string{"Options.Registry holds invalid workflows"}},
		{"dir is a file", devserver.Options{Dir: file, Registry: reg, Addr: "127.0.0.1:0"}, []string{"is a file, not a directory"}},
		{"addr without a port", devserver.Options{Dir: t.TempDir(), Registry: reg, Addr: "localhost"}, []string{`Options.Addr "localhost" is not host:port`}},
		{"addr in use", devserver.Options{Dir: t.TempDir(), Registry: reg, Addr: busy.Addr().String()}, []string{"cannot listen on " + busy.Addr().String(), "pick another address"}},
		{"every problem at once", devserver.Options{Dir: file, Addr: "nope"}, []string{"Registry is required", "is a file", "not host:port"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.opts.Logger = quiet()
			srv, err := devserver.Start(t.Context(), tc.opts)
			require.Error(t, err)
			require.Nil(t, srv)
			if tc.name != "addr in use" {
				require.ErrorIs(t, err, workflow.ErrInvalidArgument)
			}
			for _, w := range tc.want {
				require.ErrorContains(t, err, w)
			}
		})
	}
}

// A second server on the directory of a running one is refused, naming the directory.
func TestStoreHeldByAnotherServer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	start(t, dir, nil)
	_, err := devserver.Start(t.Context(), devserver.Options{Addr: "127.0.0.1:0", Dir: dir, Registry: workflow.NewRegistry(wait), Logger: quiet()})
	require.ErrorContains(t, err, "is another dev server using "+dir)
}
