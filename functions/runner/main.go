// Command runner is the runner Lambda: SQS wake messages to engine turns (with partial batch
// failures), and EventBridge schedules to sweeps of overdue runs. It is the one function that
// links workflow code; this reference main serves the examples' catalog. A runner for your
// own workflows is this file with your registry.
// Configuration: see pkg/lambdafn (HOOKFLOW_* variables).
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/hookflow/hookflow/examples/catalog"
	"github.com/hookflow/hookflow/pkg/lambdafn"
	"github.com/hookflow/hookflow/pkg/workflow"
)

func main() {
	env := lambdafn.MustSetup()
	lambda.Start(env.Runner(workflow.NewRegistry(catalog.Workflows()...)).Handle)
}
