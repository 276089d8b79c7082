// Command checkout runs the Stripe checkout example embedded, on a local address: it starts
// one run for a Checkout Session, prints the run's webhook URL as URL=..., and waits for
// Stripe's events (send them with examples/checkout/send.sh) until the run ends.
//
//	STRIPE_WEBHOOK_SECRET=whsec_local go run ./examples/checkout/cmd
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/hookflow/hookflow/examples/checkout"
	"github.com/hookflow/hookflow/examples/internal/devserver"
	"github.com/hookflow/hookflow/pkg/workflow"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "checkout:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "localhost:8080", "where the webhook route listens")
	order := flag.String("order", "ord_1001", "the order to fulfil")
	session := flag.String("session", "cs_test_a1b2c3", "the Checkout Session that pays for it")
	flag.Parse()
	if os.Getenv("STRIPE_WEBHOOK_SECRET") == "" {
		return fmt.Errorf("set STRIPE_WEBHOOK_SECRET: the webhook checks Stripe's signatures with it (any value will do locally, e.g. whsec_local)")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	wf := checkout.New(checkout.Config{SigningSecret: "env:STRIPE_WEBHOOK_SECRET", Fulfiller: &checkout.FakeFulfiller{}})
	srv, err := devserver.Start(workflow.NewRegistry(wf), devserver.Options{Addr: *addr})
	if err != nil {
		return err
	}
	defer srv.Close()

	r, err := workflow.Start(ctx, srv.Client, wf, checkout.Input{Order: *order, Session: *session})
	if err != nil {
		return err
	}
	url, err := srv.WebhookURL(ctx, r.ID())
	if err != nil {
		return err
	}
	fmt.Printf("URL=%s\n", url)
	fmt.Printf("run %s waits for Stripe's events about %s; for example:\n", r.ID(), *session)
	fmt.Printf("  URL=%s examples/checkout/send.sh checkout.session.completed %s\n", url, *session)

	type outcome struct {
		res checkout.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := r.Result(ctx)
		done <- outcome{res, err}
	}()
	select {
	case err := <-srv.Err():
		return err
	case o := <-done:
		if o.err != nil {
			return o.err
		}
		out, err := json.MarshalIndent(o.res, "", "  ")
		if err != nil {
			return err
		}
		fmt.Printf("result: %s\n", out)
		return nil
	}
}
