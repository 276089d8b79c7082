package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/inspector"
)

// defaultWebAddr is where `hookflow web` listens: not the dev server's port, which it
// usually talks to.
const defaultWebAddr = "127.0.0.1:8081"

func (a *app) webCommand() *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "web",
		Short: "Serve the web inspector alone, on a dev server's runs (--server) or a deployment's (--backend aws)",
		Long: `web serves the web inspector on --addr, reading and acting through the same API as the
other commands: a dev server's admin API (--server), or DynamoDB directly (--backend aws).
'hookflow dev' serves the inspector already, at its own root; web is for the other cases. It
runs until SIGINT or SIGTERM. It authenticates nobody: keep --addr on the loopback interface.`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return a.withAPI(cmd, func(_ context.Context, api admin.API) error { return a.serveWeb(ctx, addr, api) })
		},
	}
	cmd.Flags().StringVar(&addr, "addr", defaultWebAddr, "the address to listen on (a port of 0 picks a free one)")
	return cmd
}

// serveWeb serves the inspector on api at addr until ctx ends.
func (a *app) serveWeb(ctx context.Context, addr string, api admin.API) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return usagef("--addr %q is not host:port: %v", addr, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w (is another server on that port? pass --addr)", addr, err)
	}
	log := slog.New(slog.NewTextHandler(a.err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := &http.Server{
		Handler:           inspector.NewHandler(api, inspector.Options{Logger: log}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Fprintf(a.out, "hookflow web: the inspector at http://%s/\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
