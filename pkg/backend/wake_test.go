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
	w, err := backend.DecodeWake(`{"runId":"r1"}`)
	require.NoError(t, err)
	require.Equal(t, backend.Wake{RunID: "r1"}, w)
	require.JSONEq(t, `{"runId":"r1"}`, backend.EncodeWake(backend.Wake{RunID: "r1"}))

	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.FixedZone("x", 3600))
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	w, err = backend.DecodeWake(backend.EncodeWake(backend.Wake{RunID: "r2", NotBefore: at, TraceParent: tp}))
	require.NoError(t, err)
	require.Equal(t, "r2", w.RunID)
	require.True(t, w.NotBefore.Equal(at))
	require.Equal(t, tp, w.TraceParent, "the trace context travels with the wake")
	w, err = backend.DecodeWake(`{"runId":"r3","traceparent":"not-a-trace"}`)
	require.NoError(t, err, "a bad trace context does not lose the wake")
	require.Empty(t, w.TraceParent)

	for _, bad := range []string{``, `{}`, `{"runId":""}`, `[1]`, `{"runId":5}`, `{"runId":"r","notBefore":"soon"}`} {
		_, err := backend.DecodeWake(bad)
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
