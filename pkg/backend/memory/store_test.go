package memory_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/memory"
)

func TestConcurrentCommitOneWinnerPerVersion(t *testing.T) {
	t.Parallel()
	for name, open := range kinds() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := open(t)
			ctx := context.Background()
			createRun(t, b, "r", 0)

			const versions, writers = 5, 8
			for v := int64(1); v <= versions; v++ {
				var wins, conflicts atomic.Int32
				var wg sync.WaitGroup
				for w := range writers {
					wg.Go(func() {
						err := b.Commit(ctx, backend.Commit{
							RunID:   "r",
							Version: v,
							Status:  backend.StatusRunning,
							Output:  json.RawMessage(fmt.Sprintf("%d", w)),
							Now:     time.Unix(300, 0),
							Events:  []backend.Event{{Seq: v, Type: fmt.Sprintf("w%d", w)}},
						})
						switch {
						case err == nil:
							wins.Add(1)
						case errors.Is(err, backend.ErrVersionConflict):
							conflicts.Add(1)
						default:
							t.Errorf("unexpected error: %v", err)
						}
					})
				}
				wg.Wait()
				require.EqualValues(t, 1, wins.Load(), "version %d", v)
				require.EqualValues(t, writers-1, conflicts.Load(), "version %d", v)

				run, err := b.GetRun(ctx, "r")
				require.NoError(t, err)
				require.Equal(t, v+1, run.Version)
				require.Equal(t, v, run.LastSeq)
				events, err := b.ListEvents(ctx, "r", v-1)
				require.NoError(t, err)
				require.Len(t, events, 1)
				require.Equal(t, "w"+string(run.Output), events[0].Type, "the winner's event is stored")
			}
		})
	}
}

func TestCommitFailureChangesNothing(t *testing.T) {
	t.Parallel()
	for name, open := range kinds() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := open(t)
			ctx := context.Background()
			createRun(t, b, "a", 1)
			createRun(t, b, "b", 1)
			require.NoError(t, b.Commit(ctx, backend.Commit{
				RunID: "a", Version: 1, Status: backend.StatusWaiting,
				ClaimTokens: []backend.Token{{Token: "held", HookID: "h", Kind: backend.TokenHook}},
			}))
			item, _, err := b.PutInbox(ctx, backend.InboxItem{RunID: "a", Kind: backend.InboxHook, Token: "held", HookID: "h"}, nil)
			require.NoError(t, err)

			before, err := b.GetRun(ctx, "b")
			require.NoError(t, err)
			err = b.Commit(ctx, backend.Commit{
				RunID: "b", Version: 1, Status: backend.StatusWaiting,
				Events:       seqEvents(2, 2),
				ClaimTokens:  []backend.Token{{Token: "free"}, {Token: "held"}},
				PutResponses: []backend.Response{{DeliveryID: "d"}},
			})
			var conflict *backend.TokenConflictError
			require.ErrorAs(t, err, &conflict)
			require.Equal(t, "held", conflict.Token)
			require.Equal(t, "a", conflict.RunID)

			after, err := b.GetRun(ctx, "b")
			require.NoError(t, err)
			require.Equal(t, before, after)
			_, err = b.GetToken(ctx, "free")
			require.ErrorIs(t, err, backend.ErrTokenNotFound)
			_, err = b.GetResponse(ctx, "d")
			require.ErrorIs(t, err, backend.ErrResponseNotFound)
			events, err := b.ListEvents(ctx, "b", 0)
			require.NoError(t, err)
			require.Len(t, events, 1)

			// A token claimed twice in one commit is a conflict too.
			err = b.Commit(ctx, backend.Commit{
				RunID: "b", Version: 1,
				ClaimTokens: []backend.Token{{Token: "x"}, {Token: "x"}},
			})
			require.ErrorAs(t, err, &conflict)
			require.Equal(t, &backend.TokenConflictError{Token: "x", RunID: "b"}, conflict)

			// A version conflict is reported before anything else.
			err = b.Commit(ctx, backend.Commit{RunID: "b", Version: 7, Events: seqEvents(9, 1)})
			require.ErrorIs(t, err, backend.ErrVersionConflict)

			// Deleting the item of another run does nothing.
			require.NoError(t, b.Commit(ctx, backend.Commit{RunID: "b", Version: 1, DeleteInbox: []string{item.ID}}))
			items, err := b.ListInbox(ctx, "a", 0)
			require.NoError(t, err)
			require.Len(t, items, 1)
		})
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	b := memory.New()
	defer b.Close()
	ctx := context.Background()

	_, err := b.CreateRun(ctx, backend.Run{}, nil)
	require.ErrorIs(t, err, backend.ErrInvalidCommit)
	_, err = b.CreateRun(ctx, backend.Run{ID: "r"}, seqEvents(2, 1))
	require.ErrorIs(t, err, backend.ErrInvalidCommit)
	_, err = b.GetRun(ctx, "r")
	require.ErrorIs(t, err, backend.ErrRunNotFound)

	first := createRun(t, b, "r", 2)
	require.Equal(t, int64(1), first.Version)
	require.Equal(t, int64(2), first.LastSeq)
	existing, err := b.CreateRun(ctx, backend.Run{ID: "r", Workflow: "other"}, nil)
	require.ErrorIs(t, err, backend.ErrRunExists)
	require.Equal(t, first, existing)

	require.ErrorIs(t, b.Commit(ctx, backend.Commit{Version: 1}), backend.ErrInvalidCommit)
	require.ErrorIs(t, b.Commit(ctx, backend.Commit{RunID: "nope", Version: 1}), backend.ErrRunNotFound)
	require.ErrorIs(t, b.Commit(ctx, backend.Commit{RunID: "r", Version: 1, Events: seqEvents(4, 1)}), backend.ErrInvalidCommit)
	require.ErrorIs(t, b.Commit(ctx, backend.Commit{RunID: "r", Version: 1, Events: []backend.Event{{Seq: 3}, {Seq: 5}}}), backend.ErrInvalidCommit)
	require.ErrorIs(t, b.Commit(ctx, backend.Commit{RunID: "r", Version: 1, ClaimTokens: []backend.Token{{Token: "t", RunID: "other"}}}), backend.ErrInvalidCommit)

	_, _, err = b.PutInbox(ctx, backend.InboxItem{RunID: "r", Kind: "weird"}, nil)
	require.Error(t, err)
	_, _, err = b.PutInbox(ctx, backend.InboxItem{RunID: "r", Kind: backend.InboxCancel}, &backend.Idempotency{})
	require.Error(t, err)

	run, err := b.GetRun(ctx, "r")
	require.NoError(t, err)
	require.Equal(t, first, run, "failed calls changed nothing")
}

func TestCallersCannotMutateStoredState(t *testing.T) {
	t.Parallel()
	b := memory.New()
	defer b.Close()
	ctx := context.Background()

	input := json.RawMessage(`{"a":1}`)
	events := []backend.Event{{Seq: 1, Data: json.RawMessage(`"e"`)}}
	run, err := b.CreateRun(ctx, backend.Run{ID: "r", Input: input}, events)
	require.NoError(t, err)
	input[2] = 'X'
	events[0].Data[1] = 'X'
	run.Input[2] = 'Y'

	got, err := b.GetRun(ctx, "r")
	require.NoError(t, err)
	require.JSONEq(t, `{"a":1}`, string(got.Input))
	got.Input[2] = 'Z'
	listed, err := b.ListEvents(ctx, "r", 0)
	require.NoError(t, err)
	require.Equal(t, `"e"`, string(listed[0].Data))
	listed[0].Data[1] = 'Z'
	listed, err = b.ListEvents(ctx, "r", 0)
	require.NoError(t, err)
	require.Equal(t, `"e"`, string(listed[0].Data))

	tokenData := json.RawMessage(`{"t":1}`)
	require.NoError(t, b.Commit(ctx, backend.Commit{RunID: "r", Version: 1, ClaimTokens: []backend.Token{{Token: "t", HookID: "h", Data: tokenData}}}))
	tokenData[2] = 'X'
	payload := json.RawMessage(`{"p":1}`)
	item, _, err := b.PutInbox(ctx, backend.InboxItem{RunID: "r", Kind: backend.InboxHook, Token: "t", HookID: "h", Payload: payload}, nil)
	require.NoError(t, err)
	payload[2] = 'X'
	item.Payload[2] = 'Y'

	tok, err := b.GetToken(ctx, "t")
	require.NoError(t, err)
	require.Equal(t, `{"t":1}`, string(tok.Data))
	items, err := b.ListInbox(ctx, "r", 0)
	require.NoError(t, err)
	require.Equal(t, `{"p":1}`, string(items[0].Payload))
}

func TestInboxIDsIncreaseStrictly(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	b := memory.New(memory.WithClock(clock))
	defer b.Close()
	ctx := context.Background()
	createRun(t, b, "r1", 0)
	createRun(t, b, "r2", 0)

	var last string
	for i := range 50 {
		switch i % 3 {
		case 0: // same millisecond
		case 1:
			clock.Advance(time.Millisecond)
		case 2:
			clock.Advance(-time.Hour) // a clock going back does not break the order
		}
		runID := []string{"r1", "r2"}[i%2]
		item, _, err := b.PutInbox(ctx, backend.InboxItem{RunID: runID, Kind: backend.InboxCancel}, nil)
		require.NoError(t, err)
		require.Greater(t, item.ID, last)
		last = item.ID
	}
	items, err := b.ListInbox(ctx, "r1", 0)
	require.NoError(t, err)
	require.Len(t, items, 25)
	for i := 1; i < len(items); i++ {
		require.Less(t, items[i-1].ID, items[i].ID)
	}
}

func TestCloseMakesCallsFail(t *testing.T) {
	t.Parallel()
	for name, open := range kinds() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := open(t) // closed again by the cleanup: closing twice is fine
			ctx := context.Background()
			createRun(t, b, "r", 0)
			require.NoError(t, b.Enqueue(ctx, "r", 0))
			require.NoError(t, b.Close())

			_, err := b.GetRun(ctx, "r")
			require.ErrorIs(t, err, memory.ErrClosed)
			_, err = b.CreateRun(ctx, backend.Run{ID: "x"}, nil)
			require.ErrorIs(t, err, memory.ErrClosed)
			require.ErrorIs(t, b.Commit(ctx, backend.Commit{RunID: "r", Version: 1}), memory.ErrClosed)
			require.ErrorIs(t, b.TakeLease(ctx, "r", "w", time.Now(), time.Now().Add(time.Minute)), memory.ErrClosed)
			require.ErrorIs(t, b.ReleaseLease(ctx, "r", "w"), memory.ErrClosed)
			require.ErrorIs(t, b.ReleaseLease(ctx, "r", ""), memory.ErrClosed)
			_, _, err = b.PutInbox(ctx, backend.InboxItem{RunID: "r", Kind: backend.InboxCancel}, nil)
			require.ErrorIs(t, err, memory.ErrClosed)
			_, err = b.ListDue(ctx, dueQuery(time.Now(), 0))
			require.ErrorIs(t, err, memory.ErrClosed)
			require.ErrorIs(t, b.Enqueue(ctx, "r", 0), memory.ErrClosed)
			_, err = b.Receive(ctx, 1, 0)
			require.ErrorIs(t, err, memory.ErrClosed)
			require.ErrorIs(t, b.Ack(ctx, backend.WakeMessage{Receipt: "x"}), memory.ErrClosed)
			require.Zero(t, b.Pending())
			_, ok := b.NextVisible()
			require.False(t, ok)
		})
	}
}

func TestListDueOrderAndLimit(t *testing.T) {
	t.Parallel()
	b := memory.New()
	defer b.Close()
	ctx := context.Background()
	base := time.Unix(1000, 0)
	for _, id := range []string{"a", "b", "c", "d"} {
		createRun(t, b, id, 0)
	}
	commit := func(id string, due time.Time, claim string) {
		c := backend.Commit{RunID: id, Version: 1, Status: backend.StatusWaiting, DueAt: due}
		if claim != "" {
			c.ClaimTokens = []backend.Token{{Token: claim, HookID: "h"}}
		}
		require.NoError(t, b.Commit(ctx, c))
	}
	commit("a", base.Add(3*time.Second), "")
	commit("b", base.Add(time.Second), "tb")
	commit("c", time.Time{}, "tc")
	commit("d", base.Add(time.Hour), "")
	_, _, err := b.PutInbox(ctx, backend.InboxItem{RunID: "c", Kind: backend.InboxHook, Token: "tc", HookID: "h", CreatedAt: base.Add(2 * time.Second)}, nil)
	require.NoError(t, err)
	_, _, err = b.PutInbox(ctx, backend.InboxItem{RunID: "b", Kind: backend.InboxHook, Token: "tb", HookID: "h", CreatedAt: base}, nil)
	require.NoError(t, err)

	due, err := b.ListDue(ctx, dueQuery(base.Add(time.Minute), 0))
	require.NoError(t, err)
	require.Equal(t, []string{"b", "c", "a"}, due)
	due, err = b.ListDue(ctx, dueQuery(base.Add(time.Minute), 2))
	require.NoError(t, err)
	require.Equal(t, []string{"b", "c"}, due)
	due, err = b.ListDue(ctx, dueQuery(base.Add(-time.Second), 0))
	require.NoError(t, err)
	require.Empty(t, due)
}

func TestClockIsShared(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	b := memory.New(memory.WithClock(clock))
	defer b.Close()
	require.Same(t, clock, backend.ClockOf(b))
	plain := memory.New()
	defer plain.Close()
	require.Equal(t, backend.SystemClock{}, backend.ClockOf(plain))
}

// dueQuery asks ListDue for runs due by before, timers and inbox items alike.
func dueQuery(before time.Time, limit int) backend.DueQuery {
	return backend.DueQuery{DueBefore: before, InboxBefore: before, Limit: limit}
}
