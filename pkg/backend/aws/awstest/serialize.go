package awstest

import (
	"context"
	"sync"
	"testing"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/require"

	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
)

// SerializeDynamoDB returns an SDK API option that makes the DynamoDB calls of the clients
// built with it take turns on mu: reads together, each write alone. It does for one process
// what SerializingProxy does for several: moto applies a TransactWriteItems action by action
// and undoes a cancelled one by restoring a copy of the whole table, so overlapping writes to
// one table could see each other's halves; DynamoDB isolates transactions. The code under test
// still races, since its calls interleave between each other.
func SerializeDynamoDB(mu *sync.RWMutex) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("hookflowTestSerializeDynamoDB",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if awsmiddleware.GetServiceID(ctx) != dynamodb.ServiceID {
					return next.HandleInitialize(ctx, in)
				}
				if readOnly(awsmiddleware.GetOperationName(ctx)) {
					mu.RLock()
					defer mu.RUnlock()
				} else {
					mu.Lock()
					defer mu.Unlock()
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	}
}

// NewBackend creates a table and a queue for the test (deleted when it ends) and returns a
// backend on them with opts (Table and QueueURL are filled in). On moto, the backend's
// DynamoDB calls are serialized (SerializeDynamoDB).
func (e *Env) NewBackend(t testing.TB, opts awsbackend.Options) *awsbackend.Backend {
	t.Helper()
	name := UniqueName(t)
	e.NewTable(t, name)
	opts.Table, opts.QueueURL = name, e.NewQueue(t, name, nil)
	cfg := e.Config.Copy()
	if e.Moto() {
		cfg.APIOptions = append(cfg.APIOptions, SerializeDynamoDB(&sync.RWMutex{}))
	}
	b, err := awsbackend.New(cfg, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}
