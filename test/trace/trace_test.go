// Package trace_test shows one OpenTelemetry trace from a webhook request to the step its
// workflow runs: embedded (the net/http route and a worker), and on the AWS path (the webhook
// Lambda's handler, a real SQS message, the runner Lambda's handler) across DynamoDB.
package trace_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	hfaws "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/lambdafn"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// The sender's trace: a request carrying this traceparent makes the delivery part of it.
const (
	senderTrace  = "4bf92f3577b34da6a3ce929d0e0e4736"
	senderParent = "00-" + senderTrace + "-00f067aa0ba902b7-01"
)

var quiet = slog.New(slog.DiscardHandler)

// charge waits for a webhook request and charges its body in a step.
var charge = workflow.Define("trace-charge", func(ctx workflow.Context, _ struct{}) (string, error) {
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{})
	if err != nil {
		return "", err
	}
	req, err := wh.Receive(ctx)
	if err != nil {
		return "", err
	}
	return workflow.Step(ctx, "charge", func(context.Context) (string, error) { return "charged " + string(req.Body), nil })
})

// requireOneTrace finds the delivery, the turn that received it and the step, and checks that
// they are one trace, the sender's, each the child of the one before.
func requireOneTrace(t *testing.T, spans tracetest.SpanStubs, deliver string) {
	t.Helper()
	find := func(name string, match func(tracetest.SpanStub) bool) tracetest.SpanStub {
		t.Helper()
		for _, s := range spans {
			if s.Name == name && match(s) {
				return s
			}
		}
		names := make([]string, len(spans))
		for i, s := range spans {
			names[i] = s.Name + " (parent " + s.Parent.SpanID().String() + ")"
		}
		t.Fatalf("no %s span among %v", name, names)
		return tracetest.SpanStub{}
	}
	any := func(tracetest.SpanStub) bool { return true }
	d := find(deliver, any)
	require.Equal(t, senderTrace, d.SpanContext.TraceID().String(), "the delivery joins the sender's trace")
	require.Equal(t, "00f067aa0ba902b7", d.Parent.SpanID().String())
	step := find("hookflow.step", any)
	turn := find("hookflow.turn", func(s tracetest.SpanStub) bool { return s.SpanContext.SpanID() == step.Parent.SpanID() })
	require.Equal(t, senderTrace, turn.SpanContext.TraceID().String(), "the turn that ran the step is in the trace")
	require.Equal(t, d.SpanContext.SpanID(), turn.Parent.SpanID(), "the turn is the delivery's child: woken by its message")
	require.Equal(t, senderTrace, step.SpanContext.TraceID().String())
	require.Equal(t, trace.SpanKindInternal, step.SpanKind)
	attrs := map[string]string{}
	for _, a := range step.Attributes {
		attrs[string(a.Key)] = a.Value.Emit()
	}
	require.Equal(t, "charge", attrs["hookflow.step"])
}

// Embedded: the route stores the request under the sender's trace, the wake carries it to the
// worker, and the turn and its step join it.
func TestTraceFromWebhookToStepEmbedded(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	c := workflow.NewClient(b, workflow.ClientOptions{TracerProvider: tp})
	w := workflow.NewWorker(b, workflow.NewRegistry(charge), workflow.WorkerOptions{Logger: quiet, TracerProvider: tp, SweepEvery: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; w.Close() })

	run, err := workflow.Start(t.Context(), c, charge, struct{}{})
	require.NoError(t, err)
	var hooks []workflow.HookInfo
	require.Eventually(t, func() bool {
		hooks, err = c.ListHooks(t.Context(), workflow.HookFilter{RunID: run.ID()})
		return err == nil && len(hooks) == 1
	}, 10*time.Second, 10*time.Millisecond)
	// Once the worker has let go of the run, the request's wake is what starts the next turn
	// (a request that comes while a runner holds the run is taken by that runner's next turn,
	// which links the request's trace instead: see TestTraceLinksWhatAHeldRunTakes).
	require.Eventually(t, func() bool {
		r, err := b.GetRun(t.Context(), run.ID())
		return err == nil && r.LeaseOwner == ""
	}, 10*time.Second, 10*time.Millisecond)

	r := httptest.NewRequest(http.MethodPost, workflow.WebhookPath+hooks[0].Token, strings.NewReader("42"))
	r.Header.Set("Traceparent", senderParent)
	resp := httptest.NewRecorder()
	webhook.NewHandler(c, webhook.Options{Logger: quiet}).ServeHTTP(resp, r)
	require.Equal(t, http.StatusAccepted, resp.Code)
	out, err := run.Result(t.Context())
	require.NoError(t, err)
	require.Equal(t, "charged 42", out)
	requireOneTrace(t, tracetest.SpanStubsFromReadOnlySpans(rec.Ended()), "hookflow.webhook.deliver")
}

// The AWS path: the webhook Lambda's handler stores the request in DynamoDB and sends the
// wake to SQS with the trace context; the runner Lambda's handler, fed the real SQS message,
// runs the turn and the step in the same trace.
func TestTraceFromWebhookToStepOnAWS(t *testing.T) {
	t.Parallel()
	env := awstest.Setup(t)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	name := awstest.UniqueName(t)
	env.NewTable(t, name)
	queueURL := env.NewQueue(t, name, nil)
	b, err := hfaws.New(env.Config.Copy(), hfaws.Options{Table: name, QueueURL: queueURL})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	ctx := t.Context()

	c := workflow.NewClient(b, workflow.ClientOptions{BaseURL: "https://api.test", TracerProvider: tp})
	runner := lambdafn.NewRunner(b, workflow.NewRegistry(charge), lambdafn.Config{BaseURL: "https://api.test", TracerProvider: tp}, quiet)
	t.Cleanup(runner.Close)
	// drain hands the queue's messages to the runner as Lambda's SQS poller does.
	drain := func() {
		t.Helper()
		out, err := env.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &queueURL, MaxNumberOfMessages: 10, WaitTimeSeconds: 2})
		require.NoError(t, err)
		ev := events.SQSEvent{}
		for _, m := range out.Messages {
			ev.Records = append(ev.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body)})
			_, err := env.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &queueURL, ReceiptHandle: m.ReceiptHandle})
			require.NoError(t, err)
		}
		require.NotEmpty(t, ev.Records, "a wake message")
		require.Empty(t, runner.HandleSQS(ctx, ev).BatchItemFailures)
	}

	run, err := workflow.Start(ctx, c, charge, struct{}{})
	require.NoError(t, err)
	drain() // the first turn creates the webhook
	hooks, err := c.ListHooks(ctx, workflow.HookFilter{RunID: run.ID()})
	require.NoError(t, err)
	require.Len(t, hooks, 1)

	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RawPath: workflow.WebhookPath + hooks[0].Token, Body: "42",
		Headers: map[string]string{"traceparent": senderParent, "content-type": "text/plain"},
	}
	ev.RequestContext.DomainName = "api.test"
	ev.RequestContext.HTTP.Method = http.MethodPost
	ev.RequestContext.HTTP.Path = ev.RawPath
	resp, err := lambdafn.NewWebhookHandler(c, quiet).Handle(ctx, ev)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	drain() // the wake the delivery sent
	info, err := c.GetRun(ctx, run.ID())
	require.NoError(t, err)
	require.Equal(t, workflow.StatusCompleted, info.Status)
	requireOneTrace(t, tracetest.SpanStubsFromReadOnlySpans(rec.Ended()), "hookflow.webhook.deliver")
}

// A delivery that comes while a runner holds the run sends no wake (the holder takes it): the
// turn that takes it is not its child but links to its trace.
func TestTraceLinksWhatAHeldRunTakes(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	ctx := t.Context()
	c := workflow.NewClient(b, workflow.ClientOptions{TracerProvider: tp})
	w := workflow.NewWorker(b, workflow.NewRegistry(charge), workflow.WorkerOptions{Logger: quiet, TracerProvider: tp})
	t.Cleanup(w.Close)
	run, err := workflow.Start(ctx, c, charge, struct{}{})
	require.NoError(t, err)
	require.NoError(t, w.RunTurn(ctx, run.ID()))
	hooks, err := c.ListHooks(ctx, workflow.HookFilter{RunID: run.ID()})
	require.NoError(t, err)
	require.Len(t, hooks, 1)

	// Another runner holds the run while the request comes, so the request's wake (if it
	// sends one) finds it held and runs no turn: the holder takes the request.
	require.NoError(t, b.TakeLease(ctx, run.ID(), "other-runner", time.Now(), time.Now().Add(time.Minute)))
	r := httptest.NewRequest(http.MethodPost, workflow.WebhookPath+hooks[0].Token, strings.NewReader("7"))
	r.Header.Set("Traceparent", senderParent)
	resp := httptest.NewRecorder()
	webhook.NewHandler(c, webhook.Options{Logger: quiet}).ServeHTTP(resp, r)
	require.Equal(t, http.StatusAccepted, resp.Code)
	turns := w.Stats().Turns
	require.NoError(t, w.RunTurn(ctx, run.ID()))
	require.Equal(t, turns, w.Stats().Turns, "the wake finds the run held: no turn")
	require.NoError(t, b.ReleaseLease(ctx, run.ID(), "other-runner"))

	require.NoError(t, w.RunTurn(ctx, run.ID())) // the holder's next turn, in a trace of its own
	out, err := run.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, "charged 7", out)
	for _, s := range rec.Ended() {
		if s.Name() != "hookflow.turn" || len(s.Links()) == 0 {
			continue
		}
		require.NotEqual(t, senderTrace, s.SpanContext().TraceID().String())
		require.Equal(t, senderTrace, s.Links()[0].SpanContext.TraceID().String(), "the turn links the request's trace")
		return
	}
	t.Fatal("no turn links the request's trace")
}
