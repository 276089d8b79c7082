package engine

import (
	"context"
	"fmt"

	"github.com/hookflow/hookflow/pkg/backend"
)

// Pinning keeps a run on the code that started it. A versioned engine (Options.CodeVersion)
// records its version on the run with the first commit of every run of a pinned workflow
// (backend.Run.CodeVersion); from then on, an engine of another version does not turn that
// run but forwards its wakes to the pinned version (Options.Forward: on AWS the runner
// invokes that published version of itself). Workflows are pinned unless registered as
// moving (SetMoving): their runs move to new code at their next turn, and changes that would
// break them go behind Patched. An unversioned engine (embedded, or a runner without
// published versions) pins nothing and runs every run.

// SetMoving registers whether the runs of workflow name move to new code (true) or stay on
// the version that started them (false, the default).
func (r *Registry) SetMoving(name string, moving bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.moving == nil {
		r.moving = map[string]bool{}
	}
	r.moving[name] = moving
}

// Pinned reports whether the runs of workflow name stay on the code version that started them.
func (r *Registry) Pinned(name string) bool {
	if r == nil {
		return false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return !r.moving[name]
}

// pinFor returns the code version a commit of run pins it to: the engine's, for a run of a
// pinned workflow that has none yet.
func (e *Engine) pinFor(run backend.Run) string {
	if run.CodeVersion != "" || e.opts.CodeVersion == "" || !e.reg.Pinned(run.Workflow) {
		return ""
	}
	return e.opts.CodeVersion
}

// pinnedElsewhere reports whether run belongs to another version of the code than this
// engine's.
func (e *Engine) pinnedElsewhere(run backend.Run) bool {
	return run.CodeVersion != "" && e.opts.CodeVersion != "" && run.CodeVersion != e.opts.CodeVersion &&
		e.reg.Pinned(run.Workflow)
}

// forward hands a wake of a run pinned to another version to that version.
func (e *Engine) forward(ctx context.Context, run backend.Run) error {
	if e.opts.Forward == nil {
		return fmt.Errorf("hookflow: run %s is pinned to code version %s, and this worker (version %s) cannot forward it",
			run.ID, run.CodeVersion, e.opts.CodeVersion)
	}
	if err := e.opts.Forward(ctx, run.ID, run.CodeVersion); err != nil {
		return fmt.Errorf("hookflow: forwarding a wake of run %s to code version %s: %w", run.ID, run.CodeVersion, err)
	}
	e.stats.forwarded.Add(1)
	return nil
}
