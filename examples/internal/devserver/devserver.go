// Package devserver runs examples' workflows embedded, in one process: an in-memory backend,
// a worker, and the webhook route on a local address. It is the server that the examples'
// READMEs drive with curl.
package devserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// Options configure a Server.
type Options struct {
	// Addr is where the webhook route listens; default "localhost:8080". ":0" or
	// "127.0.0.1:0" picks a free port (tests).
	Addr string
	// Secrets resolves the webhooks' secret references, for the worker and the route;
	// default the process environment.
	Secrets verify.SecretResolver
	// Logger receives the worker's and the route's logs; default warnings to stderr.
	Logger *slog.Logger
}

// Server is a running embedded hookflow: Client starts runs and reads them, and webhook URLs
// point at BaseURL.
type Server struct {
	Client  *workflow.Client
	BaseURL string

	b      *memory.Backend
	srv    *http.Server
	stop   context.CancelFunc
	done   chan struct{}
	errc   chan error
	worker *workflow.Worker
}

// Start serves the workflows of reg until Close.
func Start(reg *workflow.Registry, opts Options) (*Server, error) {
	if err := reg.Err(); err != nil {
		return nil, err
	}
	opts.Addr = cmp.Or(opts.Addr, "localhost:8080")
	if opts.Secrets == nil {
		opts.Secrets = verify.EnvResolver{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("devserver: listening on %s: %w", opts.Addr, err)
	}
	s := &Server{
		BaseURL: "http://" + ln.Addr().String(),
		b:       memory.New(),
		done:    make(chan struct{}),
		errc:    make(chan error, 2),
	}
	s.Client = workflow.NewClient(s.b, workflow.ClientOptions{BaseURL: s.BaseURL, Secrets: opts.Secrets})
	s.worker = workflow.NewWorker(s.b, reg, workflow.WorkerOptions{
		BaseURL: s.BaseURL, Secrets: opts.Secrets, Logger: opts.Logger, SweepEvery: 200 * time.Millisecond,
	})
	s.srv = &http.Server{
		Handler:           webhook.NewHandler(s.Client, webhook.Options{Logger: opts.Logger, Routes: webhook.RouteWebhook}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	go func() {
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.errc <- fmt.Errorf("devserver: the webhook server stopped: %w", err)
		}
	}()
	go func() {
		defer close(s.done)
		if err := s.worker.Run(ctx); ctx.Err() == nil {
			s.errc <- fmt.Errorf("devserver: the worker stopped: %w", err)
		}
	}()
	return s, nil
}

// Err returns a channel that reports the server or the worker stopping on its own.
func (s *Server) Err() <-chan error { return s.errc }

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

// Close stops the server and the worker and releases the backend.
func (s *Server) Close() {
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(sctx)
	s.stop()
	<-s.done
	s.worker.Close()
	_ = s.b.Close()
}
