// Command demo runs the order workflow (examples/order) end to end on the embedded backend:
// a worker in this process, one order whose first charge fails and is retried, a two-second
// shipping window, and then the run's history printed as a story.
//
//	make demo   # or: go run ./examples/demo
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/hookflow/hookflow/examples/order"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/workflow"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "demo failed: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	// The demo takes about three seconds; the run fails it when the worker stops or after 30s.
	base, stop := context.WithCancelCause(context.Background())
	defer stop(nil)
	ctx, cancel := context.WithTimeoutCause(base, 30*time.Second, errors.New("the run did not finish within 30s"))
	defer cancel()

	b := memory.New()
	defer b.Close()

	fakes := order.NewFakes(1) // the gateway times out on the first charge
	wf := order.New(fakes.Services())

	worker := workflow.NewWorker(b, workflow.NewRegistry(wf), workflow.WorkerOptions{
		SweepEvery: 200 * time.Millisecond,
		Logger:     slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	workerCtx, stopWorker := context.WithCancel(ctx)
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		err := worker.Run(workerCtx)
		if workerCtx.Err() == nil {
			stop(fmt.Errorf("the worker stopped: %v", err))
		}
	}()
	defer func() {
		stopWorker()
		<-workerDone
	}()

	client := workflow.NewClient(b, workflow.ClientOptions{})
	in := order.Order{
		ID: "A-1001", Email: "ada@example.com", SKU: "BOOK-42", Quantity: 1,
		AmountCents: 2599, Card: "4242-4242-4242-4242", ShipAfter: 2 * time.Second,
	}
	fmt.Printf("starting %s for order %s (shipping window in %s)\n", wf.Name(), in.ID, in.ShipAfter)
	r, err := workflow.Start(ctx, client, wf, in)
	if err != nil {
		return fmt.Errorf("starting the run: %w", why(ctx, err))
	}

	receipt, runErr := r.Result(ctx)
	if ctx.Err() != nil {
		return fmt.Errorf("waiting for run %s: %w", r.ID(), why(ctx, runErr))
	}

	info, err := client.GetRun(ctx, r.ID())
	if err != nil {
		return fmt.Errorf("reading run %s: %w", r.ID(), why(ctx, err))
	}
	events, err := client.ListEvents(ctx, r.ID())
	if err != nil {
		return fmt.Errorf("listing events of run %s: %w", r.ID(), why(ctx, err))
	}
	printStory(os.Stdout, info, events)
	if runErr != nil {
		return fmt.Errorf("run %s failed: %w", r.ID(), runErr)
	}
	printReceipt(os.Stdout, info, receipt)

	if info.Status != workflow.StatusCompleted {
		return fmt.Errorf("run %s ended %s, want completed", r.ID(), info.Status)
	}
	return nil
}

// why prefers the reason ctx ended (the worker stopped, the time ran out) over the bare
// "context canceled" that it causes.
func why(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}
