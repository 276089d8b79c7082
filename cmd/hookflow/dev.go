package main

import (
	"errors"
	"fmt"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/hookflow/hookflow/pkg/devserver"
)

func (a *app) devCommand() *cobra.Command {
	var addr, dir string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run the examples' workflows on an embedded dev server until interrupted",
		Long: `dev serves the workflows of the examples' catalog in this process: the embedded backend,
kept in a bbolt file under --dir, a worker, and one HTTP server on --addr with the webhook
route, the resume endpoint, the admin API that the other commands call, and the web
inspector at / (the URLs, as plain text, at /.well-known/workflow/v1/).
It prints the URLs it serves and runs until SIGINT or SIGTERM. With --json it prints them as
one JSON object, on one line.

To serve your own workflows, call devserver.Start (pkg/devserver) from a main of your own,
and point this CLI at it with --server.`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.global.backend != backendServer {
				return usagef("dev runs the embedded backend: --backend %s does not apply", a.global.backend)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			srv, err := devserver.Start(ctx, devserver.Options{Addr: addr, Dir: dir, Registry: a.registry})
			if err != nil {
				return err
			}
			if err := a.printServing(srv, asJSON); err != nil {
				return errors.Join(err, srv.Close())
			}
			var serveErr error
			select {
			case <-ctx.Done():
			case serveErr = <-srv.Err():
			}
			if !asJSON {
				fmt.Fprintln(a.err, "hookflow dev: stopping")
			}
			return errors.Join(serveErr, srv.Close())
		},
	}
	cmd.Flags().StringVar(&addr, "addr", devserver.DefaultAddr, "the address to listen on (a port of 0 picks a free one)")
	cmd.Flags().StringVar(&dir, "dir", devserver.DefaultDir, "the directory of the store's file ("+devserver.StoreFile+"), created if missing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the URLs as JSON")
	return cmd
}

// serving is what dev prints once it serves.
type serving struct {
	devserver.Endpoints
	Store     string   `json:"store"`
	Workflows []string `json:"workflows"`
}

func (a *app) printServing(srv *devserver.Server, asJSON bool) error {
	s := serving{Endpoints: srv.Endpoints(), Store: srv.StorePath(), Workflows: a.registry.Names()}
	if asJSON {
		b, err := jsonLine(s)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(a.out, b)
		return err
	}
	w := table(a.out)
	fmt.Fprintf(w, "hookflow dev: serving %d workflows at %s\n", len(s.Workflows), s.URL)
	fmt.Fprintf(w, "  webhooks\t%s<token>\n", s.Webhook)
	fmt.Fprintf(w, "  resume\t%s\n", s.Resume)
	fmt.Fprintf(w, "  admin API\t%s\n", s.Admin)
	fmt.Fprintf(w, "  inspector\t%s\n", s.UI)
	fmt.Fprintf(w, "  store\t%s\n", s.Store)
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(a.out, "workflows: %s\n", strings.Join(s.Workflows, ", "))
	server := ""
	if s.URL != a.global.server {
		server = " --server " + s.URL
	}
	fmt.Fprintf(a.out, "From another shell: hookflow%s start collect-hook --input '{\"token\":\"t1\",\"count\":1}'\n", server)
	fmt.Fprintln(a.out, "Ctrl-C stops the server; the runs stay in the store for the next start.")
	return nil
}
