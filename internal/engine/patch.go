package engine

import "fmt"

// Patches let workflow code change while runs wait. A run that calls Patched(id) for the
// first time records a patch_applied marker and takes the new path, unless it is replaying
// history recorded before the patch existed: there, the marker is missing where the call is
// made, and the run keeps the old path. Either answer is kept for the rest of the run, so
// every call with the same ID agrees. Markers are matched by the patch ID alone (their
// correlation ID is "patch:" and the ID), and draw no command number, so an old run numbers
// its steps, timers and hooks as it always did.

// patchData is the data of a patch_applied event.
type patchData struct {
	Name string `json:"name"`
}

func patchCorrelation(id string) string { return "patch:" + id }

// Patched reports whether the run takes the new code path of patch id: true for runs that
// reach the call on code that has it (recording a marker the first time), false for runs
// whose history was recorded before, at this point, without the marker. An empty ID fails
// the turn with ErrInvalidArgument.
func Patched(c *Ctx, id string) bool {
	if err := c.enter(); err != nil {
		if c != nil && c.x != nil {
			c.x.fail(err)
		}
		return false
	}
	x := c.x
	if id == "" {
		x.fail(invalidf("Patched: empty patch ID"))
		return false
	}
	if applied, ok := x.patches[id]; ok {
		return applied
	}
	applied := true
	if x.replaying() {
		applied = x.takePatchMarker(id)
	} else {
		x.record(EventPatchApplied, patchCorrelation(id), patchData{Name: id})
	}
	x.rememberPatch(id, applied)
	return applied
}

// DeprecatePatch marks patch id as applied by every run that is left: it takes the marker a
// run recorded at this point, if any, and records none. Once no run older than the patch
// remains, replace `if Patched(ctx, id) { new } else { old }` with DeprecatePatch(ctx, id)
// followed by the new path; once no run that recorded the marker remains either, remove the
// call. An empty ID fails the turn with ErrInvalidArgument.
func DeprecatePatch(c *Ctx, id string) {
	if err := c.enter(); err != nil {
		if c != nil && c.x != nil {
			c.x.fail(err)
		}
		return
	}
	x := c.x
	if id == "" {
		x.fail(invalidf("DeprecatePatch: empty patch ID"))
		return
	}
	if _, ok := x.patches[id]; ok {
		return
	}
	if x.replaying() {
		x.takePatchMarker(id)
	}
	x.rememberPatch(id, true)
}

// takePatchMarker consumes the next history event when it is patch id's marker.
func (x *executor) takePatchMarker(id string) bool {
	ev := x.history[x.cursor]
	if ev.Type != EventPatchApplied || ev.CorrelationID != patchCorrelation(id) {
		return false
	}
	if name := eventNameOf(ev); name != id {
		x.nonDeterminism(ev, fmt.Sprintf("patch_applied %s %q", patchCorrelation(id), id))
		return false
	}
	x.cursor++
	x.now = ev.CreatedAt
	return true
}

func (x *executor) rememberPatch(id string, applied bool) {
	if x.patches == nil {
		x.patches = map[string]bool{}
	}
	x.patches[id] = applied
}
