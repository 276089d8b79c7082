package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/codec"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// shutdownGrace is how long Close lets requests in flight finish (a manual webhook's caller
// may be held for its answer) before it closes their connections.
const shutdownGrace = 5 * time.Second

// Server is a running dev server. Its methods are safe for concurrent use.
type Server struct {
	url    string
	store  string
	log    *slog.Logger
	b      *memory.Backend
	client *workflow.Client
	worker *workflow.Worker
	http   *http.Server

	stopWorker context.CancelFunc
	workerDone chan struct{}
	serveDone  chan struct{}
	errc       chan error
	closeOnce  sync.Once
	closeErr   error
}

// Start opens the store in opts.Dir, starts the worker and serves the routes on opts.Addr,
// and returns once the server accepts connections. ctx bounds the start only: the server
// runs until Close. The errors name what to change: options that cannot work (no registry,
// a Dir that is a file, an Addr that is not host:port: these match
// workflow.ErrInvalidArgument), an address that cannot be listened on, a store that another
// process holds.
func Start(ctx context.Context, opts Options) (*Server, error) {
	opts = opts.WithDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("devserver: creating the store's directory %s: %w; pick another Dir", opts.Dir, err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("devserver: cannot listen on %s: %w; is another server using it? pick another address (127.0.0.1:0 picks a free port)", opts.Addr, err)
	}
	file := filepath.Join(opts.Dir, StoreFile)
	b, err := memory.Open(file)
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("devserver: opening the store %s: %w; is another dev server using %s? stop it, or pick another Dir", file, err, opts.Dir)
	}
	s := &Server{
		url:        baseURL(ln.Addr()),
		store:      file,
		log:        opts.Logger,
		b:          b,
		workerDone: make(chan struct{}),
		serveDone:  make(chan struct{}),
		errc:       make(chan error, 2),
	}
	if !loopback(opts.Addr) {
		s.log.Warn("devserver: listening beyond the loopback interface: anyone who reaches "+opts.Addr+" can start, resume and cancel runs", "addr", opts.Addr)
	}
	// Webhook URLs are built on the server's own URL, by the client (ListHooks) and by the
	// worker (Webhook.URL in workflow code) alike.
	c := opts.Codec
	if c == nil {
		c = codec.NoKeys() // a store encrypted before fails with the reason, not as garbage
	}
	store := codec.Wrap(b, c)
	s.client = workflow.NewClient(store, workflow.ClientOptions{BaseURL: s.url, Secrets: opts.Secrets})
	s.worker = workflow.NewWorker(store, opts.Registry, workflow.WorkerOptions{
		BaseURL: s.url, Secrets: opts.Secrets, Logger: opts.Logger, Retention: opts.Retention,
	})
	if err := errors.Join(s.client.Err(), s.worker.Err()); err != nil {
		_ = ln.Close()
		_ = b.Close()
		return nil, fmt.Errorf("devserver: %w", err)
	}
	s.http = &http.Server{
		Handler:           newRouter(s, opts),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
	}
	workerCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stopWorker = stop
	go func() {
		defer close(s.workerDone)
		if err := s.worker.Run(workerCtx); workerCtx.Err() == nil {
			s.errc <- fmt.Errorf("devserver: the worker stopped: %v", err)
		}
	}()
	go func() {
		defer close(s.serveDone)
		if err := s.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.errc <- fmt.Errorf("devserver: the HTTP server stopped: %w", err)
		}
	}()
	return s, nil
}

// URL returns the server's root URL, http://host:port, with the port it listens on (the one
// picked for a port of 0). Webhook URLs are built on it.
func (s *Server) URL() string { return s.url }

// Endpoints returns the URLs the server serves.
func (s *Server) Endpoints() Endpoints { return endpointsOf(s.url) }

// StorePath returns the path of the store's bbolt file.
func (s *Server) StorePath() string { return s.store }

// Client returns a client of the server's backend, whose webhook URLs point at the server.
func (s *Server) Client() *workflow.Client { return s.client }

// Err reports the HTTP server or the worker stopping on their own (not through Close); a
// program that serves until interrupted waits on it too.
func (s *Server) Err() <-chan error { return s.errc }

// Close stops the server gracefully: it stops accepting connections and lets the requests in
// flight finish (for at most 5 seconds), then stops the worker, which finishes its turns in
// flight, and closes the store's file. Calling it again returns the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		var errs []error
		if err := s.http.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("devserver: stopping the HTTP server: %w", err))
			_ = s.http.Close()
		}
		<-s.serveDone
		s.stopWorker()
		<-s.workerDone
		s.worker.Close()
		if err := s.b.Close(); err != nil {
			errs = append(errs, fmt.Errorf("devserver: closing the store %s: %w", s.store, err))
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// baseURL is the URL clients reach a listener at: an unspecified host (":8080",
// "0.0.0.0:8080") is reached through localhost.
func baseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// loopback reports whether addr's host can only be reached from this machine.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
