package checkout_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/examples/checkout"
	"github.com/hookflow/hookflow/examples/internal/devserver"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// TestSendScript drives the example as its README does: send.sh signs events with openssl
// and posts them with curl to the embedded server. An event of another session, sent twice
// with one EVENT_ID (a Stripe retry), reaches the run once; the paid completion fulfils it.
func TestSendScript(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "curl", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("send.sh needs %s, which is not installed: %v", tool, err)
		}
	}
	const secret = "whsec_script_test"
	f := &checkout.FakeFulfiller{}
	wf := checkout.New(checkout.Config{SigningSecret: "env:STRIPE_WEBHOOK_SECRET", Fulfiller: f})
	srv, err := devserver.Start(workflow.NewRegistry(wf), devserver.Options{
		Addr: "127.0.0.1:0",
		Secrets: verify.EnvResolver{Getenv: func(name string) string {
			return map[string]string{"STRIPE_WEBHOOK_SECRET": secret}[name]
		}},
	})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	ctx := t.Context()
	run, err := workflow.Start(ctx, srv.Client, wf, checkout.Input{Order: "ord_7", Session: "cs_test_script"})
	require.NoError(t, err)
	url, err := srv.WebhookURL(ctx, run.ID())
	require.NoError(t, err)

	send := func(env []string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, "bash", append([]string{"send.sh"}, args...)...)
		cmd.Env = append([]string{"PATH=" + pathEnv(), "URL=" + url, "STRIPE_WEBHOOK_SECRET=" + secret}, env...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		return string(out)
	}
	for range 2 {
		out := send([]string{"EVENT_ID=evt_retried"}, "checkout.session.completed", "cs_test_other")
		require.True(t, strings.HasPrefix(out, "HTTP/1.1 202 Accepted"), out)
	}
	out := send(nil, "checkout.session.completed", "cs_test_script")
	require.True(t, strings.HasPrefix(out, "HTTP/1.1 202 Accepted"), out)

	res, err := run.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, checkout.Fulfilled, res.Status)
	require.Equal(t, 2, res.Events, "the retried event reached the run once")
	require.Equal(t, []string{"ord_7 pi_test_script"}, f.Shipped())

	cmd := exec.CommandContext(ctx, "bash", "send.sh", "checkout.session.completed", "cs_test_script")
	cmd.Env = []string{"PATH=" + pathEnv(), "URL=" + url, "STRIPE_WEBHOOK_SECRET=whsec_wrong"}
	out2, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out2)
	require.True(t, strings.HasPrefix(string(out2), "HTTP/1.1 404"), "the run ended, its webhook is gone: %s", out2)
}
