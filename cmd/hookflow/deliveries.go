package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// maxBodyShown bounds the part of a webhook request's body that deliveries prints as text.
const maxBodyShown = 16 << 10

func (a *app) deliveriesCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "deliveries RUN",
		Short: "Print the payloads a run's hooks and webhooks received",
		Long: `deliveries prints what RUN received, in the order it took it: for a webhook, the request
(method, URL, headers and body); for a hook, its JSON payload. Each delivery's ID is what
` + "`hookflow redeliver RUN DELIVERY`" + ` sends again.`,
		Args: args("RUN"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return a.withAPI(cmd, func(ctx context.Context, api admin.API) error {
				ds, err := api.ListDeliveries(ctx, argv[0])
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(a.out, map[string][]workflow.Delivery{"deliveries": nonNil(ds)})
				}
				if len(ds) == 0 {
					_, err := fmt.Fprintf(a.out, "run %s received nothing yet\n", argv[0])
					return err
				}
				for i, d := range ds {
					if i > 0 {
						fmt.Fprintln(a.out)
					}
					printDelivery(a.out, d)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"deliveries": [...]} as JSON (bodies base64)`)
	return cmd
}

func printDelivery(w io.Writer, d workflow.Delivery) {
	kind := "hook"
	if d.Webhook {
		kind = "webhook"
	}
	fmt.Fprintf(w, "delivery %s  %s (hook %s)  received %s  (event %d)", d.ID, kind, d.HookID, stamp(d.ReceivedAt), d.Seq)
	if d.Dropped {
		fmt.Fprint(w, "  dropped: the hook was disposed")
	}
	fmt.Fprintln(w)
	if d.Request == nil {
		fmt.Fprintln(w, indentJSON(d.Payload, "  "))
		return
	}
	r := d.Request
	fmt.Fprintf(w, "  %s %s\n", r.Method, r.URL)
	for _, k := range slices.Sorted(maps.Keys(r.Header)) {
		for _, v := range r.Header[k] {
			fmt.Fprintf(w, "  %s: %s\n", k, v)
		}
	}
	switch body := r.Body; {
	case len(body) == 0:
		fmt.Fprintln(w, "\n  (empty body)")
	case !printable(body):
		fmt.Fprintf(w, "\n  (%d bytes of binary data: --json has them, base64)\n", len(body))
	case len(body) > maxBodyShown:
		fmt.Fprintf(w, "\n%s\n  (%d more bytes: --json has them all)\n", indentText(body[:maxBodyShown]), len(body)-maxBodyShown)
	default:
		fmt.Fprintf(w, "\n%s\n", indentText(body))
	}
}

// indentText indents every line of a text body by two spaces.
func indentText(b []byte) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(string(b), "\n"), "\n", "\n  ")
}
