package devserver

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/hookflow/hookflow/pkg/codec"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// Defaults of Options.
const (
	// DefaultAddr is where the server listens unless told otherwise: the loopback interface
	// only, since nothing it serves is authenticated.
	DefaultAddr = "127.0.0.1:8080"
	// DefaultDir is the directory of the store's file, relative to the working directory.
	DefaultDir = ".hookflow"
	// StoreFile is the name of the bbolt file in Dir that keeps the runs between restarts.
	// `hookflow gate check --db <Dir>/hookflow.db` reads it once the server has stopped.
	StoreFile = "hookflow.db"
)

// Options configure Start. Registry is required; every other field has a documented default.
type Options struct {
	// Addr is the TCP address the HTTP server listens on; default DefaultAddr. A port of 0
	// picks a free one (Server.URL tells which).
	Addr string
	// Dir holds the store's bbolt file (StoreFile), so that runs survive a restart; default
	// DefaultDir. It is created when missing; it must not be a file.
	Dir string
	// Registry holds the workflows the server runs and that the admin API can start.
	Registry *workflow.Registry
	// Logger receives the logs of the worker, the workflows and the HTTP routes; default
	// info and above, as text, to stderr.
	Logger *slog.Logger
	// Secrets resolves the secret references of webhooks' Verify specs, for the worker and
	// the webhook route alike; default verify.EnvResolver (env: references from this
	// process's environment).
	Secrets verify.SecretResolver
	// UI, when set, is served at "/" (and every path that no route above takes) instead of
	// the web inspector (pkg/inspector) on the server's runs.
	UI http.Handler
	// Codec, when set, stores every payload through it (see codec.Backend): encrypted with a
	// local key (codec.ParseLocalKeys), compressed, or both. A store written with a codec
	// needs the same keys to be read again.
	Codec codec.Codec
	// Retention is how long ended runs are kept (workflow.WorkerOptions.Retention); default
	// workflow.DefaultRetention, workflow.KeepForever keeps them.
	Retention time.Duration
}

// WithDefaults returns o with every unset field set to its default.
func (o Options) WithDefaults() Options {
	o.Addr = cmp.Or(o.Addr, DefaultAddr)
	o.Dir = cmp.Or(o.Dir, DefaultDir)
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	if o.Secrets == nil {
		o.Secrets = verify.EnvResolver{}
	}
	return o
}

// validate reports every problem of o (with its defaults) at once, as an error matching
// workflow.ErrInvalidArgument; problems that only listening or opening the store reveal are
// reported by Start.
func (o Options) validate() error {
	var errs []error
	if o.Registry == nil {
		errs = append(errs, errors.New("devserver: Options.Registry is required: the workflows to serve (workflow.NewRegistry(...))"))
	} else if err := o.Registry.Err(); err != nil {
		errs = append(errs, fmt.Errorf("devserver: Options.Registry holds invalid workflows: %w", err))
	}
	if _, _, err := net.SplitHostPort(o.Addr); err != nil {
		errs = append(errs, fmt.Errorf("devserver: Options.Addr %q is not host:port (e.g. %s, or 127.0.0.1:0 for a free port): %v", o.Addr, DefaultAddr, err))
	}
	if fi, err := os.Stat(o.Dir); err == nil && !fi.IsDir() {
		errs = append(errs, fmt.Errorf("devserver: Options.Dir %s is a file, not a directory: remove it, or pick another directory for the store", o.Dir))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", workflow.ErrInvalidArgument, errors.Join(errs...))
}
