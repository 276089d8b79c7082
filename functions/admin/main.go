// Command admin is the admin Lambda: hookflow's operations API (pkg/admin: list and read
// runs, events, hooks and deliveries; start, resume, cancel, retry and redeliver) behind API
// Gateway with IAM authorization, for `hookflow --server` and other operators' tools. It links
// no workflow code. Configuration: see pkg/lambdafn (HOOKFLOW_* variables).
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/hookflow/hookflow/pkg/lambdafn"
)

func main() {
	env := lambdafn.MustSetup()
	lambda.Start(lambdafn.NewAdminHandler(env.Client, env.Log).Handle)
}
