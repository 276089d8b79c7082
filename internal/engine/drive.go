package engine

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
)

// Single flight per run.
//
// Wakes come one per delivery, timer and continuation, and on AWS several runners take them
// at once. Racing turns of one run are safe (Commit's version check lets one win) but costly:
// the losers replay and retry, and under a flood they can keep taking large commits from each
// other for ever. So a wake is handled by Drive, which lets one runner work on a run at a time:
//
//  1. It reads the run. If another runner holds the run's lease, or the run has nothing to
//     do (not due, empty inbox), the wake is acknowledged without a turn: it is coalesced.
//  2. Otherwise it takes the lease (a conditional write: free, lapsed or its own) and turns
//     the run until the run waits or ends, renewing the lease while it works.
//  3. It releases the lease, then reads the run again; if work arrived meanwhile (a payload
//     whose wake another runner coalesced), it takes the lease again and goes on.
//
// Why a coalesced wake is never lost: a wake is sent after its payload is stored. A runner
// that coalesces it saw the lease held after the payload was stored, so the holder releases
// after that, and its read in step 3 comes later still and sees the payload (inbox reads are
// strongly consistent), unless a turn moved it already. The same holds for a timer: the run's
// due time is read in step 3. A runner that dies holding the lease stops renewing it; the
// lease lapses after LeaseTTL and the sweeper, which wakes runs with a passed due time or an
// old inbox item, brings the run to a runner that can take it.
//
// The lease is an optimisation, never the guard of history: a runner that lost its lease
// without noticing (paused past LeaseTTL) can only fail its next commit on the version.

// WakeAfterDelivery queues a wake for runID after an inbox item was stored for it, unless a
// runner holds the run now: the holder reads the run again after letting go (step 3 above), and
// this item was stored before, so a wake would only be coalesced. Under a flood into one run
// that saves a queue message, an invocation and a read per delivery. A run that cannot be
// read is woken all the same.
func WakeAfterDelivery(ctx context.Context, b backend.Backend, clock backend.Clock, runID string) error {
	_, err := wakeUnlessHeld(ctx, b, clock, runID)
	return err
}

// wakeUnlessHeld is WakeAfterDelivery, reporting whether it found the run held.
func wakeUnlessHeld(ctx context.Context, b backend.Backend, clock backend.Clock, runID string) (held bool, err error) {
	if run, err := b.GetRun(ctx, runID); err == nil && heldByAnother(run, "", clock.Now()) {
		return true, nil
	}
	return false, b.Enqueue(ctx, runID, 0)
}

// Defaults of single flight and commit grouping.
const (
	DefaultLeaseTTL        = 30 * time.Second
	minLeaseTTL            = 100 * time.Millisecond // drivers keep expiries to the millisecond
	releaseTimeout         = 30 * time.Second
	DefaultMaxHold         = time.Minute
	DefaultCheckpointEvery = time.Second
	// wakeSlack: a wake for a run whose due time is this close is re-queued for that time
	// rather than dropped (queue delays and clocks are not exact).
	wakeSlack = 2 * time.Second
	// turnAttempts bounds the retries of a turn that lost a race; conflictBackoff is the base
	// of their jittered, doubling delay.
	turnAttempts    = 5
	conflictBackoff = 20 * time.Millisecond
	// holdRounds bounds how often one Drive takes the lease again for work that arrived as it
	// let go; past it the work goes back to the queue.
	holdRounds = 3
)

// newOwnerID returns a random ID for an engine; its leases are named after it.
func newOwnerID() string {
	var buf [8]byte
	_, _ = crand.Read(buf[:]) // crypto/rand.Read never fails
	return "engine-" + hex.EncodeToString(buf[:])
}

// Drive handles one wake of runID: it runs the turns the run needs now, unless another runner
// holds the run or there is nothing to do (see the comment above), and queues the run's next
// wake. A nil error means the wake may be acknowledged: also when the run does not exist, and
// when a turn failed but the failure was recorded and a retry scheduled (see
// TurnAndSchedule). An error means the wake should be delivered again.
func (e *Engine) Drive(ctx context.Context, runID string) error {
	e.stats.wakes.Add(1)
	run, err := e.b.GetRun(ctx, runID)
	switch {
	case errors.Is(err, backend.ErrRunNotFound):
		e.logger.Warn("wake for an unknown run dropped", "run_id", runID)
		return nil
	case errors.Is(err, backend.ErrUnreadable) && run.ID == runID:
		// Its payloads cannot be read, its status can: the turn fails on the payloads, and
		// the failure is recorded on the run (see recordFailure).
	case err != nil:
		return err
	case run.Status.Terminal():
		// A cancel request that slipped in as the run ended: the turn drops it.
		return TurnAndSchedule(ctx, e, runID)
	}
	work, err := e.hasWork(ctx, run, "")
	if err != nil {
		return err
	}
	if !work {
		e.stats.coalesced.Add(1)
		return nil
	}
	if e.pinnedElsewhere(run) {
		// Only a wake with work to do is worth an invocation of the pinned version.
		return e.forward(ctx, run)
	}
	return e.hold(ctx, runID)
}

// heldByAnother reports whether a runner other than self holds run's lease at now.
func heldByAnother(run backend.Run, self string, now time.Time) bool {
	return run.LeaseOwner != "" && run.LeaseOwner != self && run.LeaseUntil.After(now)
}

// hasWork reports whether run needs a turn from this engine now: it is not stuck, not held
// by another runner (self is the holder looking again after letting go: a lease of its own is
// one that a failed release left behind), and due or has an inbox item. A wake (self empty)
// that comes a little before the run's due time is queued again for it; a holder's turn has
// queued its own.
func (e *Engine) hasWork(ctx context.Context, run backend.Run, self string) (bool, error) {
	now := e.clock.Now()
	switch {
	case run.Status.Terminal(), run.Status == backend.StatusStuck:
		return false, nil
	case heldByAnother(run, self, now):
		return false, nil
	case !run.DueAt.IsZero() && !run.DueAt.After(now):
		return true, nil
	}
	items, err := e.b.ListInbox(ctx, run.ID, 1)
	if err != nil || len(items) > 0 {
		return len(items) > 0, err
	}
	if wait := run.DueAt.Sub(now); self == "" && !run.DueAt.IsZero() && wait < wakeSlack {
		if err := e.b.Enqueue(ctx, run.ID, wait); err != nil {
			return false, err
		}
	}
	return false, nil
}

// hold takes the run's lease and turns the run until it has no work left, letting go and
// checking again as the comment above says.
func (e *Engine) hold(ctx context.Context, runID string) error {
	// One owner per hold, not per engine: two wakes of one run handled at once by one engine
	// must not both pass the lease as its renewal.
	owner := fmt.Sprintf("%s/%d", e.owner, e.holds.Add(1))
	for round := 0; ; round++ {
		now := e.clock.Now()
		err := e.b.TakeLease(ctx, runID, owner, now, now.Add(e.opts.LeaseTTL))
		switch {
		case errors.Is(err, backend.ErrLeaseHeld):
			if round == 0 {
				e.stats.coalesced.Add(1)
			}
			return nil // the holder sees what this wake announced
		case errors.Is(err, backend.ErrRunNotFound):
			return nil
		case errors.Is(err, backend.ErrTooLarge) && round == 0:
			// A run record so close to the item limit that the lease does not fit: turn it
			// without one (the version check still guards it) rather than never.
			e.logger.Warn("run record too large for a lease; turning without one", "run_id", runID)
			return TurnAndSchedule(ctx, e, runID)
		case err != nil:
			e.release(ctx, runID, owner) // the write may have landed: do not leave it behind
			return err
		}
		done, letGo, err := e.drain(ctx, runID, owner)
		released := letGo || e.release(ctx, runID, owner)
		if !released {
			// Deliveries see the run held and send no wake until the lease lapses: look
			// again once it has.
			if qerr := e.b.Enqueue(ctx, runID, e.opts.LeaseTTL); qerr != nil {
				e.logger.Warn("queueing a wake for when the lease lapses", "run_id", runID, "error", qerr)
			}
		}
		if err != nil || done {
			return err // a failed turn scheduled its own retry; a continuation is queued
		}
		run, err := e.b.GetRun(ctx, runID)
		if err != nil {
			return err
		}
		work, err := e.hasWork(ctx, run, owner)
		if err != nil || !work {
			return err
		}
		if round+1 >= holdRounds {
			return e.b.Enqueue(ctx, runID, 0)
		}
	}
}

// drain turns the run while it has work, within MaxHold and the context's deadline, renewing
// the lease as it goes. handedOff reports that the run's next turn is already provided for: a
// turn failed and its retry was scheduled (see turnFailed), or the drain stopped with work
// left and queued a continuation.
func (e *Engine) drain(ctx context.Context, runID, owner string) (handedOff, released bool, err error) {
	h := &heldLease{owner: owner}
	stop := e.renewLease(ctx, runID, h)
	defer stop()
	start := time.Now()
	for {
		res, err := e.turnWithRetries(ctx, runID, h)
		if err != nil {
			return true, false, e.turnFailed(ctx, runID, err)
		}
		if res.Continue && ctx.Err() == nil && !e.nearDeadline(ctx) && time.Since(start) < e.opts.MaxHold {
			continue // more work now: this runner holds the run, so it does it
		}
		e.schedule(ctx, runID, res)
		return res.Continue, res.Released, nil
	}
}

// heldLease is a run lease held by a drain. Its renewals stop for good once a commit is about
// to let go of it (stopRenewing): a renewal landing after that commit would take the freed
// lease again and leave it behind, and deliveries would send no wake until it lapsed.
type heldLease struct {
	owner     string
	mu        sync.Mutex // held across a renewal
	lettingGo bool
}

// renew renews the lease unless a commit is letting go of it.
func (h *heldLease) renew(ctx context.Context, b backend.Store, runID string, now time.Time, ttl time.Duration) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lettingGo {
		return nil
	}
	return b.TakeLease(ctx, runID, h.owner, now, now.Add(ttl))
}

// stopRenewing waits for a renewal in flight and stops any later one.
func (h *heldLease) stopRenewing() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lettingGo = true
}

// renewLease renews the lease every third of LeaseTTL until the returned func is called.
func (e *Engine) renewLease(ctx context.Context, runID string, h *heldLease) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(e.opts.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := h.renew(ctx, e.b, runID, e.clock.Now(), e.opts.LeaseTTL); err != nil && ctx.Err() == nil {
					// Lost or unreachable: the version check still guards the commits.
					e.logger.Warn("renewing a run lease", "run_id", runID, "error", err)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

// release lets go of the run's lease, even when ctx has ended, and reports whether it did: a
// lease left behind delays the run until it lapses.
func (e *Engine) release(ctx context.Context, runID, owner string) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if err := e.b.ReleaseLease(ctx, runID, owner); err != nil {
		e.logger.Warn("releasing a run lease", "run_id", runID, "error", err)
		return false
	}
	return true
}

func (e *Engine) nearDeadline(ctx context.Context) bool {
	dl, ok := ctx.Deadline()
	return ok && time.Until(dl) < e.opts.DeadlineMargin
}

// turnWithRetries runs a turn, retrying after a short jittered backoff when it lost a race
// with another runner's commit (rare under the lease: a lapsed lease, a runner without one).
func (e *Engine) turnWithRetries(ctx context.Context, runID string, lease *heldLease) (TurnResult, error) {
	var (
		res TurnResult
		err error
	)
	for attempt := range turnAttempts {
		res, err = e.turn(ctx, runID, lease)
		if err == nil || !IsRetryable(err) || ctx.Err() != nil || attempt == turnAttempts-1 {
			break
		}
		sleep(ctx, rand.N(conflictBackoff<<attempt))
	}
	return res, err
}

// schedule queues what the run needs next after a turn: a continuation, or a delayed wake
// for its next timer. A failure is not fatal: the run's due time is stored, and the sweeper
// wakes it.
func (e *Engine) schedule(ctx context.Context, runID string, res TurnResult) {
	var err error
	switch {
	case res.Continue:
		err = e.b.Enqueue(ctx, runID, 0)
	case res.WakeMoved && !res.WakeAt.IsZero():
		err = e.b.Enqueue(ctx, runID, max(res.WakeAt.Sub(e.clock.Now()), 0))
	}
	if err != nil {
		e.logger.Warn("queueing the next wake", "run_id", runID, "error", err)
	}
}
