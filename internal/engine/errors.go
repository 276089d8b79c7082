package engine

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/hookflow/hookflow/pkg/workflow/werr"
)

// sentinels maps the persisted kind of an error to its sentinel, so errors read back from
// history still match with errors.Is.
var sentinels = []struct {
	kind string
	err  error
}{
	{"hook_not_found", werr.ErrHookNotFound},
	{"hook_disposed", werr.ErrHookDisposed},
	{"timeout", werr.ErrTimeout},
	{"run_not_found", werr.ErrRunNotFound},
	{"payload_too_large", werr.ErrPayloadTooLarge},
	{"cancelled", werr.ErrRunCancelled},
	{"run_ended", werr.ErrRunEnded},
	{"run_not_ended", werr.ErrRunNotEnded},
	{"not_registered", werr.ErrNotRegistered},
	{"panic", werr.ErrWorkflowPanic},
	{"invalid_argument", werr.ErrInvalidArgument},
}

func sentinelOf(kind string) error {
	for _, s := range sentinels {
		if s.kind == kind {
			return s.err
		}
	}
	return nil
}

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
		stepErr  *werr.StepError
		nonDet   *werr.NonDeterminismError
		conflict *werr.HookConflictError
		invalid  *werr.ValidationError
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
		return &werr.StepError{Step: rec.Step, Attempts: rec.Attempts, Err: fromRecord(rec.Cause)}
	case "nondeterminism":
		if n := rec.NonDet; n != nil {
			return &werr.NonDeterminismError{RunID: n.RunID, Position: n.Position, Recorded: n.Recorded, Current: n.Current}
		}
	case "hook_conflict":
		return &werr.HookConflictError{Token: rec.Token, RunID: rec.RunID}
	case "validation":
		return &werr.ValidationError{Issues: rec.Issues}
	}
	return werr.Recorded(rec.Message, sentinelOf(rec.Kind))
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
		return werr.Recorded(string(raw), nil)
	}
	return fromRecord(&rec)
}
