package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A run is read before its wake only when this client delivered to it within hotWindow
// before; reads that find it free back off (1, 2, 4, ... up to maxHotSkip deliveries), one
// that finds it held starts over. The memory of runs stays bounded.
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

	// Reads that find the run free: skip 1, then 2, 4, 8, 16, 16.
	var pattern []bool
	for range 60 {
		check := r.touch("a")
		pattern = append(pattern, check)
		if check {
			r.found("a", false)
		}
	}
	var gaps []int
	gap := 0
	for _, check := range pattern {
		if check {
			gaps = append(gaps, gap)
			gap = 0
			continue
		}
		gap++
	}
	require.Equal(t, []int{0, 1, 2, 4, 8, 16, 16}, gaps, "deliveries skipped between reads")

	// A read that finds the run held: every delivery reads again.
	for r.touch("a") == false {
	}
	r.found("a", true)
	for range 5 {
		require.True(t, r.touch("a"))
		r.found("a", true)
	}

	for i := range 2 * hotRunsLimit {
		r.touch(fmt.Sprint("run-", i))
		require.LessOrEqual(t, len(r.runs), hotRunsLimit)
	}
	now = now.Add(hotWindow)
	r.touch("late")
	require.Len(t, r.runs, 1, "runs past the window go first")
}
