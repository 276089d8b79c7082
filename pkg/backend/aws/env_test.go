package aws_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/require"

	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
)

// env is the AWS endpoint the integration tests run against (see package awstest).
type env struct {
	cfg aws.Config
	db  *dynamodb.Client
	sqs *sqs.Client
	// moto is set when the endpoint is the moto server, whose DynamoDB writes are not
	// isolated from each other (see awstest.SerializeDynamoDB).
	moto bool
}

// setup returns the endpoint, or skips the test when there is none; with
// HOOKFLOW_REQUIRE_AWS=1 (as `make test` sets it) it fails instead, so that integration
// tests never skip silently.
func setup(t *testing.T) *env {
	t.Helper()
	e := awstest.Setup(t)
	return &env{cfg: e.Config, db: e.DynamoDB, sqs: e.SQS, moto: e.Moto()}
}

// bundle is a backend on a fresh table and queue of its own.
type bundle struct {
	*env
	b        *awsbackend.Backend
	opts     awsbackend.Options
	mu       *sync.RWMutex // serializes the DynamoDB calls of the bundle's backends on moto
	table    string
	queueURL string
}

// newBundle creates a table and a queue for the test, deletes them when it ends, and returns
// a backend on them whose wake messages stay invisible for a second after a receive.
func newBundle(t *testing.T, opts ...func(*awsbackend.Options)) *bundle {
	t.Helper()
	ae := awstest.Setup(t)
	e := &env{cfg: ae.Config, db: ae.DynamoDB, sqs: ae.SQS, moto: ae.Moto()}
	name := awstest.UniqueName(t)
	ae.NewTable(t, name)
	url := ae.NewQueue(t, name, nil)

	o := awsbackend.Options{Table: name, QueueURL: url, VisibilityTimeout: time.Second}
	for _, fn := range opts {
		fn(&o)
	}
	bd := &bundle{env: e, opts: o, mu: &sync.RWMutex{}, table: name, queueURL: url}
	bd.b = bd.backend(t)
	return bd
}

// backend returns a backend on the bundle's table and queue, with extra API options.
func (bd *bundle) backend(t *testing.T, apiOptions ...func(*middleware.Stack) error) *awsbackend.Backend {
	t.Helper()
	cfg := bd.cfg.Copy()
	cfg.APIOptions = append(cfg.APIOptions, apiOptions...)
	if bd.moto {
		cfg.APIOptions = append(cfg.APIOptions, awstest.SerializeDynamoDB(bd.mu))
	}
	b, err := awsbackend.New(cfg, bd.opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	return b
}

// racer returns a backend on the bundle's table that calls hook(n) before its n-th
// TransactWriteItems call (n from 1), before the call takes its turn on moto, so that hook
// can write with another backend in between a read and a write of the racer.
func (bd *bundle) racer(t *testing.T, hook func(n int)) *awsbackend.Backend {
	t.Helper()
	var mu sync.Mutex
	n := 0
	return bd.backend(t, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("hookflowTestRacer",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if _, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput); ok {
					mu.Lock()
					n++
					call := n
					mu.Unlock()
					hook(call)
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	})
}
