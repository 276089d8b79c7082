package workflow

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/hookflow/hookflow/internal/engine"
	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
)

// WorkerOptions configure a Worker. The zero value is usable.
type WorkerOptions struct {
	// Concurrency is the number of turns in flight; default 4.
	Concurrency int
	// SweepEvery is how often runs whose due time has passed are re-woken, so that a lost
	// wake message delays a run but never strands it; default 1m, or what the backend
	// suggests (the embedded backend: 1s).
	SweepEvery time.Duration
	// Logger receives the worker's and the workflows' logs; default slog.Default().
	Logger *slog.Logger
	// BaseURL is the public base URL webhook URLs are built on (the API Gateway endpoint on
	// AWS, http://localhost:<port> in development); it should match ClientOptions.BaseURL.
	BaseURL string
	// CacheSize is how many waiting runs are kept in memory between turns, so that their next
	// turn continues without replaying history; default 1024; negative keeps none (every turn
	// replays from the start).
	CacheSize int
	// StuckAfter is how many turns of a run may fail in a row (the engine could not run its
	// workflow at all: not registered, unreadable data, a failing store) before the run is
	// parked as StatusStuck; default 10. Failed turns are retried with a backoff that starts
	// at RetryBase (default 1s) and doubles up to 5 minutes.
	StuckAfter int
	RetryBase  time.Duration
	// CheckpointEvery bounds how long the results of inline steps may wait to be committed:
	// a turn commits after a step once this much time has passed since its last commit (or
	// when much is pending), not after every step, and always before a step when the
	// workflow created or disposed a hook or answered a webhook. Steps run at least once
	// either way; a crash re-runs at most this much of them. Default 1s; negative commits
	// after every step.
	CheckpointEvery time.Duration
	// LeaseTTL is how long a worker's hold on a run lasts without renewal. One worker (or
	// runner Lambda) at a time works on a run; the others acknowledge its wakes, which the
	// holder covers. A worker that dies holding a run delays it by at most LeaseTTL plus a
	// sweep. Default 30s.
	LeaseTTL time.Duration
	// MaxHold is how long a worker keeps turning one run that always has more work before it
	// lets go and queues the rest; default 1m.
	MaxHold time.Duration
	// CodeVersion names the version of the workflow code this worker runs; empty:
	// unversioned. A versioned worker pins each new run of a PinRuns workflow to its version,
	// and hands the wakes of runs pinned to another version to Forward (see Versioning).
	CodeVersion string
	// Forward hands a wake of runID to a worker of the code version the run is pinned to: on
	// AWS the runner Lambda invokes that published version of itself; in one process, call
	// that version's Worker.RunTurn. A versioned worker without it refuses such wakes with an
	// error (they are redelivered).
	Forward func(ctx context.Context, runID, codeVersion string) error
	// Secrets resolves the secret references of the webhooks the worker's runs create
	// (WebhookOptions.Verify, WebhookOptions.Handshake): each must resolve, to a value that
	// is not empty, when the webhook is created, else that turn fails with the reason and the
	// run is retried with backoff until the secret is there. Default verify.EnvResolver, the
	// process environment; give it what the webhook route's ClientOptions.Secrets gets.
	Secrets verify.SecretResolver
	// TracerProvider makes the spans of turns ("hookflow.turn") and step attempts
	// ("hookflow.step"); a turn woken by a delivery joins the delivery's trace, even when the
	// delivery was made by another process. Default the global provider
	// (otel.GetTracerProvider), a no-op until the application installs one.
	TracerProvider trace.TracerProvider
	// Retention is how long a run is kept after it ends (completed, failed or cancelled):
	// then the worker deletes it with its history, inbox leftovers and hook tokens. Default
	// DefaultRetention (30 days); KeepForever keeps ended runs. A workflow may set its own
	// (Workflow.WithRetention). The period is fixed when the run ends: changing it later
	// does not move the deletion of runs that have ended. Export a run you need to keep
	// (Client.ExportRun) before it goes.
	Retention time.Duration
}

// WorkerStats counts what a worker did since it was made.
type WorkerStats struct {
	// Wakes is how many wakes the worker handled.
	Wakes int64
	// Coalesced is how many of them needed no turn of their own: another worker held the run
	// (and drains what the wake announced), or the run had nothing to do.
	Coalesced int64
	// Turns is how many turns ran the workflow (attempts, including those that lost a race).
	Turns int64
	// Conflicts is how many turn attempts lost a race with another worker's commit.
	Conflicts int64
	// IdleTurns is how many turns committed no event: they found nothing to do.
	IdleTurns int64
	// Replays is how many turns replayed the history from the start (no warm run in memory).
	Replays int64
	// CatchUps is how many turns brought a warm run up to date from the events after its
	// version instead of replaying from the start.
	CatchUps int64
	// Commits is how many commits the worker sent (each chunk of a large one counts).
	Commits int64
	// Events is how many events those commits appended.
	Events int64
	// Forwarded is how many wakes went to the code version their run is pinned to
	// (WorkerOptions.Forward).
	Forwarded int64
	// Deleted is how many ended runs the worker deleted when their retention passed.
	Deleted int64
}

// Worker drains the wake queue and runs turns of the registered workflows. The embedded dev
// server and tests run one in process; on AWS the runner Lambda runs turns instead.
type Worker struct {
	reg *Registry
	eng *engine.Engine
	w   *engine.Worker
	err error // a worker that cannot run (see Err)
}

// NewWorker returns a worker that runs the workflows of r on backend b. A worker made without
// a backend reports it with Err, and its Run, RunTurn and Sweep return that error.
func NewWorker(b Backend, r *Registry, opts WorkerOptions) *Worker {
	if b == nil {
		return &Worker{reg: r, err: fmt.Errorf("%w: NewWorker: no backend", ErrInvalidArgument)}
	}
	var er *engine.Registry
	if r != nil {
		er = r.r
	}
	if h, ok := b.(backend.SweepHinter); ok && opts.SweepEvery == 0 {
		opts.SweepEvery = h.SweepEvery()
	}
	eng := engine.New(b, er, engine.Options{
		Clock: backend.ClockOf(b), Logger: opts.Logger, CacheSize: opts.CacheSize, BaseURL: opts.BaseURL,
		StuckAfter: opts.StuckAfter, RetryBase: opts.RetryBase,
		CheckpointEvery: opts.CheckpointEvery, LeaseTTL: opts.LeaseTTL, MaxHold: opts.MaxHold,
		CodeVersion: opts.CodeVersion, Forward: opts.Forward, Secrets: opts.Secrets, TracerProvider: opts.TracerProvider,
		Retention: opts.Retention,
	})
	return &Worker{
		reg: r,
		eng: eng,
		w:   engine.NewWorker(eng, engine.WorkerOptions{Concurrency: opts.Concurrency, SweepEvery: opts.SweepEvery}),
	}
}

// Err reports why the worker cannot run (nil for a usable worker): no backend, or invalid
// definitions in its registry (Registry.Err).
func (w *Worker) Err() error {
	if w == nil {
		return fmt.Errorf("%w: nil worker", ErrInvalidArgument)
	}
	if w.err != nil {
		return w.err
	}
	return w.reg.Err()
}

// Run processes wake messages until ctx ends, then finishes the turns in flight and returns
// nil. It returns at once with an error when the worker cannot run (Err).
func (w *Worker) Run(ctx context.Context) error {
	if err := w.Err(); err != nil {
		return err
	}
	defer w.eng.Close()
	return w.w.Run(ctx)
}

// RunTurn handles one wake of a run now: unless another worker holds the run or it has
// nothing to do, it takes the run's lease, runs the turns the run needs (retrying after a
// short backoff when one races another worker's), lets go, and queues the run's next wake (a
// continuation, or a delayed wake for its next timer). It is for hosts that receive wake
// messages themselves, like the runner Lambda and the test kit. A nil error means the wake
// may be acknowledged.
func (w *Worker) RunTurn(ctx context.Context, runID string) error {
	if err := w.Err(); err != nil {
		return err
	}
	return w.eng.Drive(ctx, runID)
}

// Stats returns the worker's counters.
func (w *Worker) Stats() WorkerStats {
	if w == nil || w.eng == nil {
		return WorkerStats{}
	}
	return WorkerStats(w.eng.Stats())
}

// Sweep queues a wake for every run whose due time has passed, and for every run with an
// inbox item older than grace, and returns how many it queued. Run sweeps every SweepEvery;
// hosts without Run (the runner Lambda, on a schedule) call it themselves.
func (w *Worker) Sweep(ctx context.Context, grace time.Duration) (int, error) {
	if w.eng == nil {
		return 0, w.Err()
	}
	return engine.Sweep(ctx, w.eng, grace)
}

// Close stops the runs this worker keeps parked in memory between turns. Run calls it when it
// returns; hosts that use RunTurn call it when they are done.
func (w *Worker) Close() {
	if w != nil && w.eng != nil {
		w.eng.Close()
	}
}
