package engine

import (
	"encoding/json"
	"fmt"
	"time"
)

type timerState struct {
	id     string
	name   string
	due    time.Time
	fired  bool
	future *Future
}

// NewTimer starts a durable timer that fires d after the call (d <= 0 fires at once, without
// touching history). name is informational ("sleep", "timer").
func NewTimer(c *Ctx, name string, d time.Duration) *Future {
	if err := c.enter(); err != nil {
		return failed(c, err)
	}
	if d <= 0 {
		return resolvedNow(c)
	}
	return startTimer(c, name, func(now time.Time) time.Time { return now.Add(d) })
}

// TimerUntil starts a durable timer that fires at t (at once if t is not after Now).
func TimerUntil(c *Ctx, name string, t time.Time) *Future {
	if err := c.enter(); err != nil {
		return failed(c, err)
	}
	if !t.After(c.x.now) {
		return resolvedNow(c)
	}
	return startTimer(c, name, func(time.Time) time.Time { return t.UTC() })
}

func resolvedNow(c *Ctx) *Future {
	f := c.x.newFuture()
	f.resolve(struct{}{}, nil)
	return f
}

// startTimer records timer_created (live) or reads it back (replay). The due time is
// computed from the wall clock when first recorded, then always read from history.
func startTimer(c *Ctx, name string, due func(now time.Time) time.Time) *Future {
	return newTimer(c, name, due).future
}

func newTimer(c *Ctx, name string, due func(now time.Time) time.Time) *timerState {
	x := c.x
	t := &timerState{id: x.nextCommandID("t"), name: name, future: x.newFuture()}
	ev, replayed := x.command(t.id, name, fmt.Sprintf("timer %s %q", t.id, name), EventTimerCreated)
	if !replayed {
		ev = x.record(EventTimerCreated, t.id, timerData{Name: name, Due: due(x.eng.clock.Now().UTC())})
	}
	var d timerData
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		x.fail(fmt.Errorf("hookflow: run %s: corrupt timer_created event %d: %w", x.runID, ev.Seq, err))
		return t
	}
	t.due = d.Due
	x.byID[t.id] = t
	x.timers = append(x.timers, t)
	return t
}

func (x *executor) fireTimer(t *timerState) {
	t.fired = true
	for i, o := range x.timers {
		if o == t {
			x.timers = append(x.timers[:i], x.timers[i+1:]...)
			break
		}
	}
	t.future.resolve(struct{}{}, nil)
}

// nextDueTimer returns the unfired timer with the earliest due time not after now (ties: the
// one created first).
func (x *executor) nextDueTimer(now time.Time) *timerState {
	var best *timerState
	for _, t := range x.timers {
		if !t.due.After(now) && (best == nil || t.due.Before(best.due)) {
			best = t
		}
	}
	return best
}

// nextWake returns when the run next has something to do on its own: the earliest timer or
// retry, or zero.
func (x *executor) nextWake() time.Time {
	var at time.Time
	for _, t := range x.timers {
		if at.IsZero() || t.due.Before(at) {
			at = t.due
		}
	}
	for _, st := range x.steps {
		r := st.retryAt
		if r.IsZero() {
			r = x.eng.clock.Now().UTC()
		}
		if at.IsZero() || r.Before(at) {
			at = r
		}
	}
	return at
}
