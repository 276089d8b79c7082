package lambdafn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// batchRuns is how many runs of one SQS batch the runner handles at once.
const batchRuns = 4

// Runner is the runner function: it runs turns for SQS wake messages and sweeps overdue runs
// when invoked by an EventBridge schedule. One Runner serves all the invocations of a Lambda
// execution environment, so its worker keeps waiting runs warm between them.
type Runner struct {
	w     *workflow.Worker
	b     backend.Backend
	clock backend.Clock
	grace time.Duration
	log   *slog.Logger
	// margin: records not started when less than this is left before the deadline are
	// reported as failures, for SQS to redeliver.
	margin time.Duration
}

// NewRunner returns the runner for the workflows of reg on b. The wake messages' bodies are
// read with backend.DecodeWake, as the driver wrote them.
//
// A runner invoked as a published version of its function pins runs to that version and
// forwards the wakes of runs pinned to another version with cfg.Invoker (see forward.go).
func NewRunner(b backend.Backend, reg *workflow.Registry, cfg Config, log *slog.Logger) *Runner {
	return &Runner{
		w: workflow.NewWorker(b, reg, workflow.WorkerOptions{
			Concurrency: 1, BaseURL: cfg.BaseURL, Logger: log,
			CodeVersion: cfg.codeVersion(), Forward: forwarder(cfg.Invoker, cfg.FunctionName),
			Secrets: cfg.Secrets, TracerProvider: cfg.TracerProvider, Retention: cfg.Retention,
		}),
		b: b, clock: backend.ClockOf(b), grace: cfg.SweepGrace, log: log,
		margin: 3 * time.Second,
	}
}

// Close releases the runs the runner keeps warm.
func (r *Runner) Close() { r.w.Close() }

// invocation is the union of the events the runner accepts.
type invocation struct {
	Records    []events.SQSMessage `json:"Records"`
	DetailType string              `json:"detail-type"`
	Source     string              `json:"source"`
	ForwardedWake
}

// SweepResult is the runner's answer to a scheduled invocation.
type SweepResult struct {
	Woken int `json:"woken"`
}

// Handle dispatches an invocation: an SQS batch gives an events.SQSEventResponse listing the
// messages to retry; an EventBridge scheduled event sweeps overdue runs. Anything else is
// an error (and is logged), never a panic.
func (r *Runner) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var inv invocation
	if err := json.Unmarshal(raw, &inv); err != nil {
		r.log.Error("runner: malformed event", "error", err)
		return nil, fmt.Errorf("hookflow runner: malformed event: %w", err)
	}
	switch {
	case len(inv.Records) > 0:
		return r.HandleSQS(ctx, events.SQSEvent{Records: inv.Records}), nil
	case inv.Hookflow == forwardedKind && inv.RunID != "":
		// Another version of this function forwards a wake of a run pinned to this one.
		if err := r.w.RunTurn(ctx, inv.RunID); err != nil {
			r.log.Error("runner: forwarded turn failed", "run_id", inv.RunID, "error", err)
			return nil, err
		}
		return ForwardResult{RunID: inv.RunID}, nil
	case inv.DetailType == "Scheduled Event" || inv.Source == "aws.events" || inv.Source == "aws.scheduler":
		n, err := r.w.Sweep(ctx, r.grace)
		if err != nil {
			r.log.Error("runner: sweep", "error", err, "woken", n)
			return SweepResult{Woken: n}, err
		}
		r.log.Info("runner: sweep", "woken", n)
		return SweepResult{Woken: n}, nil
	default:
		r.log.Error("runner: unknown event", "event", string(truncate(raw, 512)))
		return nil, errors.New("hookflow runner: the event is neither an SQS batch nor a scheduled event")
	}
}

// HandleSQS handles a batch of wake messages. The batch is grouped by run, and each run is
// handled once however many of its wakes the batch holds (one per delivery, under a flood),
// up to four runs at once:
// the runner takes the run's lease and turns it until it waits, unless another runner holds
// it (which then covers these wakes) or it has nothing to do. A run whose handling fails, or
// that the runner did not reach before the deadline, has all its messages reported in
// BatchItemFailures so that SQS redelivers them (the event source mapping must enable
// ReportBatchItemFailures). A malformed message, and a wake (delayed or not) of a run that
// does not exist, is logged and dropped: redelivering it would never help.
func (r *Runner) HandleSQS(ctx context.Context, ev events.SQSEvent) events.SQSEventResponse {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	fail := func(ms ...events.SQSMessage) {
		for _, m := range ms {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	var order []string // runs in the order of their first wake
	byRun := map[string][]events.SQSMessage{}
	traces := map[string]string{} // run -> the trace context of its first wake that has one
	for _, m := range ev.Records {
		w, err := backend.DecodeWake(m.Body)
		runID, notBefore := w.RunID, w.NotBefore
		if err != nil {
			r.log.Error("runner: dropping a malformed wake message", "message_id", m.MessageId, "error", err)
			continue
		}
		if early, err := r.sendOnEarly(backend.ContextWithTraceParent(ctx, w.TraceParent), runID, notBefore); err != nil {
			r.log.Error("runner: re-delaying a wake", "run_id", runID, "error", err)
			fail(m)
			continue
		} else if early {
			continue
		}
		if _, ok := byRun[runID]; !ok {
			order = append(order, runID)
		}
		byRun[runID] = append(byRun[runID], m)
		if traces[runID] == "" {
			traces[runID] = w.TraceParent
		}
	}
	// Runs are independent: a hot run held for a long drain must not keep the batch's other
	// runs waiting, so up to batchRuns of them are handled at once.
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, batchRuns)
	)
	for i, runID := range order {
		sem <- struct{}{}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < r.margin {
			<-sem
			mu.Lock()
			for _, rest := range order[i:] {
				fail(byRun[rest]...)
			}
			mu.Unlock()
			r.log.Warn("runner: deadline near, leaving runs for redelivery", "left", len(order)-i)
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			// The turn joins the trace of the delivery that woke the run (see pkg/backend
			// trace.go); the other wakes' deliveries are linked from their inbox items.
			if err := r.w.RunTurn(backend.ContextWithTraceParent(ctx, traces[runID]), runID); err != nil {
				r.log.Error("runner: turn failed", "run_id", runID, "error", err)
				mu.Lock()
				fail(byRun[runID]...)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return resp
}

// sendOnEarly sends a wake whose time has not come on for the rest of its delay (SQS delays
// at most 15 minutes; backend.SendOnEarly chains), and reports that it was early. An early
// wake of a run that does not exist is dropped, or it would go round the queue until its
// time came.
func (r *Runner) sendOnEarly(ctx context.Context, runID string, notBefore time.Time) (bool, error) {
	if notBefore.Sub(r.clock.Now()) < time.Second {
		return false, nil
	}
	if _, err := r.b.GetRun(ctx, runID); errors.Is(err, backend.ErrRunNotFound) {
		r.log.Warn("runner: delayed wake for an unknown run dropped", "run_id", runID)
		return true, nil
	}
	return backend.SendOnEarly(ctx, r.b, r.clock, runID, notBefore)
}

// Stats returns the counters of the runner's worker: wakes, coalesced wakes, turns,
// conflicts, idle turns, commits.
func (r *Runner) Stats() workflow.WorkerStats { return r.w.Stats() }

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
