// Package devserver runs an example's workflows on the dev server (pkg/devserver) with a
// store of its own in a temporary directory, and waits for a run's webhook: the server the
// examples' READMEs drive with curl.
package devserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/hookflow/hookflow/pkg/devserver"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// Options configure a Server.
type Options struct {
	// Addr is where the server listens; default "localhost:8080". "127.0.0.1:0" picks a
	// free port (tests).
	Addr string
	// Secrets resolves the webhooks' secret references, for the worker and the route;
	// default the process environment.
	Secrets verify.SecretResolver
	// Logger receives the worker's and the route's logs; default warnings to stderr.
	Logger *slog.Logger
}

// Server is a running dev server: Client starts runs and reads them, and webhook URLs point
// at BaseURL.
type Server struct {
	*devserver.Server
	Client  *workflow.Client
	BaseURL string
	dir     string
}

// Start serves the workflows of reg until Close, with a store in a fresh temporary directory.
func Start(reg *workflow.Registry, opts Options) (*Server, error) {
	dir, err := os.MkdirTemp("", "hookflow-example-*")
	if err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	srv, err := devserver.Start(context.Background(), devserver.Options{
		Addr: cmp.Or(opts.Addr, "localhost:8080"), Dir: dir, Registry: reg, Secrets: opts.Secrets, Logger: opts.Logger,
	})
	if err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	return &Server{Server: srv, Client: srv.Client(), BaseURL: srv.URL(), dir: dir}, nil
}

// WebhookURL waits until run runID has created its first webhook and returns its URL.
func (s *Server) WebhookURL(ctx context.Context, runID string) (string, error) {
	for {
		hooks, err := s.Client.ListHooks(ctx, workflow.HookFilter{RunID: runID})
		if err != nil {
			return "", err
		}
		for _, h := range hooks {
			if h.Webhook {
				return h.URL, nil
			}
		}
		info, err := s.Client.GetRun(ctx, runID)
		if err != nil {
			return "", err
		}
		if info.LastError != "" {
			return "", fmt.Errorf("devserver: run %s cannot go on: %s", runID, info.LastError)
		}
		if info.Status != workflow.StatusRunning && info.Status != workflow.StatusPending && info.Status != workflow.StatusWaiting {
			return "", fmt.Errorf("devserver: run %s is %s, with no webhook", runID, info.Status)
		}
		select {
		case <-ctx.Done():
			return "", context.Cause(ctx)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Close stops the server and removes its store.
func (s *Server) Close() {
	_ = s.Server.Close()
	_ = os.RemoveAll(s.dir)
}
