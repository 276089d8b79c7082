package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/workflow"
)

func (a *app) hooksListCommand() *cobra.Command {
	var runID string
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List the live hooks and webhooks, of one run or of all",
		Long: `ls lists the live hooks and webhooks: a hook by its token (resume it with
` + "`hookflow resume TOKEN`" + `), a webhook by its URL (send it an HTTP request), with the run
that holds it, its age, how many payloads it received, and how many requests its route
refused (a signature that did not verify).`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withAPI(cmd, func(ctx context.Context, api admin.API) error {
				if runID != "" {
					if _, err := api.GetRun(ctx, runID); err != nil { // an unknown run, not "no hooks"
						return err
					}
				}
				hooks, err := api.ListHooks(ctx, workflow.HookFilter{RunID: runID})
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(a.out, map[string][]workflow.HookInfo{"hooks": nonNil(hooks)})
				}
				if len(hooks) == 0 {
					_, err := fmt.Fprintln(a.out, "no live hooks")
					return err
				}
				now := time.Now()
				w := table(a.out)
				fmt.Fprintln(w, "TOKEN OR URL\tKIND\tRUN\tAGE\tDELIVERIES\tREJECTIONS")
				for _, h := range hooks {
					kind, id := "hook", h.Token
					if h.Webhook {
						kind = "webhook"
						if h.URL != "" {
							id = h.URL
						}
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\n", id, kind, h.RunID, age(now, h.CreatedAt), h.Deliveries, rejections(h))
				}
				return w.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&runID, "run", "", "only the hooks of this run")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"hooks": [...]} as JSON`)
	return cmd
}

// rejections renders a hook's refused requests: "0", or "3 (last 2m ago)".
func rejections(h workflow.HookInfo) string {
	if h.Rejections == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (last %s ago)", h.Rejections, age(time.Now(), h.LastRejectedAt))
}
