package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/hookflow/hookflow/internal/engine"
	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
)

// Backend is the storage and queue seam a Client and a Worker run on: the embedded driver
// (pkg/backend/memory) or DynamoDB and SQS (pkg/backend/aws).
type Backend = backend.Backend

// ClientOptions configure a Client.
type ClientOptions struct {
	// BaseURL is the public base URL that webhook URLs are built on, e.g.
	// "https://abc.execute-api.eu-west-1.amazonaws.com" or "http://localhost:8080".
	BaseURL string
	// MaxPayloadBytes limits hook payloads (as JSON) and webhook request bodies; default
	// DefaultMaxPayloadBytes (256 KiB). Larger ones are refused and nothing is stored.
	MaxPayloadBytes int64
	// Secrets resolves the secret references of webhooks' Verify specs when the webhook
	// route checks a request's signature; default verify.EnvResolver (env: references from
	// this process's environment). The Lambda webhook function also resolves ssm: and
	// secretsmanager: references.
	Secrets verify.SecretResolver
	// Resumer, when set, carries ResumeHook calls (and HookDefinition.Resume) instead of the
	// backend: for example pkg/lambdaresume, which invokes the resume Lambda, so the caller
	// needs lambda:InvokeFunction rather than access to the table and queue. The payload is
	// still checked for size and serializability here; the resume function validates it.
	Resumer Resumer
	// TracerProvider makes the spans of deliveries (a webhook request, a hook resume), which
	// the turns and steps they wake join across processes (see WorkerOptions.TracerProvider);
	// default the global provider (otel.GetTracerProvider), a no-op until the application
	// installs one.
	TracerProvider trace.TracerProvider
}

// Resumer delivers a hook payload on a Client's behalf, with the same outcomes as the direct
// path: a ResumeResult, or an error matching ErrHookNotFound, ErrPayloadTooLarge or
// ErrInvalidArgument, or a *ValidationError.
type Resumer interface {
	Resume(ctx context.Context, token string, payload json.RawMessage, idempotencyKey string) (ResumeResult, error)
}

// Client starts runs, resumes hooks and inspects runs, from outside workflow code. It is safe
// for concurrent use.
type Client struct {
	e    *engine.Client // nil without a backend
	opts ClientOptions
	err  error // why the client cannot work at all (see Err)
}

// NewClient returns a client of backend b. A client made with an impossible combination (no
// backend and no Resumer, a BaseURL that is not an http(s) URL) reports it with Err, and
// every call on it returns that error. A client with a Resumer but no backend only resumes
// hooks; its other calls fail with ErrInvalidArgument.
func NewClient(b Backend, opts ClientOptions) *Client {
	c := &Client{opts: opts}
	var errs []error
	if b == nil && opts.Resumer == nil {
		errs = append(errs, errors.New("no backend (and no Resumer)"))
	}
	if opts.BaseURL != "" {
		if u, err := url.Parse(opts.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("BaseURL %q is not an http(s) URL", opts.BaseURL))
		}
	}
	if b != nil {
		e, err := engine.NewClient(b, engine.ClientOptions{MaxPayloadBytes: opts.MaxPayloadBytes, Secrets: opts.Secrets, TracerProvider: opts.TracerProvider})
		errs = append(errs, err)
		c.e = e
	}
	if err := errors.Join(errs...); err != nil {
		c.err = fmt.Errorf("%w: NewClient: %w", ErrInvalidArgument, err)
	}
	return c
}

// Err reports why the client cannot work (nil for a usable client): NewClient does not
// fail, but a client made with an impossible combination returns this error from every
// call.
func (c *Client) Err() error {
	if c == nil {
		return fmt.Errorf("%w: nil client", ErrInvalidArgument)
	}
	return c.err
}

// engine returns the engine client behind c, or why there is none.
func (c *Client) engine() (*engine.Client, error) {
	if err := c.Err(); err != nil {
		return nil, err
	}
	if c.e == nil {
		return nil, fmt.Errorf("%w: the client has no backend: it only resumes hooks, through its Resumer", ErrInvalidArgument)
	}
	return c.e, nil
}

// StartOption configures Start.
type StartOption func(*startOptions)

type startOptions struct{ runID string }

// WithRunID starts the run under id. Starting again with the same id (say, on a retry)
// returns the existing run instead of a new one.
func WithRunID(id string) StartOption {
	return func(o *startOptions) { o.runID = id }
}

// Start creates a run of w with input in and queues its first turn; a Worker runs it. The
// input must be serializable to JSON.
func Start[In, Out any](ctx context.Context, c *Client, w *Workflow[In, Out], in In, opts ...StartOption) (*Run[Out], error) {
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	if w == nil {
		return nil, fmt.Errorf("%w: nil workflow", ErrInvalidArgument)
	}
	if w.err != nil {
		return nil, w.err
	}
	var so startOptions
	for _, o := range opts {
		if o != nil {
			o(&so)
		}
	}
	input, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("%w: workflow %q: input is not serializable to JSON: %v", ErrInvalidArgument, w.name, err)
	}
	run, _, err := e.StartRun(ctx, w.name, so.runID, input)
	if err != nil && run.ID == "" {
		return nil, err
	}
	return &Run[Out]{c: c, id: run.ID}, err
}

// Run is a handle on a run whose output is of type Out.
type Run[Out any] struct {
	c  *Client
	id string
}

// ID returns the run's ID.
func (r *Run[Out]) ID() string { return r.id }

// Result waits until the run ends and returns its output, or the error it failed with
// (ErrRunCancelled when it was cancelled). It polls the backend; ctx bounds the wait.
func (r *Run[Out]) Result(ctx context.Context) (Out, error) {
	var out Out
	e, err := r.c.engine()
	if err != nil {
		return out, err
	}
	run, err := e.AwaitRun(ctx, r.id)
	if err != nil {
		return out, err
	}
	if err := engine.RunError(run); err != nil {
		return out, err
	}
	if len(run.Output) > 0 {
		if err := json.Unmarshal(run.Output, &out); err != nil {
			return out, fmt.Errorf("hookflow: run %s: decoding output into %T: %w", r.id, out, err)
		}
	}
	return out, nil
}

// RunStatus is the lifecycle state of a run: "pending", "running", "waiting", "completed",
// "failed" or "cancelled", or "stuck" for a run parked after too many failed turns.
type RunStatus string

// Run statuses.
const (
	StatusPending   RunStatus = RunStatus(backend.StatusPending)
	StatusRunning   RunStatus = RunStatus(backend.StatusRunning)
	StatusWaiting   RunStatus = RunStatus(backend.StatusWaiting)
	StatusCompleted RunStatus = RunStatus(backend.StatusCompleted)
	StatusFailed    RunStatus = RunStatus(backend.StatusFailed)
	StatusCancelled RunStatus = RunStatus(backend.StatusCancelled)
	// StatusStuck is a run whose turns failed WorkerOptions.StuckAfter times in a row (its
	// workflow is not registered with the worker, say). It is not swept and its workflow does
	// not run; deliveries are still accepted and wait in its inbox. RunInfo.LastError says why;
	// Client.RetryRun puts it back to work once the cause is fixed.
	StatusStuck RunStatus = RunStatus(backend.StatusStuck)
)

// RunInfo describes a run.
type RunInfo struct {
	ID        string          `json:"id"`
	Workflow  string          `json:"workflow"`
	Status    RunStatus       `json:"status"`
	Input     json.RawMessage `json:"input,omitempty"`  // the run's input, as started
	Output    json.RawMessage `json:"output,omitempty"` // set when completed
	Error     string          `json:"error,omitempty"`  // set when failed (or cancelled)
	CreatedAt time.Time       `json:"createdAt"`
	UpdatedAt time.Time       `json:"updatedAt"`
	// Failures counts the run's turns that failed in a row (not its workflow's errors: the
	// engine could not run a turn at all), and LastError is the latest such failure.
	Failures  int    `json:"failures,omitempty"`
	LastError string `json:"lastError,omitempty"`
	// CodeVersion is the version of the code the run is pinned to (see Versioning); empty
	// when it is not pinned.
	CodeVersion string `json:"codeVersion,omitempty"`
	// DeleteAt is when retention deletes an ended run (WorkerOptions.Retention); zero for a
	// run that has not ended or is kept.
	DeleteAt time.Time `json:"deleteAt,omitzero"`
}

// GetRun returns what is known of a run, or an error matching ErrRunNotFound.
func (c *Client) GetRun(ctx context.Context, runID string) (RunInfo, error) {
	e, err := c.engine()
	if err != nil {
		return RunInfo{}, err
	}
	run, err := e.GetRun(ctx, runID)
	if err != nil {
		return RunInfo{}, err
	}
	return runInfo(run), nil
}

// runInfo is what RunInfo shows of a run record.
func runInfo(run backend.Run) RunInfo {
	info := RunInfo{
		ID: run.ID, Workflow: run.Workflow, Status: RunStatus(run.Status), Input: run.Input, Output: run.Output,
		CreatedAt: run.CreatedAt, UpdatedAt: run.UpdatedAt, Failures: run.Failures, LastError: run.LastError,
		CodeVersion: run.CodeVersion,
	}
	if run.Status.Terminal() {
		info.DeleteAt = run.DueAt
	}
	if err := engine.DecodeError(run.Error); err != nil {
		info.Error = err.Error()
	}
	return info
}

// Event is one entry of a run's history.
type Event struct {
	Seq           int             `json:"seq"`
	Type          string          `json:"type"`                    // e.g. "hook_created", "hook_received", "step_completed"
	CorrelationID string          `json:"correlationId,omitempty"` // the step, hook or timer the event belongs to
	Data          json.RawMessage `json:"data,omitempty"`
	// Body is the event's binary attachment: the body of a webhook request, for the
	// hook_received events of webhooks (kept beside Data, not inside it).
	Body      []byte    `json:"body,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
}

// ListEvents returns the run's history in order.
func (c *Client) ListEvents(ctx context.Context, runID string) ([]Event, error) {
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	evs, err := e.Backend().ListEvents(ctx, runID, 0)
	if err != nil {
		if _, gerr := e.GetRun(ctx, runID); gerr != nil {
			return nil, gerr
		}
		return nil, err
	}
	out := make([]Event, len(evs))
	for i, e := range evs {
		out[i] = Event{Seq: int(e.Seq), Type: e.Type, CorrelationID: e.CorrelationID, Data: e.Data, Body: e.Body, CreatedAt: e.CreatedAt}
	}
	return out, nil
}

// CancelRun stops a run at its next turn, whatever it is waiting on: it records
// run_cancelled, releases the run's hooks and ends it. The workflow code does not run again.
// Cancelling a cancelled run does nothing; a completed or failed run gives ErrRunEnded.
func (c *Client) CancelRun(ctx context.Context, runID string) error {
	e, err := c.engine()
	if err != nil {
		return err
	}
	return e.CancelRun(ctx, runID)
}

// RetryRun puts a stuck run (StatusStuck) back to work once the cause of its failed turns is
// fixed: its failure count is reset and a turn is queued at once. Retrying a run that is not
// stuck does nothing; a run that has ended gives ErrRunEnded, an unknown one ErrRunNotFound.
func (c *Client) RetryRun(ctx context.Context, runID string) error {
	e, err := c.engine()
	if err != nil {
		return err
	}
	return e.RetryRun(ctx, runID)
}
