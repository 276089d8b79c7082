package workflow

// Versioning says what becomes of a workflow's runs in flight when its code changes.
type Versioning uint8

const (
	// PinRuns keeps each run on the version of the code that started it, where the host runs
	// several versions (WorkerOptions.CodeVersion and Forward: on AWS, the runner Lambda's
	// published versions, which the CDK construct keeps while they have runs). New runs take
	// the new code. It is the default, and suits runs that wait long. An unversioned host
	// (the embedded worker, a runner without published versions) runs every run on the code
	// it has.
	PinRuns Versioning = iota
	// MoveRuns moves runs to the new code at their next turn; a change that would break them
	// goes behind Patched. It suits short runs and fixes that must reach runs in flight.
	MoveRuns
)

// WithVersioning returns w with runs handled as v says when the code changes (PinRuns by
// default). Call it where w is defined:
//
//	var Digest = workflow.Define("digest", digest).WithVersioning(workflow.MoveRuns)
func (w *Workflow[In, Out]) WithVersioning(v Versioning) *Workflow[In, Out] {
	if w == nil {
		return nil
	}
	cp := *w
	cp.moving = v == MoveRuns
	return &cp
}

func (w *Workflow[In, Out]) versioning() Versioning {
	if w != nil && w.moving {
		return MoveRuns
	}
	return PinRuns
}
