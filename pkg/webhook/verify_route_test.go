package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
	"github.com/hookflow/hookflow/pkg/workflow"
)

const githubSecret = "It's a Secret to Everybody"

// secrets resolves env:GITHUB_SECRET (and env:ROTATED) without touching the environment.
var secrets = verify.EnvResolver{Getenv: func(name string) string {
	return map[string]string{"GITHUB_SECRET": githubSecret, "ROTATED": "the new one"}[name]
}}

func githubSignature(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// counting is a backend that counts the writes a delivery makes.
type counting struct {
	backend.Backend
	puts, enqueues, commits, rejects, lookups, runReads atomic.Int64
}

func (c *counting) GetRun(ctx context.Context, runID string) (backend.Run, error) {
	c.runReads.Add(1)
	return c.Backend.GetRun(ctx, runID)
}

func (c *counting) GetToken(ctx context.Context, token string) (backend.Token, error) {
	c.lookups.Add(1)
	return c.Backend.GetToken(ctx, token)
}

func (c *counting) Commit(ctx context.Context, cm backend.Commit) error {
	c.commits.Add(1)
	return c.Backend.Commit(ctx, cm)
}

func (c *counting) RejectDelivery(ctx context.Context, token, runID, hookID string, at time.Time) error {
	c.rejects.Add(1)
	return c.Backend.RejectDelivery(ctx, token, runID, hookID, at)
}

func (c *counting) PutInbox(ctx context.Context, it backend.InboxItem, idem *backend.Idempotency) (backend.InboxItem, *backend.Idempotency, error) {
	c.puts.Add(1)
	return c.Backend.PutInbox(ctx, it, idem)
}

func (c *counting) Enqueue(ctx context.Context, runID string, delay time.Duration) error {
	c.enqueues.Add(1)
	return c.Backend.Enqueue(ctx, runID, delay)
}

// started is a run of a workflow, turned until it waits on its webhooks, on a counting
// backend, with a client resolving secrets with its resolver.
type started struct {
	b     *counting
	c     *workflow.Client
	w     *workflow.Worker
	run   *workflow.Run[string]
	hooks []workflow.HookInfo
	h     *webhook.Handler
}

func start(t *testing.T, b backend.Backend, secrets verify.SecretResolver, wf *workflow.Workflow[struct{}, string]) started {
	t.Helper()
	s := started{b: &counting{Backend: b}}
	ctx := t.Context()
	s.c = workflow.NewClient(s.b, workflow.ClientOptions{Secrets: secrets})
	var err error
	s.run, err = workflow.Start(ctx, s.c, wf, struct{}{})
	require.NoError(t, err)
	s.w = workflow.NewWorker(s.b, workflow.NewRegistry(wf), workflow.WorkerOptions{Logger: slog.New(slog.DiscardHandler), Secrets: secrets})
	t.Cleanup(s.w.Close)
	require.NoError(t, s.w.RunTurn(ctx, s.run.ID()))
	s.hooks, err = s.c.ListHooks(ctx, workflow.HookFilter{RunID: s.run.ID()})
	require.NoError(t, err)
	s.h = webhook.NewHandler(s.c, webhook.Options{Logger: slog.New(slog.DiscardHandler)})
	return s
}

// onBackends runs fn as parallel subtests on the memory backend and, when the AWS endpoint
// is up (see awstest), on DynamoDB and SQS.
func onBackends(t *testing.T, fn func(t *testing.T, b backend.Backend)) {
	t.Helper()
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		b := memory.New()
		t.Cleanup(func() { _ = b.Close() })
		fn(t, b)
	})
	t.Run("dynamodb", func(t *testing.T) {
		t.Parallel()
		fn(t, awstest.Setup(t).NewBackend(t, awsbackend.Options{}))
	})
}

var signed = workflow.Define("signed", func(ctx workflow.Context, _ struct{}) (string, error) {
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{Verify: &verify.Spec{
		Kind: verify.KindGitHub, Secrets: []string{"env:ROTATED", "env:GITHUB_SECRET"},
	}})
	if err != nil {
		return "", err
	}
	req, err := wh.Receive(ctx)
	if err != nil {
		return "", err
	}
	return string(req.Body), nil
})

// A webhook with a Verify spec gets its requests' signatures checked in the route: a forged,
// altered or unsigned request is answered 401 with an empty body, stores nothing and wakes
// nothing (its one write is the count of rejections on the token record, which operators see
// in HookInfo); a signed one (with either secret of a rotation) is delivered.
func TestVerifiedWebhookRoute(t *testing.T) {
	t.Parallel()
	onBackends(t, func(t *testing.T, bk backend.Backend) {
		s := start(t, bk, secrets, signed)
		b, run, w, h, hooks, ctx := s.b, s.run, s.w, s.h, s.hooks, t.Context()
		require.Len(t, hooks, 1)
		send := func(body, signature string) *httptest.ResponseRecorder {
			r := httptest.NewRequest(http.MethodPost, workflow.WebhookPath+hooks[0].Token, strings.NewReader(body))
			if signature != "" {
				r.Header.Set("X-Hub-Signature-256", signature)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			return rec
		}
		const body = `{"ref":"refs/heads/main"}`
		puts, wakes, commits := b.puts.Load(), b.enqueues.Load(), b.commits.Load()
		forged := map[string]*httptest.ResponseRecorder{
			"no signature":   send(body, ""),
			"wrong secret":   send(body, githubSignature("guess", body)),
			"altered body":   send(body+" ", githubSignature(githubSecret, body)),
			"malformed":      send(body, "sha256=zz"),
			"SHA-1 only":     send(body, "sha1=0000000000000000000000000000000000000000"),
			"empty header":   send(body, " "),
			"signature only": send("", githubSignature(githubSecret, body)),
		}
		for name, rec := range forged {
			require.Equal(t, http.StatusUnauthorized, rec.Code, name)
			require.Empty(t, rec.Body.String(), name)
		}
		require.Equal(t, puts, b.puts.Load(), "a forged request stores nothing")
		require.Equal(t, commits, b.commits.Load(), "and commits nothing")
		require.Equal(t, wakes, b.enqueues.Load(), "and wakes nothing")
		require.Equal(t, int64(len(forged)), b.rejects.Load(), "each is counted, once")
		items, err := b.ListInbox(ctx, run.ID(), 0)
		require.NoError(t, err)
		require.Empty(t, items)
		info, err := s.c.GetHookByToken(ctx, hooks[0].Token)
		require.NoError(t, err)
		require.Equal(t, len(forged), info.Rejections, "the rejections show on the hook")
		require.False(t, info.LastRejectedAt.IsZero())
		require.Zero(t, info.Deliveries)

		rec := send(body, githubSignature(githubSecret, body))
		require.Equal(t, http.StatusAccepted, rec.Code)
		require.NoError(t, w.RunTurn(ctx, run.ID()))
		out, err := run.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, body, out, "the signed request was delivered")
		require.Equal(t, int64(len(forged)), b.rejects.Load(), "a signed request is not a rejection")
	})
}

// A secret that does not resolve when the webhook is created fails that turn with the reason,
// and the run goes on once the secret is there; a secret the route cannot resolve later (gone
// from the webhook function's environment) is the server's fault: 500, nothing stored. A
// Spec that cannot be used is refused at CreateWebhook.
func TestVerifiedWebhookMisconfigured(t *testing.T) {
	t.Parallel()
	m := memory.New()
	t.Cleanup(func() { _ = m.Close() })
	ctx := t.Context()
	missing := verify.EnvResolver{Getenv: func(name string) string {
		return map[string]string{"GITHUB_SECRET": githubSecret}[name] // env:ROTATED is not set
	}}
	early := workflow.NewClient(m, workflow.ClientOptions{})
	run0, err := workflow.Start(ctx, early, signed, struct{}{})
	require.NoError(t, err)
	w0 := workflow.NewWorker(m, workflow.NewRegistry(signed), workflow.WorkerOptions{Logger: slog.New(slog.DiscardHandler), Secrets: missing, RetryBase: time.Millisecond})
	t.Cleanup(w0.Close)
	require.NoError(t, w0.RunTurn(ctx, run0.ID()), "a failed turn is recorded on the run, not returned")
	info, err := early.GetRun(ctx, run0.ID())
	require.NoError(t, err)
	require.Contains(t, info.LastError, `secret "env:ROTATED" cannot be used`, "the run shows why it does not go on")
	require.Equal(t, 1, info.Failures)
	hooks0, err := early.ListHooks(ctx, workflow.HookFilter{RunID: run0.ID()})
	require.NoError(t, err)
	require.Empty(t, hooks0, "no webhook exists without its secret")

	time.Sleep(5 * time.Millisecond) // the failed turn's backoff
	w1 := workflow.NewWorker(m, workflow.NewRegistry(signed), workflow.WorkerOptions{Logger: slog.New(slog.DiscardHandler), Secrets: secrets})
	t.Cleanup(w1.Close)
	require.NoError(t, w1.RunTurn(ctx, run0.ID()))
	hooks, err := early.ListHooks(ctx, workflow.HookFilter{RunID: run0.ID()})
	require.NoError(t, err)
	require.Len(t, hooks, 1, "once the secret is set, the same run creates its webhook")
	info, err = early.GetRun(ctx, run0.ID())
	require.NoError(t, err)
	require.Zero(t, info.Failures)

	b := &counting{Backend: m}
	c := workflow.NewClient(b, workflow.ClientOptions{Secrets: missing})
	var logs strings.Builder
	h := webhook.NewHandler(c, webhook.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	r := httptest.NewRequest(http.MethodPost, workflow.WebhookPath+hooks[0].Token, strings.NewReader("{}"))
	r.Header.Set("X-Hub-Signature-256", githubSignature(githubSecret, "{}"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	require.Zero(t, b.puts.Load())
	require.Contains(t, logs.String(), "ROTATED", "the log names the missing secret's reference")
	require.NotContains(t, logs.String(), hooks[0].Token)

	bad := workflow.Define("bad-spec", func(ctx workflow.Context, _ struct{}) (string, error) {
		_, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{Verify: &verify.Spec{Kind: "carrier-pigeon", Secrets: []string{"env:X"}}})
		return "", err
	})
	run2, err := workflow.Start(ctx, c, bad, struct{}{})
	require.NoError(t, err)
	w2 := workflow.NewWorker(b, workflow.NewRegistry(bad), workflow.WorkerOptions{Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(w2.Close)
	require.NoError(t, w2.RunTurn(ctx, run2.ID()))
	_, err = run2.Result(ctx)
	require.ErrorIs(t, err, workflow.ErrInvalidArgument)
	require.ErrorContains(t, err, "webhook Verify")
}

// A sender's retry carries the same delivery id: it is delivered once and answered like the
// first, whether the id is a header a Verify preset names (GitHub's X-GitHub-Delivery) or a
// JSON pointer into the body (Stripe's /id) that the webhook names.
func TestSenderRetriesAreDeliveredOnce(t *testing.T) {
	t.Parallel()
	stripeLike := workflow.Define("stripe-like", func(ctx workflow.Context, _ struct{}) (string, error) {
		wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{
			DeliveryIDPointer: "/id", RespondWith: &workflow.Response{Status: http.StatusOK, Body: []byte("ok")},
		})
		if err != nil {
			return "", err
		}
		req, err := wh.Receive(ctx)
		if err != nil {
			return "", err
		}
		return string(req.Body), nil
	})
	for _, tc := range []struct {
		name    string
		w       *workflow.Workflow[struct{}, string]
		request func(token, body, id string) *http.Request
		bodyOf  func(id, text string) string
		status  int
	}{
		{
			name: "GitHub's X-GitHub-Delivery", w: signed, status: http.StatusAccepted,
			bodyOf: func(_, text string) string { return `{"text":"` + text + `"}` },
			request: func(token, body, id string) *http.Request {
				r := httptest.NewRequest(http.MethodPost, workflow.WebhookPath+token, strings.NewReader(body))
				r.Header.Set("X-Hub-Signature-256", githubSignature(githubSecret, body))
				r.Header.Set("X-GitHub-Delivery", id)
				return r
			},
		},
		{
			name: "Stripe's /id", w: stripeLike, status: http.StatusOK,
			bodyOf: func(id, text string) string { return `{"id":"` + id + `","text":"` + text + `"}` },
			request: func(token, body, _ string) *http.Request {
				return httptest.NewRequest(http.MethodPost, workflow.WebhookPath+token, strings.NewReader(body))
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			onBackends(t, func(t *testing.T, bk backend.Backend) {
				s := start(t, bk, secrets, tc.w)
				b, run, w, h, hooks, ctx := s.b, s.run, s.w, s.h, s.hooks, t.Context()
				send := func(body, id string) *httptest.ResponseRecorder {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, tc.request(hooks[0].Token, body, id))
					return rec
				}
				first := send(tc.bodyOf("dlv-1", "first"), "dlv-1")
				wakes := b.enqueues.Load()
				retry := send(tc.bodyOf("dlv-1", "first"), "dlv-1")
				require.Equal(t, wakes, b.enqueues.Load(), "a retry sends no wake: the first did")
				require.Equal(t, tc.status, first.Code)
				require.Equal(t, first.Code, retry.Code, "the retry is answered like the first")
				require.Equal(t, first.Body.String(), retry.Body.String())
				items, err := b.ListInbox(ctx, run.ID(), 0)
				require.NoError(t, err)
				require.Len(t, items, 1, "delivered once")
				require.Equal(t, http.StatusAccepted/100, send(tc.bodyOf("dlv-2", "second"), "dlv-2").Code/100, "another delivery")
				items, err = b.ListInbox(ctx, run.ID(), 0)
				require.NoError(t, err)
				require.Len(t, items, 2)
				require.NoError(t, w.RunTurn(ctx, run.ID()))
				out, err := run.Result(ctx)
				require.NoError(t, err)
				require.Contains(t, out, "first")
			})
		})
	}
}

// Senders' handshakes are answered by the route itself: no write, no wake. Slack's
// url_verification is signed like every Slack request; a hub.challenge GET carries the
// verify token configured at the sender.
func TestHandshakes(t *testing.T) {
	t.Parallel()
	const slackSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	slackSign := func(ts, body string) string {
		m := hmac.New(sha256.New, []byte(slackSecret))
		m.Write([]byte("v0:" + ts + ":" + body))
		return "v0=" + hex.EncodeToString(m.Sum(nil))
	}
	hooked := workflow.Define("handshakes", func(ctx workflow.Context, _ struct{}) (string, error) {
		if _, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{
			Verify:    &verify.Spec{Kind: verify.KindSlack, Secrets: []string{"env:SLACK"}},
			Handshake: &verify.Handshake{Kind: verify.HandshakeSlack},
		}); err != nil {
			return "", err
		}
		wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{Handshake: &verify.Handshake{Kind: verify.HandshakeHub, VerifyToken: "env:META"}})
		if err != nil {
			return "", err
		}
		_, err = wh.Receive(ctx)
		return "", err
	})
	onBackends(t, func(t *testing.T, bk backend.Backend) {
		s := start(t, bk, verify.EnvResolver{Getenv: func(name string) string {
			return map[string]string{"SLACK": slackSecret, "META": "meatyhamhock"}[name]
		}}, hooked)
		b, c, run, hooks, ctx := s.b, s.c, s.run, s.hooks, t.Context()
		require.Len(t, hooks, 2)
		slackToken, hubToken := hooks[0].Token, hooks[1].Token
		if hooks[0].HookID > hooks[1].HookID {
			slackToken, hubToken = hubToken, slackToken
		}
		h := s.h
		serve := func(r *http.Request) *httptest.ResponseRecorder {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			return rec
		}

		const challenge = `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		r := httptest.NewRequest(http.MethodPost, workflow.WebhookPath+slackToken, strings.NewReader(challenge))
		r.Header.Set("X-Slack-Request-Timestamp", ts)
		r.Header.Set("X-Slack-Signature", slackSign(ts, challenge))
		rec := serve(r)
		require.Equal(t, http.StatusOK, rec.Code)
		require.JSONEq(t, `{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}`, rec.Body.String())
		forged := httptest.NewRequest(http.MethodPost, workflow.WebhookPath+slackToken, strings.NewReader(challenge))
		require.Equal(t, http.StatusUnauthorized, serve(forged).Code, "an unsigned url_verification is refused")

		rec = serve(httptest.NewRequest(http.MethodGet, workflow.WebhookPath+hubToken+"?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock", nil))
		require.Equal(t, http.StatusOK, rec.Code)
		require.Equal(t, "1158201444", rec.Body.String())
		rec = serve(httptest.NewRequest(http.MethodGet, workflow.WebhookPath+hubToken+"?hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess", nil))
		require.Equal(t, http.StatusUnauthorized, rec.Code)
		require.Empty(t, rec.Body.String())

		require.Zero(t, b.puts.Load(), "handshakes store nothing")
		require.Equal(t, int64(2), b.rejects.Load(), "the unsigned url_verification and the wrong verify token are counted")
		require.Equal(t, int64(1), b.enqueues.Load(), "and wake nothing (the one wake started the run)")
		info, err := c.GetRun(ctx, run.ID())
		require.NoError(t, err)
		require.Equal(t, workflow.StatusWaiting, info.Status)
	})
}
