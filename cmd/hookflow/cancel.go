package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/workflow"
)

func (a *app) cancelCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "cancel RUN",
		Short: "Stop a run, whatever it waits on",
		Long: `cancel asks RUN to stop: its next turn records run_cancelled, releases its hooks and ends
it; its workflow code does not run again. Cancelling a cancelled run does nothing; a run
that completed or failed cannot be cancelled (exit 1).`,
		Args: args("RUN"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return a.withAPI(cmd, func(ctx context.Context, api admin.API) error {
				if err := api.Cancel(ctx, argv[0]); err != nil {
					return err
				}
				if asJSON {
					return printJSON(a.out, map[string]any{"runId": argv[0], "cancelRequested": true})
				}
				_, err := fmt.Fprintf(a.out, "run %s: cancel requested; it stops at its next turn\n", argv[0])
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func (a *app) retryCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "retry RUN",
		Short: "Put a stuck run back to work",
		Long: `retry puts a stuck run (its turns failed too many times in a row: see its last error in
` + "`hookflow runs show RUN`" + `) back to work, once the cause is fixed: its failure count is
reset and a turn is queued at once. A run that is not stuck is left as it is.`,
		Args: args("RUN"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return a.withAPI(cmd, func(ctx context.Context, api admin.API) error {
				info, err := api.GetRun(ctx, argv[0])
				if err != nil {
					return err
				}
				if err := api.Retry(ctx, info.ID); err != nil {
					return err
				}
				retried := info.Status == workflow.StatusStuck
				if asJSON {
					return printJSON(a.out, map[string]any{"runId": info.ID, "retried": retried, "status": info.Status})
				}
				if !retried {
					_, err = fmt.Fprintf(a.out, "run %s is %s, not stuck: nothing to retry\n", info.ID, info.Status)
					return err
				}
				_, err = fmt.Fprintf(a.out, "run %s: back to work (a turn is queued)\n", info.ID)
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
