// Command webhook is the webhook Lambda: API Gateway HTTP API events for
// ANY /.well-known/workflow/v1/webhook/{token} to the hookflow webhook handler, which stores
// the request (conditioned on the token), wakes the run through SQS and answers the caller.
// It links no workflow code. Configuration: see pkg/lambdafn (HOOKFLOW_* variables).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/hookflow/hookflow/pkg/lambdafn"
	"github.com/hookflow/hookflow/pkg/workflow"
)

func main() {
	cfg, log := lambdafn.MustConfig()
	b, err := lambdafn.NewBackend(context.Background(), cfg)
	lambdafn.Must(log, err)
	c := workflow.NewClient(b, workflow.ClientOptions{BaseURL: cfg.BaseURL, MaxPayloadBytes: cfg.MaxPayloadBytes})
	lambda.Start(lambdafn.NewWebhookHandler(c, log).Handle)
}
