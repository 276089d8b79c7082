// Command resume is the resume Lambda: the SDK's resume call, {token, payload,
// idempotencyKey}, by direct Invoke or through API Gateway with IAM authorization, validated
// against the hook's schema and stored in the run's inbox. It links no workflow code.
// Configuration: see pkg/lambdafn (HOOKFLOW_* variables).
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
	lambda.Start(lambdafn.NewResumeHandler(c, log).Handle)
}
