// Command resume is the resume Lambda: the SDK's resume call, {token, payload,
// idempotencyKey}, by direct Invoke or through API Gateway with IAM authorization, validated
// against the hook's schema and stored in the run's inbox. It links no workflow code.
// Configuration: see pkg/lambdafn (HOOKFLOW_* variables).
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/hookflow/hookflow/pkg/lambdafn"
)

func main() {
	env := lambdafn.MustSetup()
	lambda.Start(lambdafn.NewResumeHandler(env.Client, env.Log).Handle)
}
