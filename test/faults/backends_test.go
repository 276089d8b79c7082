package faults

import (
	"context"
	"sync"
	"testing"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/require"

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
	e := awstest.Setup(t)
	name := awstest.UniqueName(t)
	e.NewTable(t, name)
	url := e.NewQueue(t, name, nil)
	cfg := e.Config.Copy()
	if e.Moto() {
		cfg.APIOptions = append(cfg.APIOptions, serializeDynamoDB(&sync.RWMutex{}))
	}
	b, err := awsbackend.New(cfg, awsbackend.Options{Table: name, QueueURL: url, VisibilityTimeout: time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// serializeDynamoDB makes the DynamoDB calls of one backend take turns, reads together and
// each write alone, as the tests of package aws do: moto applies a transaction action by
// action and undoes a cancelled one by restoring a copy of the whole table, so overlapping
// writes to one table could see each other's halves. DynamoDB isolates transactions; this
// restores that for the cell's table, while the engine's calls still interleave.
func serializeDynamoDB(mu *sync.RWMutex) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("hookflowFaultsSerializeDynamoDB",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if awsmiddleware.GetServiceID(ctx) != dynamodb.ServiceID {
					return next.HandleInitialize(ctx, in)
				}
				switch awsmiddleware.GetOperationName(ctx) {
				case "GetItem", "BatchGetItem", "Query", "Scan", "DescribeTable", "TransactGetItems":
					mu.RLock()
					defer mu.RUnlock()
				default:
					mu.Lock()
					defer mu.Unlock()
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	}
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
