package aws

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hookflow/hookflow/pkg/backend"
)

// RejectDelivery counts one refused delivery on the token record, as the contract of
// backend.Store.RejectDelivery says, with one UpdateItem conditional on the record existing
// for runID and hookID (else backend.ErrTokenNotFound). A record that the counters would take
// over DynamoDB's item limit fails with ErrTooLarge.
func (b *Backend) RejectDelivery(ctx context.Context, token, runID, hookID string, at time.Time) error {
	if err := b.check(ctx); err != nil {
		return err
	}
	if token == "" || runID == "" || len(runID) > MaxRunIDLen {
		return fmt.Errorf("aws: reject delivery: token %q of run %q, hook %q: %w", token, runID, hookID, backend.ErrTokenNotFound)
	}
	var e expr
	upd := "ADD " + e.n(attrRejections) + " " + e.v(num(1)) +
		" SET " + e.n(attrRejectedAt) + " = " + e.v(str(at.UTC().Format(time.RFC3339Nano)))
	cond := "attribute_exists(" + e.n(AttrPK) + ") AND " + e.n(attrRunID) + " = " + e.v(str(runID)) +
		" AND " + e.n(attrHookID) + " = " + e.v(str(hookID))
	in := &dynamodb.UpdateItemInput{
		TableName:                 &b.opts.Table,
		Key:                       key(tokenPK(token), skMeta),
		UpdateExpression:          &upd,
		ConditionExpression:       &cond,
		ExpressionAttributeNames:  e.Names(),
		ExpressionAttributeValues: e.Values(),
	}
	return withRetries(ctx, func() error {
		_, err := b.db.UpdateItem(ctx, in)
		var ccf *types.ConditionalCheckFailedException
		switch {
		case err == nil || retryable(err):
			return err
		case errors.As(err, &ccf):
			return fmt.Errorf("aws: reject delivery: token %q of run %q, hook %q: %w", token, runID, hookID, backend.ErrTokenNotFound)
		case itemTooLarge(err):
			return fmt.Errorf("aws: reject delivery: token %q: the record with its counters is over the item limit of %d: %w",
				token, MaxItemBytes, ErrTooLarge)
		}
		return fmt.Errorf("aws: reject delivery: %w", err)
	})
}
