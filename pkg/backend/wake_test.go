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

func TestSendOnEarly(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	clock := fixedClock{now}
	for _, tc := range []struct {
		name      string
		notBefore time.Time
		sent      bool // sent on, to be visible at notBefore
	}{
		{name: "now", notBefore: time.Time{}},
		{name: "in the past", notBefore: now.Add(-time.Hour)},
		{name: "less than a second early", notBefore: now.Add(900 * time.Millisecond)},
		{name: "an hour early", notBefore: now.Add(time.Hour), sent: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := memory.New(memory.WithClock(clock))
			t.Cleanup(func() { _ = b.Close() })
			sent, err := backend.SendOnEarly(context.Background(), b, clock, "r1", tc.notBefore)
			require.NoError(t, err)
			require.Equal(t, tc.sent, sent)
			require.Zero(t, b.Pending(), "nothing visible now")
			next, queued := b.NextVisible()
			require.Equal(t, tc.sent, queued)
			if tc.sent {
				require.Equal(t, tc.notBefore, next, "sent on for the rest of its delay")
			}
		})
	}
}
