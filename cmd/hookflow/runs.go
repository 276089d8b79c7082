package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// defaultRunsLimit is how many runs `runs ls` shows without --limit or --all.
const defaultRunsLimit = 20

func (a *app) runsListCommand() *cobra.Command {
	var status, name string
	var limit int
	var all, asJSON bool
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List runs, newest first",
		Long: `ls lists runs, newest first: their ID, workflow, status, age, and for a failed or stuck run
(or one whose turns keep failing) its last error. --status takes pending, running,
waiting, completed, failed, cancelled or stuck. --limit runs are shown (default 20);
--all shows every run, page after page.`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit <= 0 {
				return usagef("--limit %d: must be positive", limit)
			}
			f := workflow.RunFilter{Status: workflow.RunStatus(status), Workflow: name, Limit: limit}
			return a.withAPI(cmd, func(ctx context.Context, api admin.API) error {
				page, err := listRuns(ctx, api, f, all)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(a.out, page)
				}
				if len(page.Runs) == 0 {
					_, err := fmt.Fprintln(a.out, "no runs")
					return err
				}
				if err := printRuns(a, page.Runs); err != nil {
					return err
				}
				if page.Next != "" {
					fmt.Fprintf(a.err, "(showing the %d newest runs; --all lists every one)\n", len(page.Runs))
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&status, "status", "", "only runs in this status")
	f.StringVar(&name, "workflow", "", "only runs of this workflow")
	f.IntVar(&limit, "limit", defaultRunsLimit, "how many runs to show (with --all: how many a page)")
	f.BoolVar(&all, "all", false, "list every run")
	f.BoolVar(&asJSON, "json", false, `print {"runs": [...], "next": cursor} as JSON`)
	return cmd
}

// listRuns returns one page of runs, or with all every page's runs together.
func listRuns(ctx context.Context, api admin.API, f workflow.RunFilter, all bool) (workflow.RunPage, error) {
	var out workflow.RunPage
	for {
		page, err := api.ListRuns(ctx, f)
		if err != nil {
			return workflow.RunPage{}, err
		}
		out.Runs = append(out.Runs, page.Runs...)
		out.Next = page.Next
		if !all || page.Next == "" {
			if out.Runs == nil {
				out.Runs = []workflow.RunInfo{}
			}
			return out, nil
		}
		f.Cursor = page.Next
	}
}

func printRuns(a *app, runs []workflow.RunInfo) error {
	now := time.Now()
	w := table(a.out)
	fmt.Fprintln(w, "RUN\tWORKFLOW\tSTATUS\tAGE\tERROR")
	for _, r := range runs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Workflow, r.Status, age(now, r.CreatedAt), oneLine(runProblem(r), 60))
	}
	return w.Flush()
}

// runProblem is what went wrong with a run, or "": its error when it failed, the last
// failure of its turns when they fail (stuck, or on the way there).
func runProblem(r workflow.RunInfo) string {
	switch {
	case r.Status == workflow.StatusFailed:
		return strings.TrimPrefix(r.Error, "hookflow: ")
	case r.LastError != "" && r.Status != workflow.StatusCompleted && r.Status != workflow.StatusCancelled:
		return fmt.Sprintf("%d failed turns: %s", r.Failures, r.LastError)
	}
	return ""
}

func (a *app) runsShowCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show RUN",
		Short: "Show a run and the timeline of its history",
		Long: `show prints a run (status, times, output or error), the timeline of its history, one
event a line (seq, offset from the start, type, and what it is about: the step, the hook's
token or the webhook's URL, the delivery), and the hooks it waits on, with their URLs.
--json prints {"run", "events", "hooks"}.`,
		Args: args("RUN"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return a.withAPI(cmd, func(ctx context.Context, api admin.API) error {
				info, err := api.GetRun(ctx, argv[0])
				if err != nil {
					return err
				}
				events, err := api.ListEvents(ctx, info.ID)
				if err != nil {
					return err
				}
				hooks, err := api.ListHooks(ctx, workflow.HookFilter{RunID: info.ID})
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(a.out, struct {
						Run    workflow.RunInfo    `json:"run"`
						Events []workflow.Event    `json:"events"`
						Hooks  []workflow.HookInfo `json:"hooks"`
					}{info, nonNil(events), nonNil(hooks)})
				}
				return printRun(a, info, events, hooks)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the run, its events and its live hooks as JSON")
	return cmd
}

func printRun(a *app, info workflow.RunInfo, events []workflow.Event, hooks []workflow.HookInfo) error {
	now := time.Now()
	w := table(a.out)
	fmt.Fprintf(w, "run\t%s\n", info.ID)
	fmt.Fprintf(w, "workflow\t%s\n", info.Workflow)
	fmt.Fprintf(w, "status\t%s\n", info.Status)
	fmt.Fprintf(w, "created\t%s (%s ago)\n", stamp(info.CreatedAt), age(now, info.CreatedAt))
	fmt.Fprintf(w, "updated\t%s (%s after the start)\n", stamp(info.UpdatedAt), offset(info.CreatedAt, info.UpdatedAt))
	if info.CodeVersion != "" {
		fmt.Fprintf(w, "code version\t%s\n", info.CodeVersion)
	}
	if len(info.Output) > 0 {
		fmt.Fprintf(w, "output\t%s\n", oneLine(compactJSON(info.Output), 200))
	}
	if info.Error != "" {
		fmt.Fprintf(w, "error\t%s\n", info.Error)
	}
	if info.LastError != "" {
		fmt.Fprintf(w, "failed turns\t%d, the last: %s\n", info.Failures, info.LastError)
	}
	if err := w.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(a.out, "\ntimeline")
	w = table(a.out)
	fmt.Fprintln(w, "  #\tOFFSET\tEVENT\tABOUT")
	tl := newTimeline(info.CreatedAt)
	for _, e := range events {
		fmt.Fprintf(w, "  %d\t%s\t%s\t%s\n", e.Seq, offset(info.CreatedAt, e.CreatedAt), e.Type, tl.about(e))
	}
	if err := w.Flush(); err != nil {
		return err
	}

	if len(hooks) > 0 {
		fmt.Fprintln(a.out, "\npending hooks")
		w = table(a.out)
		for _, h := range hooks {
			line := fmt.Sprintf("  %s\t%d deliveries", hookLabel(h), h.Deliveries)
			if h.Rejections > 0 {
				line += ", " + rejections(h) + " refused"
			}
			fmt.Fprintln(w, line)
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
