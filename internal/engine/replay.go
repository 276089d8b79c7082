package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/hookflow/hookflow/pkg/backend"
)

// Replay runs fn against a recorded history without a backend and reports whether the code
// still matches it: a *NonDeterminismError when a durable call differs, an error when the
// history ends the run differently from what the code does now (a different output, success
// instead of failure). Histories of runs that are still waiting only need to replay cleanly.
func Replay(fn WorkflowFunc, runID string, events []backend.Event) error {
	if fn == nil {
		return invalidf("Replay: nil workflow function")
	}
	if len(events) == 0 || events[0].Type != EventRunCreated {
		return invalidf("Replay: a history starts with a %s event", EventRunCreated)
	}
	var start runCreatedData
	if err := json.Unmarshal(events[0].Data, &start); err != nil {
		return invalidf("Replay: corrupt %s event: %v", EventRunCreated, err)
	}
	var end *backend.Event
	body := events
	if last := events[len(events)-1]; last.Type == EventRunCompleted || last.Type == EventRunFailed || last.Type == EventRunCancelled {
		end, body = &last, events[:len(events)-1]
	}
	e := New(nil, nil, Options{Logger: slog.New(slog.DiscardHandler), CacheSize: -1})
	x := newExecutor(e, backend.Run{ID: runID, Workflow: start.Workflow, Input: start.Input}, fn)
	x.history = body
	defer x.discard()
	for x.abortErr == nil && x.sched.panicked == nil && x.replaying() && (!x.done || x.history[x.cursor].Type == EventHookReceived) {
		x.deliverNext() // after the return, only deliveries dropped as the run ended
		x.runCoroutines()
	}
	if x.done && x.replaying() && x.abortErr == nil {
		x.nonDeterminism(x.history[x.cursor], "the workflow returned")
	}
	if x.abortErr != nil {
		return x.abortErr
	}
	if end == nil || end.Type == EventRunCancelled {
		return nil
	}
	var rec runEndData
	if err := json.Unmarshal(end.Data, &rec); err != nil {
		return fmt.Errorf("hookflow: corrupt %s event: %w", end.Type, err)
	}
	if kind := recordedKind(rec.Error); kind == "nondeterminism" || kind == "panic" {
		return nil // the recorded run failed on old code; nothing to compare
	}
	switch {
	case x.sched.panicked != nil:
		return fmt.Errorf("hookflow: replay of run %s: workflow code now panics: %w", runID, x.sched.panicked)
	case !x.done:
		return fmt.Errorf("hookflow: replay of run %s: history ends with %s but the workflow is still waiting", runID, end.Type)
	case end.Type == EventRunCompleted && x.outErr != nil:
		return fmt.Errorf("hookflow: replay of run %s: history completed but the workflow now fails: %v", runID, x.outErr)
	case end.Type == EventRunCompleted && !jsonEqual(x.output, rec.Output):
		return fmt.Errorf("hookflow: replay of run %s: output differs: recorded %s, now %s", runID, rec.Output, x.output)
	case end.Type == EventRunFailed && x.outErr == nil:
		return fmt.Errorf("hookflow: replay of run %s: history failed but the workflow now completes", runID)
	}
	return nil
}

func recordedKind(raw json.RawMessage) string {
	var rec errorRecord
	_ = json.Unmarshal(raw, &rec)
	return rec.Kind
}

func jsonEqual(a, b []byte) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}
