package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hookflow/hookflow/pkg/backend"
)

// lock takes the store lock and reports ErrClosed (without the lock held) after Close.
func (b *Backend) lock() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return ErrClosed
	}
	if b.commits != nil {
		if err := b.commits.err(); err != nil {
			b.mu.Unlock()
			return err
		}
	}
	return nil
}

// checkSeq reports an ErrInvalidCommit unless the events' Seq run on from last without gaps.
func checkSeq(events []backend.Event, last int64) error {
	for i, e := range events {
		if want := last + int64(i) + 1; e.Seq != want {
			return fmt.Errorf("event %d has Seq %d, want %d: %w", i, e.Seq, want, backend.ErrInvalidCommit)
		}
	}
	return nil
}

// CreateRun stores run with Version 1 and LastSeq taken from first, whose Seq must be 1, 2,
// and so on. An empty run ID or misnumbered events give an error matching
// backend.ErrInvalidCommit; so do, together with backend.ErrTooLarge, a record over
// backend.MaxItemBytes and first events that do not fit one transaction with the run (more
// than backend.MaxTransactionItems-1, or backend.MaxTransactionBytes in all). If the run
// exists, it returns the stored run and an error matching backend.ErrRunExists. The stored run
// is returned, with no lease whatever run says.
func (b *Backend) CreateRun(ctx context.Context, run backend.Run, first []backend.Event) (backend.Run, error) {
	if err := ctx.Err(); err != nil {
		return backend.Run{}, err
	}
	if run.ID == "" {
		return backend.Run{}, fmt.Errorf("memory: create run: empty run ID: %w", backend.ErrInvalidCommit)
	}
	if err := checkSeq(first, 0); err != nil {
		return backend.Run{}, fmt.Errorf("memory: create run %q: %w", run.ID, err)
	}
	stored := cloneRun(run)
	stored.Version = 1
	stored.LastSeq = int64(len(first))
	stored.LeaseOwner, stored.LeaseUntil = "", time.Time{} // only TakeLease sets the lease
	if err := checkCreate(stored, first); err != nil {
		return backend.Run{}, fmt.Errorf("memory: create run %q: %w: %w", run.ID, err, backend.ErrInvalidCommit)
	}
	events := cloneEvents(first)

	if err := b.lock(); err != nil {
		return backend.Run{}, err
	}
	if rs, ok := b.runs[run.ID]; ok {
		existing := rs.run
		b.mu.Unlock()
		return cloneRun(existing), fmt.Errorf("memory: create run %q: %w", run.ID, backend.ErrRunExists)
	}
	wait := b.persist(func(tx *bolt.Tx) error {
		if err := putRun(tx, stored); err != nil {
			return err
		}
		return putEvents(tx, stored.ID, events)
	})
	b.runs[run.ID] = &runState{run: stored, events: events}
	out := cloneRun(stored)
	b.mu.Unlock()
	if err := settle(wait, fmt.Sprintf("memory: create run %q", run.ID)); err != nil {
		return backend.Run{}, err
	}
	return out, nil
}

// GetRun returns the run, or an error matching backend.ErrRunNotFound.
func (b *Backend) GetRun(ctx context.Context, runID string) (backend.Run, error) {
	if err := ctx.Err(); err != nil {
		return backend.Run{}, err
	}
	if err := b.lock(); err != nil {
		return backend.Run{}, err
	}
	rs, ok := b.runs[runID]
	var run backend.Run
	if ok {
		run = rs.run
	}
	b.mu.Unlock()
	if !ok {
		return backend.Run{}, fmt.Errorf("memory: run %q: %w", runID, backend.ErrRunNotFound)
	}
	return cloneRun(run), nil
}

// ListEvents returns the run's events with Seq > afterSeq in Seq order (a negative afterSeq
// counts as 0), or an error matching backend.ErrRunNotFound. Its cost is proportional to the
// number of events returned.
func (b *Backend) ListEvents(ctx context.Context, runID string, afterSeq int64) ([]backend.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.lock(); err != nil {
		return nil, err
	}
	rs, ok := b.runs[runID]
	var events []backend.Event
	if ok {
		afterSeq = max(afterSeq, 0)
		if afterSeq < int64(len(rs.events)) {
			events = slices.Clone(rs.events[afterSeq:])
		}
	}
	b.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("memory: run %q: %w", runID, backend.ErrRunNotFound)
	}
	return cloneEvents(events), nil
}

// validateCommit checks what can be checked of c without the stored run.
func validateCommit(c backend.Commit) error {
	if c.RunID == "" {
		return fmt.Errorf("empty run ID: %w", backend.ErrInvalidCommit)
	}
	if err := checkSideCount(c); err != nil {
		return fmt.Errorf("%w: %w", err, backend.ErrInvalidCommit)
	}
	for _, t := range c.ClaimTokens {
		if t.Token == "" {
			return fmt.Errorf("claim of an empty token: %w", backend.ErrInvalidCommit)
		}
		if t.RunID != "" && t.RunID != c.RunID {
			return fmt.Errorf("claim of token %q for run %q: %w", t.Token, t.RunID, backend.ErrInvalidCommit)
		}
	}
	for _, r := range c.PutResponses {
		if r.DeliveryID == "" {
			return fmt.Errorf("response with an empty delivery ID: %w", backend.ErrInvalidCommit)
		}
	}
	return nil
}

// Commit applies c atomically, as the contract of backend.Store.Commit says. The checks come
// in this order: the commit's shape (an empty RunID, an empty token or delivery ID, or a
// claimed token naming another run give backend.ErrInvalidCommit; more than
// backend.MaxSideItems claims, releases and responses give it with backend.ErrTooLarge), the
// run's existence (backend.ErrRunNotFound), its version (backend.ErrVersionConflict), the
// events' Seq (backend.ErrInvalidCommit), the size of its records (backend.ErrInvalidCommit
// and backend.ErrTooLarge for a record over backend.MaxItemBytes, or a run record and side
// items over backend.MaxTransactionBytes together), then the token claims
// (*backend.TokenConflictError, also when one commit claims a token twice). Events and inbox
// deletes are not limited in number. Claims and releases are both judged against the state
// before the commit. A claimed token with an empty RunID is stored with c.RunID, and one with
// a zero CreatedAt with c.Now. The run's lease is left as it is, and counts in its size.
func (b *Backend) Commit(ctx context.Context, c backend.Commit) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := validateCommit(c); err != nil {
		return fmt.Errorf("memory: commit: %w", err)
	}
	events := cloneEvents(c.Events)
	claims := make([]backend.Token, len(c.ClaimTokens))
	for i, t := range c.ClaimTokens {
		t = cloneToken(t)
		if t.RunID == "" {
			t.RunID = c.RunID
		}
		if t.CreatedAt.IsZero() {
			t.CreatedAt = c.Now
		}
		claims[i] = t
	}
	responses := make([]backend.Response, len(c.PutResponses))
	for i, r := range c.PutResponses {
		responses[i] = cloneResponse(r)
	}
	output, errData := cloneRaw(c.Output), cloneRaw(c.Error)
	sizes := measureCommit(c.RunID, events, claims, c.ReleaseTokens, responses)

	if err := b.lock(); err != nil {
		return err
	}
	var wait func() error
	defer func() {
		b.mu.Unlock()
		if err == nil {
			err = settle(wait, fmt.Sprintf("memory: commit run %q", c.RunID))
		}
	}()
	rs, ok := b.runs[c.RunID]
	if !ok {
		return fmt.Errorf("memory: commit run %q: %w", c.RunID, backend.ErrRunNotFound)
	}
	if rs.run.Version != c.Version {
		return fmt.Errorf("memory: commit run %q at version %d, stored version is %d: %w",
			c.RunID, c.Version, rs.run.Version, backend.ErrVersionConflict)
	}
	if err := checkSeq(events, rs.run.LastSeq); err != nil {
		return fmt.Errorf("memory: commit run %q: %w", c.RunID, err)
	}

	next := rs.run
	next.Status = c.Status
	next.Output = output
	next.Error = errData
	next.DueAt = c.DueAt
	next.UpdatedAt = c.Now
	next.Failures = c.Failures
	next.LastError = c.LastError
	if c.CodeVersion != "" {
		next.CodeVersion = c.CodeVersion
	}
	if c.ReleaseLease != "" && next.LeaseOwner == c.ReleaseLease {
		next.LeaseOwner, next.LeaseUntil = "", time.Time{}
	}
	next.Version++
	if len(events) > 0 {
		next.LastSeq = events[len(events)-1].Seq
	}
	tokenBytes := rs.tokenBytes
	var released []string
	seen := make(map[string]struct{}, len(c.ReleaseTokens))
	for _, tok := range c.ReleaseTokens {
		if _, dup := seen[tok]; dup {
			continue
		}
		seen[tok] = struct{}{}
		if t, ok := b.tokens[tok]; ok && t.RunID == c.RunID {
			released = append(released, tok)
			tokenBytes -= len(tok)
		}
	}
	for _, t := range claims {
		tokenBytes += len(t.Token)
	}
	if err := sizes.check(next, tokenBytes); err != nil {
		return fmt.Errorf("memory: commit run %q: %w: %w", c.RunID, err, backend.ErrInvalidCommit)
	}
	claimed := make(map[string]struct{}, len(claims))
	for _, t := range claims {
		if held, ok := b.tokens[t.Token]; ok {
			return &backend.TokenConflictError{Token: t.Token, RunID: held.RunID}
		}
		if _, dup := claimed[t.Token]; dup {
			return &backend.TokenConflictError{Token: t.Token, RunID: c.RunID}
		}
		claimed[t.Token] = struct{}{}
	}
	deleted := b.inboxToDelete(c.RunID, c.DeleteInbox)
	gone := b.takeExpired()

	wait = b.persist(func(tx *bolt.Tx) error {
		if err := gone.drop(tx); err != nil {
			return err
		}
		if err := putRun(tx, next); err != nil {
			return err
		}
		if err := putEvents(tx, c.RunID, events); err != nil {
			return err
		}
		if err := deleteInbox(tx, c.RunID, deleted); err != nil {
			return err
		}
		for _, tok := range released {
			if err := deleteToken(tx, tok); err != nil {
				return err
			}
		}
		for _, t := range claims {
			if err := putToken(tx, t); err != nil {
				return err
			}
		}
		for _, r := range responses {
			if err := putResponse(tx, r); err != nil {
				return err
			}
		}
		return nil
	})

	rs.run = next
	rs.tokenBytes = tokenBytes
	rs.events = append(rs.events, events...)
	b.removeInbox(c.RunID, deleted)
	for _, tok := range released {
		delete(b.tokens, tok)
	}
	for _, t := range claims {
		b.tokens[t.Token] = t
	}
	for _, r := range responses {
		b.responses[r.DeliveryID] = r
	}
	return nil
}

// GetToken returns the live token record, or an error matching backend.ErrTokenNotFound.
func (b *Backend) GetToken(ctx context.Context, token string) (backend.Token, error) {
	if err := ctx.Err(); err != nil {
		return backend.Token{}, err
	}
	if err := b.lock(); err != nil {
		return backend.Token{}, err
	}
	t, ok := b.tokens[token]
	b.mu.Unlock()
	if !ok {
		return backend.Token{}, fmt.Errorf("memory: token %q: %w", token, backend.ErrTokenNotFound)
	}
	return cloneToken(t), nil
}

// ListTokens returns the live tokens of runID (of all runs when runID is empty), sorted by
// CreatedAt then Token. It scans all tokens.
func (b *Backend) ListTokens(ctx context.Context, runID string) ([]backend.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.lock(); err != nil {
		return nil, err
	}
	out := make([]backend.Token, 0)
	for _, t := range b.tokens {
		if runID == "" || t.RunID == runID {
			out = append(out, t)
		}
	}
	b.mu.Unlock()
	slices.SortFunc(out, func(x, y backend.Token) int {
		if c := x.CreatedAt.Compare(y.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(x.Token, y.Token)
	})
	for i := range out {
		out[i] = cloneToken(out[i])
	}
	return out, nil
}

// GetResponse returns the response stored for a delivery, or an error matching
// backend.ErrResponseNotFound. A record past its ExpiresAt is kept until a write drops it
// (within a minute), as DynamoDB's TTL keeps one for a while.
func (b *Backend) GetResponse(ctx context.Context, deliveryID string) (backend.Response, error) {
	if err := ctx.Err(); err != nil {
		return backend.Response{}, err
	}
	if err := b.lock(); err != nil {
		return backend.Response{}, err
	}
	r, ok := b.responses[deliveryID]
	b.mu.Unlock()
	if !ok {
		return backend.Response{}, fmt.Errorf("memory: response %q: %w", deliveryID, backend.ErrResponseNotFound)
	}
	return cloneResponse(r), nil
}

// GetIdempotency returns the record stored under key, or an error matching
// backend.ErrIdempotencyNotFound. A record past its ExpiresAt is kept until a write drops it
// (within a minute), as DynamoDB's TTL keeps one for a while.
func (b *Backend) GetIdempotency(ctx context.Context, key string) (backend.Idempotency, error) {
	if err := ctx.Err(); err != nil {
		return backend.Idempotency{}, err
	}
	if err := b.lock(); err != nil {
		return backend.Idempotency{}, err
	}
	rec, ok := b.idem[key]
	b.mu.Unlock()
	if !ok {
		return backend.Idempotency{}, fmt.Errorf("memory: idempotency key %q: %w", key, backend.ErrIdempotencyNotFound)
	}
	return cloneIdem(rec), nil
}

// ListDue returns the IDs of runs whose DueAt is not zero and not after q.DueBefore, and of
// runs with an inbox item whose CreatedAt is not after q.InboxBefore, stuck runs excepted.
// Each run appears once; they are ordered by the earliest of those times, then by ID. At most
// q.Limit are returned (q.Limit <= 0 means no limit). It scans all runs and inbox items.
func (b *Backend) ListDue(ctx context.Context, q backend.DueQuery) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.lock(); err != nil {
		return nil, err
	}
	due := make(map[string]time.Time)
	note := func(id string, at time.Time) {
		if prev, ok := due[id]; !ok || at.Before(prev) {
			due[id] = at
		}
	}
	for id, rs := range b.runs {
		if at := rs.run.DueAt; !at.IsZero() && !at.After(q.DueBefore) && rs.run.Status != backend.StatusStuck {
			note(id, at)
		}
	}
	for id, items := range b.inbox {
		if rs, ok := b.runs[id]; ok && rs.run.Status == backend.StatusStuck {
			continue
		}
		for _, it := range items {
			if !it.CreatedAt.After(q.InboxBefore) {
				note(id, it.CreatedAt)
			}
		}
	}
	b.mu.Unlock()

	type entry struct {
		id string
		at time.Time
	}
	entries := make([]entry, 0, len(due))
	for id, at := range due {
		entries = append(entries, entry{id, at})
	}
	slices.SortFunc(entries, func(x, y entry) int {
		if c := x.at.Compare(y.at); c != 0 {
			return c
		}
		return cmp.Compare(x.id, y.id)
	})
	if q.Limit > 0 && len(entries) > q.Limit {
		entries = entries[:q.Limit]
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.id
	}
	return ids, nil
}
