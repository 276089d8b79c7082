package lambdafn

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/workflow"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.DiscardHandler)

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	_, err := configFrom(get)
	require.ErrorContains(t, err, EnvTable+" is not set")
	require.ErrorContains(t, err, EnvQueueURL+" is not set")

	env = map[string]string{
		EnvTable: "t", EnvQueueURL: "queue", EnvBaseURL: "ftp://x", EnvMaxPayloadBytes: "1e9",
		EnvSweepGrace: "soon", EnvLogLevel: "loud", EnvRetention: "-3d", EnvCompress: "yes",
	}
	_, err = configFrom(get)
	for _, v := range []string{EnvQueueURL, EnvBaseURL, EnvMaxPayloadBytes, EnvSweepGrace, EnvLogLevel, EnvRetention, EnvCompress} {
		require.ErrorContains(t, err, v)
	}

	env = map[string]string{
		EnvTable: "hookflow", EnvQueueURL: "https://sqs.eu-west-1.amazonaws.com/1/wake",
		EnvBaseURL: "https://abc.execute-api.eu-west-1.amazonaws.com/", EnvMaxPayloadBytes: "1024",
		EnvSweepGrace: "10s", EnvLogLevel: "DEBUG", EnvRetention: "7d",
		EnvKMSKeyID: " arn:aws:kms:eu-west-1:1:key/k ", EnvCompress: "true",
	}
	cfg, err := configFrom(get)
	require.NoError(t, err)
	require.Equal(t, Config{
		Table: "hookflow", QueueURL: "https://sqs.eu-west-1.amazonaws.com/1/wake",
		BaseURL: "https://abc.execute-api.eu-west-1.amazonaws.com", MaxPayloadBytes: 1024,
		SweepGrace: 10 * time.Second, LogLevel: "debug", Retention: 7 * 24 * time.Hour,
		KMSKeyID: "arn:aws:kms:eu-west-1:1:key/k", Compress: true,
	}, cfg)
}

func apiEvent(method, path, query, body string, b64 bool, headers map[string]string) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RawPath: path, RawQueryString: query, Headers: headers, Body: body, IsBase64Encoded: b64,
	}
	ev.RequestContext.DomainName = "abc.execute-api.test"
	ev.RequestContext.HTTP.Method = method
	ev.RequestContext.HTTP.Path = path
	ev.RequestContext.HTTP.SourceIP = "203.0.113.9"
	return ev
}

func TestRequestFromAPIGateway(t *testing.T) {
	t.Parallel()
	ev := apiEvent("POST", "/.well-known/workflow/v1/webhook/tok%2Fen", "a=1&b=2&b=3",
		base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xff}), true,
		map[string]string{"content-type": "application/octet-stream", "x-multi": "one,two"})
	ev.Cookies = []string{"a=1", "b=2"}
	r, err := RequestFromAPIGateway(t.Context(), ev)
	require.NoError(t, err)
	require.Equal(t, "POST", r.Method)
	require.Equal(t, "https://abc.execute-api.test/.well-known/workflow/v1/webhook/tok%2Fen?a=1&b=2&b=3", r.URL.String())
	require.Equal(t, "/.well-known/workflow/v1/webhook/tok/en", r.URL.Path)
	require.Equal(t, "one,two", r.Header.Get("X-Multi"))
	require.Equal(t, "a=1; b=2", r.Header.Get("Cookie"))
	require.Equal(t, "203.0.113.9", r.RemoteAddr)
	body := make([]byte, 4)
	n, _ := r.Body.Read(body)
	require.Equal(t, []byte{0, 1, 2, 0xff}, body[:n])

	local, err := RequestFromAPIGateway(t.Context(), apiEvent("GET", "/x", "", "", false, map[string]string{"x-forwarded-proto": "http"}))
	require.NoError(t, err)
	require.Equal(t, "http://abc.execute-api.test/x", local.URL.String(), "a plain-HTTP front end is believed")

	_, err = RequestFromAPIGateway(t.Context(), apiEvent("", "/", "", "", false, nil))
	require.Error(t, err)
	_, err = RequestFromAPIGateway(t.Context(), apiEvent("GET", "/", "", "%%%", true, nil))
	require.ErrorContains(t, err, "base64")
}

func TestResponseToAPIGatewayIsBinarySafe(t *testing.T) {
	t.Parallel()
	text := ResponseToAPIGateway(200, http.Header{"Content-Type": {"text/plain"}, "Set-Cookie": {"a=1", "b=2"}, "X-A": {"1", "2"}}, []byte("héllo"))
	require.Equal(t, "héllo", text.Body)
	require.False(t, text.IsBase64Encoded)
	require.Equal(t, []string{"a=1", "b=2"}, text.Cookies)
	require.Equal(t, "1,2", text.Headers["X-A"])
	bin := ResponseToAPIGateway(200, nil, []byte{0xff, 0})
	require.True(t, bin.IsBase64Encoded)
	require.Equal(t, base64.StdEncoding.EncodeToString([]byte{0xff, 0}), bin.Body)
}

// setup runs a workflow with a manual webhook on the memory backend, with the runner's turns
// driven by the test.
type bundle struct {
	b      *memory.Backend
	c      *workflow.Client
	runner *Runner
}

var echo = workflow.Define("echo", func(ctx workflow.Context, _ struct{}) (string, error) {
	hook, err := workflow.CreateHook[string](ctx, workflow.HookOptions{Token: "echo"})
	if err != nil {
		return "", err
	}
	return hook.Receive(ctx)
})

func setup(t *testing.T) bundle {
	t.Helper()
	b := memory.New()
	cfg := Config{BaseURL: "https://api.test", SweepGrace: 0}
	r := NewRunner(b, workflow.NewRegistry(echo), cfg, quiet)
	t.Cleanup(func() {
		r.Close()
		_ = b.Close()
	})
	return bundle{b: b, c: workflow.NewClient(b, workflow.ClientOptions{BaseURL: cfg.BaseURL}), runner: r}
}

func sqsEvent(bodies ...string) json.RawMessage {
	var ev events.SQSEvent
	for i, b := range bodies {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: "m" + string(rune('0'+i)), Body: b, EventSource: "aws:sqs"})
	}
	raw, _ := json.Marshal(ev)
	return raw
}

func TestRunnerTurnsAndPartialFailures(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := t.Context()
	run, err := workflow.Start(ctx, s.c, echo, struct{}{}, workflow.WithRunID("r1"))
	require.NoError(t, err)

	out, err := s.runner.Handle(ctx, sqsEvent(`{"runId":"r1"}`, `garbage`, `{"runId":"nope"}`, `{"runId":"r1"}`))
	require.NoError(t, err)
	require.Empty(t, out.(events.SQSEventResponse).BatchItemFailures, "malformed and unknown-run messages are dropped, not retried")
	info, err := s.c.GetHookByToken(ctx, "echo")
	require.NoError(t, err, "the turn ran and created the hook")
	require.Equal(t, run.ID(), info.RunID)

	_, err = s.c.ResumeHook(ctx, "echo", "hi")
	require.NoError(t, err)
	_, err = s.runner.Handle(ctx, sqsEvent(`{"runId":"r1"}`))
	require.NoError(t, err)
	got, err := run.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, "hi", got)

	// Near the deadline, nothing starts: every record is left for SQS to redeliver.
	near, cancel := context.WithDeadline(ctx, time.Now().Add(time.Second))
	defer cancel()
	out, err = s.runner.Handle(near, sqsEvent(`{"runId":"r1"}`, `{"runId":"r2"}`))
	require.NoError(t, err)
	require.Len(t, out.(events.SQSEventResponse).BatchItemFailures, 2)
}

func TestRunnerChainsLongDelays(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := t.Context()
	_, err := workflow.Start(ctx, s.c, echo, struct{}{}, workflow.WithRunID("r9"))
	require.NoError(t, err)
	msgs, err := s.b.Receive(ctx, 10, 0) // its first wake is not the one under test
	require.NoError(t, err)
	require.NoError(t, s.b.Ack(ctx, msgs...))
	later := time.Now().Add(time.Hour).UTC().Format(time.RFC3339Nano)
	out, err := s.runner.Handle(ctx, sqsEvent(`{"runId":"r9","notBefore":"`+later+`"}`))
	require.NoError(t, err)
	require.Empty(t, out.(events.SQSEventResponse).BatchItemFailures)
	at, ok := s.b.NextVisible()
	require.True(t, ok, "the wake was queued again")
	require.WithinDuration(t, time.Now().Add(time.Hour), at, 5*time.Second)
}

func TestRunnerSweepAndUnknownEvents(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := t.Context()
	_, err := workflow.Start(ctx, s.c, echo, struct{}{}, workflow.WithRunID("r1"))
	require.NoError(t, err)
	msgs, err := s.b.Receive(ctx, 10, 0) // the first wake is "lost"
	require.NoError(t, err)
	require.NoError(t, s.b.Ack(ctx, msgs...))

	out, err := s.runner.Handle(ctx, json.RawMessage(`{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}`))
	require.NoError(t, err)
	require.Equal(t, SweepResult{Woken: 1}, out)
	require.Equal(t, 1, s.b.Pending(), "the sweep queued the never-started run")

	_, err = s.runner.Handle(ctx, json.RawMessage(`{"hello":"world"}`))
	require.ErrorContains(t, err, "neither an SQS batch nor a scheduled event")
	_, err = s.runner.Handle(ctx, json.RawMessage(`[`))
	require.ErrorContains(t, err, "malformed event")
}

func TestWebhookHandlerServesAPIGatewayEvents(t *testing.T) {
	t.Parallel()
	s := setup(t)
	h := NewWebhookHandler(s.c, quiet)
	resp, err := h.Handle(t.Context(), apiEvent("POST", "/.well-known/workflow/v1/webhook/unknown", "", "{}", false, nil))
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Empty(t, resp.Body)
	resp, err = h.Handle(t.Context(), apiEvent("POST", "/.well-known/workflow/v1/webhook/", "", "", false, nil))
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp, err = h.Handle(t.Context(), apiEvent("", "", "", "", false, nil))
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "a malformed event is a 400, not a crash")
}

func TestResumeHandler(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := t.Context()
	run, err := workflow.Start(ctx, s.c, echo, struct{}{}, workflow.WithRunID("r1"))
	require.NoError(t, err)
	_, err = s.runner.Handle(ctx, sqsEvent(`{"runId":"r1"}`))
	require.NoError(t, err)
	h := NewResumeHandler(s.c, quiet)

	out, err := h.Handle(ctx, json.RawMessage(`{"token":"echo","payload":"one","idempotencyKey":"k"}`))
	require.NoError(t, err)
	first := out.(InvokeResponse)
	require.Equal(t, http.StatusOK, first.Status)
	require.Equal(t, run.ID(), first.Result.RunID)
	out, err = h.Handle(ctx, json.RawMessage(`{"token":"echo","payload":"one","idempotencyKey":"k"}`))
	require.NoError(t, err)
	require.True(t, out.(InvokeResponse).Result.Duplicate)

	out, err = h.Handle(ctx, json.RawMessage(`{"token":"nope","payload":1}`))
	require.NoError(t, err)
	require.Equal(t, InvokeResponse{Status: http.StatusNotFound, Error: "hook not found"}, out)
	out, err = h.Handle(ctx, json.RawMessage(`{"payload":1}`))
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, out.(InvokeResponse).Status)

	ev := apiEvent("POST", "/.well-known/workflow/v1/resume", "", `{"token":"nope","payload":1}`, false,
		map[string]string{"content-type": "application/json"})
	raw, _ := json.Marshal(ev)
	out, err = h.Handle(ctx, raw)
	require.NoError(t, err)
	api := out.(events.APIGatewayV2HTTPResponse)
	require.Equal(t, http.StatusNotFound, api.StatusCode)
	require.True(t, strings.Contains(api.Body, "hook not found"))

	_, err = s.runner.Handle(ctx, sqsEvent(`{"runId":"r1"}`))
	require.NoError(t, err)
	got, err := run.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, "one", got, "delivered once")
}

// A batch holding several wakes of one run handles that run once: one Drive per run, and
// every message acknowledged.
func TestRunnerHandlesEachRunOncePerBatch(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := t.Context()
	a, err := workflow.Start(ctx, s.c, echo, struct{}{}, workflow.WithRunID("ra"))
	require.NoError(t, err)
	out, err := s.runner.Handle(ctx, sqsEvent(`{"runId":"ra"}`, `{"runId":"ra"}`, `{"runId":"ra"}`, `{"runId":"gone"}`, `{"runId":"ra"}`))
	require.NoError(t, err)
	require.Empty(t, out.(events.SQSEventResponse).BatchItemFailures)
	st := s.runner.Stats()
	require.EqualValues(t, 2, st.Wakes, "one wake handled per run of the batch, not per message")
	require.EqualValues(t, 1, st.Turns)

	_, err = s.c.ResumeHook(ctx, "echo", "hi")
	require.NoError(t, err)
	_, err = s.runner.Handle(ctx, sqsEvent(`{"runId":"ra"}`, `{"runId":"ra"}`))
	require.NoError(t, err)
	got, err := a.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, "hi", got)
	require.EqualValues(t, 3, s.runner.Stats().Wakes)
}
