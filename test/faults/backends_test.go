package faults

import (
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/backend/memory"
)

// Backend kinds, as the matrix names them.
const (
	kindMemory   = "memory"
	kindDynamoDB = "dynamodb"
)

// store is one cell's backend, before the fault wrapper.
type store struct {
	b backend.Backend
	// mem and clock are set on the embedded backend, which runs on a fake clock.
	mem   *memory.Backend
	clock *fakeClock
	// idle is how long the driver sleeps when nothing can happen yet; patience is how long
	// it waits for a scenario's step before failing the cell.
	idle, patience time.Duration
	// retryPause is how long a caller waits before retrying a failed call.
	retryPause time.Duration
	// sweepEvery spaces the driver's sweeps (0: whenever the queue is empty).
	sweepEvery time.Duration
}

// newStore returns a fresh backend of kind for one cell.
func newStore(t *testing.T, kind string) *store {
	t.Helper()
	if kind == kindMemory {
		clock := newFakeClock()
		mem := memory.New(memory.WithClock(clock), memory.WithVisibilityTimeout(time.Second))
		t.Cleanup(func() { _ = mem.Close() })
		return &store{b: mem, mem: mem, clock: clock, idle: time.Millisecond, patience: 15 * time.Second, retryPause: time.Millisecond}
	}
	return &store{
		b: newAWSBackend(t), idle: 50 * time.Millisecond, patience: 40 * time.Second,
		retryPause: 50 * time.Millisecond, sweepEvery: 250 * time.Millisecond,
	}
}

// newAWSBackend makes a table and a queue for the test and returns a backend on them whose
// received wake messages come back after a second when not acknowledged.
func newAWSBackend(t *testing.T) backend.Backend {
	t.Helper()
	return awstest.Setup(t).NewBackend(t, awsbackend.Options{VisibilityTimeout: time.Second})
}

// fakeClock is the embedded backend's clock: it moves only when the driver moves it, to the
// next thing due, so that timers and retry delays cost no real time.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)}
}

// Now returns the fake time.
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// advanceTo moves the clock to t if t is later.
func (c *fakeClock) advanceTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
}
