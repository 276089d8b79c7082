package inspector

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// deliveryData is a delivery's page.
type deliveryData struct {
	workflow.Delivery
	HookToken string // the token of the hook that received it
	Headers   []header
	Body      body   // a webhook request's
	Payload   string // a hook's, indented
	Workflows []string
	NewRunOf  string // the redeliver form's workflow, kept when it was refused
}

// header is a request header with its values, as sent.
type header struct {
	Name   string
	Values []string
}

func (h *handler) delivery(w http.ResponseWriter, r *http.Request) {
	h.showDelivery(w, r, r.PathValue("run"), r.PathValue("delivery"), http.StatusOK, nil, "")
}

// showDelivery renders a delivery's page with status, and pe when a redelivery was refused.
func (h *handler) showDelivery(w http.ResponseWriter, r *http.Request, runID, deliveryID string, status int, pe *pageError, newRunOf string) {
	dl, err := h.findDelivery(r, runID, deliveryID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	names, err := h.api.Workflows(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	token, err := h.hookToken(r, runID, dl.HookID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := &deliveryData{Delivery: dl, HookToken: token, Workflows: names, NewRunOf: newRunOf}
	if dl.Request != nil {
		for name, values := range dl.Request.Header {
			d.Headers = append(d.Headers, header{Name: name, Values: values})
		}
		slices.SortFunc(d.Headers, func(a, b header) int { return strings.Compare(a.Name, b.Name) })
		d.Body = showBody(dl.Request.Body)
	} else {
		d.Payload = prettyJSON(dl.Payload)
	}
	h.render(w, r, status, "delivery", page{Heading: "Delivery " + dl.ID, Error: pe, Data: d})
}

// findDelivery reads one delivery of a run.
func (h *handler) findDelivery(r *http.Request, runID, deliveryID string) (workflow.Delivery, error) {
	all, err := h.api.ListDeliveries(r.Context(), runID)
	if err != nil {
		return workflow.Delivery{}, err
	}
	for _, dl := range all {
		if dl.ID == deliveryID {
			return dl, nil
		}
	}
	return workflow.Delivery{}, fmt.Errorf("%w: run %s received no delivery %q", workflow.ErrDeliveryNotFound, runID, deliveryID)
}

// hookToken reads the token of a run's hook from the event that created it; empty when the
// history does not say.
func (h *handler) hookToken(r *http.Request, runID, hookID string) (string, error) {
	events, err := h.api.ListEvents(r.Context(), runID)
	if err != nil {
		return "", err
	}
	for _, ev := range events {
		if ev.Type != "hook_created" || ev.CorrelationID != hookID {
			continue
		}
		var d struct {
			Token string `json:"token"`
		}
		if json.Unmarshal(ev.Data, &d) == nil {
			return d.Token, nil
		}
	}
	return "", nil
}
