package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/memory"
)

// stepLoop is a workflow that runs steps forever; its history is run_created followed by one
// step_completed per step.
func stepLoop(c *Ctx, _ json.RawMessage) (json.RawMessage, error) {
	for {
		f := ScheduleStep(c, "work", func(context.Context) (any, error) { return 1, nil }, StepOptions{Retries: -1})
		if _, err := f.Get(c); err != nil {
			return nil, err
		}
	}
}

// stepHistory returns a history of n events for stepLoop.
func stepHistory(n int) []backend.Event {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	evs := make([]backend.Event, n)
	evs[0] = backend.Event{Seq: 1, Type: EventRunCreated, Data: json.RawMessage(`{"workflow":"loop"}`), CreatedAt: at}
	for i := 1; i < n; i++ {
		evs[i] = backend.Event{
			Seq: int64(i + 1), Type: EventStepCompleted, CorrelationID: fmt.Sprintf("s%d", i),
			Data: json.RawMessage(`{"name":"work","attempt":1,"result":1}`), CreatedAt: at,
		}
	}
	return evs
}

// BenchmarkColdReplay replays a whole history in memory, as a turn without a warm executor
// does after loading it: the cost that grows with history length.
func BenchmarkColdReplay(b *testing.B) {
	for _, n := range []int{100, 1_000, 10_000} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			evs := stepHistory(n)
			b.ReportAllocs()
			for b.Loop() {
				if err := Replay(stepLoop, "bench", evs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
		})
	}
}

// BenchmarkTurn measures one turn that records one more step of a run whose history already
// holds n events: cold (load the history from the memory backend and replay it) versus warm
// (continue the executor parked in the cache). The warm cost should not grow with n.
func BenchmarkTurn(b *testing.B) {
	for _, warm := range []bool{false, true} {
		for _, n := range []int{100, 1_000, 10_000} {
			name := fmt.Sprintf("cold/events=%d", n)
			if warm {
				name = fmt.Sprintf("warm/events=%d", n)
			}
			b.Run(name, func(b *testing.B) { benchTurn(b, n, warm) })
		}
	}
}

type benchClock struct{ now time.Time }

func (c *benchClock) Now() time.Time { return c.now }

// benchTurn runs turns that each fire a one-second timer and record one more step, on runs
// whose history holds about n events. Every n/30 turns it starts a fresh run, off the clock,
// so the history stays within 10% of n.
func benchTurn(b *testing.B, n int, warm bool) {
	ctx := context.Background()
	clock := &benchClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	mb := memory.New(memory.WithClock(clock))
	defer mb.Close()
	reg := NewRegistry()
	if err := reg.Register("loop", func(c *Ctx, _ json.RawMessage) (json.RawMessage, error) {
		for i := 0; ; i++ {
			f := ScheduleStep(c, "work", func(context.Context) (any, error) { return 1, nil }, StepOptions{Retries: -1})
			if _, err := f.Get(c); err != nil {
				return nil, err
			}
			if i >= n-3 {
				if _, err := NewTimer(c, "tick", time.Second).Get(c); err != nil {
					return nil, err
				}
			}
		}
	}); err != nil {
		b.Fatal(err)
	}
	size := 4
	if !warm {
		size = -1
	}
	e := New(mb, reg, Options{Clock: clock, Logger: slog.New(slog.DiscardHandler), CacheSize: size})
	defer e.Close()
	b.ReportAllocs()
	var runID string
	for i := 0; b.Loop(); i++ {
		if i%max(n/30, 1) == 0 {
			b.StopTimer()
			runID = fmt.Sprintf("run-%d", i)
			if _, _, err := StartRun(ctx, mb, clock, "loop", runID, nil); err != nil {
				b.Fatal(err)
			}
			if _, err := e.Turn(ctx, runID); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		clock.now = clock.now.Add(time.Second)
		if _, err := e.Turn(ctx, runID); err != nil {
			b.Fatal(err)
		}
	}
}
