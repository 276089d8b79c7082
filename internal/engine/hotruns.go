package engine

import (
	"sync"
	"time"
)

// After storing a delivery, the sender wakes the run, unless a runner holds it and will find
// the delivery itself (WakeAfterDelivery). Finding out costs a read of the run record, which
// only pays when the run is likely to be held: in a flood into one hot run the read replaces
// a queue message, a runner invocation and its own read; for a run that a delivery finds free
// it only adds a call. So a client reads the run only for a run it delivered to within
// hotWindow before, and backs off when reads find the run free: after such a read it skips
// the next 1, 2, 4, ... up to maxHotSkip deliveries' reads, and a read that finds the run held
// starts over. A steady stream into a run that is turned between deliveries then costs a
// read for one delivery in maxHotSkip+1, and a flood into a held run one read each and no
// wakes. Whichever path a delivery takes, the run is woken unless it was seen held after the
// delivery was stored: the choice decides what a delivery costs, never whether it is lost.

// Bounds of the recent-run memory.
const (
	hotWindow    = time.Second
	maxHotSkip   = 16
	hotRunsLimit = 4096
)

// recentRun is what a client remembers of its deliveries to one run.
type recentRun struct {
	last    time.Time // the last delivery
	skip    int       // deliveries left whose read is skipped
	backoff int       // the skip after the next read that finds the run free
}

// recentRuns remembers the runs this client delivered to lately.
type recentRuns struct {
	mu   sync.Mutex
	runs map[string]*recentRun
	now  func() time.Time
}

func newRecentRuns(now func() time.Time) *recentRuns {
	return &recentRuns{runs: map[string]*recentRun{}, now: now}
}

// touch records a delivery to runID now, and reports whether its wake should first read
// whether the run is held: the previous delivery was within hotWindow and no back-off skips
// this one.
func (r *recentRuns) touch(runID string) (check bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	e, ok := r.runs[runID]
	if !ok || now.Sub(e.last) >= hotWindow {
		if !ok && len(r.runs) >= hotRunsLimit {
			r.evict(now)
		}
		r.runs[runID] = &recentRun{last: now, backoff: 1}
		return false
	}
	e.last = now
	if e.skip > 0 {
		e.skip--
		return false
	}
	return true
}

// found records what a read of the run found: held resets the back-off; free skips the
// next reads, twice as many as the last time, up to maxHotSkip.
func (r *recentRuns) found(runID string, held bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.runs[runID]
	if !ok {
		return
	}
	if held {
		e.skip, e.backoff = 0, 1
		return
	}
	e.skip, e.backoff = e.backoff, min(2*e.backoff, maxHotSkip)
}

// evict makes room: it forgets the runs not delivered to within hotWindow, or one run when
// every one of them was.
func (r *recentRuns) evict(now time.Time) {
	for id, e := range r.runs {
		if now.Sub(e.last) >= hotWindow {
			delete(r.runs, id)
		}
	}
	if len(r.runs) >= hotRunsLimit {
		for id := range r.runs {
			delete(r.runs, id)
			break
		}
	}
}
