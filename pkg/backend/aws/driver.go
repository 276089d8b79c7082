package aws

import (
	"context"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/hookflow/hookflow/pkg/backend"
)

// Backend is the DynamoDB and SQS driver. It implements backend.Backend and is safe for
// concurrent use; it holds no state of its own besides the inbox ID generator, so any number
// of Backends, in any number of processes, may share one table and queue.
type Backend struct {
	db     *dynamodb.Client
	sqs    *sqs.Client
	opts   Options
	ids    *idGen
	closed atomic.Bool
}

var (
	_ backend.Backend = (*Backend)(nil)
	_ backend.Clocked = (*Backend)(nil)
)

// New returns a Backend on the table and queue named in opts, with service clients made from
// cfg (whose BaseEndpoint, set by config.LoadDefaultConfig from AWS_ENDPOINT_URL, points both
// at an emulator). It checks the options, not the table or queue: it makes no call.
func New(cfg aws.Config, opts Options) (*Backend, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	opts = opts.WithDefaults()
	return &Backend{
		db:   dynamodb.NewFromConfig(cfg, opts.DynamoDBOptions...),
		sqs:  sqs.NewFromConfig(cfg, opts.SQSOptions...),
		opts: opts,
		ids:  newIDGen(opts.Clock),
	}, nil
}

// Clock returns the clock of the options; it implements backend.Clocked.
func (b *Backend) Clock() backend.Clock { return b.opts.Clock }

// Table returns the name of the DynamoDB table.
func (b *Backend) Table() string { return b.opts.Table }

// QueueURL returns the URL of the wake queue.
func (b *Backend) QueueURL() string { return b.opts.QueueURL }

// Close marks the backend closed: later calls fail with ErrClosed. The service clients hold
// nothing that needs releasing. Closing twice is not an error.
func (b *Backend) Close() error {
	b.closed.Store(true)
	return nil
}

// check returns ErrClosed after Close, and the context's error when it has ended.
func (b *Backend) check(ctx context.Context) error {
	if b.closed.Load() {
		return ErrClosed
	}
	return ctx.Err()
}
