package lambdaresume_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/lambdafn"
	"github.com/hookflow/hookflow/pkg/lambdaresume"
	"github.com/hookflow/hookflow/pkg/workflow"
	"github.com/hookflow/hookflow/pkg/workflow/workflowtest"
)

// inProcess invokes the resume function's handler in process, as Lambda would with the
// payload bytes.
type inProcess struct {
	h       *lambdafn.ResumeHandler
	invoked int
	failing bool
}

func (p *inProcess) Invoke(ctx context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	p.invoked++
	if p.failing {
		return &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String("Unhandled"), Payload: []byte(`{"errorMessage":"store unreachable"}`)}, nil
	}
	out, err := p.h.Handle(ctx, in.Payload)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(out)
	return &lambda.InvokeOutput{StatusCode: 200, Payload: raw}, err
}

type Vote struct {
	Choice string `json:"choice"`
}

var ballot = workflow.DefineHook(workflow.DefineHookOptions[Vote]{
	Validate: func(v Vote) error {
		if v.Choice != "yes" && v.Choice != "no" {
			return errors.New("choice must be yes or no")
		}
		return nil
	},
})

var poll = workflow.Define("poll", func(ctx workflow.Context, _ struct{}) (string, error) {
	h, err := ballot.Create(ctx, workflow.HookOptions{Token: "poll:1"})
	if err != nil {
		return "", err
	}
	v, err := h.Receive(ctx)
	return v.Choice, err
})

func TestResumeThroughTheFunction(t *testing.T) {
	t.Parallel()
	env := workflowtest.New(t, poll)
	ctx := t.Context()
	run, err := workflow.Start(ctx, env.Client(), poll, struct{}{})
	require.NoError(t, err)
	env.WaitIdle()

	fn := &inProcess{h: lambdafn.NewResumeHandler(env.Client(), slog.New(slog.DiscardHandler))}
	c := workflow.NewClient(nil, workflow.ClientOptions{Resumer: lambdaresume.New(fn, "hookflow-resume")})

	_, err = c.ResumeHook(ctx, "poll:1", map[string]int{"choice": 3})
	var invalid *workflow.ValidationError
	require.ErrorAs(t, err, &invalid, "the function validates against the stored schema")
	require.NotEmpty(t, invalid.Issues)

	_, err = ballot.Resume(ctx, c, "poll:1", Vote{Choice: "maybe"})
	require.ErrorAs(t, err, &invalid)
	require.Equal(t, []string{"choice must be yes or no"}, invalid.Issues)
	require.Equal(t, 1, fn.invoked, "Validate runs in the caller, before any invoke")

	_, err = c.ResumeHook(ctx, "poll:404", Vote{Choice: "yes"})
	require.ErrorIs(t, err, workflow.ErrHookNotFound)

	first, err := ballot.Resume(ctx, c, "poll:1", Vote{Choice: "yes"}, workflow.WithIdempotencyKey("v1"))
	require.NoError(t, err)
	require.Equal(t, run.ID(), first.RunID)
	again, err := c.ResumeHook(ctx, "poll:1", Vote{Choice: "yes"}, workflow.WithIdempotencyKey("v1"))
	require.NoError(t, err)
	require.True(t, again.Duplicate)
	require.Equal(t, first.DeliveryID, again.DeliveryID)

	out, err := run.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, "yes", out)

	fn.failing = true
	_, err = c.ResumeHook(ctx, "poll:1", Vote{Choice: "no"})
	require.ErrorContains(t, err, "store unreachable")
	_, err = c.ResumeHook(ctx, "", Vote{})
	require.ErrorIs(t, err, workflow.ErrHookNotFound)
}

// errorBody answers like the Lambda RIE does for a function error: status 200, no
// FunctionError, the error in the body.
type errorBody struct{}

func (errorBody) Invoke(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	return &lambda.InvokeOutput{StatusCode: 200, Payload: []byte(`{"errorMessage":"table not found","errorType":"ResourceNotFoundException"}`)}, nil
}

func TestFunctionErrorWithoutTheHeader(t *testing.T) {
	t.Parallel()
	c := workflow.NewClient(nil, workflow.ClientOptions{Resumer: lambdaresume.New(errorBody{}, "fn")})
	_, err := c.ResumeHook(t.Context(), "tok", 1)
	require.ErrorContains(t, err, "ResourceNotFoundException")
	require.ErrorContains(t, err, "table not found")
}
