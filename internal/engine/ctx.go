package engine

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/hookflow/hookflow/pkg/workflow/werr"
)

// Ctx is the workflow context of one run. pkg/workflow wraps it as workflow.Context.
type Ctx struct {
	x *executor
}

// enter checks that a durable call is made from workflow code of a live executor. It returns
// an error for misuse (a nil context, a call from a step or a raw goroutine), and unwinds the
// coroutine when the executor is being discarded.
func (c *Ctx) enter() error {
	if c == nil || c.x == nil {
		return invalidf("nil workflow context")
	}
	s := c.x.sched
	if s.killing {
		panic(killed{})
	}
	if c.x.abortErr != nil && s.running != nil {
		s.abort()
	}
	if s.running == nil {
		return invalidf("workflow functions must be called from workflow code, not from a step or a goroutine")
	}
	return nil
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", werr.ErrInvalidArgument, fmt.Sprintf(format, args...))
}

// RunID returns the ID of the run.
func RunID(c *Ctx) string {
	if c == nil || c.x == nil {
		return ""
	}
	return c.x.runID
}

// WorkflowName returns the name of the run's workflow.
func WorkflowName(c *Ctx) string {
	if c == nil || c.x == nil {
		return ""
	}
	return c.x.workflow
}

// Now returns the workflow time: the time of the latest history event the workflow has seen.
// It is the same on every replay.
func Now(c *Ctx) time.Time {
	if c == nil || c.x == nil {
		return time.Time{}
	}
	return c.x.now
}

// Rand returns the run's deterministic random source, seeded from the run ID.
func Rand(c *Ctx) *rand.Rand {
	if c == nil || c.x == nil {
		return rand.New(rand.NewPCG(0, 0))
	}
	if c.x.rng == nil {
		c.x.rng = rand.New(rand.NewPCG(c.x.seed, 0x9e3779b97f4a7c15))
	}
	return c.x.rng
}

// NewID returns a new random UUID (version 4 layout) that is the same on every replay. It
// draws from its own stream, so it does not disturb Rand.
func NewID(c *Ctx) string {
	if c == nil || c.x == nil {
		return ""
	}
	if c.x.idRng == nil {
		c.x.idRng = rand.New(rand.NewPCG(c.x.seed, 0xbf58476d1ce4e5b9))
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], c.x.idRng.Uint64())
	binary.BigEndian.PutUint64(b[8:], c.x.idRng.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Logger returns a logger that drops records while history is being replayed.
func Logger(c *Ctx) *slog.Logger {
	if c == nil || c.x == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.x.logger
}

// Go starts fn in a new coroutine of the run. Coroutines run one at a time, in a
// deterministic order, so they replay exactly.
func Go(c *Ctx, name string, fn func(*Ctx) (any, error)) *Future {
	if err := c.enter(); err != nil {
		return failed(c, err)
	}
	if fn == nil {
		return failed(c, invalidf("Go %q: nil function", name))
	}
	x := c.x
	f := x.newFuture()
	x.sched.spawn(name, func() {
		v, err := fn(c)
		f.resolve(v, err)
	})
	return f
}

// failed returns a future that is already resolved with err.
func failed(c *Ctx, err error) *Future {
	f := &Future{ready: true, err: err}
	if c != nil && c.x != nil {
		f.x = c.x
	}
	return f
}

// BaseURL returns the public base URL the engine builds webhook URLs on.
func BaseURL(c *Ctx) string {
	if c == nil || c.x == nil {
		return ""
	}
	return c.x.eng.opts.BaseURL
}

// Failed returns a future that is already resolved with err.
func Failed(c *Ctx, err error) *Future { return failed(c, err) }
