package lambdafn

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// Pinned runs on AWS. The CDK construct publishes a version of the runner on every deploy
// and points the SQS event source and the sweep schedule at an alias of the newest. A runner
// invoked as a published version (AWS_LAMBDA_FUNCTION_VERSION is a number, not $LATEST) is a
// versioned worker: it pins the new runs of PinRuns workflows to its version, and forwards a
// wake of a run pinned to an older version to that version, by invoking it asynchronously
// with a ForwardedWake. The old version runs the turn with the old code. Cost: one more
// invocation (and its few milliseconds) per wake of a run pinned to an older version; runs of
// the newest version cost nothing more. A forwarded turn that fails is not retried by Lambda
// (the runner's asynchronous retries are off); the sweeper finds the run again (its inbox
// item or timer is still there) and its wake is forwarded again.

// Invoker is the part of *lambda.Client the runner forwards wakes with.
type Invoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// ForwardedWake is the event a runner sends to the version of itself a run is pinned to.
type ForwardedWake struct {
	Hookflow string `json:"hookflow"` // "wake"
	RunID    string `json:"runId"`
}

const forwardedKind = "wake"

// ForwardResult is the runner's answer to a ForwardedWake.
type ForwardResult struct {
	RunID string `json:"runId"`
}

// codeVersion is the version a runner pins runs to: its published version, or none for
// $LATEST (no versions published) or outside Lambda.
func (c Config) codeVersion() string {
	if c.FunctionVersion == "" || c.FunctionVersion == "$LATEST" {
		return ""
	}
	return c.FunctionVersion
}

// forwarder returns the function that sends a wake to another version of this function.
func forwarder(inv Invoker, function string) func(ctx context.Context, runID, version string) error {
	return func(ctx context.Context, runID, version string) error {
		if inv == nil || function == "" {
			return fmt.Errorf("no Lambda client to invoke %s:%s with", function, version)
		}
		payload, err := json.Marshal(ForwardedWake{Hookflow: forwardedKind, RunID: runID})
		if err != nil {
			return err
		}
		_, err = inv.Invoke(ctx, &lambda.InvokeInput{
			FunctionName:   &function,
			Qualifier:      &version,
			InvocationType: types.InvocationTypeEvent,
			Payload:        payload,
		})
		return err
	}
}
