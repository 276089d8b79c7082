package workflow

import (
	"encoding/json"
	"fmt"

	"github.com/hookflow/hookflow/internal/engine"
)

// Future is the result of an asynchronous durable operation: StepAsync, Timer, Go, or a
// hook's Next.
type Future[T any] struct {
	f    *engine.Future
	conv func(any) (T, error)
}

// Get blocks the calling workflow code until the future is ready and returns its value.
func (f *Future[T]) Get(ctx Context) (T, error) {
	var zero T
	if f == nil || f.f == nil {
		return zero, fmt.Errorf("%w: nil future", ErrInvalidArgument)
	}
	v, err := f.f.Get(ctxOf(ctx))
	if err != nil {
		return zero, err
	}
	return f.conv(v)
}

// Ready reports whether Get would return without blocking.
func (f *Future[T]) Ready() bool { return f != nil && f.f != nil && f.f.Ready() }

func (f *Future[T]) future() *engine.Future {
	if f == nil {
		return nil
	}
	return f.f
}

// Awaitable is anything Select and All wait on: *Future[T] of any T.
type Awaitable interface {
	future() *engine.Future
}

// Go runs fn in a new workflow coroutine and returns its result as a future. Coroutines run
// one at a time in a deterministic order, so they replay exactly; use Go, never the go
// statement, in workflow code.
func Go[T any](ctx Context, name string, fn func(ctx Context) (T, error)) *Future[T] {
	var body func(*engine.Ctx) (any, error)
	if fn != nil {
		body = func(c *engine.Ctx) (any, error) { return fn(wrapCtx(c)) }
	}
	return &Future[T]{f: engine.Go(ctxOf(ctx), name, body), conv: asValue[T]}
}

// Select blocks until one of items is ready and returns its index. When several are ready,
// it returns the one that became ready first in the run's history, so replays choose the same.
func Select(ctx Context, items ...Awaitable) (int, error) {
	fs, err := futures("Select", items)
	if err != nil {
		return -1, err
	}
	return engine.Select(ctxOf(ctx), fs...)
}

// All blocks until every item is ready and returns the first error among them in argument
// order, or nil.
func All(ctx Context, items ...Awaitable) error {
	fs, err := futures("All", items)
	if err != nil {
		return err
	}
	return engine.All(ctxOf(ctx), fs...)
}

func futures(op string, items []Awaitable) ([]*engine.Future, error) {
	fs := make([]*engine.Future, len(items))
	for i, it := range items {
		if it == nil || it.future() == nil {
			return nil, fmt.Errorf("%w: %s item %d is nil", ErrInvalidArgument, op, i)
		}
		fs[i] = it.future()
	}
	return fs, nil
}

func asValue[T any](v any) (T, error) {
	if v == nil {
		var zero T
		return zero, nil
	}
	t, ok := v.(T)
	if !ok {
		var zero T
		return zero, fmt.Errorf("hookflow: future holds %T, not %T", v, zero)
	}
	return t, nil
}

func fromJSON[T any](v any) (T, error) {
	var t T
	raw, _ := v.(json.RawMessage)
	if len(raw) == 0 {
		return t, nil
	}
	if err := json.Unmarshal(raw, &t); err != nil {
		return t, fmt.Errorf("hookflow: decoding recorded value into %T: %w", t, err)
	}
	return t, nil
}
