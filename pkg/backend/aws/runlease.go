package aws

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/hookflow/hookflow/pkg/backend"
)

// The run lease lives on the run record, in attrLeaseOwner and attrLeaseUntil (ms since the
// epoch). Only TakeLease and ReleaseLease write them: CreateRun stores a run without them, and
// a commit's update names the attributes it sets and removes, never these two. It is not the
// commit lease of lease.go.

// TakeLease makes owner the holder of the run's lease until until, as the contract of
// backend.Store.TakeLease says, with one UpdateItem on the run record, conditional on the
// record existing and its lease being free, owner's or lapsed. LeaseUntil is stored in whole
// milliseconds (truncated) and compared with now at that precision: until must be after now
// once truncated, else the call fails with backend.ErrInvalidLease (so does an empty owner),
// since a lease stored already lapsed would hold nothing. A refused take reports the holder
// that the failed condition returns. A run record that the lease would take over DynamoDB's
// item limit fails with ErrTooLarge.
func (b *Backend) TakeLease(ctx context.Context, runID, owner string, now, until time.Time) error {
	if err := b.check(ctx); err != nil {
		return err
	}
	nowMs, untilMs := now.UnixMilli(), until.UnixMilli()
	switch {
	case owner == "":
		return fmt.Errorf("aws: take lease of run %q: empty owner: %w", runID, backend.ErrInvalidLease)
	case untilMs <= nowMs:
		return fmt.Errorf("aws: take lease of run %q: lease until %s is not after now, %s: %w", runID,
			time.UnixMilli(untilMs).UTC().Format(time.RFC3339Nano), now.UTC().Format(time.RFC3339Nano), backend.ErrInvalidLease)
	case runID == "" || len(runID) > MaxRunIDLen:
		return fmt.Errorf("aws: take lease of run %q: %w", runID, backend.ErrRunNotFound)
	}

	var e expr
	u := update{e: &e}
	u.Set(attrLeaseOwner, str(owner))
	u.Set(attrLeaseUntil, num(untilMs))
	cond := fmt.Sprintf("attribute_exists(%s) AND (attribute_not_exists(%s) OR %s = %s OR %s <= %s)",
		e.n(AttrPK), e.n(attrLeaseOwner), e.n(attrLeaseOwner), e.v(str(owner)), e.n(attrLeaseUntil), e.v(num(nowMs)))
	upd := u.String()
	in := &dynamodb.UpdateItemInput{
		TableName:                           &b.opts.Table,
		Key:                                 key(runPK(runID), skMeta),
		UpdateExpression:                    &upd,
		ConditionExpression:                 &cond,
		ExpressionAttributeNames:            e.Names(),
		ExpressionAttributeValues:           e.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	// Errors that a new try may get past come back unwrapped, for withRetries.
	return withRetries(ctx, func() error {
		_, err := b.db.UpdateItem(ctx, in)
		var ccf *types.ConditionalCheckFailedException
		switch {
		case err == nil || retryable(err):
			return err
		case errors.As(err, &ccf):
			return b.leaseRefused(ctx, runID, owner, nowMs, ccf.Item)
		case itemTooLarge(err):
			return fmt.Errorf("aws: take lease of run %q: the run record with the lease is over the item limit of %d: %w",
				runID, MaxItemBytes, ErrTooLarge)
		}
		return fmt.Errorf("aws: take lease of run %q: %w", runID, err)
	})
}

// leaseRefused explains a failed TakeLease condition: the run does not exist, or another
// owner holds an unlapsed lease. old is the record as the failed write saw it; DynamoDB
// returns none when the record does not exist, and so may an emulator that does not return
// it at all, so an empty one is settled by a read. A lease that the read shows free, owner's
// or lapsed changed hands in between, and the take is tried again.
func (b *Backend) leaseRefused(ctx context.Context, runID, owner string, nowMs int64, old item) error {
	var (
		r   runRecord
		err error
	)
	if len(old) > 0 {
		r, err = decodeRun(old)
	} else {
		r, err = b.readRun(ctx, runID, attrRunID, attrLeaseOwner, attrLeaseUntil)
	}
	if err != nil {
		return err
	}
	if r.LeaseOwner == "" || r.LeaseOwner == owner || r.LeaseUntil.UnixMilli() <= nowMs {
		return fmt.Errorf("aws: take lease of run %q: the lease changed hands: %w", runID, errRetryable)
	}
	return &backend.LeaseHeldError{RunID: runID, Owner: r.LeaseOwner, Until: r.LeaseUntil}
}

// itemTooLarge reports DynamoDB's refusal of a write that would take an item over its size
// limit ("Item size to update has exceeded the maximum allowed size").
func itemTooLarge(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationException" &&
		strings.Contains(strings.ToLower(apiErr.ErrorMessage()), "size")
}

// ReleaseLease frees the run's lease when owner holds it, as the contract of
// backend.Store.ReleaseLease says, with one UpdateItem that removes the lease attributes on
// the condition that owner holds them (a lapsed lease that no one took since included). A
// failed condition, whatever the cause (another holder, no holder, no run), is not an error.
func (b *Backend) ReleaseLease(ctx context.Context, runID, owner string) error {
	if err := b.check(ctx); err != nil {
		return err
	}
	if owner == "" || runID == "" || len(runID) > MaxRunIDLen {
		return nil // no one holds a lease under an empty owner, and no such run exists
	}
	var e expr
	u := update{e: &e}
	u.Remove(attrLeaseOwner)
	u.Remove(attrLeaseUntil)
	cond := e.n(attrLeaseOwner) + " = " + e.v(str(owner))
	upd := u.String()
	in := &dynamodb.UpdateItemInput{
		TableName:                 &b.opts.Table,
		Key:                       key(runPK(runID), skMeta),
		UpdateExpression:          &upd,
		ConditionExpression:       &cond,
		ExpressionAttributeNames:  e.Names(),
		ExpressionAttributeValues: e.Values(),
	}
	err := withRetries(ctx, func() error {
		_, err := b.db.UpdateItem(ctx, in)
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("aws: release lease of run %q: %w", runID, err)
	}
	return nil
}
