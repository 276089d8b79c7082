package codec

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestKeyCache(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newKeyCache(2)
	c.put("a", []byte("key-a"), now.Add(time.Minute))
	c.put("b", []byte("key-b"), now.Add(time.Minute))

	got, ok := c.get("a", now)
	require.True(t, ok)
	require.Equal(t, []byte("key-a"), got)
	got[0] = 'X'
	got, _ = c.get("a", now)
	require.Equal(t, []byte("key-a"), got, "get returns a copy")

	c.put("c", []byte("key-c"), now.Add(time.Minute)) // evicts b, the least recently used
	require.Equal(t, 2, c.len())
	_, ok = c.get("b", now)
	require.False(t, ok)
	_, ok = c.get("c", now)
	require.True(t, ok)

	c.put("c", []byte("key-c2"), now.Add(2*time.Minute)) // replaces, evicts nothing
	require.Equal(t, 2, c.len())
	got, ok = c.get("c", now.Add(time.Minute))
	require.True(t, ok)
	require.Equal(t, []byte("key-c2"), got)

	_, ok = c.get("a", now.Add(time.Minute))
	require.False(t, ok, "expired")
	require.Equal(t, 1, c.len(), "an expired key is dropped when found")
}
