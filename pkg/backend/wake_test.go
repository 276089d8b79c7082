package backend_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/memory"
)

type fixedClock struct{ now time.Time }

func (c fixedClock) Now() time.Time { return c.now }

func TestWakeBodies(t *testing.T) {
	t.Parallel()
	id, nb, err := backend.DecodeWake(`{"runId":"r1"}`)
	require.NoError(t, err)
	require.Equal(t, "r1", id)
	require.True(t, nb.IsZero())
	require.JSONEq(t, `{"runId":"r1"}`, backend.EncodeWake("r1", time.Time{}))

	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.FixedZone("x", 3600))
	id, nb, err = backend.DecodeWake(backend.EncodeWake("r2", at))
	require.NoError(t, err)
	require.Equal(t, "r2", id)
	require.True(t, nb.Equal(at))

	for _, bad := range []string{``, `{}`, `{"runId":""}`, `[1]`, `{"runId":5}`, `{"runId":"r","notBefore":"soon"}`} {
		_, _, err := backend.DecodeWake(bad)
		require.ErrorIs(t, err, backend.ErrBadWake, bad)
	}
}

func TestReadWake(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	clock := fixedClock{now}
	for _, tc := range []struct {
		name     string
		body     string
		runID    string
		due      bool
		requeued bool // sent on, to be visible in an hour
		errIs    error
	}{
		{name: "now", body: backend.EncodeWake("r1", time.Time{}), runID: "r1", due: true},
		{name: "less than a second early", body: backend.EncodeWake("r1", now.Add(900*time.Millisecond)), runID: "r1", due: true},
		{name: "an hour early", body: backend.EncodeWake("r1", now.Add(time.Hour)), runID: "r1", requeued: true},
		{name: "early, for an unknown run", body: backend.EncodeWake("nope", now.Add(time.Hour)), runID: "nope"},
		{name: "not a wake", body: `garbage`, errIs: backend.ErrBadWake},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := memory.New(memory.WithClock(clock))
			t.Cleanup(func() { _ = b.Close() })
			ctx := context.Background()
			_, err := b.CreateRun(ctx, backend.Run{ID: "r1", Workflow: "w", Status: backend.StatusPending, CreatedAt: now, UpdatedAt: now},
				[]backend.Event{{Seq: 1, Type: "run_created", CreatedAt: now}})
			require.NoError(t, err)

			runID, due, err := backend.ReadWake(ctx, b, clock, tc.body)
			if tc.errIs != nil {
				require.ErrorIs(t, err, tc.errIs)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.runID, runID)
			require.Equal(t, tc.due, due)
			require.Zero(t, b.Pending(), "nothing visible now")
			next, queued := b.NextVisible()
			require.Equal(t, tc.requeued, queued)
			if tc.requeued {
				require.Equal(t, now.Add(time.Hour), next, "sent on for the rest of its delay")
			}
		})
	}
}
