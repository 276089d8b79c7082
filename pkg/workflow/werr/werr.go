// Package werr is hookflow's error vocabulary: the sentinels matched with errors.Is and the
// error types matched with errors.As. pkg/workflow re-exports every one of them under the
// same name (workflow.ErrHookNotFound, *workflow.ValidationError, ...): use those. The
// vocabulary lives here so that the engine, which creates these errors and reads them back
// from history, and the SDK share one definition that go doc shows in full.
package werr

import (
	"errors"
	"fmt"
)

// Sentinel errors. pkg/workflow re-exports them under the same names, where each is
// documented.
var (
	ErrHookNotFound     = errors.New("hookflow: hook not found")
	ErrHookDisposed     = errors.New("hookflow: hook disposed")
	ErrTimeout          = errors.New("hookflow: timed out")
	ErrRunNotFound      = errors.New("hookflow: run not found")
	ErrNonDeterminism   = errors.New("hookflow: non-deterministic workflow")
	ErrPayloadTooLarge  = errors.New("hookflow: payload too large")
	ErrRunCancelled     = errors.New("hookflow: run cancelled")
	ErrRunEnded         = errors.New("hookflow: run has ended")
	ErrRunNotEnded      = errors.New("hookflow: run has not ended")
	ErrNotRegistered    = errors.New("hookflow: workflow not registered")
	ErrWorkflowPanic    = errors.New("hookflow: workflow panicked")
	ErrInvalidArgument  = errors.New("hookflow: invalid argument")
	ErrDeliveryNotFound = errors.New("hookflow: delivery not found")
)

// NonDeterminismError reports that workflow code, replayed against its history, made a
// different durable call than the one recorded at Position.
type NonDeterminismError struct {
	RunID    string
	Position int    // the Seq of the history event that did not match (0: past the end)
	Recorded string // what history holds there
	Current  string // what the workflow did instead
}

func (e *NonDeterminismError) Error() string {
	return fmt.Sprintf("hookflow: non-deterministic workflow: run %s, history position %d: recorded %s, current code %s",
		e.RunID, e.Position, e.Recorded, e.Current)
}

// Is makes errors.Is(err, ErrNonDeterminism) true.
func (e *NonDeterminismError) Is(target error) bool { return target == ErrNonDeterminism }

// HookConflictError reports a hook token already held by another live run.
type HookConflictError struct {
	Token string
	RunID string // the run that holds the token
}

func (e *HookConflictError) Error() string {
	return fmt.Sprintf("hookflow: hook token %q is held by run %s", e.Token, e.RunID)
}

// ValidationError reports a payload rejected by a hook's schema or Validate function.
type ValidationError struct {
	Issues []string
}

func (e *ValidationError) Error() string {
	if len(e.Issues) == 1 {
		return "hookflow: invalid payload: " + e.Issues[0]
	}
	return fmt.Sprintf("hookflow: invalid payload: %d issues: %q", len(e.Issues), e.Issues)
}

// StepError is what a workflow gets from a step that failed for good: retries exhausted, or a
// Fatal error. Err is the step's last error as recorded in history.
type StepError struct {
	Step     string
	Attempts int
	Err      error
}

func (e *StepError) Error() string {
	s := "s"
	if e.Attempts == 1 {
		s = ""
	}
	return fmt.Sprintf("step %q failed after %d attempt%s: %v", e.Step, e.Attempts, s, e.Err)
}

// Unwrap returns the recorded cause.
func (e *StepError) Unwrap() error { return e.Err }

// RecordedError is an error read back from history. Its message is the original error's
// message; when the original matched one of the sentinels of this package, it still does.
type RecordedError struct {
	Message  string
	sentinel error
}

// Recorded returns the error read back from history with message, matching sentinel (nil:
// none). The engine calls it; workflow code has no use for it.
func Recorded(message string, sentinel error) *RecordedError {
	return &RecordedError{Message: message, sentinel: sentinel}
}

func (e *RecordedError) Error() string { return e.Message }

// Unwrap returns the sentinel the original error matched, if any.
func (e *RecordedError) Unwrap() error { return e.sentinel }
