package workflow

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hookflow/hookflow/internal/engine"
)

// DefaultRetention is how long a run is kept after it ends when neither WorkerOptions nor the
// workflow says otherwise.
const DefaultRetention = engine.DefaultRetention

// KeepForever, as a retention, keeps ended runs until they are deleted on request
// (Client.DeleteRun).
const KeepForever = engine.KeepForever

// WithRetention returns w with its own retention: how long its runs are kept after they end
// before they are deleted with their history (d > 0), or KeepForever. It overrides
// WorkerOptions.Retention for this workflow. Call it where w is defined:
//
//	var Signup = workflow.Define("signup", signup).WithRetention(7 * 24 * time.Hour)
func (w *Workflow[In, Out]) WithRetention(d time.Duration) *Workflow[In, Out] {
	if w == nil {
		return nil
	}
	cp := *w
	cp.retain = d
	return &cp
}

func (w *Workflow[In, Out]) retention() time.Duration {
	if w == nil {
		return 0
	}
	return w.retain
}

// ParseRetention reads a retention period as configuration spells it: a Go duration
// ("720h"), a whole number of days ("30d"), or "forever" (KeepForever). It must be positive.
func ParseRetention(v string) (time.Duration, error) {
	if v == "forever" {
		return KeepForever, nil
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 100*365 {
			return 0, fmt.Errorf("%w: retention %q: want a whole number of days from 1 to 36500 (30d), a duration (720h), or forever", ErrInvalidArgument, v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%w: retention %q: want a positive duration (720h), a number of days (30d), or forever", ErrInvalidArgument, v)
	}
	return d, nil
}
