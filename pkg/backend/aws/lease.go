package aws

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hookflow/hookflow/pkg/backend"
)

// The commit lease of a large commit: see "How a commit is written" in commit.go. It is not
// the run lease of TakeLease (runlease.go), which lives in attributes of its own.

// newLeaseID returns a random commit lease ID.
func newLeaseID() string {
	var buf [16]byte
	_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(buf[:])
}

// acquireLease sets the commit lease on the run record if it is still at c.Version, taking
// the lease over from any other commit at that version.
func (b *Backend) acquireLease(ctx context.Context, c backend.Commit, lease string) error {
	var e expr
	upd := "SET " + e.n(attrLease) + " = " + e.v(str(lease))
	cond := e.n(attrVersion) + " = " + e.v(num(c.Version))
	_, err := b.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           &b.opts.Table,
		Key:                                 key(runPK(c.RunID), skMeta),
		UpdateExpression:                    &upd,
		ConditionExpression:                 &cond,
		ExpressionAttributeNames:            e.Names(),
		ExpressionAttributeValues:           e.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return b.runConditionError(ctx, c, ccf.Item)
	}
	if err != nil && !retryable(err) {
		return fmt.Errorf("aws: commit run %q: take the lease: %w", c.RunID, err)
	}
	return err
}

// leaseCheck is a condition check that the run is at c.Version and lease holds it.
func (b *Backend) leaseCheck(c backend.Commit, lease string) types.TransactWriteItem {
	var e expr
	cond := e.n(attrVersion) + " = " + e.v(num(c.Version)) + " AND " + e.n(attrLease) + " = " + e.v(str(lease))
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName:                           &b.opts.Table,
		Key:                                 key(runPK(c.RunID), skMeta),
		ConditionExpression:                 &cond,
		ExpressionAttributeNames:            e.Names(),
		ExpressionAttributeValues:           e.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
}

// preWrite writes events ahead of the final transaction, under the lease.
func (b *Backend) preWrite(ctx context.Context, c backend.Commit, lease string, events []types.TransactWriteItem) error {
	actions := append([]types.TransactWriteItem{b.leaseCheck(c, lease)}, events...)
	err := withRetries(ctx, func() error {
		_, err := b.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: actions})
		return err
	})
	if reasons, ok := canceled(err); ok && conditionFailed(reasons, 0) {
		return b.runConditionError(ctx, c, reasons[0].Item)
	}
	if err != nil {
		return fmt.Errorf("aws: commit run %q: pre-write events: %w", c.RunID, err)
	}
	return nil
}

// abandonTimeout bounds the clean-up of a failed large commit.
const abandonTimeout = 10 * time.Second

// abandon cleans up after a large commit that failed: while the lease is still its own, it
// deletes the events it pre-wrote (keys), then drops the lease. It is best effort: what it
// leaves is invisible and overwritten or removed by the next commit.
func (b *Backend) abandon(ctx context.Context, c backend.Commit, lease string, keys []item) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abandonTimeout)
	defer cancel()
	for chunk := range slices.Chunk(keys, maxTxItems-1) {
		actions := []types.TransactWriteItem{b.leaseCheck(c, lease)}
		for _, k := range chunk {
			actions = append(actions, types.TransactWriteItem{Delete: &types.Delete{TableName: &b.opts.Table, Key: k}})
		}
		if _, err := b.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: actions}); err != nil {
			return // the lease is lost (or the table is unreachable): leave the rest
		}
	}
	var e expr
	upd := "REMOVE " + e.n(attrLease)
	cond := e.n(attrLease) + " = " + e.v(str(lease))
	_, _ = b.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &b.opts.Table,
		Key:                       key(runPK(c.RunID), skMeta),
		UpdateExpression:          &upd,
		ConditionExpression:       &cond,
		ExpressionAttributeNames:  e.Names(),
		ExpressionAttributeValues: e.Values(),
	})
}
