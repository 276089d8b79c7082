package faults

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
)

// Invariant names, as failures and the matrix summary report them.
const (
	invResult    = "result"         // the run ended with the expected result
	invLost      = "lost delivery"  // a delivery a caller saw accepted is not in history
	invDuplicate = "duplicate"      // a delivery is in history more than once
	invRefused   = "refused stored" // a delivery the caller saw refused is in history
	invStep      = "step"           // a step's completion is not recorded exactly once
	invResponse  = "response"       // a manual caller's answer, or a delivery answered twice
	invDue       = "left due"       // an ended run is still listed by ListDue
	invToken     = "token held"     // an ended run still holds a token
	invInbox     = "inbox left"     // an ended run still has inbox items
	invStalled   = "stalled"        // the scenario did not get to its next step
	invCall      = "call failed"    // a caller's call failed with an error that is not a fault
	invEnded     = "not ended"      // the run is not in a terminal status
)

// farFuture is how far ahead ListDue looks for an ended run that is still due.
const farFuture = 100 * 365 * 24 * time.Hour

// violate records a broken invariant; the cell fails at the end with all of them.
func (h *harness) violate(kind, format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.violations = append(h.violations, kind+": "+fmt.Sprintf(format, args...))
}

// fatal records a broken invariant and stops the cell.
func (h *harness) fatal(kind, format string, args ...any) {
	h.t.Helper()
	h.violate(kind, format, args...)
	h.t.Fatalf("%s: %s\n%s", kind, fmt.Sprintf(format, args...), h.dump())
}

// expectResult checks a run's result.
func (h *harness) expectResult(got, want any, err, wantErr error) {
	switch {
	case wantErr == nil && err != nil:
		h.violate(invResult, "the run failed: %v", err)
	case wantErr != nil && !errors.Is(err, wantErr):
		h.violate(invResult, "the run ended with %v, want %v", err, wantErr)
	case wantErr == nil && !reflect.DeepEqual(got, want):
		h.violate(invResult, "the run returned %#v, want %#v", got, want)
	}
}

// checkInvariants checks, on the settled system, everything that must hold after any one
// fault and its recovery, and fails the cell with every violation at once.
func (h *harness) checkInvariants() {
	h.t.Helper()
	if violations := h.verify(); len(violations) > 0 {
		h.t.Fatalf("invariants broken:\n  %s\n%s", strings.Join(violations, "\n  "), h.dump())
	}
}

// verify checks the invariants and returns every violation recorded so far.
func (h *harness) verify() []string {
	for _, id := range h.runIDs() {
		h.checkRun(id)
	}
	for _, c := range h.callerList() {
		if c.got != c.want {
			h.violate(invResponse, "manual caller %s got %d %q, want %d %q", c.key, c.got.status, c.got.body, c.want.status, c.want.body)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.violations)
}

// tally is what the invariants count in a run's history.
type tally struct {
	byKey, byID map[string]int // hook_received, by the caller's key and by delivery ID
	steps       map[string]int // step_completed, by correlation ID
	stepNames   map[string]int // step_completed, by step name
	responses   map[string]int // response_sent, by delivery ID
	unreadable  []int64        // sequence numbers of events whose data does not decode
}

// count tallies a run's history.
func count(evs []backend.Event) tally {
	t := tally{
		byKey: map[string]int{}, byID: map[string]int{}, steps: map[string]int{},
		stepNames: map[string]int{}, responses: map[string]int{},
	}
	for _, ev := range evs {
		var d struct {
			Name       string          `json:"name"`
			DeliveryID string          `json:"deliveryId"`
			Payload    json.RawMessage `json:"payload"`
		}
		switch ev.Type {
		case "hook_received", "step_completed", "response_sent":
			if json.Unmarshal(ev.Data, &d) != nil {
				t.unreadable = append(t.unreadable, ev.Seq)
				continue
			}
		}
		switch ev.Type {
		case "hook_received":
			t.byKey[deliveryKey(d.Payload)]++
			t.byID[d.DeliveryID]++
		case "step_completed":
			t.steps[ev.CorrelationID]++
			t.stepNames[d.Name]++
		case "response_sent":
			t.responses[d.DeliveryID]++
		}
	}
	return t
}

// deliveryKey returns the caller's key of a delivery's payload: a hook payload's key, or a
// webhook request's X-Delivery header.
func deliveryKey(payload json.RawMessage) string {
	var p struct {
		Key    string              `json:"key"`
		Header map[string][]string `json:"header"`
	}
	if json.Unmarshal(payload, &p) != nil {
		return ""
	}
	if p.Key != "" {
		return p.Key
	}
	if v := p.Header["X-Delivery"]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// checkRun checks the invariants of one run.
func (h *harness) checkRun(runID string) {
	run, err := h.st.b.GetRun(h.ctx, runID)
	if err != nil {
		h.violate(invEnded, "run %s: %v", runID, err)
		return
	}
	if !run.Status.Terminal() {
		h.violate(invEnded, "run %s is %s", runID, run.Status)
	}
	evs, err := h.st.b.ListEvents(h.ctx, runID, 0)
	if err != nil {
		h.violate(invEnded, "history of run %s: %v", runID, err)
		return
	}
	t := count(evs)
	for _, seq := range t.unreadable {
		h.violate(invEnded, "run %s: event %d is not readable", runID, seq)
	}
	h.checkDeliveries(runID, t)
	h.checkSteps(runID, t)
	for id, n := range t.responses {
		if n > 1 {
			h.violate(invResponse, "delivery %s answered %d times", id, n)
		}
	}
	if run.Status.Terminal() {
		h.checkEnded(run)
	}
}

// checkDeliveries: every delivery a caller saw accepted is in history, none twice, and none
// that a caller saw refused.
func (h *harness) checkDeliveries(runID string, t tally) {
	h.mu.Lock()
	accepted, refused := slices.Clone(h.accepted), slices.Clone(h.refused)
	h.mu.Unlock()
	for _, c := range h.callerList() {
		if c.runID == runID && accepts(c.got.status) {
			accepted = append(accepted, delivery{runID: runID, key: c.key})
		}
	}
	for _, d := range accepted {
		switch {
		case d.runID != runID:
		case t.byKey[d.key] == 0:
			h.violate(invLost, "accepted delivery %s is not in history", d.key)
		case d.deliveryID != "" && t.byID[d.deliveryID] == 0:
			h.violate(invLost, "accepted delivery %s is in history under another ID than its caller got (%s)", d.key, d.deliveryID)
		}
	}
	for k, n := range t.byKey {
		if n > 1 {
			h.violate(invDuplicate, "delivery %q is in history %d times", k, n)
		}
	}
	for id, n := range t.byID {
		if n > 1 {
			h.violate(invDuplicate, "delivery ID %s is in history %d times", id, n)
		}
	}
	for _, k := range refused {
		if t.byKey[k] > 0 {
			h.violate(invRefused, "refused delivery %s is in history", k)
		}
	}
}

// checkSteps: no step completion recorded twice, and the scenario's steps once each.
func (h *harness) checkSteps(runID string, t tally) {
	h.mu.Lock()
	want := slices.Clone(h.steps[runID])
	h.mu.Unlock()
	for corr, n := range t.steps {
		if n > 1 {
			h.violate(invStep, "step %s completed %d times", corr, n)
		}
	}
	for _, name := range want {
		if t.stepNames[name] != 1 {
			h.violate(invStep, "step %q completed %d times, want once", name, t.stepNames[name])
		}
	}
}

// checkEnded: an ended run is not due (even in the far future), has an empty inbox and holds
// no token.
func (h *harness) checkEnded(run backend.Run) {
	far := h.nowOf().Add(farFuture)
	due, err := h.st.b.ListDue(h.ctx, backend.DueQuery{DueBefore: far, InboxBefore: far})
	if err != nil {
		h.violate(invDue, "ListDue: %v", err)
	} else if slices.Contains(due, run.ID) {
		h.violate(invDue, "run %s ended (%s) and is still due (due at %v)", run.ID, run.Status, run.DueAt)
	}
	if items, err := h.st.b.ListInbox(h.ctx, run.ID, 0); err == nil && len(items) > 0 {
		h.violate(invInbox, "run %s ended with %d inbox items", run.ID, len(items))
	}
	toks, err := h.st.b.ListTokens(h.ctx, run.ID)
	if err != nil {
		h.violate(invToken, "ListTokens: %v", err)
	}
	for _, tk := range toks {
		h.violate(invToken, "run %s ended and holds token %s", run.ID, tk.Token)
	}
}

// accepts reports whether a manual caller's final answer means its request was stored: any
// answer but 404 (the webhook was gone), 500 (the delivery failed) or none.
func accepts(status int) bool {
	return status != 0 && status != http.StatusNotFound && status != http.StatusInternalServerError
}

// nowOf is the backend's time.
func (h *harness) nowOf() time.Time {
	if h.st.clock != nil {
		return h.st.clock.Now()
	}
	return time.Now()
}
