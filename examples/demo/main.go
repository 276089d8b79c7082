// Command demo runs three workflows end to end on the embedded backend, with a worker and the
// webhook HTTP server in this process, and prints what happened:
//
//  1. steps and timers: the order workflow (examples/order), whose first charge fails and is
//     retried, with a one-second shipping window;
//  2. a webhook: the GitHub-style deploy workflow (examples/deploy), sent real HTTP requests at
//     its webhook URL and answering them from workflow code;
//  3. a hook: the document-approval workflow (examples/approval), resumed by token with a
//     validated payload and an idempotency key.
//
// After each, it prints the run's history as a story. It exits non-zero on any failure. The
// runs are kept in .hookflow/hookflow.db, the store `hookflow dev` opens, so that the web
// inspector and the CLI can show them afterwards (the demo ends by saying how).
//
//	make demo   # or: go run ./examples/demo [-dir .hookflow]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/hookflow/hookflow/examples/approval"
	"github.com/hookflow/hookflow/examples/deploy"
	"github.com/hookflow/hookflow/examples/order"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/devserver"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
	"github.com/hookflow/hookflow/pkg/workflow"
)

func main() {
	dir := flag.String("dir", devserver.DefaultDir, "where to keep the runs (the store `hookflow dev --dir` opens)")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintf(os.Stderr, "\ndemo failed: %v\n", err)
		os.Exit(1)
	}
}

// demo is what the stories share.
type demo struct {
	client  *workflow.Client
	baseURL string

	orderFakes *order.Fakes
	order      *workflow.Workflow[order.Order, order.Receipt]
	deployer   *deploy.FakeDeployer
	deploy     *workflow.Workflow[deploy.Input, deploy.Result]
	publisher  *approval.FakePublisher
	approval   *workflow.Workflow[approval.Request, approval.Decision]
}

// webhookSecret signs the demo's requests to the deploy webhook, as GitHub would. The
// workflow names it by reference (webhookSecretRef); the worker and the webhook route resolve
// that with secrets, as they would resolve "env:GITHUB_WEBHOOK_SECRET" from the environment.
var (
	webhookSecret    = []byte("demo-webhook-secret")
	webhookSecretRef = "env:DEMO_WEBHOOK_SECRET"
	secrets          = verify.EnvResolver{Getenv: func(name string) string {
		if name == "DEMO_WEBHOOK_SECRET" {
			return string(webhookSecret)
		}
		return ""
	}}
)

func run(dir string) error {
	// The demo takes about three seconds; it fails when the worker or the server stops, or
	// after 30 s.
	base, stop := context.WithCancelCause(context.Background())
	defer stop(nil)
	ctx, cancel := context.WithTimeoutCause(base, 30*time.Second, errors.New("the demo did not finish within 30s"))
	defer cancel()

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("the store's directory: %w", err)
	}
	store := filepath.Join(dir, devserver.StoreFile)
	b, err := memory.Open(store)
	if err != nil {
		return fmt.Errorf("opening %s (is hookflow dev running on it? stop it first): %w", store, err)
	}
	defer b.Close()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	// The webhook server listens first, so that its address is the base of webhook URLs.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listening for webhooks: %w", err)
	}
	baseURL := "http://" + ln.Addr().String()

	d := &demo{
		client:     workflow.NewClient(b, workflow.ClientOptions{BaseURL: baseURL, Secrets: secrets}),
		baseURL:    baseURL,
		orderFakes: order.NewFakes(1), // the gateway times out on the first charge
		deployer:   &deploy.FakeDeployer{},
		publisher:  &approval.FakePublisher{},
	}
	d.order = order.New(d.orderFakes.Services())
	d.deploy = deploy.New(deploy.Config{Secret: webhookSecretRef, Deployer: d.deployer})
	d.approval = approval.New(d.publisher)

	srv := &http.Server{
		Handler:           webhook.NewHandler(d.client, webhook.Options{Logger: logger}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	serveDone := make(chan struct{})
	go func() {
		defer close(serveDone)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			stop(fmt.Errorf("the webhook server stopped: %v", err))
		}
	}()
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = srv.Shutdown(sctx)
		<-serveDone
	}()

	worker := workflow.NewWorker(b, workflow.NewRegistry(d.order, d.deploy, d.approval), workflow.WorkerOptions{
		SweepEvery: 200 * time.Millisecond,
		Logger:     logger,
		BaseURL:    baseURL,
		Secrets:    secrets,
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

	fmt.Printf("hookflow demo: embedded backend, a worker, and the webhook server on %s\n", baseURL)
	for i, s := range []struct {
		title string
		run   func(context.Context) error
	}{
		{"steps and timers: an order with a retried charge and a shipping window", d.orderStory},
		{"a webhook: GitHub-style deploy events, answered from workflow code", d.webhookStory},
		{"a hook: a document approval resumed by token", d.hookStory},
	} {
		fmt.Printf("\n=== %d/3 %s\n\n", i+1, s.title)
		if err := s.run(ctx); err != nil {
			return fmt.Errorf("story %d (%s): %w", i+1, s.title, why(ctx, err))
		}
	}
	fmt.Println("\nall three runs completed")
	fmt.Printf(`
The runs are kept in %s. To look at them, in the web inspector and with the CLI:
  go run ./cmd/hookflow dev --dir %s     # then open http://127.0.0.1:8080/
  go run ./cmd/hookflow runs ls                  # from another shell, while dev runs
  go run ./cmd/hookflow runs show <run id>       # a run's timeline
  go run ./cmd/hookflow deliveries <run id>      # what the deploy webhook was sent
`, store, dir)
	return nil
}

// orderStory runs the order workflow: a charge that fails once and is retried a second later,
// then a one-second durable sleep before shipping.
func (d *demo) orderStory(ctx context.Context) error {
	in := order.Order{
		ID: "A-1001", Email: "ada@example.com", SKU: "BOOK-42", Quantity: 1,
		AmountCents: 2599, Card: "4242-4242-4242-4242", ShipAfter: time.Second,
	}
	fmt.Printf("starting %s for order %s (shipping window in %s)\n", d.order.Name(), in.ID, in.ShipAfter)
	r, err := workflow.Start(ctx, d.client, d.order, in)
	if err != nil {
		return fmt.Errorf("starting the run: %w", err)
	}
	receipt, runErr := r.Result(ctx)
	info, err := d.finish(ctx, r.ID(), runErr)
	if err != nil {
		return err
	}
	printReceipt(os.Stdout, info, receipt)
	return nil
}

// finish prints the story of an ended run and checks that it completed.
func (d *demo) finish(ctx context.Context, runID string, runErr error) (workflow.RunInfo, error) {
	if ctx.Err() != nil {
		return workflow.RunInfo{}, fmt.Errorf("waiting for run %s: %w", runID, why(ctx, runErr))
	}
	info, err := d.client.GetRun(ctx, runID)
	if err != nil {
		return info, fmt.Errorf("reading run %s: %w", runID, err)
	}
	events, err := d.client.ListEvents(ctx, runID)
	if err != nil {
		return info, fmt.Errorf("listing events of run %s: %w", runID, err)
	}
	printStory(os.Stdout, info, events)
	if runErr != nil {
		return info, fmt.Errorf("run %s failed: %w", runID, runErr)
	}
	if info.Status != workflow.StatusCompleted {
		return info, fmt.Errorf("run %s ended %s, want completed", runID, info.Status)
	}
	return info, nil
}

// waitForHooks polls until the run has a live hook, and returns the run's hooks: the workflow
// never prints its token or URL, the client looks them up.
func (d *demo) waitForHooks(ctx context.Context, runID string) ([]workflow.HookInfo, error) {
	for {
		hooks, err := d.client.ListHooks(ctx, workflow.HookFilter{RunID: runID})
		if err != nil {
			return nil, fmt.Errorf("listing the hooks of run %s: %w", runID, err)
		}
		if len(hooks) > 0 {
			return hooks, nil
		}
		info, err := d.client.GetRun(ctx, runID)
		if err != nil {
			return nil, fmt.Errorf("reading run %s: %w", runID, err)
		}
		if info.Status == workflow.StatusFailed || info.Status == workflow.StatusCompleted || info.Status == workflow.StatusCancelled {
			return nil, fmt.Errorf("run %s ended %s before it opened a hook: %s", runID, info.Status, info.Error)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for run %s to open a hook: %w", runID, context.Cause(ctx))
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// why prefers the reason ctx ended (the worker stopped, the time ran out) over the bare
// "context canceled" that it causes.
func why(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}
