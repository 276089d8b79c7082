// Package backend is the storage and queue seam of hookflow.
//
// A Backend stores records and performs conditional writes; it knows nothing of workflow
// semantics (replay, steps, hooks). The engine in internal/engine is the only code that gives
// those records meaning. Every driver (pkg/backend/memory, pkg/backend/aws) must pass the
// conformance suite in pkg/backend/backendtest, which is the executable form of the contract
// written in the comments of this package.
//
// The records are:
//
//   - Run: one per workflow run, with an optimistic version. Only Commit changes it.
//   - Event: the append-only history of a run, written only by Commit.
//   - InboxItem: an external input for a run (a hook payload, a cancel request), written by
//     PutInbox under a condition on the token (or run) record, consumed by Commit.
//   - Token: a live hook token, claimed and released only by Commit.
//   - Response: the answer to one webhook delivery, written only by Commit.
//   - Idempotency: the first outcome of an idempotent call, written by PutInbox.
//
// and the queue carries wake messages naming a run, optionally delayed.
package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// RunStatus is the lifecycle state of a run as stored in its record.
type RunStatus string

// Run statuses. A run is created pending; the engine moves it between running and waiting and
// finally to one of the three terminal statuses.
const (
	StatusPending   RunStatus = "pending"   // created, no turn has committed yet
	StatusRunning   RunStatus = "running"   // has work it can do now (a continuation is queued)
	StatusWaiting   RunStatus = "waiting"   // blocked on a hook, a timer or a retry delay
	StatusCompleted RunStatus = "completed" // returned a value
	StatusFailed    RunStatus = "failed"    // returned an error
	StatusCancelled RunStatus = "cancelled" // stopped by CancelRun
	// StatusStuck marks a run parked after too many failed turns in a row (its workflow is not
	// registered, its data cannot be read, the store kept failing). It is not terminal: it keeps
	// its hooks and inbox, but it is not due, so the sweeper leaves it alone until an operator
	// retries it.
	StatusStuck RunStatus = "stuck"
)

// Terminal reports whether s is a final status (completed, failed or cancelled).
func (s RunStatus) Terminal() bool {
	return s == StatusCompleted || s == StatusFailed || s == StatusCancelled
}

// Run is the record of one workflow run.
type Run struct {
	ID       string
	Workflow string
	Status   RunStatus
	Input    json.RawMessage
	Output   json.RawMessage // set when completed
	Error    json.RawMessage // an encoded error, set when failed or cancelled
	// Version counts the commits applied to the run. CreateRun stores version 1; each successful
	// Commit increments it by one.
	Version int64
	// LastSeq is the Seq of the last event in the run's history.
	LastSeq   int64
	CreatedAt time.Time
	UpdatedAt time.Time
	// DueAt is when the run next needs a turn without any outside input (a timer, a retry
	// delay, a first turn that was never taken). Zero means never. ListDue reports it. For
	// an ended run it is when retention deletes the run (the engine's turn then calls
	// DeleteRun); zero keeps it.
	DueAt time.Time
	// Failures counts the turns that failed in a row since the last one that committed work;
	// LastError is the error of the latest. Commit replaces both.
	Failures  int
	LastError string
	// LeaseOwner and LeaseUntil are the run's lease: the runner working on the run now, and
	// when its hold lapses (see TakeLease). Zero when no runner holds it. Only TakeLease,
	// ReleaseLease and a Commit naming the holder in ReleaseLease change them; CreateRun and
	// other commits leave them alone.
	LeaseOwner string
	LeaseUntil time.Time
	// CodeVersion is the version of the workflow code the run is pinned to (the runner that
	// took its first turn); empty for a run that is not pinned. A Commit with a CodeVersion
	// sets it; the engine sets it once.
	CodeVersion string
}

// Event is one entry of a run's history.
type Event struct {
	Seq           int64 // 1-based, contiguous within a run
	Type          string
	CorrelationID string
	Data          json.RawMessage
	// Body is an opaque binary attachment of the event (a webhook request's body), stored as
	// bytes beside Data rather than encoded inside it.
	Body      []byte
	CreatedAt time.Time
}

// Inbox item kinds.
const (
	InboxHook   = "hook"   // a hook or webhook payload; Token and HookID are set
	InboxCancel = "cancel" // a cancel request; Token and HookID are empty
)

// InboxItem is an external input waiting to be moved into a run's history.
type InboxItem struct {
	// ID orders the items of one run: ListInbox returns them sorted by ID. PutInbox assigns it
	// when empty, as a value greater than every ID it assigned before (a ULID, say).
	ID         string
	RunID      string
	Kind       string // InboxHook or InboxCancel
	Token      string
	HookID     string
	DeliveryID string
	// TraceParent is the W3C trace context of the delivery that stored the item (see
	// TraceParent), so that the turn that takes it can join or link that trace; empty: none.
	TraceParent string
	Payload     json.RawMessage
	// Body is an opaque binary attachment of the payload (a webhook request's body), stored as
	// bytes beside Payload rather than encoded inside it.
	Body      []byte
	CreatedAt time.Time
}

// Token kinds.
const (
	TokenHook    = "hook"
	TokenWebhook = "webhook"
)

// Token is the record of a live hook token. It exists exactly while its hook can receive
// payloads: Commit creates it (ClaimTokens) and deletes it (ReleaseTokens).
type Token struct {
	Token  string
	RunID  string
	HookID string
	Kind   string // TokenHook or TokenWebhook
	// Data is opaque to the backend: the engine keeps the hook's metadata, schema and webhook
	// response settings there, so the webhook and resume paths need no workflow code.
	Data      json.RawMessage
	CreatedAt time.Time
	// Deliveries counts the hook items PutInbox has stored for this token. Commit stores a
	// claimed token with the Deliveries it is given (normally 0).
	Deliveries int64
	// Rejections counts the deliveries refused before storage (RejectDelivery): requests
	// whose signature did not verify, say. RejectedAt is when the last one was counted. Commit
	// stores a claimed token with the values it is given (normally zero).
	Rejections int64
	RejectedAt time.Time
}

// Response is the stored answer to one webhook delivery in manual mode.
type Response struct {
	DeliveryID string
	Data       json.RawMessage // opaque to the backend
	CreatedAt  time.Time
	ExpiresAt  time.Time // a hint for drivers with TTL; never relied on for correctness
}

// Idempotency is the first outcome of a call made with an idempotency key.
type Idempotency struct {
	Key       string          // opaque; the caller includes any scope in it
	Data      json.RawMessage // opaque to the backend
	CreatedAt time.Time
	ExpiresAt time.Time // a hint for drivers with TTL; never relied on for correctness
}

// Commit is one atomic change to a run, made by the engine at the end of a step or turn.
// Either everything in it is applied, or nothing is.
type Commit struct {
	RunID string
	// Version is the version the run must have now. After the commit it is Version+1.
	Version int64
	// Status, Output, Error and DueAt replace the run's fields. UpdatedAt is set from Now.
	Status RunStatus
	Output json.RawMessage
	Error  json.RawMessage
	DueAt  time.Time
	Now    time.Time
	// Failures and LastError replace the run's (a commit of work leaves them zero).
	Failures  int
	LastError string
	// CodeVersion, when not empty, replaces the run's CodeVersion; empty leaves it alone.
	CodeVersion string
	// Events are appended to the history. Their Seq must run on from the run's LastSeq without
	// gaps; LastSeq becomes the Seq of the last one.
	Events []Event
	// DeleteInbox names inbox items of this run to delete. Deleting an item that no longer
	// exists is not an error.
	DeleteInbox []string
	// ClaimTokens are created, each on the condition that no record exists for its token. If
	// one exists, the commit fails with a *TokenConflictError naming the first such token.
	ClaimTokens []Token
	// ReleaseTokens are deleted when they belong to this run; a token that does not exist or
	// belongs to another run is left alone.
	ReleaseTokens []string
	// PutResponses are stored, replacing any earlier response for the same DeliveryID.
	PutResponses []Response
	// ReleaseLease, when not empty, frees the run's lease in the same write if this owner
	// holds it, as ReleaseLease would after the commit: a runner's last commit of a hold
	// lets go of the run without a write of its own. A lease that someone else holds is left
	// alone, and the commit goes ahead either way.
	ReleaseLease string
}

// Store is the durable half of the seam. Implementations are safe for concurrent use.
type Store interface {
	// CreateRun stores a new run with Version 1 and LastSeq set from first (whose Seq must be
	// 1, 2, ...). If a run with the same ID exists it stores nothing and returns the existing
	// run with an error matching ErrRunExists. The run and first are written in one
	// transaction: a record over MaxItemBytes, more than MaxTransactionItems-1 first events, or
	// more than MaxTransactionBytes in all fail with ErrTooLarge and ErrInvalidCommit, and
	// store nothing.
	CreateRun(ctx context.Context, run Run, first []Event) (Run, error)
	// GetRun returns the run, or ErrRunNotFound.
	GetRun(ctx context.Context, runID string) (Run, error)
	// ListRuns returns one page of the runs that q selects, newest first: by CreatedAt at
	// millisecond precision, descending, then by ID, descending. Page.Next continues the
	// listing (empty: this is the last page). A cursor that was not returned by ListRuns fails
	// with ErrInvalidCursor.
	ListRuns(ctx context.Context, q RunQuery) (RunPage, error)
	// ListEvents returns the run's events with Seq > afterSeq in Seq order, or ErrRunNotFound.
	ListEvents(ctx context.Context, runID string, afterSeq int64) ([]Event, error)
	// Commit applies c atomically. It fails with ErrRunNotFound if the run does not exist,
	// with ErrVersionConflict if its version is not c.Version, with *TokenConflictError if a
	// token to claim is held, and with ErrInvalidCommit if c is malformed (for example, event
	// sequence numbers that do not run on from LastSeq). A commit over the Limits fails with
	// ErrInvalidCommit and ErrTooLarge: more than MaxSideItems ClaimTokens, ReleaseTokens and
	// PutResponses (counted as given, whether or not each turns into a write), a record
	// (the run as the commit leaves it, an event, a token, a response) over MaxItemBytes, or
	// the run record and side items over MaxTransactionBytes together. Events and inbox
	// deletes are not limited in number, nor events in total size. A failed commit changes
	// nothing.
	Commit(ctx context.Context, c Commit) error

	// PutInbox stores item (assigning ID when empty) and returns the stored item. For an
	// InboxHook item it requires a token record for item.Token with the same RunID and HookID,
	// else it fails with ErrTokenNotFound; storing it increments the token's Deliveries in the
	// same atomic write. For an InboxCancel item it requires the run to exist
	// (else ErrRunNotFound) and not to be in a terminal status (else ErrRunEnded).
	//
	// When idem is not nil, the item is stored only together with idem, as one atomic write.
	// If an idempotency record with idem.Key already exists, nothing is stored and PutInbox
	// returns the existing record and an error matching ErrDuplicate.
	//
	// An item or idempotency record over MaxItemBytes fails with ErrTooLarge; nothing is
	// stored and no delivery is counted.
	PutInbox(ctx context.Context, item InboxItem, idem *Idempotency) (InboxItem, *Idempotency, error)
	// RejectDelivery counts one refused delivery on the token record: it increments the
	// record's Rejections and sets its RejectedAt to at, on the condition that a record exists
	// for token with the given runID and hookID (else ErrTokenNotFound). It writes nothing
	// else: a refused request costs one small update, never an inbox item or a wake.
	RejectDelivery(ctx context.Context, token, runID, hookID string, at time.Time) error
	// ListInbox returns the first limit of the run's inbox items sorted by ID (limit <= 0: all
	// of them). A run without items, or an unknown run, gives an empty list.
	ListInbox(ctx context.Context, runID string, limit int) ([]InboxItem, error)

	// GetToken returns the live token record, or ErrTokenNotFound.
	GetToken(ctx context.Context, token string) (Token, error)
	// ListTokens returns the live tokens of runID (all runs when runID is empty), sorted by
	// CreatedAt then Token.
	ListTokens(ctx context.Context, runID string) ([]Token, error)

	// GetResponse returns the response stored for a delivery, or ErrResponseNotFound.
	GetResponse(ctx context.Context, deliveryID string) (Response, error)
	// GetIdempotency returns the record stored under key, or ErrIdempotencyNotFound.
	GetIdempotency(ctx context.Context, key string) (Idempotency, error)

	// TakeLease makes owner the holder of the run's lease until until, when the lease is free,
	// has lapsed (its LeaseUntil is not after now) or is owner's already (a renewal). Otherwise
	// it stores nothing and fails with a *LeaseHeldError (matching ErrLeaseHeld) naming the
	// holder. An unknown run fails with ErrRunNotFound; an empty owner, or an until that is not
	// after now, with ErrInvalidLease. Drivers keep LeaseUntil to the millisecond (truncated).
	//
	// The lease serialises the runners of one run so that they do not fight; it is not what
	// keeps history consistent (Commit's version check does that), so a runner that lost its
	// lease without knowing cannot corrupt anything, only waste a turn.
	TakeLease(ctx context.Context, runID, owner string, now, until time.Time) error
	// ReleaseLease frees the run's lease when owner holds it. When another owner holds it, no
	// one does, or the run does not exist, it does nothing and returns nil.
	ReleaseLease(ctx context.Context, runID, owner string) error

	// DeleteRun deletes an ended run and everything stored under it: its events, its inbox
	// items, the token records that still name it, and the run record itself, last. A run
	// whose status is not terminal is left alone and the call fails with ErrRunNotEnded; an
	// unknown run fails with ErrRunNotFound (so a second DeleteRun of one run does). Records
	// keyed by delivery or key rather than by run (responses, idempotency records) are not
	// touched: they expire by their ExpiresAt.
	//
	// DeleteRun need not be atomic: a driver may delete in batches. One that is cut short (the
	// context ended, a write failed) leaves the run record in place, so the run stays listed
	// (and due, if it was) and another DeleteRun finishes the job; until then its history may
	// be partly gone.
	DeleteRun(ctx context.Context, runID string) error

	// ListDue returns the IDs of runs that need a turn: runs whose DueAt is not zero and not
	// after q.DueBefore, and runs with an inbox item whose CreatedAt is not after
	// q.InboxBefore. Stuck runs are never listed, whatever their inbox holds. Each ID appears
	// once; at most q.Limit are returned (q.Limit <= 0 means all of them: the driver pages
	// through everything due, so no set of runs that stay due can hide the others).
	ListDue(ctx context.Context, q DueQuery) ([]string, error)
}

// RunQuery selects the runs ListRuns reports. The zero value lists every run, 100 at a time.
type RunQuery struct {
	Status   RunStatus // only runs in this status; empty: any
	Workflow string    // only runs of this workflow; empty: any
	// CreatedAfter and CreatedBefore bound CreatedAt (exclusive, at millisecond precision);
	// zero: unbounded.
	CreatedAfter, CreatedBefore time.Time
	// Limit is the page size: at most this many runs; <= 0 means DefaultRunPage, and more
	// than MaxRunPage means MaxRunPage.
	Limit int
	// Cursor is the Next of the previous page, with the same filters; empty: the first page.
	Cursor string
}

// Page sizes of ListRuns.
const (
	DefaultRunPage = 100
	MaxRunPage     = 1000
)

// RunPage is one page of ListRuns.
type RunPage struct {
	Runs []Run
	// Next is the cursor of the next page; empty when there is none.
	Next string
}

// DueQuery selects the runs ListDue reports. Timers and inbox items have separate cut-offs:
// the sweeper gives a fresh inbox item a grace period for its own wake to arrive, but a timer
// that has passed is due at once.
type DueQuery struct {
	DueBefore   time.Time // runs whose DueAt is not after this
	InboxBefore time.Time // runs with an inbox item whose CreatedAt is not after this
	Limit       int       // at most this many; <= 0: all
}

// Limits every driver enforces: DynamoDB's. A driver may split a commit's events and inbox
// deletes over several writes, but never its visible side items (token claims and releases,
// responses), which must fit one transaction with the run record; a record larger than
// MaxItemBytes is refused. Refusals come before anything is written, with ErrTooLarge. The
// memory driver refuses the same, by the same count of bytes, so embedded tests meet the
// walls production meets.
const (
	// MaxItemBytes is the largest record (400 KB, counted as DynamoDB counts: attribute names
	// plus values, binary attributes by their raw length).
	MaxItemBytes = 400 * 1024
	// MaxTransactionItems is the most writes one atomic transaction holds.
	MaxTransactionItems = 100
	// MaxTransactionBytes is the most bytes one atomic transaction holds.
	MaxTransactionBytes = 4 << 20
	// MaxSideItems is the most ClaimTokens, ReleaseTokens and PutResponses, together, that
	// one Commit may carry: the rest of a transaction after the run record. A commit with more
	// fails with ErrInvalidCommit before anything is written.
	MaxSideItems = MaxTransactionItems - 1
)

// How long the short-lived records are kept: the engine sets their ExpiresAt from these,
// and drivers with TTL (DynamoDB) fall back on them for a record without one. They are
// defined once here so that every layer agrees.
const (
	// ResponseTTL is how long a manual webhook's response record is kept: far longer than
	// any caller is held for it.
	ResponseTTL = time.Hour
	// IdempotencyTTL is how long an idempotency key is remembered: a retry within it gets
	// the first delivery's result.
	IdempotencyTTL = 24 * time.Hour
)

// WakeMessage asks for a turn of one run.
type WakeMessage struct {
	RunID string
	// TraceParent is the trace context of the Enqueue that sent it (see TraceParent).
	TraceParent string
	// Receipt identifies this delivery of the message for Ack; opaque.
	Receipt string
}

// Queue is the wake queue half of the seam. Delivery is at least once: a message that is
// received and not acknowledged within the visibility timeout is delivered again.
type Queue interface {
	// Enqueue sends a wake message for runID, visible after delay (0: at once), carrying the
	// trace context of ctx (TraceParent) to the WakeMessage that Receive returns. Drivers may
	// cap one message's delay (SQS: 15 minutes); the sweeper covers longer waits.
	Enqueue(ctx context.Context, runID string, delay time.Duration) error
	// Receive returns up to max visible messages, waiting up to wait for the first one. It
	// returns early with what it has when ctx ends (the error is then ctx.Err() only when it
	// has nothing). Received messages stay invisible for the driver's visibility timeout.
	Receive(ctx context.Context, max int, wait time.Duration) ([]WakeMessage, error)
	// Ack deletes received messages. Acknowledging a message twice is not an error.
	Ack(ctx context.Context, msgs ...WakeMessage) error
}

// Backend is the complete seam: durable records and the wake queue.
type Backend interface {
	Store
	Queue
	// Close releases the backend's resources. Calls after Close may fail.
	Close() error
}

// Errors of the seam. Drivers return errors that match these with errors.Is.
var (
	ErrRunNotFound = errors.New("backend: run not found")
	ErrRunExists   = errors.New("backend: run already exists")
	ErrRunEnded    = errors.New("backend: run has ended")
	// ErrRunNotEnded reports a DeleteRun of a run whose status is not terminal.
	ErrRunNotEnded         = errors.New("backend: run has not ended")
	ErrVersionConflict     = errors.New("backend: run version conflict")
	ErrInvalidCommit       = errors.New("backend: invalid commit")
	ErrTokenNotFound       = errors.New("backend: token not found")
	ErrResponseNotFound    = errors.New("backend: response not found")
	ErrIdempotencyNotFound = errors.New("backend: idempotency record not found")
	ErrDuplicate           = errors.New("backend: duplicate idempotency key")
	// ErrTooLarge reports a record or a commit over the Limits; nothing was written. A commit
	// refused for its size matches ErrInvalidCommit too.
	ErrTooLarge = errors.New("backend: too large for the store's limits")
	// ErrLeaseHeld reports a TakeLease refused because another owner holds the lease; the
	// error is a *LeaseHeldError.
	ErrLeaseHeld = errors.New("backend: run lease held by another owner")
	// ErrInvalidCursor reports a ListRuns cursor that ListRuns did not return.
	ErrInvalidCursor = errors.New("backend: invalid page cursor")
	// ErrUnreadable reports a record that exists but whose payloads cannot be read (a payload
	// codec, pkg/codec, cannot decode them: a key is missing, the record was altered). The
	// call returns the record with those payload fields empty beside the error, so that its
	// other fields (status, version, failures) still serve: the engine records the failure
	// on the run, where an operator sees it.
	ErrUnreadable = errors.New("backend: record payload cannot be read")
	// ErrInvalidLease reports a malformed TakeLease (an empty owner, an expiry not in the
	// future).
	ErrInvalidLease = errors.New("backend: invalid lease request")
)

// LeaseHeldError reports the holder of a run's lease. It matches ErrLeaseHeld.
type LeaseHeldError struct {
	RunID string
	Owner string
	Until time.Time
}

func (e *LeaseHeldError) Error() string {
	return fmt.Sprintf("backend: run %s is leased by %s until %s", e.RunID, e.Owner, e.Until.UTC().Format(time.RFC3339Nano))
}

// Is makes a *LeaseHeldError match ErrLeaseHeld.
func (e *LeaseHeldError) Is(target error) bool { return target == ErrLeaseHeld }

// TokenConflictError reports a token claim that failed because a live record holds the token.
type TokenConflictError struct {
	Token string
	RunID string // the run that holds the token
}

func (e *TokenConflictError) Error() string {
	return fmt.Sprintf("backend: token %q is held by run %s", e.Token, e.RunID)
}

// Clock tells the time. Drivers that schedule (delayed messages, visibility timeouts) take one
// so that tests can run on a fake clock.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Clocked is implemented by backends that carry their own clock (the memory driver on a test
// kit's fake clock). Clients, engines and workers built on such a backend use its clock, so
// that one fake clock drives everything.
type Clocked interface {
	Clock() Clock
}

// ClockOf returns b's clock when b implements Clocked, and the wall clock otherwise.
func ClockOf(b any) Clock {
	if c, ok := b.(Clocked); ok && c.Clock() != nil {
		return c.Clock()
	}
	return SystemClock{}
}

// SweepHinter is implemented by backends that suggest how often a worker should sweep for
// due runs when WorkerOptions.SweepEvery is not set: the embedded driver, where a sweep
// costs one pass over memory, suggests every second.
type SweepHinter interface {
	SweepEvery() time.Duration
}
