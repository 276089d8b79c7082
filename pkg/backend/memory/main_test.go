package memory_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/memory"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeClock is a backend.Clock that moves only when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// kinds returns a constructor for each kind of backend, closing it when the test ends.
func kinds() map[string]func(t *testing.T, opts ...memory.Option) *memory.Backend {
	return map[string]func(t *testing.T, opts ...memory.Option) *memory.Backend{
		"memory": func(t *testing.T, opts ...memory.Option) *memory.Backend {
			b := memory.New(opts...)
			t.Cleanup(func() { require.NoError(t, b.Close()) })
			return b
		},
		"bbolt": func(t *testing.T, opts ...memory.Option) *memory.Backend {
			b, err := memory.Open(filepath.Join(t.TempDir(), "db"), opts...)
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, b.Close()) })
			return b
		},
	}
}

// createRun creates a pending run with the given number of events.
func createRun(t *testing.T, b backend.Store, id string, events int) backend.Run {
	t.Helper()
	run, err := b.CreateRun(context.Background(), backend.Run{
		ID:        id,
		Workflow:  "wf",
		Status:    backend.StatusPending,
		Input:     json.RawMessage(`{"in":1}`),
		CreatedAt: time.Unix(100, 0).UTC(),
		UpdatedAt: time.Unix(100, 0).UTC(),
	}, seqEvents(1, events))
	require.NoError(t, err)
	return run
}

// seqEvents returns n events numbered from first.
func seqEvents(first int64, n int) []backend.Event {
	events := make([]backend.Event, n)
	for i := range events {
		events[i] = backend.Event{
			Seq:       first + int64(i),
			Type:      "step",
			Data:      json.RawMessage(`"d"`),
			CreatedAt: time.Unix(200, 0).UTC(),
		}
	}
	return events
}
