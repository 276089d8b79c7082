// Package lambdaresume resumes hooks through the resume Lambda (lambda:InvokeFunction), for
// callers that should not hold rights on the table and queue. Plug it into a Client:
//
//	r := lambdaresume.New(lambda.NewFromConfig(awsCfg), "hookflow-resume")
//	c := workflow.NewClient(nil, workflow.ClientOptions{Resumer: r})
//	res, err := c.ResumeHook(ctx, "approval:RFC-7", payload, workflow.WithIdempotencyKey(id))
//
// The outcomes are those of the direct path: ErrHookNotFound, ErrPayloadTooLarge, a
// *ValidationError with the issues the function found, or the ResumeResult.
package lambdaresume

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// Invoker is the part of *lambda.Client the Resumer uses.
type Invoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Resumer implements workflow.Resumer by invoking the resume function.
type Resumer struct {
	inv      Invoker
	function string
}

// New returns a Resumer that invokes function (a name, an ARN or a qualified ARN) with inv.
func New(inv Invoker, function string) *Resumer {
	return &Resumer{inv: inv, function: function}
}

var _ workflow.Resumer = (*Resumer)(nil)

// Resume invokes the resume function synchronously and maps its answer to the direct path's
// outcomes.
func (r *Resumer) Resume(ctx context.Context, token string, payload json.RawMessage, idempotencyKey string) (workflow.ResumeResult, error) {
	body, err := json.Marshal(webhook.ResumeRequest{Token: token, Payload: payload, IdempotencyKey: idempotencyKey})
	if err != nil {
		return workflow.ResumeResult{}, fmt.Errorf("%w: %v", workflow.ErrInvalidArgument, err)
	}
	out, err := r.inv.Invoke(ctx, &lambda.InvokeInput{FunctionName: &r.function, Payload: body})
	if err != nil {
		return workflow.ResumeResult{}, fmt.Errorf("hookflow: invoking %s: %w", r.function, err)
	}
	var fe struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	if out.FunctionError != nil {
		_ = json.Unmarshal(out.Payload, &fe)
		return workflow.ResumeResult{}, fmt.Errorf("hookflow: %s failed (%s): %s", r.function, *out.FunctionError, fe.ErrorMessage)
	}
	var resp webhook.InvokeResponse
	if err := json.Unmarshal(out.Payload, &resp); err != nil {
		return workflow.ResumeResult{}, fmt.Errorf("hookflow: %s answered something that is not a resume response: %w", r.function, err)
	}
	if resp.Status == 0 && json.Unmarshal(out.Payload, &fe) == nil && fe.ErrorMessage != "" {
		// An emulator (the Lambda RIE) returns a function error without the
		// X-Amz-Function-Error header; its body still says what failed.
		return workflow.ResumeResult{}, fmt.Errorf("hookflow: %s failed (%s): %s", r.function, fe.ErrorType, fe.ErrorMessage)
	}
	if err := resp.Err(); err != nil {
		return workflow.ResumeResult{}, err
	}
	return *resp.Result, nil
}
