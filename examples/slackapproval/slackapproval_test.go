package slackapproval_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/examples/slackapproval"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
	"github.com/hookflow/hookflow/pkg/workflow"
	"github.com/hookflow/hookflow/pkg/workflow/workflowtest"
)

const (
	secret  = "8f742231b10e8888abcd99yyyzzz85a5" // the app's signing secret
	channel = "C0123456789"
	ada     = "U0ADA"   // an approver
	bob     = "U0BOB"   // another approver
	eve     = "U0EVE"   // not an approver
	other   = "C0OTHER" // another channel
)

var input = slackapproval.Input{
	Channel: channel, Text: "Deploy shop v1.4.2 to production?", Approvers: []string{ada, bob},
}

// sign returns the headers Slack signs body with at time at, computed as Slack's docs
// ("Verifying requests from Slack") spell it: X-Slack-Request-Timestamp is at in Unix seconds,
// X-Slack-Signature is "v0=" and the hex HMAC-SHA256, keyed with the signing secret, of
// "v0:{timestamp}:{body}". An empty secret gives no headers.
func sign(secret string, at time.Time, body string) http.Header {
	if secret == "" {
		return http.Header{}
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":" + body))
	return http.Header{
		"X-Slack-Request-Timestamp": {ts},
		"X-Slack-Signature":         {"v0=" + hex.EncodeToString(mac.Sum(nil))},
	}
}

// The tests' signer agrees with Slack: with the worked example of Slack's docs, and with
// slack-go's SecretsVerifier, Slack's Go SDK (which reads the wall clock itself, so that
// request is signed now).
func TestSignerAgreesWithSlack(t *testing.T) {
	t.Parallel()
	const docsBody = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	require.Equal(t, "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
		sign(secret, time.Unix(1531420618, 0), docsBody).Get("X-Slack-Signature"))

	body := reaction("Ev01", slackapproval.ReactionApprove, ada, channel, slackapproval.FakeTS)
	sv, err := slack.NewSecretsVerifier(sign(secret, time.Now(), body), secret)
	require.NoError(t, err)
	_, err = sv.Write([]byte(body))
	require.NoError(t, err)
	require.NoError(t, sv.Ensure(), "slack-go accepts the tests' signature")

	sv, err = slack.NewSecretsVerifier(sign("another secret", time.Now(), body), secret)
	require.NoError(t, err)
	_, err = sv.Write([]byte(body))
	require.NoError(t, err)
	require.Error(t, sv.Ensure(), "and refuses one made with another secret")
}

// setup starts a run on a test kit Env whose worker and webhook server resolve the signing
// secret (the process environment is untouched), and returns the Env, the poster, the
// workflow, the run and the webhook's URL.
func setup(t *testing.T, opts workflowtest.Options, in slackapproval.Input) (*workflowtest.Env, *slackapproval.FakePoster, *workflow.Workflow[slackapproval.Input, slackapproval.Result], *workflow.Run[slackapproval.Result], string) {
	t.Helper()
	opts.Secrets = verify.EnvResolver{Getenv: func(name string) string {
		return map[string]string{"SLACK_SIGNING_SECRET": secret}[name]
	}}
	p := &slackapproval.FakePoster{}
	wf := slackapproval.New(slackapproval.Config{SigningSecret: "env:SLACK_SIGNING_SECRET", Poster: p})
	env := workflowtest.NewWithOptions(t, opts, wf)
	run, err := workflow.Start(t.Context(), env.Client(), wf, in)
	require.NoError(t, err)
	env.WaitIdle()
	hooks := env.OpenHooks()
	require.Len(t, hooks, 1)
	require.True(t, hooks[0].Webhook)
	require.Equal(t, env.WebhookServer().URL+workflow.WebhookPath+hooks[0].Token, hooks[0].URL)
	return env, p, wf, run, hooks[0].URL
}

// reaction returns an Events API event_callback for a reaction_added event.
func reaction(eventID, name, user, channel, ts string) string {
	b, _ := json.Marshal(map[string]any{
		"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "team_id": "T0001", "api_app_id": "A0001",
		"type": "event_callback", "event_id": eventID, "event_time": 1700000100,
		"event": map[string]any{
			"type": "reaction_added", "user": user, "reaction": name, "item_user": "U0BOT",
			"item":     map[string]any{"type": "message", "channel": channel, "ts": ts},
			"event_ts": "1700000100.000200",
		},
	})
	return string(b)
}

const challenge = `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`

type reply struct {
	status int
	header http.Header
	body   string
}

// post sends body to url as Slack does, signed with secret at time at (an empty secret: no
// signature), with extra headers.
func post(t *testing.T, url, body, secret string, at time.Time, extra http.Header) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	for k, vs := range sign(secret, at, body) {
		req.Header[k] = vs
	}
	for k, vs := range extra {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

func hookInfo(t *testing.T, env *workflowtest.Env, url string) workflow.HookInfo {
	t.Helper()
	info, err := env.Client().GetHookByToken(t.Context(), url[strings.LastIndex(url, "/")+1:])
	require.NoError(t, err)
	return info
}

// The run's story up to its first wait: the webhook, the posted message, the receive's timer.
var waiting = []string{"run_created", "hook_created", "step_completed", "timer_created"}

// Slack's url_verification handshake is answered by the route, with 200 and the challenge,
// once it is signed: it stores nothing and does not wake the run. An unsigned one is refused.
func TestHandshakeIsAnsweredByTheRoute(t *testing.T) {
	t.Parallel()
	env, _, _, run, url := setup(t, workflowtest.Options{}, input)

	got := post(t, url, challenge, secret, env.Now(), nil)
	require.Equal(t, http.StatusOK, got.status)
	require.Equal(t, "application/json", got.header.Get("Content-Type"))
	require.JSONEq(t, `{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}`, got.body)

	got = post(t, url, challenge, "", env.Now(), nil)
	require.Equal(t, http.StatusUnauthorized, got.status, "Slack signs its handshake too")
	require.Empty(t, got.body)

	env.WaitIdle()
	info := hookInfo(t, env, url)
	require.Zero(t, info.Deliveries)
	require.Equal(t, 1, info.Rejections)
	require.Equal(t, waiting, env.EventTypes(run.ID()), "no hook_received: the run never saw them")
	require.Equal(t, workflow.StatusWaiting, env.Status(run.ID()))
}

// Forged requests are refused in the route with 401 and an empty body: no signature, a
// signature made with another secret, a signature older than Slack's five minutes. They are
// counted on the hook (HookInfo.Rejections) and never reach the workflow.
//
// The route's "now" is the test kit's fake clock (it starts at workflowtest.Start, far from
// the wall clock), so requests are signed at times relative to env.Now().
func TestForgedRequestsAreRefused(t *testing.T) {
	t.Parallel()
	env, _, _, run, url := setup(t, workflowtest.Options{}, input)
	now := env.Now()
	approve := reaction("Ev01", slackapproval.ReactionApprove, ada, channel, slackapproval.FakeTS)

	for _, tc := range []struct {
		name   string
		secret string
		at     time.Time
	}{
		{"unsigned", "", now},
		{"another secret", "a guess", now},
		{"stale", secret, now.Add(-5*time.Minute - time.Second)},
		{"signed at the wall clock's time", secret, time.Now()},
	} {
		got := post(t, url, approve, tc.secret, tc.at, nil)
		require.Equal(t, http.StatusUnauthorized, got.status, tc.name)
		require.Empty(t, got.body, tc.name)
	}

	env.WaitIdle()
	info := hookInfo(t, env, url)
	require.Equal(t, 4, info.Rejections)
	require.Zero(t, info.Deliveries)
	require.Equal(t, waiting, env.EventTypes(run.ID()), "nothing reached the workflow")
	require.Equal(t, workflow.StatusWaiting, env.Status(run.ID()))

	// The same event signed within the window (four minutes ago) gets through and decides.
	got := post(t, url, approve, secret, now.Add(-4*time.Minute), nil)
	require.Equal(t, http.StatusAccepted, got.status)
	res, err := run.Result(t.Context())
	require.NoError(t, err)
	require.Equal(t, slackapproval.Approved, res.Status)
}

// Events that do not decide are ignored and counted: a reaction on another message (in this
// channel and in another), another reaction, a ✅ by someone who is not an approver, a ✅
// removed, and a request that is not an event_callback. Then an approver's ✅ approves. Each
// request is answered 202 once stored; the run's webhook is gone once it ends.
func TestApprovedAfterIgnoredEvents(t *testing.T) {
	t.Parallel()
	workflowtest.Modes(t, func(t *testing.T, opts workflowtest.Options) {
		env, p, wf, run, url := setup(t, opts, input)
		const ts = slackapproval.FakeTS
		removed := strings.Replace(reaction("Ev05", slackapproval.ReactionApprove, ada, channel, ts), "reaction_added", "reaction_removed", 1)
		for _, body := range []string{
			reaction("Ev01", slackapproval.ReactionApprove, ada, channel, "1700000000.999999"),
			reaction("Ev02", slackapproval.ReactionApprove, ada, other, ts),
			reaction("Ev03", "eyes", ada, channel, ts),
			reaction("Ev04", slackapproval.ReactionApprove, eve, channel, ts),
			removed,
			`{"type":"app_rate_limited","token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","team_id":"T0001","minute_rate_limited":1518467820,"api_app_id":"A0001"}`,
		} {
			got := post(t, url, body, secret, env.Now(), nil)
			require.Equal(t, http.StatusAccepted, got.status, body)
			require.Empty(t, got.body)
		}
		require.Equal(t, workflow.StatusWaiting, env.Status(run.ID()), "nothing decided yet")

		got := post(t, url, reaction("Ev06", slackapproval.ReactionApprove, bob, channel, ts), secret, env.Now(), nil)
		require.Equal(t, http.StatusAccepted, got.status)

		res, err := run.Result(t.Context())
		require.NoError(t, err)
		require.Equal(t, slackapproval.Result{
			Status: slackapproval.Approved, By: bob, MessageTS: ts, Ignored: 6,
		}, res)
		require.Equal(t, []slackapproval.Post{{
			Channel: channel,
			Text:    "Deploy shop v1.4.2 to production?\nReact with :white_check_mark: to approve or :x: to reject (<@U0ADA>, <@U0BOB>).",
		}}, p.Posts(), "posted once")

		want := []string{"run_created", "hook_created", "step_completed"}
		for range 7 { // each receive waits at most Config.Wait
			want = append(want, "timer_created", "hook_received")
		}
		want = append(want, "hook_disposed", "run_completed")
		require.Equal(t, want, env.EventTypes(run.ID()))
		env.RequireReplay(wf, run.ID())

		got = post(t, url, reaction("Ev07", slackapproval.ReactionReject, ada, channel, ts), secret, env.Now(), nil)
		require.Equal(t, http.StatusNotFound, got.status, "the run ended: its webhook is gone")
		require.Empty(t, env.OpenHooks())
	})
}

// Slack retries an event it got no 2xx for within 3 s: same body and event_id, signed anew,
// with X-Slack-Retry-Num. The retry is answered like the first delivery but reaches the run
// once (the preset makes /event_id the idempotency key): Ignored is 1, not 2. With no
// approvers, anyone's ❌ then rejects.
func TestSlackRetryReachesTheRunOnce(t *testing.T) {
	t.Parallel()
	anyone := slackapproval.Input{Channel: channel, Text: "Drop the staging database?"}
	env, _, wf, run, url := setup(t, workflowtest.Options{}, anyone)
	const ts = slackapproval.FakeTS
	eyes := reaction("Ev0RETRIED", "eyes", eve, channel, ts)

	first := post(t, url, eyes, secret, env.Now(), nil)
	env.AdvanceTime(time.Minute) // Slack's retry comes later, with a new timestamp
	retry := post(t, url, eyes, secret, env.Now(), http.Header{"X-Slack-Retry-Num": {"1"}, "X-Slack-Retry-Reason": {"http_timeout"}})
	require.Equal(t, http.StatusAccepted, first.status)
	require.Equal(t, first.status, retry.status)
	require.Equal(t, first.body, retry.body, "the retry gets the first answer")
	require.Equal(t, 1, hookInfo(t, env, url).Deliveries)

	got := post(t, url, reaction("Ev0NO", slackapproval.ReactionReject, eve, channel, ts), secret, env.Now(), nil)
	require.Equal(t, http.StatusAccepted, got.status)

	res, err := run.Result(t.Context())
	require.NoError(t, err)
	require.Equal(t, slackapproval.Result{
		Status: slackapproval.Rejected, By: eve, MessageTS: ts, Ignored: 1,
	}, res, "the retried event reached the workflow once")
	require.Equal(t, []string{
		"run_created", "hook_created", "step_completed",
		"timer_created", "hook_received", // 👀, once
		"timer_created", "hook_received", // ❌
		"hook_disposed", "run_completed",
	}, env.EventTypes(run.ID()))
	env.RequireReplay(wf, run.ID())
}

// A run that gets no event for Config.Wait (24 hours by default) times out. The wait is per
// event: an ignored event starts a new one.
func TestTimesOutWithoutAReaction(t *testing.T) {
	t.Parallel()
	env, _, wf, run, url := setup(t, workflowtest.Options{}, input)

	env.AdvanceTime(23 * time.Hour)
	got := post(t, url, reaction("Ev01", "eyes", ada, channel, slackapproval.FakeTS), secret, env.Now(), nil)
	require.Equal(t, http.StatusAccepted, got.status)
	env.AdvanceTime(23 * time.Hour)
	require.Equal(t, workflow.StatusWaiting, env.Status(run.ID()), "46 hours in, 23 since the last event")

	env.AdvanceTime(time.Hour)
	res, err := run.Result(t.Context())
	require.NoError(t, err)
	require.Equal(t, slackapproval.Result{
		Status: slackapproval.TimedOut, MessageTS: slackapproval.FakeTS, Ignored: 1,
	}, res)
	require.Equal(t, []string{
		"run_created", "hook_created", "step_completed",
		"timer_created", "hook_received",
		"timer_created", "timer_fired", "hook_timed_out",
		"hook_disposed", "run_completed",
	}, env.EventTypes(run.ID()))
	env.RequireReplay(wf, run.ID())
	require.Empty(t, env.OpenHooks())
}
