package workflow

import (
	"time"

	"github.com/hookflow/hookflow/internal/engine"
)

// Errors. Errors stored in history (a step's or a run's failure) still match these with
// errors.Is and errors.As after they are read back.
var (
	// ErrHookNotFound: unknown token, disposed hook, or ended run.
	ErrHookNotFound = engine.ErrHookNotFound
	// ErrHookDisposed: the hook was disposed by its workflow.
	ErrHookDisposed = engine.ErrHookDisposed
	// ErrTimeout: a receive or a step attempt ran past its timeout.
	ErrTimeout = engine.ErrTimeout
	// ErrRunNotFound: no run has that ID.
	ErrRunNotFound = engine.ErrRunNotFound
	// ErrNonDeterminism: the workflow code no longer matches a run's history;
	// *NonDeterminismError matches it with errors.Is.
	ErrNonDeterminism = engine.ErrNonDeterminism
	// ErrPayloadTooLarge: a payload is above the documented limit; nothing was stored.
	ErrPayloadTooLarge = engine.ErrPayloadTooLarge
	// ErrRunCancelled: Run.Result of a run stopped by CancelRun.
	ErrRunCancelled = engine.ErrRunCancelled
	// ErrRunEnded: the run has completed or failed already (CancelRun).
	ErrRunEnded = engine.ErrRunEnded
	// ErrNotRegistered: no workflow of that name is registered with the worker.
	ErrNotRegistered = engine.ErrNotRegistered
	// ErrWorkflowPanic: workflow code panicked; the run failed with the panic and its stack.
	ErrWorkflowPanic = engine.ErrWorkflowPanic
	// ErrInvalidArgument: a call was given bad input (an empty name, a nil function, a value
	// that cannot be serialized); nothing was stored.
	ErrInvalidArgument = engine.ErrInvalidArgument
)

// HookConflictError reports a hook token already held by another live run; RunID is that run.
type HookConflictError = engine.HookConflictError

// ValidationError reports a payload rejected by a hook's schema or Validate function.
type ValidationError = engine.ValidationError

// NonDeterminismError reports a durable call that differs from the one recorded at Position
// of the run's history. The run fails with it.
type NonDeterminismError = engine.NonDeterminismError

// StepError is the error a workflow gets from a step that failed for good (retries exhausted
// or a Fatal error); Err is the step's last error as recorded, and errors.Is/As see through it.
type StepError = engine.StepError

// RecordedError is an error read back from history: the original message, still matching the
// package's sentinels with errors.Is when the original did.
type RecordedError = engine.RecordedError

// Fatal marks err as permanent: the step that returns it is not retried.
func Fatal(err error) error { return engine.Fatal(err) }

// RetryAfter asks for the step's next attempt after d instead of the backoff delay.
func RetryAfter(err error, d time.Duration) error { return engine.RetryAfter(err, d) }
