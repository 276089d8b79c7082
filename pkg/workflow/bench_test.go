package workflow_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// BenchmarkResumeToWorkflow measures the latency from Client.ResumeHook to the workflow code
// holding the payload, on the embedded backend with an in-process worker, for a run whose
// history already holds `history` received payloads. The warm cache continues the parked run
// without replay, so the figure should stay flat as history grows.
func BenchmarkResumeToWorkflow(b *testing.B) {
	for _, kind := range []string{"memory", "bbolt"} {
		for _, history := range []int{0, 1_000, 10_000} {
			b.Run(fmt.Sprintf("%s/history=%d", kind, history), func(b *testing.B) { benchResume(b, kind, history) })
		}
	}
}

// openBench returns a backend of the kind: "memory", or "bbolt" (a file in b's temp dir).
func openBench(b *testing.B, kind string) *memory.Backend {
	b.Helper()
	if kind == "memory" {
		return memory.New()
	}
	mb, err := memory.Open(filepath.Join(b.TempDir(), "hookflow.db"))
	if err != nil {
		b.Fatal(err)
	}
	return mb
}

func benchResume(b *testing.B, kind string, history int) {
	seen := make(chan int, 1)
	wf := workflow.Define("bench-listener", func(ctx workflow.Context, _ struct{}) (int, error) {
		hook, err := workflow.CreateHook[int](ctx, workflow.HookOptions{Token: "bench"})
		if err != nil {
			return 0, err
		}
		for {
			v, err := hook.Receive(ctx)
			if err != nil {
				return 0, err
			}
			if v >= 0 || v == -2 {
				seen <- v // the benchmark waits for it; a side effect only a benchmark may take
			}
		}
	})
	mb := openBench(b, kind)
	defer mb.Close()
	ctx, cancel := context.WithCancel(context.Background())
	w := workflow.NewWorker(mb, workflow.NewRegistry(wf), workflow.WorkerOptions{
		Concurrency: 1, SweepEvery: time.Hour, Logger: slog.New(slog.DiscardHandler),
	})
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	c := workflow.NewClient(mb, workflow.ClientOptions{})
	if _, err := workflow.Start(ctx, c, wf, struct{}{}); err != nil {
		b.Fatal(err)
	}
	for {
		if _, err := c.GetHookByToken(ctx, "bench"); err == nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	for range history {
		if _, err := c.ResumeHook(ctx, "bench", -1); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := c.ResumeHook(ctx, "bench", -2); err != nil {
		b.Fatal(err)
	}
	<-seen // the history is in place
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := c.ResumeHook(ctx, "bench", i); err != nil {
			b.Fatal(err)
		}
		<-seen
	}
}
