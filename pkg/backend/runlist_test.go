package backend_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// A cursor survives its encoding, and nothing else passes for one.
func TestRunCursor(t *testing.T) {
	t.Parallel()
	for _, c := range []backend.RunCursor{{CreatedMs: 1764650000123, RunID: "run_ABC"}, {CreatedMs: 0, RunID: "a:b:c"}} {
		got, err := backend.DecodeRunCursor(c.Encode())
		require.NoError(t, err)
		require.Equal(t, c, got)
	}
	for _, bad := range []string{"", "%%%", "cjE6", "cjE6eDp5", "eDoxOmE"} {
		_, err := backend.DecodeRunCursor(bad)
		require.ErrorIs(t, err, backend.ErrInvalidCursor, "%q", bad)
	}
	at := time.UnixMilli(1000)
	c := backend.CursorAfter(backend.Run{ID: "m", CreatedAt: at})
	require.True(t, c.Before(backend.Run{ID: "a", CreatedAt: at}), "as old, smaller ID: after the cursor")
	require.False(t, c.Before(backend.Run{ID: "z", CreatedAt: at}))
	require.False(t, c.Before(backend.Run{ID: "m", CreatedAt: at}), "the cursor's own run is not listed again")
	require.True(t, c.Before(backend.Run{ID: "z", CreatedAt: at.Add(-time.Millisecond)}))
	require.False(t, c.Before(backend.Run{ID: "a", CreatedAt: at.Add(time.Millisecond)}))
}

// Page sizes stay within the defaults and the maximum.
func TestRunQueryPageSize(t *testing.T) {
	t.Parallel()
	for limit, want := range map[int]int{-5: 100, 0: 100, 1: 1, 1000: 1000, 5000: 1000} {
		require.Equal(t, want, backend.RunQuery{Limit: limit}.PageSize(), "Limit %d", limit)
	}
}
