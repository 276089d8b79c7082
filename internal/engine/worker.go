package engine

import (
	"cmp"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/workflow/werr"
)

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	// Concurrency is the number of turns in flight; default 4.
	Concurrency int
	// SweepEvery is how often runs whose due time has passed are re-woken; default 1m.
	SweepEvery time.Duration
	// ReceiveWait is how long one queue poll waits for a message; default 1s.
	ReceiveWait time.Duration
}

func (o WorkerOptions) withDefaults() WorkerOptions {
	o.Concurrency = max(cmp.Or(o.Concurrency, 4), 1)
	o.SweepEvery = cmp.Or(o.SweepEvery, time.Minute)
	o.ReceiveWait = cmp.Or(o.ReceiveWait, time.Second)
	return o
}

// Worker drains the wake queue and handles each wake with Drive, and sweeps overdue runs. Wakes
// of one run are handled one at a time within a worker (a wake that comes while the run is in
// flight asks for one more Drive), and across workers sharing a backend by the run's lease.
type Worker struct {
	e    *Engine
	opts WorkerOptions

	mu     sync.Mutex
	active map[string]*slot
}

type slot struct{ again bool }

// NewWorker returns a worker that runs turns with e.
func NewWorker(e *Engine, opts WorkerOptions) *Worker {
	return &Worker{e: e, opts: opts.withDefaults(), active: map[string]*slot{}}
}

// Run processes wake messages until ctx ends, then waits for the turns in flight and returns
// nil. It returns an error only if it cannot start.
func (w *Worker) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { w.sweepLoop(ctx) })
	sem := make(chan struct{}, w.opts.Concurrency)
	backoff := 10 * time.Millisecond
	for ctx.Err() == nil {
		msgs, err := w.e.b.Receive(ctx, w.opts.Concurrency, w.opts.ReceiveWait)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			w.e.logger.Error("receiving wake messages", "error", err)
			sleep(ctx, backoff)
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 10 * time.Millisecond
		for _, m := range msgs {
			if !w.claim(m.RunID) {
				w.ack(m) // the turn in flight will run again and see what this wake announced
				continue
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				w.release(m.RunID)
				continue
			}
			wg.Go(func() {
				defer func() { <-sem }()
				w.process(ctx, m)
			})
		}
	}
	wg.Wait()
	return nil
}

// claim marks runID as in flight; if it already is, it asks for one more turn and reports false.
func (w *Worker) claim(runID string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if s, ok := w.active[runID]; ok {
		s.again = true
		return false
	}
	w.active[runID] = &slot{}
	return true
}

// release ends the claim unless another turn was asked for meanwhile (then it reports true).
func (w *Worker) release(runID string) (again bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.active[runID]
	if s != nil && s.again {
		s.again = false
		return true
	}
	delete(w.active, runID)
	return false
}

func (w *Worker) process(ctx context.Context, m backend.WakeMessage) {
	ctx = backend.ContextWithTraceParent(ctx, m.TraceParent) // the turn joins the waker's trace
	ok := true
	for {
		if err := w.e.Drive(ctx, m.RunID); err != nil {
			w.e.logger.Error("handling a wake", "run_id", m.RunID, "error", err)
			ok = false
		}
		if !w.release(m.RunID) {
			break
		}
	}
	if ok {
		w.ack(m)
	}
}

// TurnAndSchedule runs one turn of runID with e, without taking the run's lease, retrying a
// few times after a short backoff when it raced another turn, and queues the run's next wake.
// Drive is what handles wakes; this is its core, for a run that has ended and for tests.
//
// A turn that fails for another reason is recorded on the run (see failure.go) and retried
// after a backoff through a delayed wake and the run's due time, so the error returned is nil
// and the caller acknowledges its wake: redelivering it would retry without the backoff. The
// error is returned when the failure could not be recorded, when the turn kept racing others,
// or when ctx ended; a wake for a run that does not exist is dropped (nil).
func TurnAndSchedule(ctx context.Context, e *Engine, runID string) error {
	res, err := e.turnWithRetries(ctx, runID, nil)
	if err != nil {
		return e.turnFailed(ctx, runID, err)
	}
	e.schedule(ctx, runID, res)
	return nil
}

// turnFailed handles a turn that failed: see TurnAndSchedule.
func (e *Engine) turnFailed(ctx context.Context, runID string, err error) error {
	switch {
	case ctx.Err() != nil:
		return err
	case errors.Is(err, werr.ErrRunNotFound):
		e.logger.Warn("wake for an unknown run dropped", "run_id", runID)
		return nil
	case IsRetryable(err):
		e.logger.Error("turn failed", "run_id", runID, "error", err)
		return err
	}
	retryIn, stuck, rerr := e.recordFailure(ctx, runID, err)
	switch {
	case rerr != nil:
		e.logger.Error("turn failed", "run_id", runID, "error", err, "record_error", rerr)
		return err
	case stuck:
		e.logger.Error("turn failed; run parked as stuck until retried", "run_id", runID, "error", err)
		return nil
	}
	e.logger.Error("turn failed", "run_id", runID, "error", err, "retry_in", retryIn)
	if retryIn > 0 {
		if qerr := e.b.Enqueue(ctx, runID, retryIn); qerr != nil {
			e.logger.Warn("queueing the retry", "run_id", runID, "error", qerr) // the sweeper will
		}
	}
	return nil
}

func (w *Worker) ack(m backend.WakeMessage) {
	// Acknowledge even while shutting down: the turn's work is committed.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(context.Background()), 5*time.Second)
	defer cancel()
	if err := w.e.b.Ack(ctx, m); err != nil {
		w.e.logger.Warn("acknowledging a wake message", "run_id", m.RunID, "error", err)
	}
}

func (w *Worker) sweepLoop(ctx context.Context) {
	t := time.NewTicker(w.opts.SweepEvery)
	defer t.Stop()
	for {
		// A fresh inbox item gets one period for its own wake to arrive: sweeping it at once
		// only sends a second wake for the same work.
		if _, err := Sweep(ctx, w.e, w.opts.SweepEvery); err != nil && ctx.Err() == nil {
			w.e.logger.Error("sweeping due runs", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep queues a wake for every run that is due by now minus grace (runs with a passed timer
// or an inbox item older than that), and returns how many it queued. The runner Lambda calls
// it on a schedule; a Worker calls it every SweepEvery.
func Sweep(ctx context.Context, e *Engine, grace time.Duration) (int, error) {
	now := e.clock.Now()
	ids, err := e.b.ListDue(ctx, backend.DueQuery{DueBefore: now, InboxBefore: now.Add(-grace)})
	if err != nil {
		return 0, err
	}
	var errs []error
	n := 0
	for _, id := range ids {
		if err := e.b.Enqueue(ctx, id, 0); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
