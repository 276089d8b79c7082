package aws

import (
	"cmp"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/hookflow/hookflow/pkg/backend"
)

// Defaults of Options.
const (
	DefaultResponseTTL    = backend.ResponseTTL
	DefaultIdempotencyTTL = backend.IdempotencyTTL
	// MaxVisibilityTimeout is SQS's limit on a message's visibility timeout.
	MaxVisibilityTimeout = 12 * time.Hour
)

// Options configure a Backend. Table and QueueURL are required; every other field has a
// documented default.
type Options struct {
	// Table is the DynamoDB table, made by CreateTable or the CDK app (same schema).
	Table string
	// QueueURL is the URL of the SQS wake queue.
	QueueURL string
	// VisibilityTimeout is how long a received wake message stays invisible before SQS
	// delivers it again, passed with every ReceiveMessage and rounded up to whole seconds.
	// Default: zero, meaning the queue's own setting.
	VisibilityTimeout time.Duration
	// Clock gives the time part of assigned inbox IDs, the expiry of records without one,
	// and the due time of long delays. Default: backend.SystemClock{}.
	Clock backend.Clock
	// ResponseTTL is how long a response without an ExpiresAt is kept (DynamoDB TTL).
	// Default: DefaultResponseTTL (1 h).
	ResponseTTL time.Duration
	// IdempotencyTTL is how long an idempotency record without an ExpiresAt is kept
	// (DynamoDB TTL). Default: DefaultIdempotencyTTL (24 h).
	IdempotencyTTL time.Duration
	// DynamoDBOptions and SQSOptions are applied to the service clients that New makes from
	// the aws.Config (to set an endpoint of one service, a retryer, ...). Default: none.
	DynamoDBOptions []func(*dynamodb.Options)
	SQSOptions      []func(*sqs.Options)
}

// WithDefaults returns o with every unset field set to its default.
func (o Options) WithDefaults() Options {
	if o.Clock == nil {
		o.Clock = backend.SystemClock{}
	}
	o.ResponseTTL = cmp.Or(o.ResponseTTL, DefaultResponseTTL)
	o.IdempotencyTTL = cmp.Or(o.IdempotencyTTL, DefaultIdempotencyTTL)
	return o
}

// validate reports every problem of o at once.
func (o Options) validate() error {
	var errs []error
	if o.Table == "" {
		errs = append(errs, errors.New("aws: Options.Table is required"))
	}
	if o.QueueURL == "" {
		errs = append(errs, errors.New("aws: Options.QueueURL is required"))
	}
	if o.VisibilityTimeout < 0 || o.VisibilityTimeout > MaxVisibilityTimeout {
		errs = append(errs, fmt.Errorf("aws: Options.VisibilityTimeout %v is outside [0, %v]", o.VisibilityTimeout, MaxVisibilityTimeout))
	}
	if o.ResponseTTL < 0 {
		errs = append(errs, fmt.Errorf("aws: Options.ResponseTTL %v is negative", o.ResponseTTL))
	}
	if o.IdempotencyTTL < 0 {
		errs = append(errs, fmt.Errorf("aws: Options.IdempotencyTTL %v is negative", o.IdempotencyTTL))
	}
	return errors.Join(errs...)
}
