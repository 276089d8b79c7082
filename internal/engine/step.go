package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/workflow/werr"
)

// StepFunc is an untyped step body. Its result is recorded as JSON.
type StepFunc func(ctx context.Context) (any, error)

// StepOptions configure one step call.
type StepOptions struct {
	Retries    int           // retries after the first attempt; negative: the default
	RetryDelay time.Duration // base of the exponential backoff; 0: the default
	Timeout    time.Duration // per attempt; 0: none
}

// Step defaults.
const (
	DefaultRetries    = 3
	DefaultRetryDelay = time.Second
	maxRetryDelay     = time.Hour
)

type stepState struct {
	id       string
	name     string
	fn       StepFunc
	opts     StepOptions
	attempts int
	retryAt  time.Time // zero: runnable now
	finished bool
	future   *Future
}

// ScheduleStep starts a step and returns its future. The step runs outside replay, at most
// once per attempt, and its outcome is recorded; replays read the outcome back instead.
// The future's value is the step result as json.RawMessage.
func ScheduleStep(c *Ctx, name string, fn StepFunc, opts StepOptions) *Future {
	if err := c.enter(); err != nil {
		return failed(c, err)
	}
	if name == "" {
		return failed(c, invalidf("step name is empty"))
	}
	if fn == nil {
		return failed(c, invalidf("step %q: nil function", name))
	}
	if opts.Retries < 0 {
		opts.Retries = DefaultRetries
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = DefaultRetryDelay
	}
	x := c.x
	st := &stepState{id: x.nextCommandID("s"), name: name, fn: fn, opts: opts, future: x.newFuture()}
	x.byID[st.id] = st
	x.steps = append(x.steps, st)
	return st.future
}

// applyStep feeds a step event (live or replayed) to the step's state.
func (x *executor) applyStep(st *stepState, ev backend.Event) {
	var d stepData
	if err := decodeStepData(ev.Data, &d); err != nil {
		x.fail(fmt.Errorf("hookflow: run %s: corrupt %s event %d: %w", x.runID, ev.Type, ev.Seq, err))
		return
	}
	if d.Name != st.name || st.finished {
		x.nonDeterminism(ev, fmt.Sprintf("step %s %q", st.id, st.name))
		return
	}
	st.attempts = d.Attempt
	switch ev.Type {
	case EventStepCompleted:
		st.finish()
		st.future.resolve(d.Result, nil)
	case EventStepFailed:
		st.finish()
		st.future.resolve(nil, &werr.StepError{Step: st.name, Attempts: d.Attempt, Err: DecodeError(d.Error)})
	case EventStepRetrying:
		st.retryAt = d.RetryAt
	}
	if st.finished {
		x.steps = removeStep(x.steps, st)
	}
}

func (st *stepState) finish() { st.finished, st.fn = true, nil }

func removeStep(steps []*stepState, st *stepState) []*stepState {
	for i, s := range steps {
		if s == st {
			return append(steps[:i], steps[i+1:]...)
		}
	}
	return steps
}

// nextRunnableStep returns the first step in command order whose retry delay has passed.
func (x *executor) nextRunnableStep(now time.Time) *stepState {
	for _, st := range x.steps {
		if !st.retryAt.After(now) {
			return st
		}
	}
	return nil
}

// executeStep runs one attempt of st and records its outcome.
func (x *executor) executeStep(st *stepState) {
	attempt := st.attempts + 1
	sctx, span := x.eng.tracer.Start(x.turnCtx, "hookflow.step", trace.WithAttributes(
		attrRunID.String(x.runID), attrStep.String(st.name), attrAttempt.Int(attempt)))
	val, err := callStep(sctx, st)
	endSpan(span, err)
	if cerr := x.turnCtx.Err(); cerr != nil {
		// The turn is being stopped (shutdown, deadline): the attempt did not fail on its own,
		// so nothing is recorded and the step runs again on the next turn.
		x.fail(fmt.Errorf("hookflow: run %s: turn stopped during step %q: %w", x.runID, st.name, cerr))
		return
	}
	var raw json.RawMessage
	if err == nil {
		raw, err = json.Marshal(val)
		if err != nil {
			err = Fatal(fmt.Errorf("step result is not serializable to JSON: %w", err))
		}
	}
	data := stepData{Name: st.name, Attempt: attempt}
	var fatal *fatalError
	switch {
	case err == nil:
		data.Result = raw
		x.apply(x.record(EventStepCompleted, st.id, data))
	case errors.As(err, &fatal) || attempt > st.opts.Retries:
		data.Error = EncodeError(err)
		x.apply(x.record(EventStepFailed, st.id, data))
	default:
		data.Error = EncodeError(err)
		data.RetryAt = x.eng.clock.Now().UTC().Add(retryDelay(err, st.opts.RetryDelay, attempt))
		x.apply(x.record(EventStepRetrying, st.id, data))
	}
	x.eng.logStep(x, st, attempt, err)
}

// retryDelay is the wait before the attempt after attempt: RetryAfter's delay, or
// base * 2^(attempt-1) capped at an hour.
func retryDelay(err error, base time.Duration, attempt int) time.Duration {
	var ra *retryAfterError
	if errors.As(err, &ra) {
		return ra.delay
	}
	d := base
	for i := 1; i < attempt && d < maxRetryDelay; i++ {
		d *= 2
	}
	return min(d, maxRetryDelay)
}

// callStep runs one attempt, turning panics into errors and enforcing the timeout. A step
// that ignores its context keeps running in the background after the timeout; its result is
// then discarded.
func callStep(ctx context.Context, st *stepState) (any, error) {
	name, fn := st.name, st.fn // the attempt may outlive the step's state
	if st.opts.Timeout <= 0 {
		return protect(ctx, name, fn)
	}
	ctx, cancel := context.WithTimeout(ctx, st.opts.Timeout)
	defer cancel()
	type outcome struct {
		v   any
		err error
	}
	ch := make(chan outcome, 1)
	go func() {
		v, err := protect(ctx, name, fn)
		ch <- outcome{v, err}
	}()
	select {
	case o := <-ch:
		if o.err != nil && ctx.Err() == context.DeadlineExceeded {
			return nil, fmt.Errorf("%w: step %q took longer than %s: %v", werr.ErrTimeout, st.name, st.opts.Timeout, o.err)
		}
		return o.v, o.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: step %q took longer than %s", werr.ErrTimeout, st.name, st.opts.Timeout)
	}
}

func protect(ctx context.Context, name string, fn StepFunc) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("step %q panicked: %v\n%s", name, r, debug.Stack())
		}
	}()
	return fn(ctx)
}
