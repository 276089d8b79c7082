package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A run counts as hot when this client delivered to it within hotWindow before; the memory
// of runs stays bounded.
func TestRecentRuns(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	r := newRecentRuns(func() time.Time { return now })
	require.False(t, r.touch("a"), "a first delivery")
	now = now.Add(hotWindow - time.Millisecond)
	require.True(t, r.touch("a"), "close behind the first")
	require.False(t, r.touch("b"), "another run")
	now = now.Add(hotWindow)
	require.False(t, r.touch("a"), "past the window")

	for i := range 2 * hotRunsLimit {
		r.touch(fmt.Sprint("run-", i))
		require.LessOrEqual(t, len(r.last), hotRunsLimit)
	}
	now = now.Add(hotWindow)
	r.touch("late")
	require.Len(t, r.last, 1, "runs past the window go first")
}
