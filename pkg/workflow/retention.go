package workflow

import (
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
