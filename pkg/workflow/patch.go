package workflow

import "github.com/hookflow/hookflow/internal/engine"

// Patched reports whether the run takes the new code path of a change to the workflow, named
// by id, so that runs started before the change keep the old path while new runs take the
// new one:
//
//	if workflow.Patched(ctx, "charge-v2") {
//		_, err = workflow.Step(ctx, "charge-v2", chargeWithTax)
//	} else {
//		_, err = workflow.Step(ctx, "charge", charge)
//	}
//
// A run that reaches the call on code that has it takes the new path and records a marker
// (patch_applied) the first time; a run whose history was recorded before the change, and so
// holds no marker at that point, gets false. The first answer holds for the rest of the run:
// every call with the same id agrees, before and after a wait. ReplayHistory accepts the
// histories of both kinds of run. When no run older than the change is left, replace the
// branch with DeprecatePatch and the new path. An empty id fails the run's turn with
// ErrInvalidArgument.
func Patched(ctx Context, id string) bool { return engine.Patched(ctxOf(ctx), id) }

// DeprecatePatch replaces a Patched branch once every run that is left takes the new path:
// it consumes the marker a run recorded at this point, if any, and records none. Once no run
// that recorded the marker is left either, remove the call.
//
//	workflow.DeprecatePatch(ctx, "charge-v2")
//	_, err = workflow.Step(ctx, "charge-v2", chargeWithTax)
func DeprecatePatch(ctx Context, id string) { engine.DeprecatePatch(ctxOf(ctx), id) }
