package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Mistakes on the command line exit 2 (usage) or 3 (not found) with a message that says what
// is wrong and what to do next, and print nothing on stdout.
func TestBadInput(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"unknown command", []string{"strat"}, 2, []string{`unknown command "strat" for "hookflow"; did you mean start?`, "Run 'hookflow --help' for usage."}},
		{"unknown subcommand", []string{"runs", "lst"}, 2, []string{`unknown command "lst" for "hookflow runs"`, "Run 'hookflow runs --help'"}},
		{"unknown gate subcommand", []string{"gate", "chek"}, 2, []string{`unknown command "chek" for "hookflow gate"`}},
		{"unknown flag", []string{"runs", "ls", "--colour"}, 2, []string{"unknown flag: --colour"}},
		{"unknown global flag", []string{"--servr", "x", "runs", "ls"}, 2, []string{"unknown flag: --servr"}},
		{"missing argument", []string{"runs", "show"}, 2, []string{"missing RUN: usage: hookflow runs show RUN"}},
		{"missing arguments", []string{"redeliver", "run_1"}, 2, []string{"missing DELIVERY"}},
		{"too many arguments", []string{"cancel", "run_1", "run_2"}, 2, []string{"hookflow cancel takes 1 argument(s) (RUN), got 2"}},
		{"arguments to a command without", []string{"runs", "ls", "extra"}, 2, []string{"hookflow runs ls takes no arguments"}},
		{"empty argument", []string{"events", " "}, 2, []string{"RUN is empty"}},
		{"input not JSON", []string{"start", "nap", "--input", "{nope"}, 2, []string{"--input is not JSON", "--input '\"text\"'"}},
		{"bare word as input", []string{"start", "nap", "--input", "hello"}, 2, []string{"--input is not JSON"}},
		{"data not JSON", []string{"resume", "t", "--data", "{"}, 2, []string{"--data is not JSON"}},
		{"no data", []string{"resume", "t"}, 2, []string{"--data is required"}},
		{"unknown workflow", []string{"start", "nope"}, 2, []string{`no workflow "nope" is registered`, "collect-hook", "hookflow workflows"}},
		{"unknown backend", []string{"--backend", "mysql", "runs", "ls"}, 2, []string{`--backend "mysql": must be server or aws`}},
		{"server not a URL", []string{"--server", "localhost:8080", "runs", "ls"}, 2, []string{`--server "localhost:8080" is not an http(s) URL`}},
		{"aws without a table", []string{"--backend", "aws", "runs", "ls"}, 2, []string{"--backend aws needs --table and --queue-url"}},
		{"unknown run: show", []string{"runs", "show", "run_nope"}, 3, []string{"run not found: run_nope", "hookflow runs ls"}},
		{"unknown run: events", []string{"events", "run_nope"}, 3, []string{"run not found: run_nope"}},
		{"unknown run: deliveries", []string{"deliveries", "run_nope"}, 3, []string{"run not found: run_nope"}},
		{"unknown run: cancel", []string{"cancel", "run_nope"}, 3, []string{"run not found: run_nope"}},
		{"unknown run: retry", []string{"retry", "run_nope"}, 3, []string{"run not found: run_nope"}},
		{"unknown run: redeliver", []string{"redeliver", "run_nope", "dlv_1"}, 3, []string{"run not found"}},
		{"unknown run: hooks", []string{"hooks", "ls", "--run", "run_nope"}, 3, []string{"run not found: run_nope"}},
		{"unknown token", []string{"resume", "nobody", "--data", "{}"}, 3, []string{`no live hook has token "nobody"`, "hookflow hooks ls"}},
		{"unknown token, as JSON", []string{"resume", "nobody", "--data", "{}", "--json"}, 3, []string{"hook not found"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := cli{t: t, env: c.env}.fails(tc.code, tc.args, tc.want...)
			require.Empty(t, r.stdout)
		})
	}
}

// A server that cannot be reached is an error (1) that says to start `hookflow dev` or pass
// --server, naming the URL tried, whether it came from --server or HOOKFLOW_SERVER.
func TestUnreachableServer(t *testing.T) {
	t.Parallel()
	c := cli{t: t}
	for _, args := range [][]string{
		{"--server", "http://127.0.0.1:1", "runs", "ls"},
		{"start", "nap", "--server", "http://127.0.0.1:1"},
		{"resume", "t", "--data", "1", "--server", "http://127.0.0.1:1", "--json"},
	} {
		c.fails(1, args, "no hookflow server answers at http://127.0.0.1:1 (", "connection refused", "Is `hookflow dev` running? Start it, or pass --server")
	}
	c = cli{t: t, env: []string{"HOOKFLOW_SERVER=http://127.0.0.1:1"}}
	c.fails(1, []string{"hooks", "ls"}, "no hookflow server answers at http://127.0.0.1:1", "HOOKFLOW_SERVER")
}

// The root command's help documents the exit codes; with no command it prints it and
// succeeds.
func TestHelp(t *testing.T) {
	t.Parallel()
	c := cli{t: t}
	for _, args := range [][]string{{"--help"}, {}} {
		out := c.ok(args...)
		for _, want := range []string{
			"Exit codes:", "0  success", "1  an error", "2  usage", "3  not found",
			"--server", "--backend", "--table", "--queue-url", "--region",
			"dev", "start", "resume", "runs", "hooks", "events", "deliveries", "cancel", "retry", "redeliver", "gate",
		} {
			require.Contains(t, out, want)
		}
	}
	require.Contains(t, c.ok("runs"), "hookflow runs [command]", "a group without a command prints its help")
	require.Contains(t, c.ok("start", "--help"), "--wait")
	require.Contains(t, c.ok("--server", "http://example.test", "help", "runs", "ls"), "--status")
}
