package main

import (
	"errors"
	"fmt"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/hookflow/hookflow/pkg/codec"
	"github.com/hookflow/hookflow/pkg/devserver"
	"github.com/hookflow/hookflow/pkg/workflow"
)

func (a *app) devCommand() *cobra.Command {
	var addr, dir, retention string
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
and point this CLI at it with --server.

Ended runs are deleted after --retention (default 30d; forever keeps them). With
HOOKFLOW_LOCAL_KEYS set ("id:base64key[,id:base64key...]", the first encrypts, all decrypt;
make a key with: openssl rand -base64 32) every payload in the store's file is compressed
and encrypted; the same keys are needed to read it again.`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.global.backend != backendServer {
				return usagef("dev runs the embedded backend: --backend %s does not apply", a.global.backend)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			keep, err := workflow.ParseRetention(retention)
			if err != nil {
				return usageError{fmt.Errorf("--retention: %w", err)}
			}
			c, err := localCodec(a.getenv(envLocalKeys))
			if err != nil {
				return usageError{err}
			}
			srv, err := devserver.Start(ctx, devserver.Options{Addr: addr, Dir: dir, Registry: a.registry, Codec: c, Retention: keep})
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
	cmd.Flags().StringVar(&retention, "retention", "30d", "how long ended runs are kept: days (30d), a duration (720h), or forever")
	return cmd
}

// envLocalKeys holds the dev server's payload keys (codec.ParseLocalKeys).
const envLocalKeys = "HOOKFLOW_LOCAL_KEYS"

// localCodec returns the codec of the keys in spec (compress and encrypt), or nil when spec
// is empty.
func localCodec(spec string) (codec.Codec, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, nil
	}
	c, err := codec.NewLocal(spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envLocalKeys, err)
	}
	return c, nil
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
