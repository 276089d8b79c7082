package main

import (
	"context"
	"errors"
	"fmt"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// pollEvery is how often start --wait reads the run.
const pollEvery = 200 * time.Millisecond

func (a *app) startCommand() *cobra.Command {
	var input, runID string
	var wait, asJSON bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "start WORKFLOW",
		Short: "Start a run of a workflow and print its ID",
		Long: `start starts a run of WORKFLOW with --input as its JSON input (default null) and prints
the run's ID. --input takes JSON text, @path for a file's content, or @- for standard input.
--run-id makes the start idempotent: starting again with the same ID returns the same run.

With --wait it then waits until the run ends, and prints its output (JSON) or fails with
its error: exit 1 when the run failed, was cancelled or got stuck. On a terminal it shows
the run's progress on stderr meanwhile. Interrupting the wait leaves the run going.`,
		Example: `  hookflow start collect-hook --input '{"token":"t1","count":1}'
  hookflow start nap --input 2000000000 --wait     # a time.Duration: nanoseconds
  hookflow start order-fulfilment --input @order.json --run-id order-42`,
		Args: args("WORKFLOW"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			req := admin.StartRequest{Workflow: argv[0], RunID: runID}
			if cmd.Flags().Changed("input") {
				raw, err := a.jsonArg("input", input)
				if err != nil {
					return err
				}
				req.Input = raw
			}
			if timeout < 0 {
				return usagef("--timeout %v is negative", timeout)
			}
			return a.withAPI(cmd, func(ctx context.Context, api admin.API) error {
				id, err := api.Start(ctx, req)
				if err != nil {
					return err
				}
				if !wait {
					if asJSON {
						return printJSON(a.out, map[string]string{"runId": id})
					}
					_, err := fmt.Fprintln(a.out, id)
					return err
				}
				return a.waitRun(ctx, api, id, timeout, asJSON)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&input, "input", "", "the run's input, as JSON (or @path, @-)")
	f.StringVar(&runID, "run-id", "", "start the run under this ID (idempotent)")
	f.BoolVar(&wait, "wait", false, "wait until the run ends and print its output")
	f.DurationVar(&timeout, "timeout", 0, "with --wait, give up waiting after this long (0: no limit)")
	f.BoolVar(&asJSON, "json", false, "print the run ID, or with --wait the run, as JSON")
	return cmd
}

// runOutcome is a run that did not complete: start --wait fails with it (exit 1).
type runOutcome struct{ info workflow.RunInfo }

func (e *runOutcome) Error() string {
	switch e.info.Status {
	case workflow.StatusStuck:
		return fmt.Sprintf("run %s is stuck: %s", e.info.ID, e.info.LastError)
	case workflow.StatusCancelled:
		return fmt.Sprintf("run %s was cancelled", e.info.ID)
	}
	return fmt.Sprintf("run %s failed: %s", e.info.ID, strings.TrimPrefix(e.info.Error, "hookflow: "))
}

// outcomeHint says what to do about a run that did not complete.
func outcomeHint(err error) string {
	var o *runOutcome
	if !errors.As(err, &o) {
		return ""
	}
	if o.info.Status == workflow.StatusStuck {
		return fmt.Sprintf("Fix the cause, then put it back to work with `hookflow retry %s`.", o.info.ID)
	}
	return fmt.Sprintf("Read its history with `hookflow runs show %s`.", o.info.ID)
}

// waitRun polls the run until it ends and prints how: its output, or (as an error) why it
// did not complete.
func (a *app) waitRun(ctx context.Context, api admin.API, id string, timeout time.Duration, asJSON bool) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	progress := isTerminal(a.err)
	if progress {
		fmt.Fprintf(a.err, "run %s started\n", id)
	}
	var last workflow.RunStatus
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		info, err := api.GetRun(ctx, id)
		if ctx.Err() != nil {
			why := "interrupted"
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				why = fmt.Sprintf("--timeout %v passed", timeout)
			}
			return fmt.Errorf("stopped waiting for run %s (%s); it goes on: follow it with `hookflow runs show %s`", id, why, id)
		}
		if err != nil {
			return err
		}
		if progress && info.Status != last {
			a.showProgress(ctx, api, info)
		}
		last = info.Status
		switch info.Status {
		case workflow.StatusCompleted:
			if asJSON {
				return printJSON(a.out, info)
			}
			_, err := fmt.Fprintln(a.out, indentJSON(info.Output, ""))
			return err
		case workflow.StatusFailed, workflow.StatusCancelled, workflow.StatusStuck:
			if asJSON {
				if err := printJSON(a.out, info); err != nil {
					return err
				}
			}
			return &runOutcome{info}
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
}

// showProgress prints a run's new status to stderr, with the hooks it waits on.
func (a *app) showProgress(ctx context.Context, api admin.API, info workflow.RunInfo) {
	line := fmt.Sprintf("run %s: %s", info.ID, info.Status)
	if info.LastError != "" && info.Status != workflow.StatusCompleted {
		line += " (last turn failed: " + oneLine(info.LastError, 80) + ")"
	}
	if info.Status == workflow.StatusWaiting {
		if hooks, err := api.ListHooks(ctx, workflow.HookFilter{RunID: info.ID}); err == nil && len(hooks) > 0 {
			var on []string
			for _, h := range hooks {
				on = append(on, hookLabel(h))
			}
			line += " on " + strings.Join(on, ", ")
		}
	}
	fmt.Fprintln(a.err, line)
}
