package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/hookflow/hookflow/pkg/admin"
)

func (a *app) runsExportCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "export RUN",
		Short: "Write a run's record, whole history and live hooks as JSON",
		Long: `export writes everything stored of RUN as one JSON document: its record ("run"), its
whole history ("events", webhook bodies base64 in "body") and its live hooks ("hooks"). Use
it to keep a run before its retention deletes it, or to hand someone the data a run holds.
With --out it writes the file (mode 0600) instead of standard output.`,
		Args: args("RUN"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return a.withAPI(cmd, func(ctx context.Context, api admin.API) error {
				x, err := api.Export(ctx, argv[0])
				if err != nil {
					return err
				}
				if out == "" {
					return printJSON(a.out, x)
				}
				raw, err := json.MarshalIndent(x, "", "  ")
				if err != nil {
					return err
				}
				if err := os.WriteFile(out, append(raw, '\n'), 0o600); err != nil {
					return err
				}
				_, err = fmt.Fprintf(a.out, "run %s: %d events written to %s\n", argv[0], len(x.Events), out)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write the export to this file instead of standard output")
	return cmd
}

func (a *app) runsDeleteCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "delete RUN",
		Short: "Delete an ended run now, with its history",
		Long: `delete deletes RUN, which must have ended (completed, failed or cancelled), with its
history, inbox leftovers and hook tokens, as its retention would when it passes: to erase
someone's data on request, or to free space. A run that has not ended is refused (exit 1):
cancel it first. Export it first if it must be kept.`,
		Args: args("RUN"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return a.withAPI(cmd, func(ctx context.Context, api admin.API) error {
				if err := api.Delete(ctx, argv[0]); err != nil {
					return err
				}
				if asJSON {
					return printJSON(a.out, map[string]any{"runId": argv[0], "deleted": true})
				}
				_, err := fmt.Fprintf(a.out, "run %s: deleted\n", argv[0])
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
