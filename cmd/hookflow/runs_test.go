package main

import (
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
)

type runPage = workflow.RunPage

// `runs ls` lists runs newest first, filtered by status and workflow, a page or all of them,
// with the error of a failed run; `start --run-id` is idempotent.
func TestRunsList(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	waiting := trimLine(c.ok("start", "collect-hook", "--input", `{"token":"ls-1","count":1}`))
	failed := trimLine(c.ok("start", "nap", "--input", `"not a duration"`))
	done := trimLine(c.ok("start", "nap", "--input", "1000000", "--run-id", "run-nap-1"))
	require.Equal(t, "run-nap-1", done)
	require.Equal(t, done, trimLine(c.ok("start", "nap", "--input", "1000000", "--run-id", "run-nap-1")), "the same run again")
	waitStatus(c, waiting, workflow.StatusWaiting)
	waitStatus(c, failed, workflow.StatusFailed)
	waitStatus(c, done, workflow.StatusCompleted)

	out := c.ok("runs", "ls")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 4)
	require.Regexp(t, `^RUN\s+WORKFLOW\s+STATUS\s+AGE\s+ERROR$`, lines[0])
	require.Regexp(t, `^`+done+`\s+nap\s+completed\s+\d+s\s*$`, lines[1], "newest first")
	require.Regexp(t, `^`+failed+`\s+nap\s+failed\s+\d+s\s+invalid argument: workflow "nap": decoding input`, lines[2], "the error, without the package prefix")
	require.Regexp(t, `^`+waiting+`\s+collect-hook\s+waiting\s+\d+s\s*$`, lines[3])
	require.LessOrEqual(t, len(lines[2]), 150, "the error is truncated")

	ids := func(p runPage) []string {
		var out []string
		for _, r := range p.Runs {
			out = append(out, r.ID)
		}
		return out
	}
	require.Equal(t, []string{done, failed, waiting}, ids(okJSON[runPage](c, "runs", "ls")))
	require.Equal(t, []string{done, failed}, ids(okJSON[runPage](c, "runs", "ls", "--workflow", "nap")))
	require.Equal(t, []string{failed}, ids(okJSON[runPage](c, "runs", "ls", "--status", "failed")))
	require.Empty(t, okJSON[runPage](c, "runs", "ls", "--status", "stuck").Runs)
	require.Equal(t, "no runs\n", c.ok("runs", "ls", "--status", "stuck"))

	page := okJSON[runPage](c, "runs", "ls", "--limit", "2")
	require.Equal(t, []string{done, failed}, ids(page))
	require.NotEmpty(t, page.Next)
	r := c.run("runs", "ls", "--limit", "1")
	require.Equal(t, 0, r.code)
	require.Contains(t, r.stderr, "(showing the 1 newest runs; --all lists every one)")
	all := okJSON[runPage](c, "runs", "ls", "--limit", "1", "--all")
	require.Equal(t, []string{done, failed, waiting}, ids(all), "page after page")
	require.Empty(t, all.Next)

	r = c.fails(2, []string{"runs", "ls", "--status", "asleep"}, `run status "asleep": want one of [pending running waiting completed failed cancelled stuck]`)
	require.NotContains(t, r.stderr, "--help", "the server refused the value: the usage would not help")
	c.fails(2, []string{"runs", "ls", "--limit", "0"}, "--limit 0: must be positive", "Run 'hookflow runs ls --help' for usage.")
	c.fails(2, []string{"runs", "ls", "--limit", "ten"}, `invalid argument "ten" for "--limit"`)
}

// `runs show` prints a failed run's error; a cancelled run ends and its hook is released;
// retry tells a run that is not stuck from one that is, and refuses one that ended.
func TestCancelAndRetry(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	runID := trimLine(c.ok("start", "collect-hook", "--input", `{"token":"c1","count":1}`))
	singleHook(c, runID)

	require.Equal(t, "run "+runID+" is waiting, not stuck: nothing to retry\n", c.ok("retry", runID))
	retried := okJSON[map[string]any](c, "retry", runID)
	require.Equal(t, map[string]any{"runId": runID, "retried": false, "status": "waiting"}, retried)

	require.Equal(t, "run "+runID+": cancel requested; it stops at its next turn\n", c.ok("cancel", runID))
	info := waitStatus(c, runID, workflow.StatusCancelled)
	require.Contains(t, info.Error, "cancelled")
	require.Equal(t, map[string]any{"runId": runID, "cancelRequested": true}, okJSON[map[string]any](c, "cancel", runID), "cancelling again does nothing")
	require.Equal(t, "no live hooks\n", c.ok("hooks", "ls", "--run", runID))
	show := c.ok("runs", "show", runID)
	require.Regexp(t, `status\s+cancelled`, show)
	require.Regexp(t, `run_cancelled\s+error="hookflow: run cancelled"`, show)
	c.fails(1, []string{"retry", runID}, "run has ended", "hookflow runs show RUN")
	c.fails(3, []string{"resume", "c1", "--data", "{}"}, "hook not found")

	failed := trimLine(c.ok("start", "nap", "--input", "[]"))
	waitStatus(c, failed, workflow.StatusFailed)
	r := c.fails(1, []string{"cancel", failed}, "run has ended: run "+failed+" is failed")
	require.Empty(t, r.stdout)
	require.Regexp(t, regexp.MustCompile(`error\s+hookflow: invalid argument: workflow "nap": decoding input`), c.ok("runs", "show", failed))
}

// `start --wait` prints the output of a run that completes, fails (exit 1) with the error of
// one that does not, and gives up after --timeout, leaving the run going. Without a
// terminal it shows no progress.
func TestStartWait(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	r := c.run("start", "nap", "--input", "1000000", "--wait")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "\"slept 0s\"\n", r.stdout)
	require.Empty(t, r.stderr, "no progress on a pipe")

	info := okJSON[workflow.RunInfo](c, "start", "nap", "--input", "1000000", "--wait")
	require.Equal(t, workflow.StatusCompleted, info.Status)
	require.JSONEq(t, `"slept 0s"`, string(info.Output))

	r = c.fails(1, []string{"start", "nap", "--input", `"soon"`, "--wait"}, "failed: invalid argument: workflow \"nap\": decoding input", "hookflow runs show run_")
	require.Empty(t, r.stdout)
	r = c.fails(1, []string{"start", "nap", "--input", `"soon"`, "--wait", "--json"})
	require.Contains(t, r.stdout, `"status": "failed"`)

	r = c.fails(1, []string{"start", "collect-hook", "--input", `{"token":"w1","count":1}`, "--wait", "--timeout", "300ms"}, "stopped waiting for run", "(--timeout 300ms passed); it goes on")
	waiting := regexp.MustCompile(`run_[A-Z0-9]+`).FindString(r.stderr)
	require.Equal(t, workflow.StatusWaiting, waitStatus(c, waiting, workflow.StatusWaiting).Status)
	c.fails(2, []string{"start", "nap", "--wait", "--timeout", "-1s"}, "--timeout -1s is negative")
}

// On a terminal, `start --wait` shows the run's progress on stderr: its status, and the
// hook or webhook it waits on. util-linux's script(1) gives the binary a terminal.
func TestStartWaitShowsProgressOnATerminal(t *testing.T) {
	t.Parallel()
	script, err := exec.LookPath("script")
	if err != nil || runtime.GOOS != "linux" {
		t.Skip("needs util-linux's script(1) to run the binary on a terminal")
	}
	srv, c := setup(t)
	line := strings.Join([]string{bin, "--server", srv.URL, "start", "inbox-webhook", "--wait", "--timeout", "2s"}, " ")
	cmd := exec.CommandContext(t.Context(), script, "-qec", line, "/dev/null")
	cmd.Env = append(baseEnv(), c.env...)
	out, _ := cmd.CombinedOutput()
	require.Regexp(t, `run run_[A-Z0-9]+ started`, string(out))
	require.Regexp(t, `run run_[A-Z0-9]+: waiting on webhook `+regexp.QuoteMeta(srv.Webhook), string(out))
	require.Contains(t, string(out), "(--timeout 2s passed)")
}
