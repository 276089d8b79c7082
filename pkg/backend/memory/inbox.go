package memory

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"github.com/hookflow/hookflow/pkg/backend"
)

// PutInbox stores item, as the contract of backend.Store.PutInbox says, and returns the
// stored item and idempotency record. An empty item.ID is replaced by a new ULID, greater
// than every ID this backend assigned before; an item with the ID of a stored item of the
// same run replaces it. Other fields, CreatedAt included, are stored as given.
//
// The idempotency key is checked first: when idem.Key is already stored, PutInbox returns
// the stored record and an error matching backend.ErrDuplicate whatever the state of the
// token or run, so that a retried call gets the first outcome even after the hook ended.
// Then an InboxHook item needs a token record with the item's Token, RunID and HookID
// (else backend.ErrTokenNotFound), and an InboxCancel item needs a run that exists
// (backend.ErrRunNotFound) and has not ended (backend.ErrRunEnded). An unknown Kind or an
// empty idempotency key is an error matching none of the sentinels. An item or idempotency
// record over backend.MaxItemBytes gives backend.ErrTooLarge, before any of those checks but
// the kind and the key.
func (b *Backend) PutInbox(ctx context.Context, item backend.InboxItem, idem *backend.Idempotency) (outItem backend.InboxItem, outIdem *backend.Idempotency, err error) {
	if err := ctx.Err(); err != nil {
		return backend.InboxItem{}, nil, err
	}
	if item.Kind != backend.InboxHook && item.Kind != backend.InboxCancel {
		return backend.InboxItem{}, nil, fmt.Errorf("memory: put inbox: unknown kind %q", item.Kind)
	}
	stored := cloneItem(item)
	var storedIdem *backend.Idempotency
	if idem != nil {
		if idem.Key == "" {
			return backend.InboxItem{}, nil, errors.New("memory: put inbox: empty idempotency key")
		}
		rec := cloneIdem(*idem)
		storedIdem = &rec
	}
	if err := checkPut(stored, storedIdem); err != nil {
		return backend.InboxItem{}, nil, fmt.Errorf("memory: put inbox: %w", err)
	}

	if err := b.lock(); err != nil {
		return backend.InboxItem{}, nil, err
	}
	var wait func() error
	defer func() {
		b.mu.Unlock()
		if err == nil {
			if err = settle(wait, "memory: put inbox"); err != nil {
				outItem, outIdem = backend.InboxItem{}, nil
			}
		}
	}()
	if storedIdem != nil {
		if existing, ok := b.idem[storedIdem.Key]; ok {
			rec := cloneIdem(existing)
			return backend.InboxItem{}, &rec, fmt.Errorf("memory: put inbox: idempotency key %q: %w", existing.Key, backend.ErrDuplicate)
		}
	}
	var token *backend.Token // the hook's token, with its delivery counted
	switch item.Kind {
	case backend.InboxHook:
		t, ok := b.tokens[item.Token]
		if !ok || t.RunID != item.RunID || t.HookID != item.HookID {
			return backend.InboxItem{}, nil, fmt.Errorf("memory: put inbox: token %q of run %q, hook %q: %w",
				item.Token, item.RunID, item.HookID, backend.ErrTokenNotFound)
		}
		t.Deliveries++
		token = &t
	case backend.InboxCancel:
		rs, ok := b.runs[item.RunID]
		if !ok {
			return backend.InboxItem{}, nil, fmt.Errorf("memory: put inbox: run %q: %w", item.RunID, backend.ErrRunNotFound)
		}
		if rs.run.Status.Terminal() {
			return backend.InboxItem{}, nil, fmt.Errorf("memory: put inbox: run %q is %s: %w", item.RunID, rs.run.Status, backend.ErrRunEnded)
		}
	}
	lastID := b.lastID
	if stored.ID == "" {
		lastID = b.nextID()
		stored.ID = lastID.String()
	}

	newLastID := lastID != b.lastID
	gone := b.takeExpired()
	wait = b.persist(func(tx *bolt.Tx) error {
		if err := gone.drop(tx); err != nil {
			return err
		}
		if err := putItem(tx, stored); err != nil {
			return err
		}
		if storedIdem != nil {
			if err := putIdem(tx, *storedIdem); err != nil {
				return err
			}
		}
		if token != nil {
			if err := putToken(tx, *token); err != nil {
				return err
			}
		}
		if newLastID {
			return putLastID(tx, lastID)
		}
		return nil
	})

	b.insertInbox(stored)
	if token != nil {
		b.tokens[token.Token] = *token
	}
	if storedIdem != nil {
		b.idem[storedIdem.Key] = *storedIdem
	}
	b.lastID = lastID

	out := cloneItem(stored)
	if storedIdem == nil {
		return out, nil, nil
	}
	rec := cloneIdem(*storedIdem)
	return out, &rec, nil
}

// ListInbox returns the first limit of the run's inbox items sorted by ID (limit <= 0: all);
// an empty list for a run without items or an unknown run.
func (b *Backend) ListInbox(ctx context.Context, runID string, limit int) ([]backend.InboxItem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.lock(); err != nil {
		return nil, err
	}
	items := b.inbox[runID]
	if limit > 0 && len(items) > limit {
		items = items[:limit]
	}
	items = slices.Clone(items)
	b.mu.Unlock()
	return cloneItems(items), nil
}

// nextID returns a ULID greater than b.lastID, with its time from the clock unless the
// clock is behind the last ID. The caller holds b.mu and stores the result in b.lastID once
// the item is written.
func (b *Backend) nextID() ulid.ULID {
	ms := ulid.Timestamp(b.clock.Now())
	if last := b.lastID.Time(); ms < last {
		ms = last
	}
	id, err := ulid.New(ms, b.entropy)
	if err != nil || id.Compare(b.lastID) <= 0 {
		// The clock is out of ULID range, the entropy overflowed within one millisecond, or
		// the generator (fresh after Open) fell behind a stored ID: count on from the last.
		id = increment(b.lastID)
	}
	return id
}

// increment returns id + 1, reading the ULID as a 128-bit big-endian number.
func increment(id ulid.ULID) ulid.ULID {
	for i := len(id) - 1; i >= 0; i-- {
		id[i]++
		if id[i] != 0 {
			break
		}
	}
	return id
}

// compareItemID orders inbox items by ID.
func compareItemID(it backend.InboxItem, id string) int { return cmp.Compare(it.ID, id) }

// insertInbox stores it in its run's sorted inbox, replacing an item with the same ID.
func (b *Backend) insertInbox(it backend.InboxItem) {
	items := b.inbox[it.RunID]
	i, found := slices.BinarySearchFunc(items, it.ID, compareItemID)
	if found {
		items[i] = it
		return
	}
	b.inbox[it.RunID] = slices.Insert(items, i, it)
}

// inboxToDelete returns the IDs among ids of items stored in runID's inbox, each once.
func (b *Backend) inboxToDelete(runID string, ids []string) []string {
	items := b.inbox[runID]
	var out []string
	seen := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		if _, dup := seen[id]; dup {
			continue
		}
		seen[id] = struct{}{}
		if _, found := slices.BinarySearchFunc(items, id, compareItemID); found {
			out = append(out, id)
		}
	}
	return out
}

// removeInbox deletes the items named by ids from runID's inbox.
func (b *Backend) removeInbox(runID string, ids []string) {
	if len(ids) == 0 {
		return
	}
	del := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		del[id] = struct{}{}
	}
	items := slices.DeleteFunc(b.inbox[runID], func(it backend.InboxItem) bool {
		_, ok := del[it.ID]
		return ok
	})
	if len(items) == 0 {
		delete(b.inbox, runID)
		return
	}
	b.inbox[runID] = items
}
