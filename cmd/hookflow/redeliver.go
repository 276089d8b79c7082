package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hookflow/hookflow/pkg/admin"
)

func (a *app) redeliverCommand() *cobra.Command {
	var newRun string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "redeliver RUN DELIVERY",
		Short: "Send a payload a run received again, to its hook or to a new run",
		Long: `redeliver sends DELIVERY (an ID from ` + "`hookflow deliveries RUN`" + `) again: to the same hook
or webhook, which must still be live, as a new delivery (a webhook request keeps its
method, URL, headers and body, and carries a Hookflow-Redelivered-From header); or with --new-run, as
the input of a new run of that workflow (a webhook request as a workflow.Request).`,
		Example: `  hookflow redeliver RUN DELIVERY
  hookflow redeliver RUN DELIVERY --new-run inbox-webhook`,
		Args: args("RUN", "DELIVERY"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return a.withAPI(cmd, func(ctx context.Context, api admin.API) error {
				res, err := api.Redeliver(ctx, admin.RedeliverRequest{RunID: argv[0], DeliveryID: argv[1], NewRunOf: newRun})
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(a.out, res)
				}
				if res.NewRun {
					_, err = fmt.Fprintf(a.out, "delivery %s started run %s of %s\n", argv[1], res.RunID, newRun)
					return err
				}
				_, err = fmt.Fprintf(a.out, "delivery %s sent again to run %s as delivery %s\n", argv[1], res.RunID, res.DeliveryID)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&newRun, "new-run", "", "start a run of this workflow with the payload instead")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
