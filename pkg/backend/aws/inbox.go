package aws

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hookflow/hookflow/pkg/backend"
)

// PutInbox stores item, as the contract of backend.Store.PutInbox says, in one transaction
// of (in this order) the idempotency record, the guard and the item. The guard is, for a hook
// item, an update of the token record that counts the delivery on the condition that the
// record exists with the item's RunID and HookID (else backend.ErrTokenNotFound), and for a
// cancel item a check that the run exists (backend.ErrRunNotFound) and has not ended
// (backend.ErrRunEnded). The idempotency record is conditional on its key being free; when it
// is not, PutInbox returns the stored record and an error matching backend.ErrDuplicate,
// whatever the guard says, so that a retried call gets the first outcome.
//
// An empty item.ID is replaced by a new ULID (see Options.Clock); an item with the ID of a
// stored item of the same run replaces it. Items over 400 KB give ErrTooLarge; an unknown
// Kind or an empty idempotency key is an error matching none of the sentinels.
func (b *Backend) PutInbox(ctx context.Context, it backend.InboxItem, idem *backend.Idempotency) (backend.InboxItem, *backend.Idempotency, error) {
	if err := b.check(ctx); err != nil {
		return backend.InboxItem{}, nil, err
	}
	if it.Kind != backend.InboxHook && it.Kind != backend.InboxCancel {
		return backend.InboxItem{}, nil, fmt.Errorf("aws: put inbox: unknown kind %q", it.Kind)
	}
	if idem != nil && idem.Key == "" {
		return backend.InboxItem{}, nil, errors.New("aws: put inbox: empty idempotency key")
	}
	if len(it.ID) > MaxInboxIDLen {
		return backend.InboxItem{}, nil, fmt.Errorf("aws: put inbox: item ID of %d bytes, over %d", len(it.ID), MaxInboxIDLen)
	}
	// Inputs that cannot match any record fail without a transaction, after the idempotency
	// key, which comes first.
	if err := unmatchable(it); err != nil {
		if idem != nil {
			if rec, getErr := b.GetIdempotency(ctx, idem.Key); getErr == nil {
				return backend.InboxItem{}, &rec, fmt.Errorf("aws: put inbox: idempotency key %q: %w", idem.Key, backend.ErrDuplicate)
			}
		}
		return backend.InboxItem{}, nil, err
	}

	stored := it
	if stored.ID == "" {
		stored.ID = b.ids.next()
	}
	m, err := encodeInbox(stored)
	if err == nil {
		err = checkItemSize(m, "the inbox item")
	}
	if err != nil {
		return backend.InboxItem{}, nil, fmt.Errorf("aws: put inbox: %w", err)
	}

	var actions []types.TransactWriteItem
	var rec *backend.Idempotency
	if idem != nil {
		r := *idem
		rec = &r
		im, err := encodeIdem(r, ttlSeconds(r.ExpiresAt, b.opts.Clock.Now(), b.opts.IdempotencyTTL))
		if err == nil {
			err = checkItemSize(im, "the idempotency record")
		}
		if err != nil {
			return backend.InboxItem{}, nil, fmt.Errorf("aws: put inbox: %w", err)
		}
		actions = append(actions, types.TransactWriteItem{Put: b.putNew(im)})
	}
	guard := len(actions)
	if it.Kind == backend.InboxHook {
		actions = append(actions, b.countDelivery(it))
	} else {
		actions = append(actions, b.runNotEnded(it.RunID))
	}
	actions = append(actions, types.TransactWriteItem{Put: &types.Put{TableName: &b.opts.Table, Item: m}})

	err = withRetries(ctx, func() error {
		_, err := b.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: actions})
		if err != nil {
			return b.putInboxError(ctx, it, idem, guard, err)
		}
		return nil
	})
	if err != nil {
		var dup *duplicateError
		if errors.As(err, &dup) {
			return backend.InboxItem{}, &dup.rec, err
		}
		return backend.InboxItem{}, nil, err
	}
	return stored, rec, nil
}

// unmatchable refuses items whose token or run cannot have a record.
func unmatchable(it backend.InboxItem) error {
	switch {
	case it.Kind == backend.InboxHook && (it.Token == "" || it.RunID == "" || len(it.RunID) > MaxRunIDLen):
		return fmt.Errorf("aws: put inbox: token %q of run %q, hook %q: %w", it.Token, it.RunID, it.HookID, backend.ErrTokenNotFound)
	case it.Kind == backend.InboxCancel && (it.RunID == "" || len(it.RunID) > MaxRunIDLen):
		return fmt.Errorf("aws: put inbox: run %q: %w", it.RunID, backend.ErrRunNotFound)
	}
	return nil
}

// countDelivery increments the token's Deliveries on the condition that the token record
// exists for the item's run and hook.
func (b *Backend) countDelivery(it backend.InboxItem) types.TransactWriteItem {
	var e expr
	upd := "ADD " + e.n(attrDeliveries) + " " + e.v(num(1))
	cond := "attribute_exists(" + e.n(AttrPK) + ") AND " + e.n(attrRunID) + " = " + e.v(str(it.RunID)) +
		" AND " + e.n(attrHookID) + " = " + e.v(str(it.HookID))
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 &b.opts.Table,
		Key:                       key(tokenPK(it.Token), skMeta),
		UpdateExpression:          &upd,
		ConditionExpression:       &cond,
		ExpressionAttributeNames:  e.Names(),
		ExpressionAttributeValues: e.Values(),
	}}
}

// runNotEnded checks that the run exists and is not in a terminal status.
func (b *Backend) runNotEnded(runID string) types.TransactWriteItem {
	var e expr
	cond := fmt.Sprintf("attribute_exists(%s) AND NOT (%s IN (%s, %s, %s))", e.n(AttrPK), e.n(attrStatus),
		e.v(str(string(backend.StatusCompleted))), e.v(str(string(backend.StatusFailed))), e.v(str(string(backend.StatusCancelled))))
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName:                           &b.opts.Table,
		Key:                                 key(runPK(runID), skMeta),
		ConditionExpression:                 &cond,
		ExpressionAttributeNames:            e.Names(),
		ExpressionAttributeValues:           e.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
}

// duplicateError carries the existing idempotency record out of the retry loop.
type duplicateError struct {
	rec backend.Idempotency
	err error
}

func (e *duplicateError) Error() string { return e.err.Error() }
func (e *duplicateError) Unwrap() error { return e.err }

// putInboxError maps the failure of PutInbox's transaction to the contract's errors.
func (b *Backend) putInboxError(ctx context.Context, it backend.InboxItem, idem *backend.Idempotency, guard int, err error) error {
	reasons, ok := canceled(err)
	if !ok {
		if retryable(err) {
			return err
		}
		return fmt.Errorf("aws: put inbox: %w", err)
	}
	if idem != nil && conditionFailed(reasons, 0) {
		var rec backend.Idempotency
		var decErr error
		if old := reasons[0].Item; old != nil {
			rec, decErr = decodeIdem(old)
		} else {
			rec, decErr = b.GetIdempotency(ctx, idem.Key)
		}
		if decErr != nil {
			return fmt.Errorf("aws: put inbox: idempotency key %q is taken, and reading it failed: %w", idem.Key, decErr)
		}
		return &duplicateError{rec: rec, err: fmt.Errorf("aws: put inbox: idempotency key %q: %w", idem.Key, backend.ErrDuplicate)}
	}
	if conditionFailed(reasons, guard) {
		if it.Kind == backend.InboxHook {
			return fmt.Errorf("aws: put inbox: token %q of run %q, hook %q: %w", it.Token, it.RunID, it.HookID, backend.ErrTokenNotFound)
		}
		old := reasons[guard].Item
		if old == nil {
			r, err := b.readRun(ctx, it.RunID, attrRunID, attrStatus)
			if err != nil {
				return fmt.Errorf("aws: put inbox: %w", err)
			}
			if !r.Status.Terminal() {
				return fmt.Errorf("aws: put inbox: run %q changed: %w", it.RunID, errRetryable)
			}
			return fmt.Errorf("aws: put inbox: run %q is %s: %w", it.RunID, r.Status, backend.ErrRunEnded)
		}
		return fmt.Errorf("aws: put inbox: run %q is %s: %w", it.RunID, getStr(old, attrStatus), backend.ErrRunEnded)
	}
	if retryable(err) {
		return err
	}
	return fmt.Errorf("aws: put inbox: %w", err)
}

// ListInbox returns the first limit of the run's inbox items sorted by ID (limit <= 0: all),
// with strongly consistent queries of the run's partition from the first inbox key on. Items
// that a commit consumed but has not deleted yet (the run's inboxDone set) are left out and
// deleted. An unknown run, or one without items, gives an empty list.
//
// The run record's sort key follows the inbox keys, so a query that gets past the last item
// reads the record too, and with it the inboxDone set: for a run with a short inbox, the
// listing is one query. A limited listing asks for inboxSlack items more than it needs, for
// hidden ones; when its first page stops short of the run record, the record is read on its
// own and the query goes on until it has limit live items.
func (b *Backend) ListInbox(ctx context.Context, runID string, limit int) ([]backend.InboxItem, error) {
	if err := b.check(ctx); err != nil {
		return nil, err
	}
	items := []backend.InboxItem{}
	if runID == "" || len(runID) > MaxRunIDLen {
		return items, nil
	}
	var e expr
	keyCond := e.n(AttrPK) + " = " + e.v(str(runPK(runID))) + " AND " + e.n(AttrSK) + " >= " + e.v(str(prefixInbox))
	proj := e.projection(AttrSK, attrRecord, attrID, attrRunID, attrKind, attrToken, attrHookID, attrDeliveryID, attrTraceParent,
		attrPayload, attrBody, attrCreatedAt, attrInboxDone)
	in := &dynamodb.QueryInput{
		TableName:                 &b.opts.Table,
		KeyConditionExpression:    &keyCond,
		ProjectionExpression:      &proj,
		ExpressionAttributeNames:  e.Names(),
		ExpressionAttributeValues: e.Values(),
		ConsistentRead:            aws.Bool(true),
	}
	if limit > 0 {
		in.Limit = aws.Int32(int32(min(limit+inboxSlack, 1000)))
	}
	var (
		done     []string
		doneRead bool // done holds the run record's set (or there is no record)
		exists   bool
	)
	live := func() int {
		n := 0
		for _, it := range items {
			if !slices.Contains(done, it.ID) {
				n++
			}
		}
		return n
	}
	p := dynamodb.NewQueryPaginator(b.db, in)
	for p.HasMorePages() && (limit <= 0 || !doneRead || live() < limit) {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("aws: list inbox of run %q: %w", runID, err)
		}
		for _, m := range page.Items {
			switch getStr(m, attrRecord) {
			case recInbox:
				it, err := decodeInbox(m)
				if err != nil {
					return nil, fmt.Errorf("aws: list inbox of run %q: %w", runID, err)
				}
				items = append(items, it)
			case recRun:
				done, doneRead, exists = getSet(m, attrInboxDone), true, true
			}
		}
		if limit > 0 && !doneRead && p.HasMorePages() {
			// A deep inbox: read the set from the record rather than page through it all.
			r, err := b.readRun(ctx, runID, attrInboxDone)
			if errors.Is(err, backend.ErrRunNotFound) {
				return []backend.InboxItem{}, nil
			}
			if err != nil {
				return nil, fmt.Errorf("aws: list inbox of run %q: %w", runID, err)
			}
			done, doneRead, exists = r.inboxDone, true, true
		}
	}
	if !exists {
		return []backend.InboxItem{}, nil // no run record: an unknown run has no inbox
	}
	if len(done) > 0 {
		items = slices.DeleteFunc(items, func(it backend.InboxItem) bool { return slices.Contains(done, it.ID) })
		// Finish the deletes of a commit that did not get to them; best effort.
		_ = b.deleteInboxDone(ctx, runID, done)
	}
	if limit > 0 && len(items) > limit {
		items = items[:limit]
	}
	return items, nil // sorted by ID, since the sort key is the ID after a fixed prefix
}

// inboxSlack is how many items more than its limit a limited ListInbox asks for at first, so
// that a few consumed items awaiting deletion do not cost it a second query.
const inboxSlack = 8

// deleteInboxDone deletes consumed inbox items of the run, then takes them out of the run's
// inboxDone set. Both steps can be repeated safely.
func (b *Backend) deleteInboxDone(ctx context.Context, runID string, ids []string) error {
	pk := runPK(runID)
	for chunk := range slices.Chunk(ids, 25) {
		reqs := make([]types.WriteRequest, len(chunk))
		for i, id := range chunk {
			reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(pk, inboxSK(id))}}
		}
		for attempt := 0; len(reqs) > 0; attempt++ {
			if attempt > 0 {
				if err := sleep(ctx, backoff(attempt)); err != nil {
					return err
				}
			}
			out, err := b.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
				RequestItems: map[string][]types.WriteRequest{b.opts.Table: reqs},
			})
			if err != nil {
				return err
			}
			reqs = out.UnprocessedItems[b.opts.Table]
		}
	}
	var e expr
	upd := "DELETE " + e.n(attrInboxDone) + " " + e.v(&types.AttributeValueMemberSS{Value: ids})
	cond := "attribute_exists(" + e.n(AttrPK) + ")"
	_, err := b.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &b.opts.Table,
		Key:                       key(pk, skMeta),
		UpdateExpression:          &upd,
		ConditionExpression:       &cond,
		ExpressionAttributeNames:  e.Names(),
		ExpressionAttributeValues: e.Values(),
	})
	return err
}
