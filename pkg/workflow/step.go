package workflow

import (
	"context"
	"time"

	"github.com/hookflow/hookflow/internal/engine"
)

// StepOption configures one step call.
type StepOption func(*stepOptions)

// stepOptions are a step call's settings, as the engine takes them.
type stepOptions = engine.StepOptions

// WithRetries sets how many times a failing step is retried after its first attempt; default
// 3. Negative values mean 0.
func WithRetries(n int) StepOption {
	return func(o *stepOptions) { o.Retries = max(n, 0) }
}

// WithRetryDelay sets the base of the exponential backoff between attempts (base, 2*base,
// 4*base, ..., at most an hour); default 1s.
func WithRetryDelay(base time.Duration) StepOption {
	return func(o *stepOptions) { o.RetryDelay = base }
}

// WithStepTimeout bounds each attempt: its context is cancelled after d and the attempt fails
// with an error matching ErrTimeout (and is retried like any other failure).
func WithStepTimeout(d time.Duration) StepOption {
	return func(o *stepOptions) { o.Timeout = d }
}

// Step runs fn as a durable step and returns its result. fn runs outside replay with a real
// context and may do anything (I/O, calls to other services); its result is recorded as JSON
// and read back on every replay, so a completed step never runs again. A failing step is
// retried with exponential backoff (WithRetries, WithRetryDelay, RetryAfter) unless its error
// is Fatal; when it fails for good, Step returns a *StepError. Steps run at least once and are
// recorded exactly once: make their side effects idempotent.
func Step[T any](ctx Context, name string, fn func(ctx context.Context) (T, error), opts ...StepOption) (T, error) {
	return StepAsync(ctx, name, fn, opts...).Get(ctx)
}

// StepAsync starts a step and returns its future, so that workflow code can wait on several
// things at once (Select, All). Steps of one run execute one at a time, in the order they
// were started.
func StepAsync[T any](ctx Context, name string, fn func(ctx context.Context) (T, error), opts ...StepOption) *Future[T] {
	so := stepOptions{Retries: -1}
	for _, o := range opts {
		if o != nil {
			o(&so)
		}
	}
	var body engine.StepFunc
	if fn != nil {
		body = func(c context.Context) (any, error) { return fn(c) }
	}
	return &Future[T]{f: engine.ScheduleStep(ctxOf(ctx), name, body, so), conv: fromJSON[T]}
}
