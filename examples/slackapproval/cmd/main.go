// Command slackapproval runs the Slack approval example embedded, on a local address: it
// starts one run, which "posts" its message with a fake poster, prints the run's webhook URL
// as URL=..., the channel and the message's ts, and waits for Slack's events (send them with
// examples/slackapproval/send.sh) until a reaction decides or Ctrl-C.
//
//	SLACK_SIGNING_SECRET=dev go run ./examples/slackapproval/cmd
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/hookflow/hookflow/examples/internal/devserver"
	"github.com/hookflow/hookflow/examples/slackapproval"
	"github.com/hookflow/hookflow/pkg/workflow"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "slackapproval:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "localhost:8080", "where the webhook route listens")
	channel := flag.String("channel", "C0123456789", "the channel to ask in")
	flag.Parse()
	if os.Getenv("SLACK_SIGNING_SECRET") == "" {
		return errors.New("set SLACK_SIGNING_SECRET: the webhook checks Slack's signatures with it (any value will do locally, e.g. SLACK_SIGNING_SECRET=dev)")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	posted := make(chan slackapproval.Message, 1)
	wf := slackapproval.New(slackapproval.Config{
		SigningSecret: "env:SLACK_SIGNING_SECRET",
		Poster:        &slackapproval.FakePoster{Posted: posted},
	})
	srv, err := devserver.Start(workflow.NewRegistry(wf), devserver.Options{Addr: *addr})
	if err != nil {
		return err
	}
	defer srv.Close()

	r, err := workflow.Start(ctx, srv.Client, wf, slackapproval.Input{
		Channel: *channel, Text: "Deploy shop v1.4.2 to production?",
	})
	if err != nil {
		return err
	}
	url, err := srv.WebhookURL(ctx, r.ID())
	if err != nil {
		return err
	}
	var msg slackapproval.Message
	select {
	case msg = <-posted:
	case err := <-srv.Err():
		return err
	case <-ctx.Done():
		return nil
	}
	fmt.Printf("URL=%s\n", url)
	fmt.Printf("CHANNEL=%s\n", msg.Channel)
	fmt.Printf("TS=%s\n", msg.TS)
	fmt.Printf("run %s waits for a reaction on message %s in %s; for example:\n", r.ID(), msg.TS, msg.Channel)
	fmt.Printf("  URL=%s examples/slackapproval/send.sh reaction %s %s %s\n", url, slackapproval.ReactionApprove, msg.Channel, msg.TS)

	type outcome struct {
		res slackapproval.Result
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
		if ctx.Err() != nil {
			fmt.Println("interrupted: the run was still waiting")
			return nil
		}
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
