package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/workflow/werr"
)

// Turn runs one turn of a run: it brings the workflow up to date with the run's history
// (from the warm cache when the run has not moved since this engine last saw it, by replay
// otherwise), then applies inbox items, due timers and runnable steps one at a time until the
// workflow blocks or returns, committing after every step and at the end.
//
// Turns of one run may race (two workers, a duplicated wake); the version check in Commit
// lets one win and the other fail with a retryable error (IsRetryable).
func (e *Engine) Turn(ctx context.Context, runID string) (res TurnResult, err error) {
	return e.turn(ctx, runID, nil)
}

// turn is Turn for the holder of the run's lease (nil: none), whose last commit, when the
// workflow waits or ends, lets go of the lease in the same write (TurnResult.Released).
func (e *Engine) turn(ctx context.Context, runID string, lease *heldLease) (res TurnResult, err error) {
	ctx, span := e.tracer.Start(ctx, "hookflow.turn", trace.WithAttributes(attrRunID.String(runID)))
	defer func() {
		span.SetAttributes(attrStatus.String(string(res.Status)))
		endSpan(span, err)
	}()
	run, err := e.b.GetRun(ctx, runID)
	if errors.Is(err, backend.ErrRunNotFound) {
		return TurnResult{}, e.wrap(runID, fmt.Errorf("%w: %v", werr.ErrRunNotFound, err))
	}
	if err != nil {
		return TurnResult{}, e.wrap(runID, err)
	}
	if run.Status.Terminal() {
		e.cache.drop(runID)
		if err := e.cleanEnded(ctx, run); err != nil {
			return TurnResult{}, e.wrap(runID, err)
		}
		if e.expired(run) {
			if err := e.deleteExpired(ctx, run); err != nil {
				return TurnResult{}, e.wrap(runID, err)
			}
		}
		return TurnResult{Status: run.Status}, nil
	}
	if run.Status == backend.StatusStuck {
		// Parked until an operator retries it (RetryRun): deliveries wait in its inbox.
		e.cache.drop(runID)
		return TurnResult{Status: run.Status}, nil
	}
	span.SetAttributes(attrWorkflow.String(run.Workflow))
	x := e.cache.take(runID)
	if x != nil && x.version != run.Version && !x.catchUp(ctx, run) {
		x.discard()
		x = nil
	}
	if x == nil {
		fn, ok := e.reg.Lookup(run.Workflow)
		if !ok {
			return TurnResult{}, e.wrap(runID, fmt.Errorf("%w: %q", werr.ErrNotRegistered, run.Workflow))
		}
		x = newExecutor(e, run, fn)
		if x.history, err = e.b.ListEvents(ctx, runID, 0); err != nil {
			return TurnResult{}, e.wrap(runID, err)
		}
		e.stats.replays.Add(1)
	}
	e.stats.turns.Add(1)
	x.lease = lease
	res, err = x.turn(ctx)
	x.lease, x.letGo = nil, false
	if err != nil {
		if errors.Is(err, errStale) {
			e.stats.conflicts.Add(1)
		}
		x.discard()
		return res, e.wrap(runID, err)
	}
	if x.turnEvents == 0 {
		e.stats.idle.Add(1)
	}
	if res.Status.Terminal() {
		x.discard()
	} else {
		e.cache.put(x)
	}
	return res, nil
}

// catchUp brings a parked executor up to date with run, which other runners moved on since
// this executor's last commit: the events after its last one are replayed from where its
// workflow is blocked, as a replay from the start would replay them, without re-running
// everything before. It reports false when it cannot (the events could not be read), and the
// caller replays from the start.
func (x *executor) catchUp(ctx context.Context, run backend.Run) bool {
	if run.Version < x.version || run.LastSeq < x.lastSeq || x.dirty() {
		return false
	}
	evs, err := x.eng.b.ListEvents(ctx, x.runID, x.lastSeq)
	if err != nil || (len(evs) > 0 && evs[0].Seq != x.lastSeq+1) {
		return false
	}
	x.history, x.cursor = evs, 0
	x.version, x.lastSeq, x.status, x.dueAt = run.Version, run.LastSeq, run.Status, run.DueAt
	x.eng.stats.catchUps.Add(1)
	return true
}

// turn drives the executor until the workflow blocks or ends.
func (x *executor) turn(ctx context.Context) (TurnResult, error) {
	x.turnCtx, x.inbox, x.inboxOK, x.inboxMore, x.cancelItem = ctx, nil, false, false, ""
	x.turnEvents, x.lastCommit = 0, time.Now()
	deadlineStop := false
	for {
		if x.abortErr != nil {
			if errors.Is(x.abortErr, werr.ErrNonDeterminism) {
				return x.finish(backend.StatusFailed, EventRunFailed, nil, x.abortErr)
			}
			return TurnResult{}, x.abortErr
		}
		if err := x.sched.panicked; err != nil {
			return x.finish(backend.StatusFailed, EventRunFailed, nil, err)
		}
		if x.done {
			if x.replaying() {
				if x.history[x.cursor].Type == EventHookReceived {
					x.deliverNext() // a delivery dropped as the run ended (see finish)
					continue
				}
				x.nonDeterminism(x.history[x.cursor], "the workflow returned")
				continue
			}
			if x.outErr != nil {
				return x.finish(backend.StatusFailed, EventRunFailed, nil, x.outErr)
			}
			return x.finish(backend.StatusCompleted, EventRunCompleted, x.output, nil)
		}
		if x.replaying() {
			x.deliverNext()
			x.runCoroutines()
			continue
		}
		x.history, x.cursor = nil, 0
		act, err := x.live()
		if err != nil {
			return TurnResult{}, err
		}
		switch act {
		case actNone:
			// Items left in the inbox by the intake bound need another turn at once.
			return x.suspend(x.inboxMore)
		case actDeadline:
			deadlineStop = true
		case actCancel:
			return x.finish(backend.StatusCancelled, EventRunCancelled, nil, werr.ErrRunCancelled)
		}
		if deadlineStop {
			return x.suspend(true)
		}
		x.runCoroutines()
	}
}

type action int

const (
	actNone     action = iota // nothing to do now
	actDone                   // did one thing; run the workflow again
	actDeadline               // stop: the turn's deadline is near
	actCancel                 // the run was cancelled
)

// Intake bounds: one turn moves at most IntakeItems inbox items, and stops taking more once
// it has moved IntakeBytes of payload, so that a flood into one run costs bounded memory and
// bounded commits; what is left is taken by the next turn, queued at once.
const (
	IntakeItems = 64
	IntakeBytes = 1 << 20
)

// live does the next piece of live work: the earliest of the inbox head and the due timers
// (by arrival and due time), else the first runnable step.
func (x *executor) live() (action, error) {
	now := x.eng.clock.Now().UTC()
	if !x.inboxOK {
		items, err := x.eng.b.ListInbox(x.turnCtx, x.runID, IntakeItems)
		if err != nil {
			return actNone, err
		}
		x.inbox, x.inboxOK, x.inboxMore, x.intake = items, true, len(items) == IntakeItems, 0
	}
	t := x.nextDueTimer(now)
	if len(x.inbox) > 0 && x.intake >= IntakeBytes {
		x.inbox, x.inboxMore = nil, true // the rest waits for the next turn
	}
	if len(x.inbox) > 0 && (t == nil || x.inbox[0].CreatedAt.Before(t.due)) {
		item := x.inbox[0]
		linkItem(x.turnCtx, item)
		x.inbox[0] = backend.InboxItem{}
		x.inbox = x.inbox[1:]
		x.intake += len(item.Payload) + len(item.Body)
		if item.Kind == backend.InboxCancel {
			// Deleted by the commit that records run_cancelled, and no earlier one: the
			// commits that end a run first release its tokens, and a turn that fails after
			// them must find the cancel again.
			x.cancelItem = item.ID
		} else {
			x.deleteInbox = append(x.deleteInbox, item.ID)
		}
		return x.applyInbox(item)
	}
	if t != nil {
		x.apply(x.record(EventTimerFired, t.id, timerData{Name: t.name, Due: t.due}))
		return actDone, nil
	}
	st := x.nextRunnableStep(now)
	if st == nil {
		return actNone, nil
	}
	// Before the step's side effects, what others can see of the workflow must be durable: a
	// token it may hand out in this step, a token it let go, an answer a caller waits for.
	// Events and inbox deletes can wait: if the turn dies, the inbox still holds the items and
	// the run is still due, so the next turn does the same again.
	if len(x.claims)+len(x.releases)+len(x.responses) > 0 {
		if err := x.checkpoint(); err != nil {
			return actNone, err
		}
	}
	if dl, ok := x.turnCtx.Deadline(); ok && time.Until(dl) < x.eng.opts.DeadlineMargin {
		return actDeadline, nil
	}
	x.executeStep(st)
	if x.abortErr != nil {
		return actNone, x.abortErr
	}
	if x.checkpointDue() {
		return actDone, x.checkpoint()
	}
	return actDone, nil
}

// Commit grouping: after a step, a turn commits when CheckpointEvery has passed since its
// last commit, or when this much is pending, not after every step.
const (
	checkpointEvents = 128
	checkpointBytes  = 1 << 20
)

// checkpointDue reports whether the results of the steps run since the last commit should be
// committed now. Steps run at least once whatever is chosen here; grouping only widens what a
// crash re-runs (see Options.CheckpointEvery).
func (x *executor) checkpointDue() bool {
	if x.eng.opts.CheckpointEvery < 0 || time.Since(x.lastCommit) >= x.eng.opts.CheckpointEvery ||
		len(x.pending) >= checkpointEvents {
		return true
	}
	bytes := 0
	for _, ev := range x.pending {
		bytes += len(ev.Data) + len(ev.Body)
	}
	return bytes >= checkpointBytes
}

// applyInbox moves one inbox item into history.
func (x *executor) applyInbox(item backend.InboxItem) (action, error) {
	switch item.Kind {
	case backend.InboxCancel:
		return actCancel, nil
	case backend.InboxHook:
		x.receive(item)
		return actDone, nil
	default:
		return actNone, fmt.Errorf("hookflow: run %s: inbox item %s has unknown kind %q", x.runID, item.ID, item.Kind)
	}
}

// checkpoint commits what is pending, marking the run as running and due now, so that a
// crash before the end of the turn is picked up by the sweeper.
func (x *executor) checkpoint() error {
	if !x.dirty() {
		return nil
	}
	return x.commit(backend.StatusRunning, x.eng.clock.Now().UTC(), nil, nil)
}

func (x *executor) dirty() bool {
	return len(x.pending)+len(x.deleteInbox)+len(x.claims)+len(x.releases)+len(x.responses) > 0
}

// suspend ends a turn in which the workflow is blocked (or the deadline is near).
func (x *executor) suspend(cont bool) (TurnResult, error) {
	status, wake := backend.StatusWaiting, x.nextWake()
	if cont {
		status, wake = backend.StatusRunning, x.eng.clock.Now().UTC()
	}
	moved := !wake.Equal(x.dueAt)
	released := false
	if x.dirty() || status != x.status || moved {
		x.letGo = !cont
		if err := x.commit(status, wake, nil, nil); err != nil {
			return TurnResult{}, err
		}
		released = x.letGo && x.lease != nil
	}
	return TurnResult{Status: status, WakeAt: wake, WakeMoved: moved, Continue: cont, Released: released}, nil
}

// finish ends the run: it releases every token the run holds, drops what is left in its inbox
// (answering a manual webhook's waiting callers with the fallback), records the terminal event
// and commits it.
//
// The order closes a race with deliveries: the releases are committed before the inbox is
// read for the last time, so no hook payload can be stored after that read (PutInbox needs the
// token), and none is accepted and then forgotten. A cancel request can still slip in before
// the final commit; a turn of the ended run drops it (cleanEnded).
func (x *executor) finish(status backend.RunStatus, evType string, output []byte, runErr error) (TurnResult, error) {
	ctx := x.turnCtx
	tokens, err := x.eng.b.ListTokens(ctx, x.runID)
	if err != nil {
		return TurnResult{}, err
	}
	for _, t := range tokens {
		x.releases = append(x.releases, t.Token)
	}
	x.closeHooks()
	if len(x.releases) > 0 {
		if err := x.commit(backend.StatusRunning, x.eng.clock.Now().UTC(), nil, nil); err != nil {
			return TurnResult{}, err
		}
	}
	for {
		items, err := x.eng.b.ListInbox(ctx, x.runID, IntakeItems)
		if err != nil {
			return TurnResult{}, err
		}
		moved := make(map[string]bool, len(x.deleteInbox))
		for _, id := range x.deleteInbox {
			moved[id] = true // moved into history by this turn, not committed yet
		}
		for _, it := range items {
			if it.ID == x.cancelItem || moved[it.ID] {
				continue
			}
			x.deleteInbox = append(x.deleteInbox, it.ID)
			if it.Kind == backend.InboxHook {
				// Accepted, never received: recorded as dropped, so the history accounts for
				// every accepted delivery, and a manual caller gets the fallback now.
				x.drop(it)
			}
		}
		if len(items) < IntakeItems {
			break
		}
		if err := x.commit(backend.StatusRunning, x.eng.clock.Now().UTC(), nil, nil); err != nil {
			return TurnResult{}, err
		}
	}
	if x.cancelItem != "" {
		x.deleteInbox = append(x.deleteInbox, x.cancelItem)
	}
	errRaw := EncodeError(runErr)
	x.record(evType, "", runEndData{Output: output, Error: errRaw})
	x.letGo = true
	if err := x.commit(status, x.eng.expiry(x.workflow, x.eng.clock.Now().UTC()), output, errRaw); err != nil {
		return TurnResult{}, err
	}
	x.eng.logger.Info("run ended", "run_id", x.runID, "workflow", x.workflow, "status", string(status))
	return TurnResult{Status: status, Released: x.lease != nil}, nil
}

// Side items (token claims and releases, responses) are visible the moment they land, so a
// driver cannot split them over several transactions: one commit carries at most
// maxSideItems of them, and at most maxSideBytes of responses. A turn with more commits the
// releases and responses ahead of the rest, in chunks.
const (
	maxSideItems = 48
	maxSideBytes = 1 << 20
)

// commitSideItemsInChunks commits token releases and responses ahead of a commit when there are
// too many for one. Releasing a token or storing a response early is safe: the events that
// explain them (hook_disposed, response_sent, the end of the run) are recorded by this turn,
// and a turn that fails before it records them is replayed to the same point, which releases
// and answers the same again (a release is idempotent, a response replaces itself).
func (x *executor) commitSideItemsInChunks() error {
	for x.sideOverflow() {
		now := x.eng.clock.Now().UTC()
		c := backend.Commit{RunID: x.runID, Version: x.version, Status: backend.StatusRunning, DueAt: now, Now: now}
		n := min(len(x.releases), maxSideItems)
		c.ReleaseTokens, x.releases = x.releases[:n:n], x.releases[n:]
		bytes := 0
		for len(x.responses) > 0 && len(c.ReleaseTokens)+len(c.PutResponses) < maxSideItems {
			r := x.responses[0]
			if len(c.PutResponses) > 0 && bytes+len(r.Data) > maxSideBytes {
				break
			}
			bytes += len(r.Data)
			c.PutResponses = append(c.PutResponses, r)
			x.responses = x.responses[1:]
		}
		if err := x.send(c); err != nil {
			return err
		}
	}
	return nil
}

// sideOverflow reports whether what is pending has more side items than one commit carries.
func (x *executor) sideOverflow() bool {
	if len(x.claims)+len(x.releases)+len(x.responses) > maxSideItems {
		return true
	}
	bytes := 0
	for _, r := range x.responses {
		bytes += len(r.Data)
	}
	return bytes > maxSideBytes
}

// commit writes everything pending in one conditional commit, after the side items that do
// not fit in it.
func (x *executor) commit(status backend.RunStatus, due time.Time, output, errRaw []byte) error {
	x.releases = dedupe(x.releases)
	if err := x.commitSideItemsInChunks(); err != nil {
		return err
	}
	c := backend.Commit{
		RunID:         x.runID,
		Version:       x.version,
		Status:        status,
		Output:        output,
		Error:         errRaw,
		DueAt:         due,
		Now:           x.eng.clock.Now().UTC(),
		Events:        x.pending,
		DeleteInbox:   dedupe(x.deleteInbox),
		ClaimTokens:   x.claims,
		ReleaseTokens: x.releases,
		PutResponses:  x.responses,
		CodeVersion:   x.pin,
	}
	if x.letGo && x.lease != nil {
		x.lease.stopRenewing()
		c.ReleaseLease = x.lease.owner
	}
	if err := x.send(c); err != nil {
		return err
	}
	x.pin = ""
	x.pending, x.deleteInbox, x.claims, x.releases, x.responses = nil, nil, nil, nil, nil
	return nil
}

// send applies c and moves the executor's view of the run with it. A version conflict means
// another turn committed first: the executor is stale.
func (x *executor) send(c backend.Commit) error {
	if err := x.eng.b.Commit(x.turnCtx, c); err != nil {
		if errors.Is(err, backend.ErrVersionConflict) {
			return fmt.Errorf("%w: %v", errStale, err)
		}
		return err
	}
	x.version++
	x.status, x.dueAt = c.Status, c.DueAt
	x.turnEvents += len(c.Events)
	x.lastCommit = time.Now()
	x.eng.stats.commits.Add(1)
	x.eng.stats.events.Add(int64(len(c.Events)))
	return nil
}

func dedupe(s []string) []string {
	if len(s) < 2 {
		return s
	}
	seen := make(map[string]bool, len(s))
	out := s[:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// discard stops the executor's coroutines; it is not used again.
func (x *executor) discard() {
	x.sched.kill()
}
