package aws_test

import (
	"hash/fnv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
)

// shardOf is the IndexDue shard of a run, as package aws documents it.
func shardOf(runID string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(runID))
	return h.Sum32() % awsbackend.DueShards
}

// idInShard returns a fresh run ID in the given IndexDue shard.
func idInShard(t *testing.T, shard uint32) string {
	t.Helper()
	for {
		if runID := id(t, "run"); shardOf(runID) == shard {
			return runID
		}
	}
}

// Stuck runs found through their inbox items in the shard of a due run, ahead of it, do not
// take its place under a limit (the suite's Stuck/LimitNotFilled relies on chance to put them
// in one shard; this puts them there).
func TestListDueStuckRunsInOneShard(t *testing.T) {
	t.Parallel()
	b := newBundle(t).b
	ctx := t.Context()
	base := now()
	due := backend.Run{ID: id(t, "run"), Workflow: "wf", Status: backend.StatusWaiting, CreatedAt: base, DueAt: base.Add(-time.Minute)}
	_, err := b.CreateRun(ctx, due, nil)
	require.NoError(t, err)
	for range 5 {
		stuck := backend.Run{ID: idInShard(t, shardOf(due.ID)), Workflow: "wf", Status: backend.StatusStuck, CreatedAt: base}
		_, err := b.CreateRun(ctx, stuck, nil)
		require.NoError(t, err)
		_, _, err = b.PutInbox(ctx, backend.InboxItem{RunID: stuck.ID, Kind: backend.InboxCancel, CreatedAt: base.Add(-time.Hour)}, nil)
		require.NoError(t, err)
	}
	for _, limit := range []int{1, 2, 0} {
		ids, err := b.ListDue(ctx, backend.DueQuery{DueBefore: base, InboxBefore: base, Limit: limit})
		require.NoError(t, err)
		require.Equal(t, []string{due.ID}, ids, "limit %d", limit)
	}
}
