// Package engine is hookflow's engine: it runs workflow code against a run's history,
// executes new durable operations, and commits their outcomes through the backend seam; and
// it does what is done from outside workflow code (Client): start, cancel and await runs, and
// deliver payloads (delivery.go: lookup, idempotency, schema check, inbox write, wake, and a
// webhook caller's answer). It knows nothing of DynamoDB, SQS or HTTP transports: a webhook's
// requests and answers are data to it (RequestRecord, Response), and its edges (pkg/webhook,
// pkg/lambdafn) map their protocols to its calls and its typed Delivery back. pkg/workflow is
// its typed, public face.
package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
)

// WorkflowFunc is an untyped workflow body: JSON input in, JSON output out.
type WorkflowFunc func(ctx *Ctx, input json.RawMessage) (json.RawMessage, error)

// Registry maps workflow names to their functions.
type Registry struct {
	mu    sync.RWMutex
	funcs map[string]WorkflowFunc
	// moving holds the workflows whose runs move to new code (see pin.go); the others are
	// pinned.
	moving map[string]bool
	// retention holds the workflows with a retention of their own (see retention.go).
	retention map[string]time.Duration
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{funcs: map[string]WorkflowFunc{}} }

// Register adds a workflow. Empty names, nil functions and duplicate names are refused.
func (r *Registry) Register(name string, fn WorkflowFunc) error {
	if name == "" {
		return invalidf("workflow name is empty")
	}
	if fn == nil {
		return invalidf("workflow %q: nil function", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.funcs[name]; ok {
		return invalidf("workflow %q is registered twice", name)
	}
	r.funcs[name] = fn
	return nil
}

// Lookup returns the function registered under name.
func (r *Registry) Lookup(name string) (WorkflowFunc, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	fn, ok := r.funcs[name]
	return fn, ok
}

// Names returns the registered workflows' names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Sorted(maps.Keys(r.funcs))
}

// Options configure an Engine. The zero value is usable.
type Options struct {
	// Clock tells the time; default the wall clock.
	Clock backend.Clock
	// Logger receives engine and workflow logs; default slog.Default().
	Logger *slog.Logger
	// CacheSize is how many suspended runs are kept in memory to continue without replay;
	// default 1024; negative disables the cache.
	CacheSize int
	// DeadlineMargin: a turn whose context has a deadline stops starting steps when less than
	// this is left, and leaves a continuation; default 2s.
	DeadlineMargin time.Duration
	// BaseURL is the public base URL webhook URLs are built on.
	BaseURL string
	// StuckAfter is how many turns of a run may fail in a row before it is parked as stuck;
	// default DefaultStuckAfter.
	StuckAfter int
	// RetryBase is the delay before a run whose turn failed is tried again; it doubles with
	// each failure in a row, up to 5 minutes. Default DefaultRetryBase.
	RetryBase time.Duration
	// CheckpointEvery bounds how long the results of inline steps may stay uncommitted: a
	// turn commits after a step when this much time has passed since its last commit (or
	// when checkpointEvents events or checkpointBytes bytes are pending), not after every
	// step. Steps run at least once either way; a crash re-runs at most this much of them.
	// Default DefaultCheckpointEvery; negative commits after every step.
	CheckpointEvery time.Duration
	// LeaseTTL is how long a runner's hold on a run lasts without renewal (see drive.go); a
	// runner that dies holding a run delays it by at most this much plus a sweep. Default
	// DefaultLeaseTTL.
	LeaseTTL time.Duration
	// MaxHold is how long one Drive keeps turning a run that always has more work before it
	// lets go and queues a continuation, so that one hot run cannot keep a worker for ever.
	// Default DefaultMaxHold.
	MaxHold time.Duration
	// CodeVersion names the version of the workflow code this engine runs (the runner
	// Lambda's published version, say); empty: unversioned. A versioned engine pins each new
	// run of a pinned workflow to its version (see pin.go), and sends the wakes of runs pinned
	// to another version to Forward.
	CodeVersion string
	// Forward hands a wake of runID to the code version the run is pinned to (the runner
	// Lambda invokes that version). Without it, a versioned engine cannot take such a wake:
	// Drive returns an error, and the wake is redelivered.
	Forward func(ctx context.Context, runID, codeVersion string) error
	// Secrets resolves the secret references of webhooks created in turns (their Verify
	// specs' secrets, their handshakes' verify tokens), which must resolve when the webhook is
	// created; default verify.EnvResolver, the process environment.
	Secrets verify.SecretResolver
	// TracerProvider makes the spans of turns and steps (see trace.go); default the global
	// provider, a no-op unless the application installs one.
	TracerProvider trace.TracerProvider
	// Retention is how long a run is kept after it ends before it is deleted with its
	// history (see retention.go); default DefaultRetention, KeepForever (any negative value)
	// keeps ended runs. A workflow may have its own (Registry.SetRetention).
	Retention time.Duration
}

func (o Options) withDefaults() Options {
	o.Clock = cmp.Or[backend.Clock](o.Clock, backend.SystemClock{})
	o.Logger = cmp.Or(o.Logger, slog.Default())
	if o.Secrets == nil {
		o.Secrets = verify.EnvResolver{}
	}
	if o.CacheSize == 0 {
		o.CacheSize = 1024
	}
	o.DeadlineMargin = cmp.Or(o.DeadlineMargin, 2*time.Second)
	if o.StuckAfter <= 0 {
		o.StuckAfter = DefaultStuckAfter
	}
	if o.RetryBase <= 0 {
		o.RetryBase = DefaultRetryBase
	}
	if o.CheckpointEvery == 0 {
		o.CheckpointEvery = DefaultCheckpointEvery
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	o.LeaseTTL = max(o.LeaseTTL, minLeaseTTL)
	if o.MaxHold <= 0 {
		o.MaxHold = DefaultMaxHold
	}
	o.Retention = cmp.Or(o.Retention, DefaultRetention)
	return o
}

// Engine runs turns of runs stored in a backend.
type Engine struct {
	b      backend.Backend
	reg    *Registry
	clock  backend.Clock
	logger *slog.Logger
	opts   Options
	cache  *cache
	stats  counters
	tracer trace.Tracer
	// owner names this engine in the run leases it holds; holds counts them.
	owner string
	holds atomic.Int64
}

// New returns an engine for the workflows in reg.
func New(b backend.Backend, reg *Registry, opts Options) *Engine {
	opts = opts.withDefaults()
	return &Engine{
		b: b, reg: reg, clock: opts.Clock, logger: opts.Logger, opts: opts, cache: newCache(opts.CacheSize),
		owner: newOwnerID(), tracer: tracerOf(opts.TracerProvider),
	}
}

// Backend returns the engine's backend.
func (e *Engine) Backend() backend.Backend { return e.b }

// Clock returns the engine's clock.
func (e *Engine) Clock() backend.Clock { return e.clock }

// Close stops the runs parked in the cache. It does not close the backend.
func (e *Engine) Close() { e.cache.clear() }

func (e *Engine) logStep(x *executor, st *stepState, attempt int, err error) {
	if err == nil {
		e.logger.Debug("step completed", "run_id", x.runID, "step", st.name, "attempt", attempt)
		return
	}
	e.logger.Info("step attempt failed", "run_id", x.runID, "step", st.name, "attempt", attempt, "error", err)
}

// TurnResult tells the caller of Turn what the run needs next.
type TurnResult struct {
	Status backend.RunStatus
	// WakeAt is when the run next needs a turn on its own (zero: only outside input wakes it).
	WakeAt time.Time
	// WakeMoved is true when this turn changed WakeAt, so a delayed wake should be queued.
	WakeMoved bool
	// Continue is true when the turn stopped with work left (near a deadline): the caller
	// should queue another turn at once.
	Continue bool
	// Released is true when the turn's last commit let go of the run's lease, which the
	// turn's caller held (see Engine.hold).
	Released bool
}

// errStale means the executor's view of the run is stale; the turn should be retried.
var errStale = errors.New("hookflow: run changed during the turn")

// IsRetryable reports whether a Turn error is transient: another turn raced this one, or the
// turn was stopped. Retrying the turn is safe.
func IsRetryable(err error) bool {
	return errors.Is(err, errStale) || errors.Is(err, backend.ErrVersionConflict) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func (e *Engine) wrap(runID string, err error) error {
	return fmt.Errorf("hookflow: turn of run %s: %w", runID, err)
}
