package memory_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/memory"
)

func TestRecordsSurviveReopen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	clock := newFakeClock()
	now := clock.Now()

	b, err := memory.Open(path, memory.WithClock(clock))
	require.NoError(t, err)
	createRun(t, b, "r", 2)
	createRun(t, b, "other", 0)
	require.NoError(t, b.Commit(ctx, backend.Commit{
		RunID:   "r",
		Version: 1,
		Status:  backend.StatusWaiting,
		Output:  json.RawMessage{}, // empty, not nil: must come back empty
		Error:   json.RawMessage(`not json at all`),
		DueAt:   now.Add(time.Hour),
		Now:     now,
		Events:  seqEvents(3, 2),
		ClaimTokens: []backend.Token{
			{Token: "t1", HookID: "h1", Kind: backend.TokenHook, Data: json.RawMessage(`{"s":1}`), CreatedAt: now},
			{Token: "t2", HookID: "h2", Kind: backend.TokenWebhook, CreatedAt: now.Add(time.Second)},
		},
		PutResponses: []backend.Response{{DeliveryID: "d1", Data: json.RawMessage(`{"status":200}`), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}},
	}))
	item1, idem, err := b.PutInbox(ctx,
		backend.InboxItem{RunID: "r", Kind: backend.InboxHook, Token: "t1", HookID: "h1", DeliveryID: "d1", Payload: json.RawMessage(`[1,2]`), CreatedAt: now},
		&backend.Idempotency{Key: "k1", Data: json.RawMessage(`{"first":true}`), CreatedAt: now})
	require.NoError(t, err)
	require.NotNil(t, idem)
	item2, _, err := b.PutInbox(ctx, backend.InboxItem{RunID: "r", Kind: backend.InboxCancel, CreatedAt: now}, nil)
	require.NoError(t, err)
	// Delete one item and release one token, so that deletions are persisted too.
	require.NoError(t, b.Commit(ctx, backend.Commit{
		RunID: "r", Version: 2, Status: backend.StatusWaiting, DueAt: now.Add(time.Hour), Now: now,
		Output: json.RawMessage{}, Error: json.RawMessage(`not json at all`),
		DeleteInbox: []string{item2.ID}, ReleaseTokens: []string{"t2"},
	}))
	require.NoError(t, b.Enqueue(ctx, "r", 0))
	require.NoError(t, b.RejectDelivery(ctx, "t1", "r", "h1", now))

	wantRun, err := b.GetRun(ctx, "r")
	require.NoError(t, err)
	wantEvents, err := b.ListEvents(ctx, "r", 0)
	require.NoError(t, err)
	wantItems, err := b.ListInbox(ctx, "r", 0)
	require.NoError(t, err)
	wantTokens, err := b.ListTokens(ctx, "")
	require.NoError(t, err)
	wantResp, err := b.GetResponse(ctx, "d1")
	require.NoError(t, err)
	require.NoError(t, b.Close())

	b, err = memory.Open(path, memory.WithClock(clock))
	require.NoError(t, err)
	defer b.Close()

	gotRun, err := b.GetRun(ctx, "r")
	require.NoError(t, err)
	require.Equal(t, wantRun, gotRun)
	require.Equal(t, int64(3), gotRun.Version)
	require.Equal(t, int64(4), gotRun.LastSeq)
	require.NotNil(t, gotRun.Output)
	require.Empty(t, gotRun.Output)
	require.Equal(t, "not json at all", string(gotRun.Error))
	require.True(t, gotRun.DueAt.Equal(now.Add(time.Hour)))

	gotEvents, err := b.ListEvents(ctx, "r", 0)
	require.NoError(t, err)
	require.Equal(t, wantEvents, gotEvents)
	gotEvents, err = b.ListEvents(ctx, "r", 3)
	require.NoError(t, err)
	require.Len(t, gotEvents, 1)
	require.Equal(t, int64(4), gotEvents[0].Seq)

	gotItems, err := b.ListInbox(ctx, "r", 0)
	require.NoError(t, err)
	require.Equal(t, wantItems, gotItems)
	require.Len(t, gotItems, 1)
	require.Equal(t, item1.ID, gotItems[0].ID)

	gotTokens, err := b.ListTokens(ctx, "")
	require.NoError(t, err)
	require.Equal(t, wantTokens, gotTokens)
	require.Len(t, gotTokens, 1)
	require.Equal(t, "t1", gotTokens[0].Token)
	require.Equal(t, int64(1), gotTokens[0].Deliveries)
	require.Equal(t, int64(1), gotTokens[0].Rejections, "a rejection count survives the reopen")
	require.True(t, gotTokens[0].RejectedAt.Equal(now))
	_, err = b.GetToken(ctx, "t2")
	require.ErrorIs(t, err, backend.ErrTokenNotFound)

	gotResp, err := b.GetResponse(ctx, "d1")
	require.NoError(t, err)
	require.Equal(t, wantResp, gotResp)

	rec, err := b.GetIdempotency(ctx, "k1")
	require.NoError(t, err)
	require.JSONEq(t, `{"first":true}`, string(rec.Data))
	_, dup, err := b.PutInbox(ctx,
		backend.InboxItem{RunID: "r", Kind: backend.InboxHook, Token: "t1", HookID: "h1"},
		&backend.Idempotency{Key: "k1", Data: json.RawMessage(`{"first":false}`)})
	require.ErrorIs(t, err, backend.ErrDuplicate)
	require.JSONEq(t, `{"first":true}`, string(dup.Data))

	// The queue is not persisted; ListDue finds the run instead.
	require.Zero(t, b.Pending())
	msgs, err := b.Receive(ctx, 10, 0)
	require.NoError(t, err)
	require.Empty(t, msgs)
	due, err := b.ListDue(ctx, backend.DueQuery{DueBefore: now, InboxBefore: now})
	require.NoError(t, err)
	require.Equal(t, []string{"r"}, due)

	// All times above are in UTC without a monotonic reading, so they come back equal.

	// Inbox IDs keep increasing after a restart, even with the clock turned back.
	clock.Advance(-24 * time.Hour)
	item3, _, err := b.PutInbox(ctx, backend.InboxItem{RunID: "r", Kind: backend.InboxCancel}, nil)
	require.NoError(t, err)
	require.Greater(t, item3.ID, item2.ID)

	// Commits go on from the reloaded version and history.
	require.NoError(t, b.Commit(ctx, backend.Commit{RunID: "r", Version: 3, Status: backend.StatusRunning, Events: seqEvents(5, 1)}))
	_, err = b.CreateRun(ctx, backend.Run{ID: "other"}, nil)
	require.ErrorIs(t, err, backend.ErrRunExists)
}

// A run's lease stays in memory: a reopened file holds none, since the runners that held
// them were in the process that closed it, and the run comes back otherwise whole.
func TestLeaseIsNotKeptInTheFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600))
	until := at.Add(time.Minute + 999*time.Microsecond)

	b, err := memory.Open(path)
	require.NoError(t, err)
	createRun(t, b, "leased", 1)
	require.NoError(t, b.TakeLease(ctx, "leased", "worker-1", at, until))
	require.NoError(t, b.Commit(ctx, backend.Commit{RunID: "leased", Version: 1, Status: backend.StatusRunning, Now: at.UTC(), Events: seqEvents(2, 1)}))
	want, err := b.GetRun(ctx, "leased")
	require.NoError(t, err)
	require.Equal(t, "worker-1", want.LeaseOwner)
	require.True(t, want.LeaseUntil.Equal(until.Truncate(time.Millisecond)), "LeaseUntil %v", want.LeaseUntil)
	var held *backend.LeaseHeldError
	require.ErrorAs(t, b.TakeLease(ctx, "leased", "worker-2", at, at.Add(time.Hour)), &held, "the lease holds while the file is open")

	require.NoError(t, b.Close())
	b, err = memory.Open(path)
	require.NoError(t, err)
	defer func() { require.NoError(t, b.Close()) }()
	got, err := b.GetRun(ctx, "leased")
	require.NoError(t, err)
	require.Empty(t, got.LeaseOwner)
	require.True(t, got.LeaseUntil.IsZero())
	want.LeaseOwner, want.LeaseUntil = "", time.Time{}
	require.Equal(t, want, got, "the run comes back whole but for its lease")
	require.Equal(t, int64(2), got.Version)
	require.NoError(t, b.TakeLease(ctx, "leased", "worker-2", at, at.Add(time.Hour)), "a new runner takes the run at once")
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	_, err := memory.Open(filepath.Join(t.TempDir(), "missing", "db"))
	require.Error(t, err)
}
