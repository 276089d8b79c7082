package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/workflow"
)

func (a *app) eventsCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "events RUN",
		Short: "Print a run's history, event by event, with its data",
		Long: `events prints the history of RUN as it is stored, one event a line: its seq, time, type,
correlation ID (the step, hook or timer it belongs to) and data, in full; a webhook
request's body is the event's attachment (its size is shown; --json has it, base64).
` + "`hookflow runs show RUN`" + ` reads the same history as a timeline.`,
		Args: args("RUN"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return a.withAPI(cmd, func(ctx context.Context, api admin.API) error {
				events, err := api.ListEvents(ctx, argv[0])
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(a.out, map[string][]workflow.Event{"events": nonNil(events)})
				}
				w := table(a.out)
				fmt.Fprintln(w, "SEQ\tTIME\tTYPE\tCORRELATION\tDATA")
				for _, e := range events {
					data := compactJSON(e.Data)
					if len(e.Body) > 0 {
						data += fmt.Sprintf(" body=%d B", len(e.Body))
					}
					fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", e.Seq, stamp(e.CreatedAt), e.Type, dash(e.CorrelationID), data)
				}
				return w.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"events": [...]} as JSON`)
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
