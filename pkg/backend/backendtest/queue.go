package backendtest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookflow/hookflow/pkg/backend"
)

// queueTests cover the wake queue. They wait on real time (visibility timeout, delays), so
// they dominate the suite's run time; each keeps its waits to a few seconds.
//
// A driver may share one queue between backends; each test then looks only at messages for
// its own run IDs. Other messages are acknowledged when no running subtest owns them (leftovers
// of earlier runs) and otherwise left alone to be redelivered to their owner.
func queueTests() []subtest {
	return []subtest{
		{"EnqueueReceive", testQueueEnqueueReceive},
		{"TraceContext", testQueueTraceContext},
		{"Ack", testQueueAck},
		{"AckTwice", testQueueAckTwice},
		{"Redelivery", testQueueRedelivery},
		{"Delay", testQueueDelay},
		{"Max", testQueueMax},
		{"WaitExpires", testQueueWaitExpires},
		{"ContextEnds", testQueueContextEnds},
	}
}

// maxVisibility is the longest visibility timeout Run accepts.
const maxVisibility = 2 * time.Second

// sortOut returns the messages in msgs for the runs in mine, acknowledging stray messages that
// no running subtest owns.
func sortOut(t *testing.T, b backend.Backend, msgs []backend.WakeMessage, mine map[string]bool) []backend.WakeMessage {
	t.Helper()
	var out, stray []backend.WakeMessage
	for _, m := range msgs {
		switch {
		case mine[m.RunID]:
			out = append(out, m)
		case !isLive(m.RunID):
			stray = append(stray, m)
		}
	}
	if len(stray) > 0 {
		require.NoError(t, b.Ack(t.Context(), stray...), "Ack of stray messages")
	}
	return out
}

// receiveOwn calls Receive(maxN) until it has n messages for the runs in mine or timeout has
// passed, and returns those messages (not acknowledged).
func receiveOwn(t *testing.T, b backend.Backend, mine map[string]bool, n, maxN int, timeout time.Duration) []backend.WakeMessage {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var got []backend.WakeMessage
	for len(got) < n {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		msgs, err := b.Receive(t.Context(), maxN, min(left, time.Second))
		require.NoError(t, err, "Receive")
		require.LessOrEqual(t, len(msgs), maxN, "Receive(max %d) returned %d messages", maxN, len(msgs))
		got = append(got, sortOut(t, b, msgs, mine)...)
	}
	return got
}

// An enqueued message is received, naming its run.
func testQueueEnqueueReceive(t *testing.T, b backend.Backend) {
	runID := uid(t, "run")
	require.NoError(t, b.Enqueue(t.Context(), runID, 0))
	msgs := receiveOwn(t, b, set(runID), 1, 10, 5*time.Second)
	require.Len(t, msgs, 1, "message not received within 5s")
	require.Equal(t, runID, msgs[0].RunID)
	require.NoError(t, b.Ack(t.Context(), msgs...))
}

// A message carries the trace context of the Enqueue to the receiver; one sent without a span
// carries none.
func testQueueTraceContext(t *testing.T, b backend.Backend) {
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
	})
	traced, plain := uid(t, "run"), uid(t, "run")
	require.NoError(t, b.Enqueue(trace.ContextWithSpanContext(t.Context(), sc), traced, 0))
	require.NoError(t, b.Enqueue(t.Context(), plain, 0))
	msgs := receiveOwn(t, b, set(traced, plain), 2, 10, 5*time.Second)
	require.Len(t, msgs, 2, "messages not received within 5s")
	got := map[string]string{}
	for _, m := range msgs {
		got[m.RunID] = m.TraceParent
	}
	require.Equal(t, map[string]string{traced: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", plain: ""}, got)
	require.NoError(t, b.Ack(t.Context(), msgs...))
}

// An acknowledged message is not delivered again, even after the visibility timeout.
func testQueueAck(t *testing.T, b backend.Backend) {
	runID := uid(t, "run")
	mine := set(runID)
	require.NoError(t, b.Enqueue(t.Context(), runID, 0))
	msgs := receiveOwn(t, b, mine, 1, 10, 5*time.Second)
	require.Len(t, msgs, 1, "message not received within 5s")
	require.NoError(t, b.Ack(t.Context(), msgs...))

	again := receiveOwn(t, b, mine, 1, 10, maxVisibility+time.Second)
	require.Empty(t, again, "an acknowledged message was delivered again")
}

// Acknowledging a message twice is not an error, nor is acknowledging nothing.
func testQueueAckTwice(t *testing.T, b backend.Backend) {
	runID := uid(t, "run")
	require.NoError(t, b.Enqueue(t.Context(), runID, 0))
	msgs := receiveOwn(t, b, set(runID), 1, 10, 5*time.Second)
	require.Len(t, msgs, 1, "message not received within 5s")
	require.NoError(t, b.Ack(t.Context(), msgs...), "first Ack")
	require.NoError(t, b.Ack(t.Context(), msgs...), "second Ack")
	require.NoError(t, b.Ack(t.Context()), "Ack of no messages")
}

// A message that is received and not acknowledged stays invisible for a while and is then
// delivered again.
func testQueueRedelivery(t *testing.T, b backend.Backend) {
	runID := uid(t, "run")
	mine := set(runID)
	require.NoError(t, b.Enqueue(t.Context(), runID, 0))
	first := receiveOwn(t, b, mine, 1, 10, 5*time.Second)
	require.Len(t, first, 1, "message not received within 5s")
	received := time.Now()

	msgs, err := b.Receive(t.Context(), 10, 0)
	require.NoError(t, err, "Receive without waiting")
	if time.Since(received) < 50*time.Millisecond {
		require.Empty(t, sortOut(t, b, msgs, mine), "a received message must stay invisible for the visibility timeout")
	} else {
		sortOut(t, b, msgs, mine)
	}

	second := receiveOwn(t, b, mine, 1, 10, maxVisibility+3*time.Second)
	require.Len(t, second, 1, "an unacknowledged message was not delivered again within %v", maxVisibility+3*time.Second)
	require.Equal(t, runID, second[0].RunID)
	require.NoError(t, b.Ack(t.Context(), second...))
}

// A delayed message is not visible before its delay; a message without delay sent after it
// is visible at once. SQS delays have whole-second granularity, hence one second.
func testQueueDelay(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	delayed, prompt := uid(t, "run"), uid(t, "run")
	mine := set(delayed, prompt)
	start := time.Now()
	require.NoError(t, b.Enqueue(ctx, delayed, time.Second))
	require.NoError(t, b.Enqueue(ctx, prompt, 0))

	var gotDelayed, gotPrompt bool
	deadline := start.Add(6 * time.Second)
	for !(gotDelayed && gotPrompt) && time.Now().Before(deadline) {
		msgs, err := b.Receive(ctx, 10, min(time.Until(deadline), time.Second))
		require.NoError(t, err, "Receive")
		msgs = sortOut(t, b, msgs, mine)
		for _, m := range msgs {
			if m.RunID == delayed {
				elapsed := time.Since(start)
				require.GreaterOrEqual(t, elapsed, 900*time.Millisecond, "a message delayed by 1s was received after %v", elapsed)
				gotDelayed = true
			} else {
				gotPrompt = true
			}
		}
		require.NoError(t, b.Ack(ctx, msgs...))
	}
	require.True(t, gotPrompt, "a message without delay was not received within 6s")
	require.True(t, gotDelayed, "a message delayed by 1s was not received within 6s")
}

// Receive returns at most max messages.
func testQueueMax(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	ids := []string{uid(t, "run"), uid(t, "run"), uid(t, "run")}
	mine := set(ids...)
	for _, id := range ids {
		require.NoError(t, b.Enqueue(ctx, id, 0))
	}
	var got []backend.WakeMessage
	got = append(got, receiveOwn(t, b, mine, 1, 1, 5*time.Second)...)
	require.Len(t, got, 1, "Receive(max 1)")
	got = append(got, receiveOwn(t, b, mine, 2, 2, 5*time.Second)...)
	seen := map[string]bool{}
	for _, m := range got {
		seen[m.RunID] = true
	}
	require.Len(t, seen, 3, "all three messages received within 10s")
	require.NoError(t, b.Ack(ctx, got...))
}

// Receive on an empty queue returns nothing and no error once wait has passed.
func testQueueWaitExpires(t *testing.T, b backend.Backend) {
	start := time.Now()
	msgs, err := b.Receive(t.Context(), 10, 500*time.Millisecond)
	elapsed := time.Since(start)
	require.NoError(t, err, "Receive that found nothing")
	require.Empty(t, sortOut(t, b, msgs, nil))
	require.Less(t, elapsed, 3*time.Second, "Receive(wait 500ms) took %v", elapsed)
}

// Receive returns promptly when its context ends, with ctx.Err() when it has nothing.
func testQueueContextEnds(t *testing.T, b backend.Backend) {
	check := func(name string, ctx context.Context, want error) {
		t.Helper()
		start := time.Now()
		msgs, err := b.Receive(ctx, 10, 10*time.Second)
		elapsed := time.Since(start)
		require.Less(t, elapsed, 3*time.Second, "%s: Receive(wait 10s) took %v", name, elapsed)
		if len(msgs) > 0 { // strays of a shared queue: the error is then not ctx.Err()
			sortOut(t, b, msgs, nil)
			return
		}
		require.ErrorIs(t, err, want, name)
	}

	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(200*time.Millisecond, cancel)
	check("cancelled while waiting", ctx, context.Canceled)

	ctx, cancel = context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	check("deadline while waiting", ctx, context.DeadlineExceeded)

	ctx, cancel = context.WithCancel(t.Context())
	cancel()
	check("cancelled before the call", ctx, context.Canceled)
}
