// Command hookflow is the hookflow CLI for the workflows of the examples' catalog (the ones
// the reference runner serves). Its `gate` command checks a deploy against the runs in
// flight; `make deploy` runs `hookflow gate check` first. A CLI for your own workflows is
// this file with your registry.
package main

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/hookflow/hookflow/examples/catalog"
	"github.com/hookflow/hookflow/pkg/deploygate"
	"github.com/hookflow/hookflow/pkg/workflow"
)

func main() {
	root := &cobra.Command{
		Use:           "hookflow",
		Short:         "hookflow: durable workflows with hooks and webhooks",
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	root.AddCommand(deploygate.Command(workflow.NewRegistry(catalog.Workflows()...), deploygate.Options{}))
	if err := root.Execute(); err != nil {
		if errors.Is(err, deploygate.ErrRefused) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
