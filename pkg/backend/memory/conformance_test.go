package memory_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/backendtest"
	"github.com/hookflow/hookflow/pkg/backend/memory"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		backendtest.Run(t, func(t *testing.T) backend.Backend {
			b := memory.New(memory.WithVisibilityTimeout(time.Second))
			t.Cleanup(func() { require.NoError(t, b.Close()) })
			return b
		})
	})
	t.Run("bbolt", func(t *testing.T) {
		t.Parallel()
		backendtest.Run(t, func(t *testing.T) backend.Backend {
			b, err := memory.Open(filepath.Join(t.TempDir(), "db"), memory.WithVisibilityTimeout(time.Second))
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, b.Close()) })
			return b
		})
	})
}
