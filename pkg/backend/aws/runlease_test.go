package aws_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
)

// operations returns a backend on the bundle's table that records the DynamoDB operations it
// calls, and a function that returns them and starts a new record.
func (bd *bundle) operations(t *testing.T) (*awsbackend.Backend, func() []string) {
	t.Helper()
	var (
		mu  sync.Mutex
		ops []string
	)
	b := bd.backend(t, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("hookflowTestOperations",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				mu.Lock()
				ops = append(ops, middleware.GetOperationName(ctx))
				mu.Unlock()
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
	return b, func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := ops
		ops = nil
		return out
	}
}

// The run lease is two attributes of the run record, an owner and an expiry in ms; each call
// is one UpdateItem, a refused take included (the failed condition returns the holder), and
// the commit lease is another attribute that they never touch.
func TestRunLeaseOnTheRecord(t *testing.T) {
	t.Parallel()
	bd := newBundle(t)
	b, ops := bd.operations(t)
	ctx := t.Context()
	run := createRun(t, bd.b, 1)
	at := now()
	until := at.Add(time.Minute)

	require.NoError(t, b.TakeLease(ctx, run.ID, "worker-1", at, until))
	require.Equal(t, []string{"UpdateItem"}, ops())
	m := bd.rawRun(t, run.ID)
	require.Equal(t, &types.AttributeValueMemberS{Value: "worker-1"}, m["leaseOwner"])
	require.Equal(t, &types.AttributeValueMemberN{Value: strconv.FormatInt(until.UnixMilli(), 10)}, m["leaseUntil"])
	require.NotContains(t, m, "lease", "the run lease is not the commit lease")

	err := b.TakeLease(ctx, run.ID, "worker-2", at, until)
	var held *backend.LeaseHeldError
	require.ErrorAs(t, err, &held)
	require.Equal(t, "worker-1", held.Owner)
	require.True(t, held.Until.Equal(until))
	require.Equal(t, []string{"UpdateItem"}, ops(), "a refusal needs no read")

	require.NoError(t, b.ReleaseLease(ctx, run.ID, "worker-2"))
	require.NoError(t, b.ReleaseLease(ctx, run.ID, "worker-1"))
	require.Equal(t, []string{"UpdateItem", "UpdateItem"}, ops())
	m = bd.rawRun(t, run.ID)
	require.NotContains(t, m, "leaseOwner")
	require.NotContains(t, m, "leaseUntil")
	require.Equal(t, int64(1), getRun(t, bd.b, run.ID).Version, "the lease calls are not commits")
}

// A commit reads the run before it writes; a lease taken in between stays as it was taken,
// for a commit of one transaction and for one whose events are pre-written under the commit
// lease.
func TestCommitKeepsALeaseTakenMeanwhile(t *testing.T) {
	t.Parallel()
	bd := newBundle(t)
	ctx := t.Context()
	run := createRun(t, bd.b, 1)
	at := now()
	require.NoError(t, bd.b.TakeLease(ctx, run.ID, "worker-1", at, at.Add(time.Minute)))

	for _, tc := range []struct {
		what   string
		events int
		before int // the TransactWriteItems call the lease is taken before
		owner  string
	}{
		{"a small commit", 1, 1, "worker-2"},
		{"a large commit", 250, 2, "worker-3"},
	} {
		until := at.Add(time.Hour)
		racer := bd.racer(t, func(n int) {
			if n == tc.before {
				// The previous holder's lease has lapsed by the clock the taker passes.
				require.NoError(t, bd.b.TakeLease(ctx, run.ID, tc.owner, at.Add(time.Minute), until))
			}
		})
		c := next(t, bd.b, run.ID)
		c.Events = events(getRun(t, bd.b, run.ID).LastSeq+1, tc.events, "e", 50)
		require.NoError(t, racer.Commit(ctx, c), tc.what)
		got := getRun(t, bd.b, run.ID)
		require.Equal(t, c.Version+1, got.Version, tc.what)
		require.Equal(t, tc.owner, got.LeaseOwner, "%s keeps the lease taken after it read the run", tc.what)
		require.True(t, got.LeaseUntil.Equal(until), tc.what)
		require.NotContains(t, bd.rawRun(t, run.ID), "lease", "%s drops its commit lease", tc.what)
		at = at.Add(time.Hour) // lets the next round's taker find the lease lapsed
	}
}

// A lease that would take the run record over DynamoDB's item limit fails with ErrTooLarge
// and stores nothing.
func TestTakeLeaseTooLarge(t *testing.T) {
	t.Parallel()
	b := newBundle(t).b
	ctx := t.Context()
	run := backend.Run{ID: id(t, "run"), Workflow: "wf", Input: json.RawMessage(`"` + strings.Repeat("x", 403_000) + `"`)}
	_, err := b.CreateRun(ctx, run, nil)
	require.NoError(t, err)
	at := now()

	err = b.TakeLease(ctx, run.ID, strings.Repeat("w", 8_000), at, at.Add(time.Minute))
	require.ErrorIs(t, err, awsbackend.ErrTooLarge)
	require.ErrorIs(t, err, backend.ErrTooLarge)
	got := getRun(t, b, run.ID)
	require.Empty(t, got.LeaseOwner)
	require.True(t, got.LeaseUntil.IsZero())
	require.NoError(t, b.TakeLease(ctx, run.ID, "worker-1", at, at.Add(time.Minute)), "a short owner fits")
}
