package slackapproval_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/examples/internal/devserver"
	"github.com/hookflow/hookflow/examples/slackapproval"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// TestSendScript drives the example as its README does: send.sh signs requests with openssl
// and posts them with curl to the embedded server. The url_verification handshake gets 200
// and the challenge; a 👀 sent twice with one EVENT_ID, the second as Slack's retry, reaches
// the run once; the ✅ of send.sh's default user on the posted message approves.
func TestSendScript(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "curl", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("send.sh needs %s, which is not installed: %v", tool, err)
		}
	}
	const secret = "script-test-signing-secret"
	wf := slackapproval.New(slackapproval.Config{SigningSecret: "env:SLACK_SIGNING_SECRET", Poster: &slackapproval.FakePoster{}})
	srv, err := devserver.Start(workflow.NewRegistry(wf), devserver.Options{
		Addr: "127.0.0.1:0",
		Secrets: verify.EnvResolver{Getenv: func(name string) string {
			return map[string]string{"SLACK_SIGNING_SECRET": secret}[name]
		}},
	})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	run, err := workflow.Start(ctx, srv.Client, wf, slackapproval.Input{
		Channel: channel, Text: "Ship it?", Approvers: []string{"U0123456789"}, // send.sh's default user
	})
	require.NoError(t, err)
	url, err := srv.WebhookURL(ctx, run.ID())
	require.NoError(t, err)

	send := func(secret string, env []string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, "bash", append([]string{"send.sh"}, args...)...)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "URL=" + url, "SLACK_SIGNING_SECRET=" + secret}, env...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		return string(out)
	}

	out := send(secret, nil, "challenge")
	require.True(t, strings.HasPrefix(out, "HTTP/1.1 200 OK"), out)
	require.Contains(t, out, `{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}`)

	out = send("a guess", nil, "reaction", slackapproval.ReactionApprove, channel, slackapproval.FakeTS)
	require.True(t, strings.HasPrefix(out, "HTTP/1.1 401 Unauthorized"), "signed with another secret: %s", out)

	out = send(secret, []string{"EVENT_ID=Ev0SCRIPT"}, "reaction", "eyes", channel, slackapproval.FakeTS)
	require.True(t, strings.HasPrefix(out, "HTTP/1.1 202 Accepted"), out)
	out = send(secret, []string{"EVENT_ID=Ev0SCRIPT", "RETRY=1"}, "reaction", "eyes", channel, slackapproval.FakeTS)
	require.True(t, strings.HasPrefix(out, "HTTP/1.1 202 Accepted"), "the retry gets the first answer: %s", out)

	out = send(secret, nil, "reaction", slackapproval.ReactionApprove, channel, slackapproval.FakeTS)
	require.True(t, strings.HasPrefix(out, "HTTP/1.1 202 Accepted"), out)

	res, err := run.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, slackapproval.Result{
		Status: slackapproval.Approved, By: "U0123456789", MessageTS: slackapproval.FakeTS, Ignored: 1,
	}, res, "the retried 👀 reached the run once")

	out = send(secret, nil, "reaction", slackapproval.ReactionReject, channel, slackapproval.FakeTS)
	require.True(t, strings.HasPrefix(out, "HTTP/1.1 404"), "the run ended, its webhook is gone: %s", out)
}
