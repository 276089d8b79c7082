package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. pkg/workflow re-exports them under the same names.
var (
	ErrHookNotFound    = errors.New("hookflow: hook not found")
	ErrHookDisposed    = errors.New("hookflow: hook disposed")
	ErrTimeout         = errors.New("hookflow: timed out")
	ErrRunNotFound     = errors.New("hookflow: run not found")
	ErrNonDeterminism  = errors.New("hookflow: non-deterministic workflow")
	ErrPayloadTooLarge = errors.New("hookflow: payload too large")
	ErrRunCancelled    = errors.New("hookflow: run cancelled")
	ErrRunEnded        = errors.New("hookflow: run has ended")
	ErrNotRegistered   = errors.New("hookflow: workflow not registered")
	ErrWorkflowPanic   = errors.New("hookflow: workflow panicked")
	ErrInvalidArgument = errors.New("hookflow: invalid argument")
)

// sentinels maps the persisted kind of an error to its sentinel, so errors read back from
// history still match with errors.Is.
var sentinels = []struct {
	kind string
	err  error
}{
	{"hook_not_found", ErrHookNotFound},
	{"hook_disposed", ErrHookDisposed},
	{"timeout", ErrTimeout},
	{"run_not_found", ErrRunNotFound},
	{"payload_too_large", ErrPayloadTooLarge},
	{"cancelled", ErrRunCancelled},
	{"run_ended", ErrRunEnded},
	{"not_registered", ErrNotRegistered},
	{"panic", ErrWorkflowPanic},
	{"invalid_argument", ErrInvalidArgument},
}

func sentinelOf(kind string) error {
	for _, s := range sentinels {
		if s.kind == kind {
			return s.err
		}
	}
	return nil
}

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
// message; when the original matched one of the package's sentinels, it still does.
type RecordedError struct {
	Message  string
	sentinel error
}

func (e *RecordedError) Error() string { return e.Message }

// Unwrap returns the sentinel the original error matched, if any.
func (e *RecordedError) Unwrap() error { return e.sentinel }

// fatalError marks an error that must not be retried.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

// Fatal wraps err so that the step that returns it is not retried.
func Fatal(err error) error {
	if err == nil {
		err = errors.New("fatal error")
	}
	return &fatalError{err}
}

// retryAfterError asks for the next attempt after a given delay.
type retryAfterError struct {
	err   error
	delay time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// RetryAfter wraps err so that the step is retried after d instead of the backoff delay.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		err = errors.New("retry requested")
	}
	return &retryAfterError{err: err, delay: max(d, 0)}
}

// errorRecord is the persisted form of an error.
type errorRecord struct {
	Message  string        `json:"message"`
	Kind     string        `json:"kind,omitempty"`
	Step     string        `json:"step,omitempty"`
	Attempts int           `json:"attempts,omitempty"`
	Cause    *errorRecord  `json:"cause,omitempty"`
	NonDet   *nonDetRecord `json:"nondeterminism,omitempty"`
	Token    string        `json:"token,omitempty"`
	RunID    string        `json:"runId,omitempty"`
	Issues   []string      `json:"issues,omitempty"`
}

type nonDetRecord struct {
	RunID    string `json:"runId"`
	Position int    `json:"position"`
	Recorded string `json:"recorded"`
	Current  string `json:"current"`
}

func toRecord(err error) *errorRecord {
	if err == nil {
		return nil
	}
	rec := &errorRecord{Message: err.Error()}
	var (
		stepErr  *StepError
		nonDet   *NonDeterminismError
		conflict *HookConflictError
		invalid  *ValidationError
	)
	switch {
	case errors.As(err, &stepErr):
		rec.Kind, rec.Step, rec.Attempts, rec.Cause = "step", stepErr.Step, stepErr.Attempts, toRecord(stepErr.Err)
	case errors.As(err, &nonDet):
		rec.Kind = "nondeterminism"
		rec.NonDet = &nonDetRecord{nonDet.RunID, nonDet.Position, nonDet.Recorded, nonDet.Current}
	case errors.As(err, &conflict):
		rec.Kind, rec.Token, rec.RunID = "hook_conflict", conflict.Token, conflict.RunID
	case errors.As(err, &invalid):
		rec.Kind, rec.Issues = "validation", invalid.Issues
	default:
		for _, s := range sentinels {
			if errors.Is(err, s.err) {
				rec.Kind = s.kind
				break
			}
		}
	}
	return rec
}

func fromRecord(rec *errorRecord) error {
	if rec == nil {
		return nil
	}
	switch rec.Kind {
	case "step":
		return &StepError{Step: rec.Step, Attempts: rec.Attempts, Err: fromRecord(rec.Cause)}
	case "nondeterminism":
		if n := rec.NonDet; n != nil {
			return &NonDeterminismError{RunID: n.RunID, Position: n.Position, Recorded: n.Recorded, Current: n.Current}
		}
	case "hook_conflict":
		return &HookConflictError{Token: rec.Token, RunID: rec.RunID}
	case "validation":
		return &ValidationError{Issues: rec.Issues}
	}
	return &RecordedError{Message: rec.Message, sentinel: sentinelOf(rec.Kind)}
}

// EncodeError returns the persisted form of err (nil for nil).
func EncodeError(err error) json.RawMessage {
	if err == nil {
		return nil
	}
	b, _ := json.Marshal(toRecord(err)) // a record of strings and ints always marshals
	return b
}

// DecodeError reads an error written by EncodeError. Malformed input gives a RecordedError
// carrying the raw text, so that no stored failure is ever hidden.
func DecodeError(raw json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	var rec errorRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return &RecordedError{Message: string(raw)}
	}
	return fromRecord(&rec)
}
