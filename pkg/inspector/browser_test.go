package inspector_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// browsers are the names Chromium goes by on PATH.
var browsers = []string{"chromium", "chromium-browser", "google-chrome"}

// findBrowser returns the path of Chromium. Without one the test skips, saying what to
// install, or fails under HOOKFLOW_REQUIRE_BROWSER=1 (make test), so CI never skips it.
func findBrowser(t *testing.T) string {
	t.Helper()
	for _, name := range browsers {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium on PATH (looked for " + strings.Join(browsers, ", ") + "): install it with `apt-get install chromium` (Debian, Ubuntu), or run `make browser`"
	if os.Getenv("HOOKFLOW_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + "; HOOKFLOW_REQUIRE_BROWSER=1 requires it")
	}
	t.Skip(msg)
	return ""
}

// An operator, in a real browser on a running dev server (pkg/devserver, which serves the
// inspector at its root), finds a run waiting on a hook in the list, resumes it
// with a JSON payload, watches it complete as the page reloads itself, and reads a webhook
// request's body on its delivery's page; hostile headers and bodies run no script. Each
// step is saved as a full-page screenshot.
func TestBrowser(t *testing.T) {
	t.Parallel()
	exe := findBrowser(t)
	b, base := setupDevServer(t)
	waiting := b.start(t, "approve", "doc-42")
	inboxRun := b.start(t, "inbox", struct{}{})
	failed := b.start(t, "boom", struct{}{})
	dl := b.send(t, inboxRun, b.webhookURL(t, inboxRun), http.Header{
		"Content-Type": {"application/json"},
		"X-Evil":       {`<script>alert("header")</script>`},
	}, []byte(`{"event":"push","ref":"main","note":"<script>alert('body')</script>"}`))
	b.waitStatus(t, waiting, workflow.StatusWaiting)
	b.waitStatus(t, failed, workflow.StatusFailed)

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
	)...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer func() {
		// Close the browser and wait for it, so that no goroutine of chromedp outlives the test.
		if err := chromedp.Cancel(bctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("closing the browser: %v", err)
		}
		cancelBrowser()
	}()
	var dialogs atomic.Int32
	require.NoError(t, chromedp.Listen(bctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			dialogs.Add(1)
		}
	}))
	shots := newScreenshots(t)

	// The list: find the run waiting on its hook.
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible("#runs")))
	shots.take(bctx, "1-runs")
	href, err := chromedp.Run(bctx, chromedp.Evaluate[string](
		`document.querySelector('tr.run[data-workflow="approve"][data-status="waiting"] a.run-link').getAttribute('href')`))
	require.NoError(t, err)
	require.Equal(t, runPath(waiting), href)

	// Its page: type a payload into the hook's resume form and send it.
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(base+href), chromedp.WaitVisible("form.resume-form")))
	require.NoError(t, chromedp.Do(bctx,
		chromedp.Focus("textarea.resume-payload"),
		chromedp.SendKeys("textarea.resume-payload", `{"ok": true}`),
	))
	shots.take(bctx, "2-run-waiting")
	resp, err := chromedp.RunResponse(bctx, chromedp.Click("button.resume-button"))
	require.NoError(t, err)
	require.Equal(t, int64(http.StatusOK), resp.Status)
	require.Contains(t, resp.URL, runPath(waiting)+"?ok=resumed", "redirected to the run")

	// The page reloads itself until the run has completed.
	status := pollStatus(t, bctx, "completed")
	require.Equal(t, "completed", status)
	out, err := chromedp.Run(bctx, chromedp.Text("#run-output"))
	require.NoError(t, err)
	require.Equal(t, "true", strings.TrimSpace(out))
	shots.take(bctx, "3-run-completed")

	// The webhook run: open its delivery's page and read the body.
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(base+runPath(inboxRun)), chromedp.WaitVisible("#deliveries-table")))
	shots.take(bctx, "4-run-webhook")
	resp, err = chromedp.RunResponse(bctx, chromedp.Click("#deliveries-table a.delivery-link"))
	require.NoError(t, err)
	require.Equal(t, int64(http.StatusOK), resp.Status)
	require.Contains(t, resp.URL, deliveryPath(inboxRun, dl))
	body, err := chromedp.Run(bctx, chromedp.Text("#body"))
	require.NoError(t, err)
	require.Contains(t, body, `"event": "push"`)
	require.Contains(t, body, `"note": "<script>alert('body')</script>"`, "shown as text")
	headers, err := chromedp.Run(bctx, chromedp.Text("#headers"))
	require.NoError(t, err)
	require.Contains(t, headers, `<script>alert("header")</script>`, "shown as text")
	shots.take(bctx, "5-delivery")

	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(base+runPath(failed)), chromedp.WaitVisible("#timeline")))
	shots.take(bctx, "6-run-failed")
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(base+"/start"), chromedp.WaitVisible("#start-form")))
	shots.take(bctx, "7-start")
	require.Zero(t, dialogs.Load(), "no page opened a dialog: no hostile script ran")
}

// pollStatus reads #run-status until it says want (the page reloads itself meanwhile) or
// 30 seconds pass, and returns the last status read.
func pollStatus(t *testing.T, ctx context.Context, want string) string {
	t.Helper()
	var status string
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		// A read during a reload fails: try again.
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('#run-status') || {dataset: {}}).dataset.status || ''`))
		if err == nil {
			status = s
			if s == want {
				return s
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return status
}

// screenshots saves full-page PNGs under the test's artifact directory (kept with go test
// -artifacts -outputdir DIR) and, when HOOKFLOW_ARTIFACTS is set, under
// $HOOKFLOW_ARTIFACTS/inspector.
type screenshots struct {
	t    *testing.T
	dirs []string
}

func newScreenshots(t *testing.T) *screenshots {
	s := &screenshots{t: t, dirs: []string{t.ArtifactDir()}}
	if d := os.Getenv("HOOKFLOW_ARTIFACTS"); d != "" {
		d = filepath.Join(d, "inspector")
		require.NoError(t, os.MkdirAll(d, 0o755))
		s.dirs = append(s.dirs, d)
	}
	return s
}

func (s *screenshots) take(ctx context.Context, name string) {
	s.t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(s.t, err)
	for _, d := range s.dirs {
		p := filepath.Join(d, name+".png")
		require.NoError(s.t, os.WriteFile(p, png, 0o644))
		s.t.Logf("screenshot: %s", p)
	}
}
