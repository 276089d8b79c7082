package engine

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
)

// Single flight on DynamoDB and SQS: a delivery made while a runner holds the run sends no wake,
// another runner's wake is coalesced, and the holder takes the delivery after letting go.
func TestHolderTakesLateDeliveryOnDynamoDB(t *testing.T) {
	t.Parallel()
	b := awstest.Setup(t).NewBackend(t, awsbackend.Options{})
	clock := backend.SystemClock{}
	reg := NewRegistry()
	registerListener(t, reg)
	ctx := t.Context()
	hooked := &releaseHook{Backend: b}
	holder, other := newEngine(hooked, clock, reg), newEngine(b, clock, reg)
	t.Cleanup(holder.Close)
	t.Cleanup(other.Close)

	_, _, err := StartRun(ctx, b, clock, "listener", "r1", json.RawMessage(fmt.Sprint(2)))
	require.NoError(t, err)
	require.NoError(t, other.Drive(ctx, "r1"))
	msgs, err := b.Receive(ctx, 10, 0)
	require.NoError(t, err)
	require.NoError(t, b.Ack(ctx, msgs...))

	deliver(t, b, "r1", `"first"`)
	hooked.set(func() { // after the holder's turn, before it lets go
		deliver(t, b, "r1", `"late"`)
		require.NoError(t, WakeAfterDelivery(ctx, b, clock, "r1"))
		queued, err := b.Receive(ctx, 10, 0)
		require.NoError(t, err)
		require.Empty(t, queued, "no wake for a held run")
		before := other.Stats().Coalesced
		require.NoError(t, other.Drive(ctx, "r1"))
		require.Equal(t, before+1, other.Stats().Coalesced, "another runner's wake is coalesced")
	})
	require.NoError(t, holder.Drive(ctx, "r1"))

	run, err := b.GetRun(ctx, "r1")
	require.NoError(t, err)
	require.Equal(t, backend.StatusCompleted, run.Status, "the holder took the late delivery after letting go")
	require.JSONEq(t, `["first","late"]`, string(run.Output))
	require.Empty(t, run.LeaseOwner)
	require.Zero(t, other.Stats().Conflicts+holder.Stats().Conflicts)
}
