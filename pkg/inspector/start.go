package inspector

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/hookflow/hookflow/pkg/admin"
)

// startData is the start form.
type startData struct {
	// Workflows can be started; empty when the API does not know them (the form then takes
	// a name).
	Workflows []string
	Workflow  string // chosen
	Input     string // JSON
}

func (h *handler) startForm(w http.ResponseWriter, r *http.Request) {
	h.showStart(w, r, http.StatusOK, nil, startData{Workflow: r.URL.Query().Get("workflow")})
}

// showStart renders the start form with status, and pe when a start was refused.
func (h *handler) showStart(w http.ResponseWriter, r *http.Request, status int, pe *pageError, d startData) {
	names, err := h.api.Workflows(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Workflows = names
	h.render(w, r, status, "start", page{Heading: "Start a run", Error: pe, Data: &d})
}

// start starts a run of the form's workflow with its JSON input (empty: null).
func (h *handler) start(w http.ResponseWriter, r *http.Request) {
	err := parseForm(w, r)
	d := startData{Workflow: strings.TrimSpace(r.PostForm.Get("workflow")), Input: r.PostForm.Get("input")}
	input := strings.TrimSpace(d.Input)
	switch {
	case err != nil:
	case d.Workflow == "":
		err = &formError{"Choose the workflow to start."}
	case input != "":
		err = checkJSON("input", input)
	}
	var runID string
	if err == nil {
		runID, err = h.api.Start(r.Context(), admin.StartRequest{Workflow: d.Workflow, Input: json.RawMessage(input)})
	}
	if err != nil {
		status, pe := h.explain(r, err)
		h.showStart(w, r, status, pe, d)
		return
	}
	redirect(w, r, runURL(runID)+"?ok=started")
}
