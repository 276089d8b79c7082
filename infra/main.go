// Command infra is hookflow's CDK app: one stack holding the hookflow construct
// (package hookflow), configured by the context in cdk.json. `make synth` and `make deploy`
// at the repository root run it through the CDK CLI.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/hookflow/hookflow/infra/hookflow"
)

func main() {
	defer jsii.Close()
	defer func() {
		// The construct panics on invalid props, as CDK constructs do; say why, without a
		// stack trace.
		if r := recover(); r != nil {
			fmt.Fprintln(os.Stderr, r)
			os.Exit(1)
		}
	}()
	app := awscdk.NewApp(nil)
	name, props, err := hookflow.StackFromContext(app.Node())
	if err != nil {
		panic(err.Error())
	}
	// The stack is environment-agnostic: it deploys to the account and region of the
	// credentials the CLI uses (AWS_PROFILE, AWS_REGION), and synthesizes offline.
	hookflow.NewStack(app, jsii.String(name), &props)
	app.Synth(nil)
}
