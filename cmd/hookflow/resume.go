package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hookflow/hookflow/pkg/admin"
)

func (a *app) resumeCommand() *cobra.Command {
	var data, key string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "resume TOKEN --data JSON",
		Short: "Send a payload to the hook holding a token",
		Long: `resume sends --data (JSON text, @path or @-) to the live hook holding TOKEN, and wakes
its run. A hook with a schema refuses a payload that does not match it (exit 2, with the
issues). With --idempotency-key, a retry with the same key delivers nothing again and
reports the first delivery. Webhooks take HTTP requests at their URL instead (hooks ls).`,
		Example: `  hookflow resume t1 --data '{"approved":true,"by":"grace"}'
  hookflow resume approval:RFC-7 --data @verdict.json --idempotency-key review-42`,
		Args: args("TOKEN"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if !cmd.Flags().Changed("data") {
				return usagef("--data is required: the payload, as JSON (e.g. --data '{\"ok\":true}')")
			}
			payload, err := a.jsonArg("data", data)
			if err != nil {
				return err
			}
			return a.withAPI(cmd, func(ctx context.Context, api admin.API) error {
				res, err := api.Resume(ctx, admin.ResumeRequest{Token: argv[0], Payload: payload, IdempotencyKey: key})
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(a.out, res)
				}
				if res.Duplicate {
					_, err = fmt.Fprintf(a.out, "already delivered with idempotency key %q: run %s, delivery %s (nothing sent again)\n", key, res.RunID, res.DeliveryID)
					return err
				}
				_, err = fmt.Fprintf(a.out, "delivered to run %s: delivery %s (hook %s)\n", res.RunID, res.DeliveryID, res.HookID)
				return err
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", "", "the payload, as JSON (or @path, @-); required")
	f.StringVar(&key, "idempotency-key", "", "deliver at most once under this key (retries report the first delivery)")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
