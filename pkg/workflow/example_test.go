package workflow_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// runWorker starts an in-process worker on a fresh embedded backend and returns a client and
// a function that stops the worker and waits for it.
func runWorker(workflows ...workflow.Registrable) (*workflow.Client, func()) {
	b := memory.New()
	w := workflow.NewWorker(b, workflow.NewRegistry(workflows...), workflow.WorkerOptions{
		Logger: slog.New(slog.DiscardHandler),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = w.Run(ctx)
	}()
	return workflow.NewClient(b, workflow.ClientOptions{}), func() {
		cancel()
		<-done
		_ = b.Close()
	}
}

// A workflow with a step and a sleep, run by an in-process worker on the embedded backend.
func Example() {
	greet := workflow.Define("greet", func(ctx workflow.Context, name string) (string, error) {
		msg, err := workflow.Step(ctx, "compose", func(ctx context.Context) (string, error) {
			return "Hello, " + name, nil // a step may do I/O; its result is recorded
		})
		if err != nil {
			return "", err
		}
		if err := workflow.Sleep(ctx, 10*time.Millisecond); err != nil { // durable: survives restarts
			return "", err
		}
		return msg + "!", nil
	})

	client, stop := runWorker(greet)
	defer stop()
	ctx := context.Background()
	run, err := workflow.Start(ctx, client, greet, "Ada")
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := run.Result(ctx)
	fmt.Println(out, err)
	// Output: Hello, Ada! <nil>
}

func ExampleDefine() {
	type Order struct {
		ID    string
		Cents int
	}
	total := workflow.Define("order-total", func(ctx workflow.Context, orders []Order) (int, error) {
		sum := 0
		for _, o := range orders {
			sum += o.Cents
		}
		return sum, nil
	})
	fmt.Println(total.Name())
	fmt.Println(workflow.NewRegistry(total).Err())
	// Output:
	// order-total
	// <nil>
}

func ExampleStart() {
	double := workflow.Define("double", func(ctx workflow.Context, n int) (int, error) { return 2 * n, nil })
	client, stop := runWorker(double)
	defer stop()
	ctx := context.Background()

	// WithRunID makes Start idempotent: a retried Start returns the same run.
	first, _ := workflow.Start(ctx, client, double, 21, workflow.WithRunID("double-21"))
	again, _ := workflow.Start(ctx, client, double, 21, workflow.WithRunID("double-21"))
	out, err := again.Result(ctx)
	fmt.Println(first.ID() == again.ID(), out, err)
	// Output: true 42 <nil>
}

func ExampleStep() {
	attempts := 0
	charge := workflow.Define("charge", func(ctx workflow.Context, cents int) (string, error) {
		return workflow.Step(ctx, "charge-card", func(ctx context.Context) (string, error) {
			attempts++
			if attempts == 1 {
				return "", errors.New("gateway timeout") // retried after the backoff delay
			}
			if cents > 100_00 {
				return "", workflow.Fatal(errors.New("over the limit")) // never retried
			}
			return fmt.Sprintf("charged %d after %d attempts", cents, attempts), nil
		}, workflow.WithRetryDelay(5*time.Millisecond))
	})
	client, stop := runWorker(charge)
	defer stop()
	ctx := context.Background()
	run, _ := workflow.Start(ctx, client, charge, 4200)
	fmt.Println(run.Result(ctx))
	// Output: charged 4200 after 2 attempts <nil>
}

func ExampleSleep() {
	remind := workflow.Define("remind", func(ctx workflow.Context, _ struct{}) (bool, error) {
		start := workflow.Now(ctx)
		if err := workflow.Sleep(ctx, 20*time.Millisecond); err != nil {
			return false, err
		}
		// workflow.Now is the time of the run's latest event: the timer fired after the wait.
		return workflow.Now(ctx).Sub(start) >= 20*time.Millisecond, nil
	})
	client, stop := runWorker(remind)
	defer stop()
	ctx := context.Background()
	run, _ := workflow.Start(ctx, client, remind, struct{}{})
	fmt.Println(run.Result(ctx))
	// Output: true <nil>
}

func ExampleSelect() {
	race := workflow.Define("race", func(ctx workflow.Context, _ struct{}) (string, error) {
		slow := workflow.StepAsync(ctx, "slow", func(ctx context.Context) (string, error) {
			return "", workflow.RetryAfter(errors.New("not yet"), time.Hour)
		})
		deadline := workflow.Timer(ctx, 10*time.Millisecond)
		i, err := workflow.Select(ctx, slow, deadline)
		if i == 1 {
			return "gave up waiting", err
		}
		return slow.Get(ctx)
	})
	client, stop := runWorker(race)
	defer stop()
	ctx := context.Background()
	run, _ := workflow.Start(ctx, client, race, struct{}{})
	fmt.Println(run.Result(ctx))
	// Output: gave up waiting <nil>
}
