package inspector

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// runData is a run's page.
type runData struct {
	Run workflow.RunInfo
	// Problem is the failure of the run's latest turn, when there is one (stuck runs).
	Problem       string
	Input, Output string // indented JSON
	Ended, Stuck  bool
	Hooks         []hookRow
	Timeline      []entry
	Deliveries    []deliveryRow
	// Workflows can be started with a delivery as their input; empty when the API does not
	// know them (the form then takes a name).
	Workflows []string
	NewRunOf  string // the redeliver form's workflow, kept when it was refused
}

// hookRow is a pending hook or webhook of the run.
type hookRow struct {
	workflow.HookInfo
	Payload string // the resume form's payload, kept when it was refused
	// Key is the resume form's idempotency key, new on each page: submitting the same page
	// twice (a double click) delivers once.
	Key string
}

// deliveryRow is a payload the run received.
type deliveryRow struct {
	workflow.Delivery
	Summary string // "POST /path (12 bytes)", or the hook's payload on one line
}

// runForm is what a refused form on the run's page held, to show it again.
type runForm struct {
	Token, Payload string // resume
	NewRunOf       string // redeliver
}

func (h *handler) run(w http.ResponseWriter, r *http.Request) {
	h.showRun(w, r, r.PathValue("run"), http.StatusOK, flash(r), nil, runForm{})
}

// showRun renders the run's page with status, and pe when an action was refused.
func (h *handler) showRun(w http.ResponseWriter, r *http.Request, runID string, status int, flash string, pe *pageError, form runForm) {
	d, err := h.loadRun(r, runID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.NewRunOf = form.NewRunOf
	for i := range d.Hooks {
		if d.Hooks[i].Token == form.Token {
			d.Hooks[i].Payload = form.Payload
		}
	}
	refresh := h.opts.refreshSeconds()
	if d.Ended {
		refresh = 0 // nothing more will happen
	}
	h.render(w, r, status, "run", page{Heading: "Run " + d.Run.ID, Refresh: refresh, Flash: flash, Error: pe, Data: d})
}

// loadRun reads what the run's page shows.
func (h *handler) loadRun(r *http.Request, runID string) (*runData, error) {
	ctx := r.Context()
	info, err := h.api.GetRun(ctx, runID)
	if err != nil {
		return nil, err
	}
	events, err := h.api.ListEvents(ctx, runID)
	if err != nil {
		return nil, err
	}
	dls, err := h.api.ListDeliveries(ctx, runID)
	if err != nil {
		return nil, err
	}
	hooks, err := h.api.ListHooks(ctx, workflow.HookFilter{RunID: runID})
	if err != nil {
		return nil, err
	}
	names, err := h.api.Workflows(ctx)
	if err != nil {
		return nil, err
	}
	d := &runData{
		Run: info, Output: prettyJSON(info.Output), Problem: info.LastError, Workflows: names,
		Ended: info.Status == workflow.StatusCompleted || info.Status == workflow.StatusFailed || info.Status == workflow.StatusCancelled,
		Stuck: info.Status == workflow.StatusStuck,
	}
	if len(events) > 0 && events[0].Type == "run_created" {
		var created struct {
			Input json.RawMessage `json:"input"`
		}
		if json.Unmarshal(events[0].Data, &created) == nil {
			d.Input = prettyJSON(created.Input)
		}
	}
	for _, hk := range hooks {
		d.Hooks = append(d.Hooks, hookRow{HookInfo: hk, Key: "inspector-" + rand.Text()})
	}
	byID := make(map[string]workflow.Delivery, len(dls))
	for _, dl := range dls {
		byID[dl.ID] = dl
		d.Deliveries = append(d.Deliveries, deliveryRow{Delivery: dl, Summary: deliverySummary(dl)})
	}
	d.Timeline = timeline(info, events, byID)
	return d, nil
}

// deliverySummary is a delivery on one line.
func deliverySummary(dl workflow.Delivery) string {
	if dl.Request == nil {
		return compactJSON(dl.Payload, 120)
	}
	path := dl.Request.URL
	if u, err := url.Parse(path); err == nil {
		path = u.Path
	}
	return fmt.Sprintf("%s %s (%d bytes)", dl.Request.Method, path, len(dl.Request.Body))
}
