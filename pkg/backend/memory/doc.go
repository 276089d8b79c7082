// Package memory is the embedded driver of the hookflow backend seam (package backend).
//
// New returns a Backend that keeps everything in memory; Open returns one whose records are
// also written through to a bbolt file and loaded back when the file is opened again. Both
// serve every read from memory, so reads never touch the disk.
//
// The driver is meant for development, tests and single-process deployments. It implements
// the contract written in package backend and passes the conformance suite in
// pkg/backend/backendtest. Driver specific behaviour:
//
//   - All state sits behind mutexes; every conditional write (Commit, CreateRun, PutInbox,
//     TakeLease, ReleaseLease) is checked and applied under one lock, so a call refused by
//     its condition changes nothing. When persisted, its records are queued for the file in
//     that order and written with others in one bbolt transaction and one fsync (group
//     commit, groupcommit.go); the call returns once they are on disk, and a write that
//     fails to reach the file stops the backend (ErrFailed). The run lease is kept on the
//     run record, its expiry truncated to the millisecond as DynamoDB keeps it, in memory
//     only: the file is open in one process, whose runners are gone when it is reopened.
//   - It is as strict as DynamoDB: it refuses, with backend.ErrTooLarge, what the Limits of
//     package backend refuse (records over backend.MaxItemBytes, commits with more than
//     backend.MaxSideItems side items or side items over backend.MaxTransactionBytes, first
//     events that do not fit one transaction), sizing each record as the AWS driver lays it out
//     as a DynamoDB item, never smaller (size.go). There is no option to relax the limits: code
//     that passes here does not meet a new wall in production.
//   - Inbox IDs assigned by PutInbox are ULIDs taken from the configured clock with monotonic
//     entropy; they increase strictly across the whole backend, across restarts too.
//   - The wake queue lives in memory only, even for a backend made by Open. After a restart
//     the queue is empty; the engine's sweeper wakes the runs that need a turn again through
//     ListDue, which reports runs with a DueAt and runs with inbox items.
//   - Like an SQS queue with a redrive policy, the wake queue moves a message that was
//     received WithMaxReceives times (DefaultMaxReceives, 10) without being acknowledged to
//     its dead letters, which DeadLetters lists.
//   - Time for delays, visibility timeouts and ULIDs comes from the Clock given with
//     WithClock, so tests can drive the queue with a fake clock. Receive waits in real time.
//   - DeleteRun removes an ended run from memory and from the file in one change; bbolt
//     reuses the freed pages, so with retention on a long-lived file stops growing with
//     ended runs (it never shrinks). Responses and idempotency records past their ExpiresAt
//     are dropped by the next write, at most once a minute, as DynamoDB's TTL drops them.
//   - After Close every method fails with ErrClosed, for both kinds of backend.
package memory
