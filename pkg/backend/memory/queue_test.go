package memory_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/memory"
)

func TestQueueVisibilityWithFakeClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	b := memory.New(memory.WithClock(clock), memory.WithVisibilityTimeout(time.Minute))
	defer b.Close()

	require.NoError(t, b.Enqueue(ctx, "r", 10*time.Second))
	require.Zero(t, b.Pending())
	next, ok := b.NextVisible()
	require.True(t, ok)
	require.Equal(t, clock.Now().Add(10*time.Second), next)
	msgs, err := b.Receive(ctx, 10, 0)
	require.NoError(t, err)
	require.Empty(t, msgs)

	clock.Advance(10 * time.Second)
	require.Equal(t, 1, b.Pending())
	_, ok = b.NextVisible()
	require.False(t, ok)
	first, err := b.Receive(ctx, 10, 0)
	require.NoError(t, err)
	require.Len(t, first, 1)
	require.Equal(t, "r", first[0].RunID)
	require.NotEmpty(t, first[0].Receipt)

	// In flight: invisible until the visibility timeout ends.
	require.Zero(t, b.Pending())
	next, ok = b.NextVisible()
	require.True(t, ok)
	require.Equal(t, clock.Now().Add(time.Minute), next)
	clock.Advance(time.Minute - time.Millisecond)
	msgs, err = b.Receive(ctx, 10, 0)
	require.NoError(t, err)
	require.Empty(t, msgs)

	// Not acknowledged in time: delivered again under a new receipt.
	clock.Advance(time.Millisecond)
	second, err := b.Receive(ctx, 10, 0)
	require.NoError(t, err)
	require.Len(t, second, 1)
	require.Equal(t, "r", second[0].RunID)
	require.NotEqual(t, first[0].Receipt, second[0].Receipt)

	// The outdated receipt does nothing; the current one deletes; twice is fine.
	require.NoError(t, b.Ack(ctx, first...))
	_, ok = b.NextVisible()
	require.True(t, ok)
	require.NoError(t, b.Ack(ctx, second...))
	require.NoError(t, b.Ack(ctx, second...))
	require.NoError(t, b.Ack(ctx, backend.WakeMessage{RunID: "r", Receipt: "unknown"}))
	_, ok = b.NextVisible()
	require.False(t, ok)
	clock.Advance(time.Hour)
	require.Zero(t, b.Pending())
}

func TestReceiveOrderAndMax(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	b := memory.New(memory.WithClock(clock))
	defer b.Close()

	require.NoError(t, b.Enqueue(ctx, "c", 3*time.Second))
	require.NoError(t, b.Enqueue(ctx, "a", time.Second))
	require.NoError(t, b.Enqueue(ctx, "b", 2*time.Second))
	require.NoError(t, b.Enqueue(ctx, "now1", 0))
	require.NoError(t, b.Enqueue(ctx, "now2", -time.Second)) // negative: at once, after now1 in time
	require.Equal(t, 2, b.Pending())

	clock.Advance(5 * time.Second)
	require.Equal(t, 5, b.Pending())
	msgs, err := b.Receive(ctx, 2, 0)
	require.NoError(t, err)
	require.Equal(t, []string{"now1", "now2"}, runIDs(msgs))
	msgs, err = b.Receive(ctx, 0, 0) // max <= 0 counts as 1
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, runIDs(msgs))
	msgs, err = b.Receive(ctx, 10, 0)
	require.NoError(t, err)
	require.Equal(t, []string{"b", "c"}, runIDs(msgs))
}

func runIDs(msgs []backend.WakeMessage) []string {
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.RunID
	}
	return ids
}

func TestReceiveWaitsForEnqueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := memory.New()
	defer b.Close()

	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		time.Sleep(30 * time.Millisecond)
		if err := b.Enqueue(ctx, "r", 0); err != nil {
			t.Errorf("enqueue: %v", err)
		}
	})
	start := time.Now()
	msgs, err := b.Receive(ctx, 5, 10*time.Second)
	require.NoError(t, err)
	require.Equal(t, []string{"r"}, runIDs(msgs))
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestReceiveWaitsForDelayedMessage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := memory.New()
	defer b.Close()

	require.NoError(t, b.Enqueue(ctx, "r", 50*time.Millisecond))
	start := time.Now()
	msgs, err := b.Receive(ctx, 5, 10*time.Second)
	require.NoError(t, err)
	require.Equal(t, []string{"r"}, runIDs(msgs))
	elapsed := time.Since(start)
	require.GreaterOrEqual(t, elapsed, 40*time.Millisecond)
	require.Less(t, elapsed, 5*time.Second)
}

func TestReceiveSeesFakeClockAdvance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	b := memory.New(memory.WithClock(clock))
	defer b.Close()

	require.NoError(t, b.Enqueue(ctx, "r", time.Hour))
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		time.Sleep(30 * time.Millisecond)
		clock.Advance(time.Hour)
	})
	start := time.Now()
	msgs, err := b.Receive(ctx, 1, 10*time.Second)
	require.NoError(t, err)
	require.Equal(t, []string{"r"}, runIDs(msgs))
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestReceiveTimesOut(t *testing.T) {
	t.Parallel()
	b := memory.New()
	defer b.Close()

	start := time.Now()
	msgs, err := b.Receive(context.Background(), 1, 40*time.Millisecond)
	require.NoError(t, err)
	require.Empty(t, msgs)
	require.GreaterOrEqual(t, time.Since(start), 40*time.Millisecond)
}

func TestReceiveContext(t *testing.T) {
	t.Parallel()
	b := memory.New()
	defer b.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	msgs, err := b.Receive(ctx, 1, 10*time.Second)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Empty(t, msgs)
	require.Less(t, time.Since(start), 5*time.Second)

	// An ended context still gets what is already visible.
	require.NoError(t, b.Enqueue(context.Background(), "r", 0))
	msgs, err = b.Receive(ctx, 1, 10*time.Second)
	require.NoError(t, err)
	require.Equal(t, []string{"r"}, runIDs(msgs))
}

func TestCloseWakesReceive(t *testing.T) {
	t.Parallel()
	b := memory.New()

	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		time.Sleep(30 * time.Millisecond)
		if err := b.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	start := time.Now()
	_, err := b.Receive(context.Background(), 1, 10*time.Second)
	require.ErrorIs(t, err, memory.ErrClosed)
	require.Less(t, time.Since(start), 5*time.Second)
}

// A message received as many times as allowed without an acknowledgement leaves the queue for
// the dead letters when its last visibility timeout ends; one acknowledged in time does not.
func TestQueueDeadLetters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	b := memory.New(memory.WithClock(clock), memory.WithVisibilityTimeout(time.Minute), memory.WithMaxReceives(3))
	defer b.Close()
	start := clock.Now()

	require.NoError(t, b.Enqueue(ctx, "poison", 0))
	require.NoError(t, b.Enqueue(ctx, "healthy", 0))
	var last []backend.WakeMessage
	for i := range 3 {
		if i > 0 {
			clock.Advance(time.Minute)
		}
		msgs, err := b.Receive(ctx, 10, 0)
		require.NoError(t, err)
		require.Equal(t, []string{"poison", "healthy"}, runIDs(msgs), "receive %d", i+1)
		last = msgs
	}
	require.NoError(t, b.Ack(ctx, last[1]), "the healthy one is acknowledged on its last receive")
	require.Empty(t, b.DeadLetters(), "in flight on its last receive: not dead yet")
	next, ok := b.NextVisible()
	require.False(t, ok, "a message on its last receive never becomes visible again, got %v", next)

	clock.Advance(time.Minute)
	require.Zero(t, b.Pending())
	msgs, err := b.Receive(ctx, 10, 0)
	require.NoError(t, err)
	require.Empty(t, msgs, "the poison message is not delivered a fourth time")
	require.Equal(t, []memory.DeadLetter{{RunID: "poison", Receives: 3, DiedAt: start.Add(3 * time.Minute)}}, b.DeadLetters())
	require.NoError(t, b.Ack(ctx, last[0]), "acknowledging a dead letter is not an error")
	require.Len(t, b.DeadLetters(), 1, "and does not take it back")

	// A new wake of the same run is a new message.
	require.NoError(t, b.Enqueue(ctx, "poison", 0))
	msgs, err = b.Receive(ctx, 10, 0)
	require.NoError(t, err)
	require.Equal(t, []string{"poison"}, runIDs(msgs))
	require.NoError(t, b.Ack(ctx, msgs...))
	require.Len(t, b.DeadLetters(), 1)
}

// An acknowledgement that comes after the last visibility timeout ended is too late, even when
// nothing has looked at the queue in between: the message is dead from that moment.
func TestQueueLateAckOfLastReceive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	b := memory.New(memory.WithClock(clock), memory.WithVisibilityTimeout(time.Minute), memory.WithMaxReceives(1))
	defer b.Close()

	require.NoError(t, b.Enqueue(ctx, "slow", 0))
	msgs, err := b.Receive(ctx, 1, 0)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	clock.Advance(time.Minute)
	require.NoError(t, b.Ack(ctx, msgs...))
	require.Equal(t, []string{"slow"}, deadRunIDs(b.DeadLetters()))
}

// By default a message may be received DefaultMaxReceives (10) times; a WithMaxReceives that
// is not positive is ignored.
func TestQueueDefaultMaxReceives(t *testing.T) {
	t.Parallel()
	require.Equal(t, 10, memory.DefaultMaxReceives)
	for name, opts := range map[string][]memory.Option{
		"default":             nil,
		"zero is ignored":     {memory.WithMaxReceives(0)},
		"negative is ignored": {memory.WithMaxReceives(-1)},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clock := newFakeClock()
			b := memory.New(append(opts, memory.WithClock(clock), memory.WithVisibilityTimeout(time.Second))...)
			defer b.Close()
			require.NoError(t, b.Enqueue(ctx, "r", 0))
			for i := range memory.DefaultMaxReceives {
				msgs, err := b.Receive(ctx, 1, 0)
				require.NoError(t, err)
				require.Len(t, msgs, 1, "receive %d", i+1)
				clock.Advance(time.Second)
			}
			msgs, err := b.Receive(ctx, 1, 0)
			require.NoError(t, err)
			require.Empty(t, msgs)
			dead := b.DeadLetters()
			require.Len(t, dead, 1)
			require.Equal(t, memory.DefaultMaxReceives, dead[0].Receives)
		})
	}
}

// The backend keeps the latest MaxDeadLetters dead letters, oldest first; none after Close.
func TestQueueDeadLettersBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	b := memory.New(memory.WithClock(clock), memory.WithVisibilityTimeout(time.Second), memory.WithMaxReceives(1))
	const n = memory.MaxDeadLetters + 5
	for i := range n {
		require.NoError(t, b.Enqueue(ctx, fmt.Sprintf("r%04d", i), 0))
		msgs, err := b.Receive(ctx, 1, 0)
		require.NoError(t, err)
		require.Len(t, msgs, 1)
		clock.Advance(time.Millisecond)
	}
	clock.Advance(time.Second)
	dead := b.DeadLetters()
	require.Len(t, dead, memory.MaxDeadLetters)
	require.Equal(t, "r0005", dead[0].RunID)
	require.Equal(t, fmt.Sprintf("r%04d", n-1), dead[len(dead)-1].RunID)
	require.NoError(t, b.Close())
	require.Empty(t, b.DeadLetters())
}

func deadRunIDs(dead []memory.DeadLetter) []string {
	ids := make([]string, len(dead))
	for i, d := range dead {
		ids[i] = d.RunID
	}
	return ids
}
