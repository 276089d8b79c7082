package memory_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/memory"
)

type stoppedClock struct{ t time.Time }

func (c stoppedClock) Now() time.Time { return c.t }

func TestOptions(t *testing.T) {
	t.Parallel()
	d := memory.Options{}.WithDefaults()
	require.Equal(t, backend.SystemClock{}, d.Clock)
	require.Equal(t, memory.DefaultVisibilityTimeout, d.VisibilityTimeout)
	require.Equal(t, memory.DefaultMaxReceives, d.MaxReceives)

	_, err := memory.NewWithOptions(memory.Options{VisibilityTimeout: -time.Second, MaxReceives: -1})
	require.ErrorContains(t, err, "VisibilityTimeout")
	require.ErrorContains(t, err, "MaxReceives", "every problem at once")
	_, err = memory.OpenWithOptions(filepath.Join(t.TempDir(), "x.db"), memory.Options{MaxReceives: -1})
	require.ErrorContains(t, err, "MaxReceives")

	clock := stoppedClock{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b, err := memory.NewWithOptions(memory.Options{Clock: clock})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	require.Equal(t, clock, b.Clock())

	f, err := memory.OpenWithOptions(filepath.Join(t.TempDir(), "y.db"), memory.Options{Clock: clock})
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	require.Equal(t, clock, f.Clock())

	// The shorthands set the same fields.
	s := memory.New(memory.WithClock(clock), memory.WithClock(nil))
	t.Cleanup(func() { _ = s.Close() })
	require.Equal(t, clock, s.Clock(), "a nil clock is ignored")
}
