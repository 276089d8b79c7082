package workflow

import (
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/hookflow/hookflow/internal/engine"
)

// Sleep pauses the workflow for d. The timer is durable: the run needs no process while it
// sleeps, and a 30-day sleep costs nothing until it fires. d <= 0 returns at once.
func Sleep(ctx Context, d time.Duration) error {
	c := ctxOf(ctx)
	_, err := engine.NewTimer(c, "sleep", d).Get(c)
	return err
}

// SleepUntil pauses the workflow until t (at once if t is not after Now).
func SleepUntil(ctx Context, t time.Time) error {
	c := ctxOf(ctx)
	_, err := engine.TimerUntil(c, "sleep", t).Get(c)
	return err
}

// Timer returns a future that is ready d from now; use it with Select to bound a wait.
func Timer(ctx Context, d time.Duration) *Future[struct{}] {
	return &Future[struct{}]{f: engine.NewTimer(ctxOf(ctx), "timer", d), conv: asValue[struct{}]}
}

// Now returns the workflow's current time: the time of the latest event of the run's history
// the workflow has seen. Use it instead of time.Now; it is the same on every replay.
func Now(ctx Context) time.Time { return engine.Now(ctxOf(ctx)) }

// Rand returns a random source seeded from the run, which gives the same numbers on every
// replay. Use it instead of math/rand in workflow code.
func Rand(ctx Context) *rand.Rand { return engine.Rand(ctxOf(ctx)) }

// NewID returns a random UUID that is the same on every replay.
func NewID(ctx Context) string { return engine.NewID(ctxOf(ctx)) }

// RunID returns the ID of the run.
func RunID(ctx Context) string { return engine.RunID(ctxOf(ctx)) }

// Logger returns a logger carrying the run ID and workflow name that drops records while
// history is replayed, so each line is logged once.
func Logger(ctx Context) *slog.Logger { return engine.Logger(ctxOf(ctx)) }
