package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/hookflow/hookflow/internal/engine"
	"github.com/hookflow/hookflow/pkg/backend"
)

// HookOptions configure CreateHook.
type HookOptions struct {
	// Token is a custom token (e.g. "slack:C123"): 1 to 512 bytes of printable UTF-8 without
	// spaces. Empty means a fresh random token (130 bits from crypto/rand, URL-safe).
	Token string
	// Metadata is stored with the hook and returned by GetHookByToken and ListHooks; it is
	// never given to the workflow. It must be serializable to JSON.
	Metadata any
	// Timeout bounds each Receive: 0 means no limit; otherwise Receive returns ErrTimeout
	// when nothing arrived within it (and records hook_timed_out).
	Timeout time.Duration
}

// Hook is a pause point that external code resumes with payloads of type T, by token
// (Client.ResumeHook). A hook receives any number of payloads, first in, first out; payloads
// that arrive before the workflow waits are kept, in order, in the run's history.
type Hook[T any] struct {
	h *engine.Hook
}

// CreateHook creates a hook and claims its token before it returns. If another live run
// holds a custom token, it returns a *HookConflictError naming that run (and the run records
// hook_conflict). Dispose releases the token; a run that ends disposes all its hooks.
func CreateHook[T any](ctx Context, opts HookOptions) (*Hook[T], error) {
	return createHook[T](ctx, opts, nil)
}

func createHook[T any](ctx Context, opts HookOptions, schema []byte) (*Hook[T], error) {
	if opts.Timeout < 0 {
		return nil, fmt.Errorf("%w: hook timeout %s is negative", ErrInvalidArgument, opts.Timeout)
	}
	meta, err := marshalMetadata(opts.Metadata)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(engine.TokenData{Metadata: meta, Schema: schema})
	if err != nil {
		return nil, fmt.Errorf("%w: hook data: %v", ErrInvalidArgument, err)
	}
	h, err := engine.CreateHook(ctxOf(ctx), engine.HookSpec{
		Token: opts.Token, Kind: backend.TokenHook, Data: data, Timeout: opts.Timeout,
	})
	if err != nil {
		return nil, err
	}
	return &Hook[T]{h: h}, nil
}

func marshalMetadata(m any) (json.RawMessage, error) {
	if m == nil {
		return nil, nil
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%w: hook metadata is not serializable to JSON: %v", ErrInvalidArgument, err)
	}
	return raw, nil
}

// Token returns the hook's token: give it to whoever will resume the hook.
func (h *Hook[T]) Token() string {
	if h == nil {
		return ""
	}
	return h.h.Token()
}

// Receive waits for the next payload. It returns ErrHookDisposed after Dispose, and
// ErrTimeout when HookOptions.Timeout passed without a payload. A payload that does not
// decode into T is consumed and reported as an error.
func (h *Hook[T]) Receive(ctx Context) (T, error) {
	var zero T
	if h == nil {
		return zero, fmt.Errorf("%w: nil hook", ErrInvalidArgument)
	}
	r, err := h.h.Receive(ctxOf(ctx))
	if err != nil {
		return zero, err
	}
	return decodePayload[T](h.h, r.Payload)
}

func decodePayload[T any](h *engine.Hook, raw json.RawMessage) (T, error) {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("hookflow: hook %s: payload does not decode into %T: %w", h.ID(), v, err)
	}
	return v, nil
}

// Next returns a receive as a future, to wait on with Select (against a Timer, say). The
// future is ready when a payload is waiting; its Get takes the payload. A Next that loses a
// Select takes nothing, so the payload is there for the next receive.
func (h *Hook[T]) Next(ctx Context) *Future[T] {
	if h == nil {
		return &Future[T]{f: engine.Failed(ctxOf(ctx), fmt.Errorf("%w: nil hook", ErrInvalidArgument)), conv: asValue[T]}
	}
	return &Future[T]{f: h.h.Next(ctxOf(ctx)), conv: func(v any) (T, error) {
		return decodePayload[T](h.h, v.(engine.Received).Payload)
	}}
}

// All ranges over the hook's payloads until it is disposed or the loop breaks:
//
//	for msg, err := range hook.All(ctx) {
//		if err != nil { ... }
//		if msg.Text == "/stop" { break }
//	}
//
// Errors (a timeout, a payload that does not decode) are yielded; the loop goes on if the
// body continues.
func (h *Hook[T]) All(ctx Context) iter.Seq2[T, error] {
	return receiveAll(ctx, h.Receive)
}

func receiveAll[T any](ctx Context, receive func(Context) (T, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			v, err := receive(ctx)
			if errors.Is(err, ErrHookDisposed) {
				return
			}
			if !yield(v, err) || errors.Is(err, ErrInvalidArgument) {
				return
			}
		}
	}
}

// Dispose releases the hook's token now, so another run can claim it, while this run goes
// on. Payloads not received yet are dropped (they stay in history). Disposing twice, or a nil
// hook (from a CreateHook that failed), does nothing.
func (h *Hook[T]) Dispose(ctx Context) error {
	if h == nil {
		return nil
	}
	return h.h.Dispose(ctxOf(ctx))
}

// HookDefinition binds a payload type to validation, for both sides: the workflow creates
// hooks from it, and callers resume them through it.
type HookDefinition[T any] struct {
	schema   []byte
	validate func(T) error
	err      error
}

// DefineHookOptions configure DefineHook.
type DefineHookOptions[T any] struct {
	// Schema is the JSON Schema payloads must match; nil derives one from T (fields without
	// omitempty are required; extra fields are allowed). It is stored with each hook, so every
	// resume path validates payloads before it stores anything, without the workflow's code.
	Schema []byte
	// Validate is an extra check that HookDefinition.Resume runs in the caller's process.
	Validate func(T) error
}

// DefineHook declares a typed, validated hook. An invalid schema makes the definition fail
// at Create and Resume.
func DefineHook[T any](opts DefineHookOptions[T]) *HookDefinition[T] {
	d := &HookDefinition[T]{schema: opts.Schema, validate: opts.Validate}
	if d.schema == nil {
		d.schema, d.err = deriveSchema[T]()
	}
	if d.err == nil {
		_, d.err = engine.CompileSchema(d.schema)
	}
	return d
}

// Schema returns the JSON Schema payloads are validated against.
func (d *HookDefinition[T]) Schema() []byte { return d.schema }

// Create creates a hook whose payloads are validated against the definition's schema.
func (d *HookDefinition[T]) Create(ctx Context, opts HookOptions) (*Hook[T], error) {
	if d.err != nil {
		return nil, d.err
	}
	return createHook[T](ctx, opts, d.schema)
}

// Resume runs the definition's Validate on payload, then resumes the hook through c (which
// validates against the schema stored with the hook). Invalid payloads give a
// *ValidationError and store nothing.
func (d *HookDefinition[T]) Resume(ctx context.Context, c *Client, token string, payload T, opts ...ResumeOption) (ResumeResult, error) {
	if d.err != nil {
		return ResumeResult{}, d.err
	}
	if d.validate != nil {
		if err := d.validate(payload); err != nil {
			var ve *ValidationError
			if errors.As(err, &ve) {
				return ResumeResult{}, ve
			}
			return ResumeResult{}, &ValidationError{Issues: []string{err.Error()}}
		}
	}
	return c.ResumeHook(ctx, token, payload, opts...)
}
