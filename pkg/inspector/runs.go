package inspector

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// pageSize is how many runs the list shows at once, unless the query says (limit=).
const pageSize = 50

// statuses are the statuses the list can be filtered by, in the order a run goes through
// them.
var statuses = []workflow.RunStatus{
	workflow.StatusPending, workflow.StatusRunning, workflow.StatusWaiting, workflow.StatusStuck,
	workflow.StatusCompleted, workflow.StatusFailed, workflow.StatusCancelled,
}

// runsData is the runs list page.
type runsData struct {
	Status, Workflow string
	Limit            int
	Statuses         []workflow.RunStatus
	Workflows        []string
	Runs             []runRow
	// Next is the URL of the next page, First of the first one (when this is not it).
	Next, First string
}

// runRow is a run in the list.
type runRow struct {
	workflow.RunInfo
	// Problem is why a run is not going well: a failed run's error, or the failure of a
	// run's latest turn (a stuck run's, one being retried).
	Problem string
}

func (h *handler) runs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := runsData{Status: q.Get("status"), Workflow: q.Get("workflow"), Limit: pageSize, Statuses: statuses}
	p := page{Heading: "Runs", Refresh: h.opts.refreshSeconds(), Flash: flash(r), Data: &d}
	status := http.StatusOK
	var err error
	if s := q.Get("limit"); s != "" {
		if d.Limit, err = strconv.Atoi(s); err != nil || d.Limit < 1 {
			d.Limit = pageSize
			p.Error = &pageError{Message: "The page size " + strconv.Quote(s) + " is not a positive number."}
			h.render(w, r, http.StatusBadRequest, "runs", p)
			return
		}
	}
	if d.Workflows, err = h.api.Workflows(r.Context()); err != nil {
		status, p.Error = h.explain(r, err)
	}
	cursor := q.Get("cursor")
	res, err := h.api.ListRuns(r.Context(), workflow.RunFilter{
		Status: workflow.RunStatus(d.Status), Workflow: d.Workflow, Limit: d.Limit, Cursor: cursor,
	})
	if err != nil {
		status, p.Error = h.explain(r, err)
		h.render(w, r, status, "runs", p)
		return
	}
	for _, run := range res.Runs {
		row := runRow{RunInfo: run}
		switch {
		case run.Status == workflow.StatusFailed:
			row.Problem = run.Error
		case run.LastError != "":
			row.Problem = run.LastError
		}
		d.Runs = append(d.Runs, row)
	}
	if res.Next != "" {
		d.Next = d.listURL(res.Next)
	}
	if cursor != "" {
		d.First = d.listURL("")
	}
	h.render(w, r, status, "runs", p)
}

// listURL is the URL of the list with the same filter, from cursor.
func (d *runsData) listURL(cursor string) string {
	q := url.Values{}
	for k, v := range map[string]string{"status": d.Status, "workflow": d.Workflow, "cursor": cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if d.Limit != pageSize {
		q.Set("limit", strconv.Itoa(d.Limit))
	}
	if len(q) == 0 {
		return "/"
	}
	return "/?" + q.Encode()
}

// CustomLimit tells whether the page size is not the default one (the filter form keeps it).
func (d *runsData) CustomLimit() bool { return d.Limit != pageSize }
