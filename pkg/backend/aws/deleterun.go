package aws

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hookflow/hookflow/pkg/backend"
)

// maxBatchWrite is the most requests one BatchWriteItem takes.
const maxBatchWrite = 25

// DeleteRun deletes an ended run and everything stored under it, as the contract of
// backend.Store.DeleteRun says, in four steps, each of which a second DeleteRun repeats
// safely:
//
//   - a strongly consistent GetItem of the run record, which must exist (else
//     backend.ErrRunNotFound) and have a terminal status (else backend.ErrRunNotEnded);
//   - a DeleteItem of each token in the run's token set, on the condition that the token
//     record still names the run: one that another run holds now is left alone;
//   - strongly consistent Queries of the run's partition below and above the record's sort
//     key, projecting the keys, and a BatchWriteItem of deletes for every 25 items they
//     return: the events, the inbox items, and whatever else is stored under the run (events
//     that a failed large commit pre-wrote);
//   - a DeleteItem of the run record, on the condition that its status is still terminal.
//
// Token records that name the run but are missing from its token set are not found, and
// stay. A DeleteRun cut short leaves the run record, so another one finishes the job.
//
// What it costs: nothing is a transaction, so each delete costs DynamoDB's ordinary write
// units, one per started KB of the deleted item (a token delete refused because another run
// holds the token: one per KB of that record), and one index write unit per index entry
// that goes with it: an inbox item's in IndexDue, the run record's in IndexRuns and, while
// its DueAt is set, in IndexDue (entries of keys and two short attributes: one unit each).
// A run with n events of under 1 KB each, no inbox items and no tokens costs n+1 write units
// (more when the run record is over 1 KB) and 1 or 2 index write units, in ceil(n/25)
// BatchWriteItem calls and one DeleteItem. The reads are a GetItem of the record and two
// Queries that read the rest of the partition once: one read unit per started 4 KB of the
// record and of each page, at least one a call (the projection does not make them cheaper).
// The batches are written one after the other, and the context is checked before each.
func (b *Backend) DeleteRun(ctx context.Context, runID string) error {
	if err := b.check(ctx); err != nil {
		return err
	}
	if runID == "" || len(runID) > MaxRunIDLen {
		return fmt.Errorf("aws: delete run %q: %w", runID, backend.ErrRunNotFound)
	}
	r, err := b.readRun(ctx, runID, attrRunID, attrStatus, attrTokens)
	switch {
	case isNotFound(err):
		return fmt.Errorf("aws: delete run %q: %w", runID, backend.ErrRunNotFound)
	case err != nil:
		return fmt.Errorf("aws: delete run %q: %w", runID, err)
	case !r.Status.Terminal():
		return fmt.Errorf("aws: delete run %q: it is %s: %w", runID, r.Status, backend.ErrRunNotEnded)
	}
	for _, tok := range r.tokens {
		if err := b.deleteRunToken(ctx, runID, tok); err != nil {
			return fmt.Errorf("aws: delete run %q: token %q: %w", runID, tok, err)
		}
	}
	if err := b.deletePartition(ctx, runID); err != nil {
		return fmt.Errorf("aws: delete run %q: %w", runID, err)
	}
	if err := b.deleteRunRecord(ctx, runID); err != nil {
		return fmt.Errorf("aws: delete run %q: %w", runID, err)
	}
	return nil
}

// deleteRunToken deletes the token record if it names runID. A failed condition means that
// the record is gone or belongs to another run now: either way there is nothing to delete.
func (b *Backend) deleteRunToken(ctx context.Context, runID, tok string) error {
	var e expr
	cond := e.n(attrRunID) + " = " + e.v(str(runID))
	in := &dynamodb.DeleteItemInput{
		TableName:                 &b.opts.Table,
		Key:                       key(tokenPK(tok), skMeta),
		ConditionExpression:       &cond,
		ExpressionAttributeNames:  e.Names(),
		ExpressionAttributeValues: e.Values(),
	}
	return withRetries(ctx, func() error {
		_, err := b.db.DeleteItem(ctx, in)
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return nil
		}
		return err
	})
}

// deletePartition deletes every item of the run's partition but the run record. The record's
// sort key splits the partition in two ranges, queried one after the other: the events and
// inbox items sort below it, and the driver writes nothing above it, but whatever is there
// goes too. Deletes are sent as soon as 25 keys are in hand, so a batch may span pages and
// ranges.
func (b *Backend) deletePartition(ctx context.Context, runID string) error {
	pk := runPK(runID)
	var batch []types.WriteRequest
	for _, op := range []string{"<", ">"} {
		var e expr
		keyCond := e.n(AttrPK) + " = " + e.v(str(pk)) + " AND " + e.n(AttrSK) + " " + op + " " + e.v(str(skMeta))
		proj := e.projection(AttrPK, AttrSK)
		err := b.queryAll(ctx, &dynamodb.QueryInput{
			TableName:                 &b.opts.Table,
			KeyConditionExpression:    &keyCond,
			ProjectionExpression:      &proj,
			ExpressionAttributeNames:  e.Names(),
			ExpressionAttributeValues: e.Values(),
			ConsistentRead:            aws.Bool(true),
		}, func(m item) error {
			batch = append(batch, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(pk, getStr(m, AttrSK))}})
			if len(batch) < maxBatchWrite {
				return nil
			}
			err := b.batchDelete(ctx, batch)
			batch = nil
			return err
		})
		if err != nil {
			return fmt.Errorf("delete the items of the run: %w", err)
		}
	}
	if err := b.batchDelete(ctx, batch); err != nil {
		return fmt.Errorf("delete the items of the run: %w", err)
	}
	return nil
}

// batchDelete sends at most maxBatchWrite deletes in one BatchWriteItem, then the ones
// DynamoDB leaves unprocessed again, with backoff, until none is left or ctx ends; ctx is
// checked before the first call too, so that a DeleteRun whose context has ended sends no
// more batches.
func (b *Backend) batchDelete(ctx context.Context, reqs []types.WriteRequest) error {
	for attempt := 0; len(reqs) > 0; attempt++ {
		if attempt == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		} else if err := sleep(ctx, backoff(attempt)); err != nil {
			return err
		}
		var out *dynamodb.BatchWriteItemOutput
		err := withRetries(ctx, func() error {
			var err error
			out, err = b.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
				RequestItems: map[string][]types.WriteRequest{b.opts.Table: reqs},
			})
			return err
		})
		if err != nil {
			return err
		}
		reqs = out.UnprocessedItems[b.opts.Table]
	}
	return nil
}

// deleteRunRecord deletes the run record on the condition that its status is terminal.
func (b *Backend) deleteRunRecord(ctx context.Context, runID string) error {
	var e expr
	cond := fmt.Sprintf("%s IN (%s, %s, %s)", e.n(attrStatus), e.v(str(string(backend.StatusCompleted))),
		e.v(str(string(backend.StatusFailed))), e.v(str(string(backend.StatusCancelled))))
	in := &dynamodb.DeleteItemInput{
		TableName:                           &b.opts.Table,
		Key:                                 key(runPK(runID), skMeta),
		ConditionExpression:                 &cond,
		ExpressionAttributeNames:            e.Names(),
		ExpressionAttributeValues:           e.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	return withRetries(ctx, func() error {
		_, err := b.db.DeleteItem(ctx, in)
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return b.deleteRefused(ctx, runID, ccf.Item)
		}
		return err
	})
}

// deleteRefused explains a failed condition of the run record's delete: the record is gone,
// which only another DeleteRun does, or its status is not terminal any more. old is the
// record as the failed delete saw it; DynamoDB returns none when the record does not exist,
// and so may an emulator that does not return it at all, so an empty one is settled by a
// read. A record that the read shows terminal changed in between, and the delete is tried
// again.
func (b *Backend) deleteRefused(ctx context.Context, runID string, old item) error {
	var (
		r   runRecord
		err error
	)
	if len(old) > 0 {
		r, err = decodeRun(old)
	} else {
		r, err = b.readRun(ctx, runID, attrRunID, attrStatus)
	}
	switch {
	case isNotFound(err):
		return fmt.Errorf("the run record is gone, deleted by another DeleteRun: %w", backend.ErrRunNotFound)
	case err != nil:
		return err
	case !r.Status.Terminal():
		return fmt.Errorf("the run record is %s now: %w", r.Status, backend.ErrRunNotEnded)
	}
	return fmt.Errorf("the run record changed: %w", errRetryable)
}
