package engine

import (
	"sync"
	"time"
)

// After storing a delivery, the sender wakes the run, unless a runner holds it and will find
// the delivery itself (WakeAfterDelivery). Finding out costs a read of the run record, which
// only pays when the run is likely to be held: when deliveries to it come close together, as
// in a flood into one hot run, where the read replaces a queue message, a runner invocation
// and its own read. A run that receives a delivery now and then is free almost always, so
// the read would only add a call to every delivery. So a client reads the run only when it
// delivered to the same run within hotWindow before; otherwise it sends the wake at once.
// Either way the run is woken unless it was seen held after the delivery was stored: which
// path a delivery takes never loses it, it only decides whether it costs a read or a wake.

// Bounds of the recent-run memory.
const (
	hotWindow    = time.Second
	hotRunsLimit = 4096
)

// recentRuns remembers when this client last delivered to each run.
type recentRuns struct {
	mu   sync.Mutex
	last map[string]time.Time
	now  func() time.Time
}

func newRecentRuns(now func() time.Time) *recentRuns {
	return &recentRuns{last: map[string]time.Time{}, now: now}
}

// touch records a delivery to runID now, and reports whether the previous one was within
// hotWindow.
func (r *recentRuns) touch(runID string) (hot bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	prev, ok := r.last[runID]
	hot = ok && now.Sub(prev) < hotWindow
	if !ok && len(r.last) >= hotRunsLimit {
		r.evict(now)
	}
	r.last[runID] = now
	return hot
}

// evict makes room: it forgets the runs not delivered to within hotWindow, or one run when
// every one of them was.
func (r *recentRuns) evict(now time.Time) {
	for id, at := range r.last {
		if now.Sub(at) >= hotWindow {
			delete(r.last, id)
		}
	}
	if len(r.last) >= hotRunsLimit {
		for id := range r.last {
			delete(r.last, id)
			break
		}
	}
}
