package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hookflow/hookflow/pkg/admin"
)

func (a *app) workflowsCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "workflows",
		Short: "List the workflows that can be started",
		Args:  args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withAPI(cmd, func(ctx context.Context, api admin.API) error {
				names, err := api.Workflows(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(a.out, map[string][]string{"workflows": nonNil(names)})
				}
				for _, n := range names {
					fmt.Fprintln(a.out, n)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"workflows": [...]} as JSON`)
	return cmd
}
