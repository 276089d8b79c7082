package lambdafn

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// lambdaService stands in for Lambda: it records the invocations a runner makes, and
// delivers each to the runner of the version it names, as Lambda would run that version.
type lambdaService struct {
	mu       sync.Mutex
	calls    []*lambda.InvokeInput
	versions map[string]*Runner
}

func (s *lambdaService) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, in)
	return &lambda.InvokeOutput{StatusCode: 202}, nil
}

// deliver runs the recorded asynchronous invocations on the versions they name.
func (s *lambdaService) deliver(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	calls := s.calls
	s.calls = nil
	s.mu.Unlock()
	for _, in := range calls {
		r := s.versions[*in.Qualifier]
		require.NotNil(t, r, "no runner version %s", *in.Qualifier)
		out, err := r.Handle(t.Context(), in.Payload)
		require.NoError(t, err)
		require.IsType(t, ForwardResult{}, out)
	}
}

var (
	greetV1 = workflow.Define("greet", func(ctx workflow.Context, _ struct{}) (string, error) {
		hook, err := workflow.CreateHook[string](ctx, workflow.HookOptions{Token: "greet"})
		if err != nil {
			return "", err
		}
		name, err := hook.Receive(ctx)
		return "hello " + name, err
	})
	// greetV2 adds a step before the hook: runs waiting under v1 must not run it.
	greetV2 = workflow.Define("greet", func(ctx workflow.Context, _ struct{}) (string, error) {
		if _, err := workflow.Step(ctx, "warm-up", func(context.Context) (int, error) { return 1, nil }); err != nil {
			return "", err
		}
		hook, err := workflow.CreateHook[string](ctx, workflow.HookOptions{Token: "greet-v2"})
		if err != nil {
			return "", err
		}
		name, err := hook.Receive(ctx)
		return "hi " + name, err
	})
)

// A runner invoked as published version 2 takes the wake of a run pinned to version 1 and
// invokes version 1 with it, asynchronously; version 1 runs the turn on its own code.
func TestRunnerForwardsWakesToThePinnedVersion(t *testing.T) {
	t.Parallel()
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	svc := &lambdaService{versions: map[string]*Runner{}}
	runner := func(version string, w workflow.Registrable) *Runner {
		r := NewRunner(b, workflow.NewRegistry(w), Config{FunctionName: "hookflow-runner", FunctionVersion: version, Invoker: svc}, quiet)
		t.Cleanup(r.Close)
		svc.versions[version] = r
		return r
	}
	v1, v2 := runner("1", greetV1), runner("2", greetV2)
	ctx := t.Context()
	c := workflow.NewClient(b, workflow.ClientOptions{})
	_, err := workflow.Start(ctx, c, greetV1, struct{}{}, workflow.WithRunID("old"))
	require.NoError(t, err)
	require.NoError(t, v1.w.RunTurn(ctx, "old"))
	info, err := c.GetRun(ctx, "old")
	require.NoError(t, err)
	require.Equal(t, "1", info.CodeVersion, "pinned by its first turn")

	_, err = c.ResumeHook(ctx, "greet", "ada")
	require.NoError(t, err)
	resp := v2.HandleSQS(ctx, events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: backend.EncodeWake(backend.Wake{RunID: "old"})}}})
	require.Empty(t, resp.BatchItemFailures)
	require.Len(t, svc.calls, 1, "version 2 forwarded the wake")
	call := svc.calls[0]
	require.Equal(t, "hookflow-runner", *call.FunctionName)
	require.Equal(t, "1", *call.Qualifier)
	require.Equal(t, types.InvocationTypeEvent, call.InvocationType)
	var fw ForwardedWake
	require.NoError(t, json.Unmarshal(call.Payload, &fw))
	require.Equal(t, ForwardedWake{Hookflow: "wake", RunID: "old"}, fw)
	require.Equal(t, int64(1), v2.Stats().Forwarded)

	svc.deliver(t)
	run, err := workflow.Start(ctx, c, greetV1, struct{}{}, workflow.WithRunID("old"))
	require.NoError(t, err)
	out, err := run.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, "hello ada", out, "version 1's code ran the turn")
}

// A runner invoked as $LATEST (no published versions) pins nothing.
func TestRunnerAtLatestPinsNothing(t *testing.T) {
	t.Parallel()
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	r := NewRunner(b, workflow.NewRegistry(greetV1), Config{FunctionName: "f", FunctionVersion: "$LATEST"}, quiet)
	t.Cleanup(r.Close)
	c := workflow.NewClient(b, workflow.ClientOptions{})
	_, err := workflow.Start(t.Context(), c, greetV1, struct{}{}, workflow.WithRunID("r"))
	require.NoError(t, err)
	require.NoError(t, r.w.RunTurn(t.Context(), "r"))
	info, err := c.GetRun(t.Context(), "r")
	require.NoError(t, err)
	require.Empty(t, info.CodeVersion)

	// A forwarded wake for a run that does not exist is dropped like any other.
	out, err := r.Handle(t.Context(), json.RawMessage(`{"hookflow":"wake","runId":"nope"}`))
	require.NoError(t, err)
	require.Equal(t, ForwardResult{RunID: "nope"}, out)
}
