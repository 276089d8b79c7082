package workflow

import (
	"time"

	"github.com/hookflow/hookflow/internal/engine"
	"github.com/hookflow/hookflow/pkg/workflow/werr"
)

// Errors. Errors stored in history (a step's or a run's failure) still match these with
// errors.Is and errors.As after they are read back.
var (
	// ErrHookNotFound: unknown token, disposed hook, or ended run.
	ErrHookNotFound = werr.ErrHookNotFound
	// ErrHookDisposed: the hook was disposed by its workflow.
	ErrHookDisposed = werr.ErrHookDisposed
	// ErrTimeout: a receive or a step attempt ran past its timeout.
	ErrTimeout = werr.ErrTimeout
	// ErrRunNotFound: no run has that ID.
	ErrRunNotFound = werr.ErrRunNotFound
	// ErrNonDeterminism: the workflow code no longer matches a run's history;
	// *NonDeterminismError matches it with errors.Is.
	ErrNonDeterminism = werr.ErrNonDeterminism
	// ErrPayloadTooLarge: a payload is above the documented limit; nothing was stored.
	ErrPayloadTooLarge = werr.ErrPayloadTooLarge
	// ErrRunCancelled: Run.Result of a run stopped by CancelRun.
	ErrRunCancelled = werr.ErrRunCancelled
	// ErrRunEnded: the run has completed or failed already (CancelRun).
	ErrRunEnded = werr.ErrRunEnded
	// ErrRunNotEnded: the run has not completed, failed or been cancelled (DeleteRun: cancel
	// it first).
	ErrRunNotEnded = werr.ErrRunNotEnded
	// ErrNotRegistered: no workflow of that name is registered with the worker.
	ErrNotRegistered = werr.ErrNotRegistered
	// ErrWorkflowPanic: workflow code panicked; the run failed with the panic and its stack.
	ErrWorkflowPanic = werr.ErrWorkflowPanic
	// ErrInvalidArgument: a call was given bad input (an empty name, a nil function, a value
	// that cannot be serialized); nothing was stored.
	ErrInvalidArgument = werr.ErrInvalidArgument
	// ErrDeliveryNotFound: the run received no delivery with that ID (ListDeliveries,
	// Redeliver).
	ErrDeliveryNotFound = werr.ErrDeliveryNotFound
)

// HookConflictError reports a hook token already held by another live run; RunID is that run.
type HookConflictError = werr.HookConflictError

// ValidationError reports a payload rejected by a hook's schema or Validate function.
type ValidationError = werr.ValidationError

// NonDeterminismError reports a durable call that differs from the one recorded at Position
// of the run's history. The run fails with it.
type NonDeterminismError = werr.NonDeterminismError

// StepError is the error a workflow gets from a step that failed for good (retries exhausted
// or a Fatal error); Err is the step's last error as recorded, and errors.Is/As see through it.
type StepError = werr.StepError

// RecordedError is an error read back from history: the original message, still matching the
// package's sentinels with errors.Is when the original did.
type RecordedError = werr.RecordedError

// Fatal marks err as permanent: the step that returns it is not retried.
func Fatal(err error) error { return engine.Fatal(err) }

// RetryAfter asks for the step's next attempt after d instead of the backoff delay.
func RetryAfter(err error, d time.Duration) error { return engine.RetryAfter(err, d) }
