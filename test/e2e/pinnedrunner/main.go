// Command pinnedrunner is the runner of the end-to-end test of pinned runs
// (test/e2e/pinned_test.go): one source, built twice, whose workflow "pinned-checkout"
// differs by the code version linked in (go build -ldflags "-X main.code=v2"). v2 adds a step
// before the hook, which would fail a run waiting under v1 that v2 turned.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/hookflow/hookflow/pkg/lambdafn"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// code is the version of the workflow code this build links: v1 or v2.
var code = "v1"

func checkout(audit bool) *workflow.Workflow[string, string] {
	return workflow.Define("pinned-checkout", func(ctx workflow.Context, token string) (string, error) {
		if audit {
			if _, err := workflow.Step(ctx, "audit", func(context.Context) (bool, error) { return true, nil }); err != nil {
				return "", err
			}
		}
		hook, err := workflow.CreateHook[int](ctx, workflow.HookOptions{Token: token})
		if err != nil {
			return "", err
		}
		if _, err := hook.Receive(ctx); err != nil {
			return "", err
		}
		return code + " charged", nil
	})
}

func main() {
	env := lambdafn.MustSetup()
	lambda.Start(env.Runner(workflow.NewRegistry(checkout(code == "v2"))).Handle)
}
