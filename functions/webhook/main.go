// Command webhook is the webhook Lambda: API Gateway HTTP API events for
// ANY /.well-known/workflow/v1/webhook/{token} to the hookflow webhook handler, which stores
// the request (conditioned on the token), wakes the run through SQS and answers the caller.
// It links no workflow code. Configuration: see pkg/lambdafn (HOOKFLOW_* variables).
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/hookflow/hookflow/pkg/lambdafn"
)

func main() {
	env := lambdafn.MustSetup()
	lambda.Start(lambdafn.NewWebhookHandler(env.Client, env.Log).Handle)
}
