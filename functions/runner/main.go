// Command runner is the runner Lambda: SQS wake messages to engine turns (with partial batch
// failures), and EventBridge schedules to sweeps of overdue runs. It is the one function that
// links workflow code; this reference main serves the examples' catalog. A runner for your
// own workflows is this file with your registry.
// Configuration: see pkg/lambdafn (HOOKFLOW_* variables).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/hookflow/hookflow/examples/catalog"
	hfaws "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/lambdafn"
	"github.com/hookflow/hookflow/pkg/workflow"
)

func main() {
	cfg, log := lambdafn.MustConfig()
	b, err := lambdafn.NewBackend(context.Background(), cfg)
	lambdafn.Must(log, err)
	reg := workflow.NewRegistry(catalog.Workflows()...)
	lambdafn.Must(log, reg.Err())
	lambda.Start(lambdafn.NewRunner(b, reg, hfaws.DecodeWake, cfg, log).Handle)
}
