package workflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/internal/engine"
)

// Context is the deterministic workflow context handed to workflow functions. It is not a
// context.Context: workflow code must not do I/O, and everything it does through Context is
// recorded or replayed. Steps receive a real context.Context instead.
type Context interface {
	engineCtx() *engine.Ctx
}

type wfContext struct{ c *engine.Ctx }

func (w wfContext) engineCtx() *engine.Ctx { return w.c }

func wrapCtx(c *engine.Ctx) Context { return wfContext{c} }

// ctxOf unwraps ctx; a nil Context gives a nil *engine.Ctx, which every engine call reports
// as an invalid argument.
func ctxOf(ctx Context) *engine.Ctx {
	if ctx == nil {
		return nil
	}
	return ctx.engineCtx()
}

// Workflow is a named, typed workflow definition. Create one with Define at package level and
// register it with a Registry (a Worker runs it) and pass it to Start.
type Workflow[In, Out any] struct {
	name   string
	fn     func(ctx Context, in In) (Out, error)
	err    error
	moving bool          // Versioning MoveRuns
	retain time.Duration // WithRetention; 0: the worker's
}

// Define declares a workflow. The name is stored in every run's history and must stay stable
// across deployments. An empty name or a nil fn makes the definition invalid: Start and
// NewRegistry report it.
func Define[In, Out any](name string, fn func(ctx Context, in In) (Out, error)) *Workflow[In, Out] {
	w := &Workflow[In, Out]{name: name, fn: fn}
	switch {
	case name == "":
		w.err = fmt.Errorf("%w: workflow name is empty", ErrInvalidArgument)
	case fn == nil:
		w.err = fmt.Errorf("%w: workflow %q: nil function", ErrInvalidArgument, name)
	}
	return w
}

// Name returns the workflow's name.
func (w *Workflow[In, Out]) Name() string {
	if w == nil {
		return ""
	}
	return w.name
}

// Registrable is a workflow definition a Registry accepts; *Workflow[In, Out] implements it.
type Registrable interface {
	Name() string
	untyped() (engine.WorkflowFunc, error)
	versioning() Versioning
	retention() time.Duration
}

// untyped erases the workflow's types: JSON input in, JSON output out.
func (w *Workflow[In, Out]) untyped() (engine.WorkflowFunc, error) {
	if w == nil {
		return nil, fmt.Errorf("%w: nil workflow", ErrInvalidArgument)
	}
	if w.err != nil {
		return nil, w.err
	}
	return func(c *engine.Ctx, input json.RawMessage) (json.RawMessage, error) {
		var in In
		if len(input) > 0 {
			if err := json.Unmarshal(input, &in); err != nil {
				return nil, fmt.Errorf("%w: workflow %q: decoding input: %v", ErrInvalidArgument, w.name, err)
			}
		}
		out, err := w.fn(wrapCtx(c), in)
		if err != nil {
			return nil, err
		}
		raw, err := json.Marshal(out)
		if err != nil {
			return nil, fmt.Errorf("%w: workflow %q: output is not serializable to JSON: %v", ErrInvalidArgument, w.name, err)
		}
		return raw, nil
	}, nil
}

// Registry holds the workflows a Worker can run.
type Registry struct {
	r   *engine.Registry
	err error
}

// NewRegistry returns a registry of workflows. Invalid definitions and duplicate names are
// not registered; Err reports them, and NewWorker's Run returns them.
func NewRegistry(workflows ...Registrable) *Registry {
	r := &Registry{r: engine.NewRegistry()}
	var errs []error
	for _, w := range workflows {
		if err := r.Register(w); err != nil {
			errs = append(errs, err)
		}
	}
	r.err = errors.Join(errs...)
	return r
}

// Register adds one workflow, refusing invalid definitions and duplicate names.
func (r *Registry) Register(w Registrable) error {
	if w == nil {
		return fmt.Errorf("%w: nil workflow", ErrInvalidArgument)
	}
	fn, err := w.untyped()
	if err != nil {
		return err
	}
	if err := r.r.Register(w.Name(), fn); err != nil {
		return err
	}
	r.r.SetMoving(w.Name(), w.versioning() == MoveRuns)
	r.r.SetRetention(w.Name(), w.retention())
	return nil
}

// Names returns the names of the registered workflows, sorted.
func (r *Registry) Names() []string {
	if r == nil {
		return nil
	}
	return r.r.Names()
}

// Has reports whether a workflow named name is registered.
func (r *Registry) Has(name string) bool {
	if r == nil {
		return false
	}
	_, ok := r.r.Lookup(name)
	return ok
}

// Err returns the errors of the definitions NewRegistry refused, or nil.
func (r *Registry) Err() error {
	if r == nil {
		return fmt.Errorf("%w: nil registry", ErrInvalidArgument)
	}
	return r.err
}
