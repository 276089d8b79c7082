package memory

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/hookflow/hookflow/pkg/backend"
)

// openHook opens a file-backed backend holding a run with one live hook token.
func openHook(t *testing.T) (*Backend, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db")
	b, err := Open(path)
	require.NoError(t, err)
	ctx, now := t.Context(), time.Now()
	_, err = b.CreateRun(ctx, backend.Run{ID: "r", Workflow: "w", Status: backend.StatusWaiting, CreatedAt: now}, nil)
	require.NoError(t, err)
	require.NoError(t, b.Commit(ctx, backend.Commit{RunID: "r", Version: 1, Status: backend.StatusWaiting, Now: now,
		ClaimTokens: []backend.Token{{Token: "t", RunID: "r", HookID: "h", Kind: backend.TokenHook, CreatedAt: now}}}))
	return b, path
}

// Concurrent writers share fsyncs: 200 deliveries from 50 goroutines take fewer groups than
// writes, each caller is answered once its write is on disk, and all of them are there after
// a reopen.
func TestGroupCommitSharesFsyncs(t *testing.T) {
	t.Parallel()
	b, path := openHook(t)
	ctx := t.Context()
	before := b.commits.groupsWritten()
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for w := range 50 {
		wg.Go(func() {
			for i := range 4 {
				item := backend.InboxItem{RunID: "r", Kind: backend.InboxHook, Token: "t", HookID: "h",
					Payload: json.RawMessage(`{"w":` + string(rune('0'+w%10)) + `,"i":` + string(rune('0'+i)) + `}`), CreatedAt: time.Now()}
				if _, _, err := b.PutInbox(ctx, item, nil); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	groups := b.commits.groupsWritten() - before
	require.Less(t, groups, 200, "writes waiting together share a group")
	t.Logf("200 deliveries in %d groups", groups)
	require.NoError(t, b.Close())

	again, err := Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = again.Close() })
	items, err := again.ListInbox(context.Background(), "r", 0)
	require.NoError(t, err)
	require.Len(t, items, 200, "every acknowledged delivery is on disk")
	tok, err := again.GetToken(context.Background(), "t")
	require.NoError(t, err)
	require.Equal(t, int64(200), tok.Deliveries)
}

// A group that fails to reach the file fails every write in it, and the backend refuses every
// call from then on: its memory may be ahead of the file.
func TestGroupCommitFailureStopsTheBackend(t *testing.T) {
	t.Parallel()
	b, _ := openHook(t)
	t.Cleanup(func() { _ = b.Close() })
	ctx := t.Context()
	b.mu.Lock()
	wait := b.persist(func(*bolt.Tx) error { return errors.New("disk full") })
	b.mu.Unlock()
	err := settle(wait, "test write")
	require.ErrorIs(t, err, ErrFailed)
	require.ErrorContains(t, err, "disk full")

	_, _, err = b.PutInbox(ctx, backend.InboxItem{RunID: "r", Kind: backend.InboxHook, Token: "t", HookID: "h", Payload: json.RawMessage(`{}`)}, nil)
	require.ErrorIs(t, err, ErrFailed, "no write after a failed one")
	_, err = b.GetRun(ctx, "r")
	require.ErrorIs(t, err, ErrFailed, "nor a read of memory that may be ahead of the file")
}
