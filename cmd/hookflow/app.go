package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hookflow/hookflow/examples/catalog"
	"github.com/hookflow/hookflow/pkg/deploygate"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// streams are where a command reads and writes.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// app is the state the commands share: the streams, the environment and the global flags.
type app struct {
	streams
	getenv   func(string) string
	registry *workflow.Registry
	global   globals
}

// run executes the command line args and returns the process's exit code.
func run(ctx context.Context, args []string, s streams, getenv func(string) string) int {
	a := &app{streams: s, getenv: getenv, registry: workflow.NewRegistry(catalog.Workflows()...)}
	root := a.rootCommand()
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	a.report(cmd, err)
	return exitCode(err)
}

const rootLong = `hookflow runs durable workflows with hooks and webhooks.

Run the examples' workflows on a dev server, then drive them from another shell:

  hookflow dev                                   # serves on http://127.0.0.1:8080
  hookflow start collect-hook --input '{"token":"t1","count":1}'
  hookflow hooks ls
  hookflow resume t1 --data '{"ok":true}'
  hookflow runs ls
  hookflow runs show RUN

Every command but dev and gate calls the admin API of a server (--server, default
$HOOKFLOW_SERVER, else http://127.0.0.1:8080), or reads and writes DynamoDB directly with
--backend aws (--table, --queue-url, --region; default $HOOKFLOW_TABLE, $HOOKFLOW_QUEUE_URL,
$AWS_REGION; the AWS credentials and AWS_ENDPOINT_URL come from the environment as usual).
Commands that print data take --json.

Exit codes:
  0  success
  1  an error (a server that cannot be reached, a run that failed under start --wait, ...)
  2  usage: an unknown command or flag, a wrong number of arguments, JSON on the command line
     that does not parse, or arguments the server refuses as invalid (an unknown workflow or
     --status, a payload the hook's schema refuses); gate check also exits 2 when it refuses
     a deploy
  3  not found: an unknown run, hook token or delivery`

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "hookflow",
		Short:         "hookflow: durable workflows with hooks and webhooks",
		Long:          rootLong,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(a.in)
	root.SetOut(a.out)
	root.SetErr(a.err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	a.global.register(root, a.getenv)
	asGroup(root)

	runs := &cobra.Command{Use: "runs", Short: "List, show, export and delete runs"}
	runs.AddCommand(a.runsListCommand(), a.runsShowCommand(), a.runsExportCommand(), a.runsDeleteCommand())
	asGroup(runs)
	hooks := &cobra.Command{Use: "hooks", Short: "List live hooks and webhooks"}
	hooks.AddCommand(a.hooksListCommand())
	asGroup(hooks)
	gate := deploygate.Command(a.registry, deploygate.Options{AWSConfig: a.awsConfig})
	asGroup(gate)

	root.AddCommand(
		a.devCommand(),
		a.startCommand(),
		a.resumeCommand(),
		runs,
		hooks,
		a.eventsCommand(),
		a.deliveriesCommand(),
		a.cancelCommand(),
		a.retryCommand(),
		a.redeliverCommand(),
		a.workflowsCommand(),
		a.webCommand(),
		gate,
	)
	return root
}

// asGroup makes a command that only holds subcommands refuse an unknown one as a usage
// error (cobra prints the help and succeeds), and print its help when given none.
func asGroup(cmd *cobra.Command) {
	cmd.Args = cobra.ArbitraryArgs
	cmd.SuggestionsMinimumDistance = 2
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, " or ") + "?"
		}
		return usageError{fmt.Errorf("%s", msg)}
	}
}

// args checks a command's arguments, naming them, as a usage error.
func args(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, got []string) error {
		if len(got) == len(names) {
			for i, v := range got {
				if strings.TrimSpace(v) == "" {
					return usagef("%s is empty", names[i])
				}
			}
			return nil
		}
		want := strings.Join(names, " ")
		if len(names) == 0 {
			return usagef("%s takes no arguments, got %q", cmd.CommandPath(), got)
		}
		if len(got) < len(names) {
			return usagef("missing %s: usage: %s", strings.Join(names[len(got):], " "), cmd.UseLine())
		}
		return usagef("%s takes %d argument(s) (%s), got %d: %q", cmd.CommandPath(), len(names), want, len(got), got)
	}
}

// report prints a failed command's error, and what to do next, to stderr.
func (a *app) report(cmd *cobra.Command, err error) {
	fmt.Fprintln(a.err, "hookflow: "+message(err, &a.global))
	if h := hint(err, &a.global); h != "" {
		fmt.Fprintln(a.err, h)
	}
	if errors.As(err, new(usageError)) && cmd != nil { // not for arguments the API refused
		fmt.Fprintf(a.err, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
}

// isTerminal reports whether w is a terminal (a character device), where progress is
// worth showing.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
