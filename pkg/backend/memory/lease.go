package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
)

// Leases live in memory only, also when the backend keeps a file. A lease says which runner
// of this process works on a run; a bbolt file is open in one process at a time (bbolt locks
// it), so when the file is opened again every runner that held a lease is gone and its lease
// means nothing. Keeping leases out of the file takes two fsyncs (take, release) off every
// turn, and nothing depends on a lease for correctness: a commit's version check keeps
// history exact. The run record must still fit backend.MaxItemBytes with its lease, as on
// DynamoDB, where the lease is two attributes of the run item.

// leaseUntil is until as the driver keeps it: truncated to the millisecond, in UTC, as the
// AWS driver stores it (a number of milliseconds).
func leaseUntil(until time.Time) time.Time {
	return until.Truncate(time.Millisecond).UTC()
}

// TakeLease makes owner the holder of the run's lease until until, as the contract of
// backend.Store.TakeLease says. until is kept truncated to the millisecond, in UTC; it must
// be after now once truncated, else the call fails with backend.ErrInvalidLease (so does an
// empty owner), since a lease stored already lapsed would hold nothing. A held lease has
// lapsed when its LeaseUntil is not after now. The run record with the lease must fit
// backend.MaxItemBytes, as on DynamoDB, else the call fails with backend.ErrTooLarge.
func (b *Backend) TakeLease(ctx context.Context, runID, owner string, now, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	until = leaseUntil(until)
	if err := checkLease(owner, now, until); err != nil {
		return fmt.Errorf("memory: take lease of run %q: %w", runID, err)
	}

	if err := b.lock(); err != nil {
		return err
	}
	defer b.mu.Unlock()
	rs, ok := b.runs[runID]
	if !ok {
		return fmt.Errorf("memory: take lease of run %q: %w", runID, backend.ErrRunNotFound)
	}
	held := rs.run
	if held.LeaseOwner != "" && held.LeaseOwner != owner && held.LeaseUntil.After(now) {
		return &backend.LeaseHeldError{RunID: runID, Owner: held.LeaseOwner, Until: held.LeaseUntil}
	}
	next := rs.run
	next.LeaseOwner, next.LeaseUntil = owner, until
	if err := checkRecord("the run record", runSize(next, rs.tokenBytes)); err != nil {
		return fmt.Errorf("memory: take lease of run %q: %w", runID, err)
	}
	rs.run = next
	return nil
}

// checkLease refuses a malformed TakeLease: an empty owner, or an until (as kept) that is not
// after now.
func checkLease(owner string, now, until time.Time) error {
	if owner == "" {
		return fmt.Errorf("empty owner: %w", backend.ErrInvalidLease)
	}
	if !until.After(now) {
		return fmt.Errorf("lease until %s is not after now, %s: %w",
			until.Format(time.RFC3339Nano), now.UTC().Format(time.RFC3339Nano), backend.ErrInvalidLease)
	}
	return nil
}

// ReleaseLease frees the run's lease when owner holds it, as the contract of
// backend.Store.ReleaseLease says; a lease that has lapsed but that no one has taken since
// is still owner's to release. Otherwise, and for an unknown run, it does nothing.
func (b *Backend) ReleaseLease(ctx context.Context, runID, owner string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.lock(); err != nil {
		return err
	}
	defer b.mu.Unlock()
	rs, ok := b.runs[runID]
	if !ok || owner == "" || rs.run.LeaseOwner != owner {
		return nil // no one holds a lease under an empty owner
	}
	next := rs.run
	next.LeaseOwner, next.LeaseUntil = "", time.Time{}
	rs.run = next
	return nil
}
