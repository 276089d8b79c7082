package deploy_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/examples/deploy"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
	"github.com/hookflow/hookflow/pkg/workflow"
	"github.com/hookflow/hookflow/pkg/workflow/workflowtest"
)

// secret is the webhook secret GitHub signs with; the workflow names it by reference, and
// the test kit's worker and webhook server resolve the reference with secrets.
var (
	secret  = []byte("s3cret")
	secrets = verify.EnvResolver{Getenv: func(name string) string {
		if name == "GITHUB_WEBHOOK_SECRET" {
			return string(secret)
		}
		return ""
	}}
	signed = deploy.Config{Secret: "env:GITHUB_WEBHOOK_SECRET"}
)

// newEnv returns a test kit Env for wf that resolves the webhook secret.
func newEnv(t *testing.T, opts workflowtest.Options, wf *workflow.Workflow[deploy.Input, deploy.Result]) *workflowtest.Env {
	opts.Secrets = secrets
	return workflowtest.NewWithOptions(t, opts, wf)
}

// withDeployer returns the signed config with deployer.
func withDeployer(d deploy.Deployer) deploy.Config {
	cfg := signed
	cfg.Deployer = d
	return cfg
}

const sha = "9f2c4e1b7a3d5c6e8f0a1b2c3d4e5f60718293a4"

var input = deploy.Input{Repo: "octo-org/shop", Branch: "main", Environment: "production"}

// webhookURL waits for the run's webhook and returns its URL, which points at the Env's
// webhook server.
func webhookURL(t *testing.T, env *workflowtest.Env, runID string) string {
	t.Helper()
	env.WaitIdle()
	hooks, err := env.Client().ListHooks(t.Context(), workflow.HookFilter{RunID: runID})
	require.NoError(t, err)
	require.Len(t, hooks, 1)
	require.True(t, hooks[0].Webhook)
	require.Equal(t, env.WebhookServer().URL+workflow.WebhookPath+hooks[0].Token, hooks[0].URL)
	return hooks[0].URL
}

func pushBody(repo, ref, after string) string {
	b, _ := json.Marshal(map[string]any{
		"ref": ref, "after": after,
		"repository": map[string]any{"full_name": repo},
		"pusher":     map[string]any{"name": "ada"},
	})
	return string(b)
}

type reply struct {
	status int
	header http.Header
	body   string
}

// ack decodes the reply's body.
func (r reply) ack(t *testing.T) deploy.Ack {
	t.Helper()
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	var a deploy.Ack
	require.NoError(t, json.Unmarshal([]byte(r.body), &a), r.body)
	return a
}

// send makes a real HTTP request. A non-empty event sets X-GitHub-Event; sign signs the body.
func send(t *testing.T, method, url, event, body string, sign []byte, header http.Header) reply {
	t.Helper()
	r, err := doSend(t.Context(), method, url, event, body, sign, header)
	require.NoError(t, err)
	return r
}

func doSend(ctx context.Context, method, url, event, body string, sign []byte, header http.Header) (reply, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	if event != "" {
		req.Header.Set(deploy.EventHeader, event)
	}
	if sign != nil {
		req.Header.Set(deploy.SignatureHeader, deploy.Sign(sign, []byte(body)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}, err
}

func TestDeployAnswersEveryCallerAndDeploysThePushToMain(t *testing.T) {
	t.Parallel()
	workflowtest.Modes(t, func(t *testing.T, opts workflowtest.Options) {
		deployer := &deploy.FakeDeployer{}
		wf := deploy.New(withDeployer(deployer))
		env := newEnv(t, opts, wf)
		ctx, c := t.Context(), env.Client()
		run, err := workflow.Start(ctx, c, wf, input)
		require.NoError(t, err)
		url := webhookURL(t, env, run.ID())
		toMain := pushBody("octo-org/shop", "refs/heads/main", sha)

		// Forged requests are refused by the route, before anything is stored: the workflow
		// never sees them, and the hook counts them.
		got := send(t, http.MethodPost, url, "push", toMain, nil, nil)
		require.Equal(t, http.StatusUnauthorized, got.status, "unsigned")
		require.Empty(t, got.body)
		got = send(t, http.MethodPost, url, "push", toMain, []byte("wrong secret"), nil)
		require.Equal(t, http.StatusUnauthorized, got.status, "signed with another secret")
		require.Empty(t, got.body)
		info, err := c.GetHookByToken(ctx, url[strings.LastIndex(url, "/")+1:])
		require.NoError(t, err)
		require.Equal(t, 2, info.Rejections)
		require.Zero(t, info.Deliveries)

		got = send(t, http.MethodGet, url, "", "", nil, nil)
		require.Equal(t, http.StatusUnauthorized, got.status, "a GET is not signed either")

		got = send(t, http.MethodGet, url, "", "", secret, nil)
		require.Equal(t, http.StatusMethodNotAllowed, got.status, "a signed GET reaches the workflow")
		require.Equal(t, http.MethodPost, got.header.Get("Allow"))

		got = send(t, http.MethodPost, url, "ping", `{"zen":"Keep it logically awesome."}`, secret, nil)
		require.Equal(t, http.StatusOK, got.status)
		require.Equal(t, deploy.Ack{Status: "pong"}, got.ack(t))

		got = send(t, http.MethodPost, url, "issues", `{}`, secret, nil)
		require.Equal(t, http.StatusOK, got.status)
		require.Equal(t, deploy.Ack{Status: "ignored", Reason: `event "issues"`}, got.ack(t))

		got = send(t, http.MethodPost, url, "push", `{"ref":`, secret, nil)
		require.Equal(t, http.StatusBadRequest, got.status)

		got = send(t, http.MethodPost, url, "push", pushBody("octo-org/shop", "refs/heads/feature/login", sha), secret, nil)
		require.Equal(t, http.StatusOK, got.status)
		require.Equal(t, deploy.Ack{Status: "ignored", Reason: "refs/heads/feature/login is not refs/heads/main"}, got.ack(t))

		got = send(t, http.MethodPost, url, "push", pushBody("someone/else", "refs/heads/main", sha), secret, nil)
		require.Equal(t, deploy.Ack{Status: "ignored", Reason: "repository someone/else"}, got.ack(t))
		require.Empty(t, deployer.Deployed(), "nothing deployed yet")

		got = send(t, http.MethodPost, url, "push", toMain, secret, nil)
		require.Equal(t, http.StatusAccepted, got.status)
		require.Equal(t, "dep-9f2c4e1", got.header.Get(deploy.DeploymentHeader))
		require.Equal(t, deploy.Ack{
			Status: "queued", Deployment: "dep-9f2c4e1", Commit: sha, Environment: "production",
		}, got.ack(t))

		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, deploy.Result{
			Deployment: "dep-9f2c4e1", Repo: "octo-org/shop", Commit: sha, Pusher: "ada",
			Environment: "production", URL: "https://production.example.com/releases/9f2c4e1",
			Ignored: 6,
		}, out)
		require.Equal(t, []string{"production octo-org/shop@" + sha}, deployer.Deployed())

		want := []string{"run_created", "hook_created"}
		for range 7 { // each signed request is received, then answered
			want = append(want, "hook_received", "response_sent")
		}
		want = append(want, "step_completed", "hook_disposed", "run_completed")
		require.Equal(t, want, env.EventTypes(run.ID()))
		env.RequireReplay(wf, run.ID())

		got = send(t, http.MethodPost, url, "push", toMain, secret, nil)
		require.Equal(t, http.StatusNotFound, got.status, "the run ended: its webhook is gone")
		require.Empty(t, got.body)
		require.Empty(t, env.OpenHooks())
	})
}

func TestDeployRetriedDeliveryIsAnsweredAgainButReceivedOnce(t *testing.T) {
	t.Parallel()
	deployer := &deploy.FakeDeployer{}
	wf := deploy.New(withDeployer(deployer))
	env := newEnv(t, workflowtest.Options{}, wf)
	ctx, c := t.Context(), env.Client()
	run, err := workflow.Start(ctx, c, wf, input)
	require.NoError(t, err)
	url := webhookURL(t, env, run.ID())
	token := url[strings.LastIndex(url, "/")+1:]

	// A webhook is resumed over its URL only, never by token as a plain hook is.
	_, err = c.ResumeHook(ctx, token, map[string]any{"ref": "refs/heads/main"})
	require.ErrorIs(t, err, workflow.ErrHookNotFound)
	resume, err := json.Marshal(map[string]any{"token": token, "payload": map[string]any{}})
	require.NoError(t, err)
	got := send(t, http.MethodPost, env.WebhookServer().URL+"/.well-known/workflow/v1/resume", "", string(resume), nil, nil)
	require.Equal(t, http.StatusNotFound, got.status)

	// GitHub redelivers with the same X-GitHub-Delivery, which the preset makes the key.
	key := http.Header{deploy.DeliveryHeader: {"72d3162e-cc78-11e3-81ab-4c9367dc0958"}}
	feature := pushBody("octo-org/shop", "refs/heads/feature/login", sha)
	first := send(t, http.MethodPost, url, "push", feature, secret, key)
	retry := send(t, http.MethodPost, url, "push", feature, secret, key)
	require.Equal(t, http.StatusOK, first.status)
	require.Equal(t, first.status, retry.status)
	require.Equal(t, first.body, retry.body, "the retry gets the first answer")

	got = send(t, http.MethodPost, url, "push", pushBody("octo-org/shop", "refs/heads/main", sha), secret, nil)
	require.Equal(t, http.StatusAccepted, got.status)
	out, err := run.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, out.Ignored, "the retried delivery reached the workflow once")
	require.Equal(t, []string{
		"run_created", "hook_created",
		"hook_received", "response_sent", // the feature push, once
		"hook_received", "response_sent", // the push to main
		"step_completed", "hook_disposed", "run_completed",
	}, env.EventTypes(run.ID()))
	env.RequireReplay(wf, run.ID())
}

func TestDeployWithoutSecretAcceptsUnsignedPushes(t *testing.T) {
	t.Parallel()
	deployer := &deploy.FakeDeployer{}
	wf := deploy.New(deploy.Config{Deployer: deployer})
	env := workflowtest.New(t, wf)
	ctx := t.Context()
	run, err := workflow.Start(ctx, env.Client(), wf, input)
	require.NoError(t, err)
	url := webhookURL(t, env, run.ID())
	got := send(t, http.MethodPost, url, "push", pushBody("octo-org/shop", "refs/heads/main", sha), nil, nil)
	require.Equal(t, http.StatusAccepted, got.status)
	out, err := run.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, "dep-9f2c4e1", out.Deployment)
	require.Len(t, deployer.Deployed(), 1)
}

func TestPushDuringARetriedDeployGetsTheFallbackWhenTheWebhookCloses(t *testing.T) {
	t.Parallel()
	deployer := &deploy.FakeDeployer{FailFirst: 1}
	wf := deploy.New(withDeployer(deployer))
	env := newEnv(t, workflowtest.Options{}, wf)
	ctx, c := t.Context(), env.Client()
	run, err := workflow.Start(ctx, c, wf, input)
	require.NoError(t, err)
	url := webhookURL(t, env, run.ID())
	token := url[strings.LastIndex(url, "/")+1:]
	toMain := pushBody("octo-org/shop", "refs/heads/main", sha)

	// The deploy is answered at once, then its step fails and waits a second to retry.
	got := send(t, http.MethodPost, url, "push", toMain, secret, nil)
	require.Equal(t, http.StatusAccepted, got.status)
	require.Equal(t, 1, deployer.Calls())

	// Another push arrives meanwhile: the workflow no longer receives, so its caller waits...
	type answer struct {
		reply reply
		err   error
		took  time.Duration
	}
	done := make(chan answer, 1)
	go func() {
		start := time.Now()
		r, err := doSend(ctx, http.MethodPost, url, "push", toMain, secret, nil)
		done <- answer{r, err, time.Since(start)}
	}()
	require.Eventually(t, func() bool {
		info, err := c.GetHookByToken(ctx, token)
		return err == nil && info.Deliveries == 2
	}, 5*time.Second, 5*time.Millisecond, "the second push is stored")

	// ...until the retry succeeds and the run ends, disposing the webhook: the caller gets the
	// fallback response (503, Retry-After) then, well before the 10 s ResponseTimeout.
	env.AdvanceTime(time.Second)
	a := <-done
	require.NoError(t, a.err)
	require.Equal(t, http.StatusServiceUnavailable, a.reply.status)
	require.Equal(t, "5", a.reply.header.Get("Retry-After"))
	require.Empty(t, a.reply.body)
	require.Less(t, a.took, 5*time.Second)

	out, err := run.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, "dep-9f2c4e1", out.Deployment)
	require.Equal(t, 2, deployer.Calls())
	require.Equal(t, []string{
		"run_created", "hook_created",
		"hook_received", "response_sent", // the push that deploys
		"step_retrying", // the deployer is busy
		"hook_received", // the second push, never answered by the workflow
		"step_completed", "hook_disposed", "run_completed",
	}, env.EventTypes(run.ID()))
	env.RequireReplay(wf, run.ID())
}
