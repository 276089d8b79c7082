package inspector

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// parseForm reads a POST's form, within admin.MaxRequestBytes.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, admin.MaxRequestBytes)
	if err := r.ParseForm(); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return fmt.Errorf("%w: the form is larger than %d bytes", workflow.ErrPayloadTooLarge, admin.MaxRequestBytes)
		}
		return &formError{"The form could not be read: " + err.Error()}
	}
	return nil
}

// refuseOnRun shows an action's failure on the run's page.
func (h *handler) refuseOnRun(w http.ResponseWriter, r *http.Request, runID string, err error, form runForm) {
	status, pe := h.explain(r, err)
	h.showRun(w, r, runID, status, "", pe, form)
}

func (h *handler) cancel(w http.ResponseWriter, r *http.Request) {
	runID := r.PathValue("run")
	if err := h.api.Cancel(r.Context(), runID); err != nil {
		h.refuseOnRun(w, r, runID, err, runForm{})
		return
	}
	redirect(w, r, runURL(runID)+"?ok=cancelled")
}

func (h *handler) retry(w http.ResponseWriter, r *http.Request) {
	runID := r.PathValue("run")
	if err := h.api.Retry(r.Context(), runID); err != nil {
		h.refuseOnRun(w, r, runID, err, runForm{})
		return
	}
	redirect(w, r, runURL(runID)+"?ok=retried")
}

// resume sends the form's JSON payload to a pending hook of the run.
func (h *handler) resume(w http.ResponseWriter, r *http.Request) {
	runID := r.PathValue("run")
	if err := parseForm(w, r); err != nil {
		h.refuseOnRun(w, r, runID, err, runForm{})
		return
	}
	form := runForm{Token: r.PostForm.Get("token"), Payload: r.PostForm.Get("payload")}
	res, err := h.resumeHook(r, runID, form, r.PostForm.Get("key"))
	if err != nil {
		h.refuseOnRun(w, r, runID, err, form)
		return
	}
	redirect(w, r, runURL(res.RunID)+"?ok=resumed")
}

func (h *handler) resumeHook(r *http.Request, runID string, form runForm, key string) (workflow.ResumeResult, error) {
	payload := strings.TrimSpace(form.Payload)
	if payload == "" {
		return workflow.ResumeResult{}, &formError{"Enter a JSON payload: an object such as {\"ok\": true}, or null."}
	}
	if err := checkJSON("payload", payload); err != nil {
		return workflow.ResumeResult{}, err
	}
	// The API resumes whichever run holds the token: make sure it is this page's run.
	hooks, err := h.api.ListHooks(r.Context(), workflow.HookFilter{RunID: runID})
	if err != nil {
		return workflow.ResumeResult{}, err
	}
	if !slices.ContainsFunc(hooks, func(hk workflow.HookInfo) bool { return hk.Token == form.Token && !hk.Webhook }) {
		return workflow.ResumeResult{}, fmt.Errorf("%w: run %s has no pending hook with token %q", workflow.ErrHookNotFound, runID, form.Token)
	}
	return h.api.Resume(r.Context(), admin.ResumeRequest{Token: form.Token, Payload: json.RawMessage(payload), IdempotencyKey: key})
}

// redeliver sends a delivery again: to its hook, or, with newRunOf, as a new run's input.
// A refusal is shown on the page the form was on (from=delivery: the delivery's).
func (h *handler) redeliver(w http.ResponseWriter, r *http.Request) {
	runID, deliveryID := r.PathValue("run"), r.PathValue("delivery")
	err := parseForm(w, r)
	newRunOf := strings.TrimSpace(r.PostForm.Get("newRunOf"))
	var res admin.RedeliverResult
	if err == nil && r.PostForm.Has("newRunOf") && newRunOf == "" {
		err = &formError{"Choose the workflow to start with the delivery as its input."}
	}
	if err == nil {
		res, err = h.api.Redeliver(r.Context(), admin.RedeliverRequest{RunID: runID, DeliveryID: deliveryID, NewRunOf: newRunOf})
	}
	if err != nil {
		if r.PostForm.Get("from") == "delivery" {
			status, pe := h.explain(r, err)
			h.showDelivery(w, r, runID, deliveryID, status, pe, newRunOf)
			return
		}
		h.refuseOnRun(w, r, runID, err, runForm{NewRunOf: newRunOf})
		return
	}
	ok := "redelivered"
	if res.NewRun {
		ok = "redelivered-new"
	}
	redirect(w, r, runURL(res.RunID)+"?ok="+ok)
}
