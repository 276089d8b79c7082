package aws

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/hookflow/hookflow/pkg/backend"
)

// Errors of the driver, besides the sentinels of package backend.
var (
	// ErrTooLarge reports a record or a commit that does not fit DynamoDB's limits: 400 KB
	// per item, and per commit what one transaction holds besides its events (see doc.go).
	// Errors of Commit and CreateRun that match it match backend.ErrInvalidCommit too.
	// It matches backend.ErrTooLarge.
	ErrTooLarge = fmt.Errorf("aws: too large for DynamoDB: %w", backend.ErrTooLarge)
	// ErrClosed is returned by every method after Close.
	ErrClosed = errors.New("aws: backend is closed")
)

// errRetryable marks a failure that a new try of the whole operation may get past.
var errRetryable = errors.New("aws: conflicting write; try again")

// isNotFound reports a run that does not exist.
func isNotFound(err error) bool { return errors.Is(err, backend.ErrRunNotFound) }

// Cancellation reason codes of TransactWriteItems.
const (
	codeNone            = "None"
	codeConditionFailed = "ConditionalCheckFailed"
)

// retryableCodes are cancellation reasons and error codes after which the same write may
// simply be tried again: a conflict with another transaction on one of the items, or
// throttling.
var retryableCodes = map[string]bool{
	"TransactionConflict":                    true,
	"TransactionConflictException":           true,
	"ThrottlingError":                        true,
	"ProvisionedThroughputExceeded":          true,
	"ProvisionedThroughputExceededException": true,
	"RequestLimitExceeded":                   true,
}

// txAttempts bounds the tries of a write that keeps meeting conflicts.
const txAttempts = 8

// canceled returns the cancellation reasons of a failed TransactWriteItems, or ok false when
// err is another error.
func canceled(err error) (reasons []types.CancellationReason, ok bool) {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil, false
	}
	return tce.CancellationReasons, true
}

func reasonCode(reasons []types.CancellationReason, i int) string {
	if i < 0 || i >= len(reasons) || reasons[i].Code == nil {
		return codeNone
	}
	return *reasons[i].Code
}

// conditionFailed reports whether the condition of action i failed.
func conditionFailed(reasons []types.CancellationReason, i int) bool {
	return reasonCode(reasons, i) == codeConditionFailed
}

// retryable reports whether err is a conflict or throttling that a new try may get past: a
// transaction cancelled for such reasons only (no failed condition), or such an error code.
func retryable(err error) bool {
	if errors.Is(err, errRetryable) {
		return true
	}
	if reasons, ok := canceled(err); ok {
		some := false
		for i := range reasons {
			switch code := reasonCode(reasons, i); {
			case code == codeNone:
			case retryableCodes[code]:
				some = true
			default:
				return false
			}
		}
		return some
	}
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && retryableCodes[apiErr.ErrorCode()]
}

// hasErrorCode reports whether err is an API error with one of the codes.
func hasErrorCode(err error, codes ...string) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	for _, c := range codes {
		if apiErr.ErrorCode() == c {
			return true
		}
	}
	return false
}

// withRetries runs attempt until it succeeds, fails with an error that is not retryable, or
// txAttempts tries have met conflicts; it backs off between tries with jitter.
func withRetries(ctx context.Context, attempt func() error) error {
	var err error
	for i := range txAttempts {
		if err = attempt(); err == nil || !retryable(err) {
			return err
		}
		wait := time.Duration(5<<i)*time.Millisecond + rand.N(10*time.Millisecond)
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
	}
	return fmt.Errorf("aws: gave up after %d tries that met conflicting writes: %w", txAttempts, err)
}
