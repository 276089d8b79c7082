package admin

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// Options configure NewHandler.
type Options struct {
	// Logger receives the failures answered with 500; default slog.Default().
	Logger *slog.Logger
}

// MaxRequestBytes bounds a request body (a resume payload is at most 376 KiB).
const MaxRequestBytes = 1 << 20

// NewHandler serves api as JSON over HTTP under Path:
//
//	GET  /runs?status=&workflow=&createdAfter=&createdBefore=&limit=&cursor=  a workflow.RunPage
//	POST /runs                                    a StartRequest; 201 {"runId": ...}
//	GET  /runs/{run}                              a workflow.RunInfo
//	DELETE /runs/{run}                            204: the ended run is deleted
//	GET  /runs/{run}/export                       a workflow.RunExport
//	GET  /runs/{run}/events                       {"events": [workflow.Event]}
//	GET  /runs/{run}/deliveries                   {"deliveries": [workflow.Delivery]}
//	POST /runs/{run}/cancel, /runs/{run}/retry    202 {}
//	POST /runs/{run}/deliveries/{delivery}/redeliver  {"newRunOf": ...}; 202 a RedeliverResult
//	GET  /hooks?run=                              {"hooks": [workflow.HookInfo]}
//	POST /resume                                  a ResumeRequest; 200 a workflow.ResumeResult
//	GET  /workflows                               {"workflows": [...]}
//
// Times in queries are RFC 3339. Errors are {"error": message, "code": code} (plus "issues"
// for a payload a hook's schema refused) with 400 (invalid_argument, invalid_payload), 404
// (run_not_found, hook_not_found, delivery_not_found), 409 (run_ended), 413
// (payload_too_large), 409 (run_not_ended: a DELETE of a live run), or 500 (internal: the message is not given, the log has it). An
// unknown path gets 404 (not_found), a known one with the wrong method 405
// (method_not_allowed, with Allow).
func NewHandler(api API, opts Options) http.Handler {
	mux := http.NewServeMux()
	h := &handler{api: api, log: cmp.Or(opts.Logger, slog.Default()), mux: mux}
	mux.HandleFunc("GET "+Path+"/runs", h.listRuns)
	mux.HandleFunc("POST "+Path+"/runs", h.start)
	mux.HandleFunc("GET "+Path+"/runs/{run}", h.getRun)
	mux.HandleFunc("DELETE "+Path+"/runs/{run}", h.delete)
	mux.HandleFunc("GET "+Path+"/runs/{run}/export", h.export)
	mux.HandleFunc("GET "+Path+"/runs/{run}/events", h.events)
	mux.HandleFunc("GET "+Path+"/runs/{run}/deliveries", h.deliveries)
	mux.HandleFunc("POST "+Path+"/runs/{run}/cancel", h.cancel)
	mux.HandleFunc("POST "+Path+"/runs/{run}/retry", h.retry)
	mux.HandleFunc("POST "+Path+"/runs/{run}/deliveries/{delivery}/redeliver", h.redeliver)
	mux.HandleFunc("GET "+Path+"/hooks", h.hooks)
	mux.HandleFunc("POST "+Path+"/resume", h.resume)
	mux.HandleFunc("GET "+Path+"/workflows", h.workflows)
	mux.HandleFunc(Path+"/", h.noRoute)
	return mux
}

type handler struct {
	api API
	log *slog.Logger
	mux *http.ServeMux
}

// noRoute answers a path under Path that no operation has for the method: 405 with Allow
// when other methods have it, else 404.
func (h *handler) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := h.mux.Handler(probe); pattern != "" && pattern != Path+"/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{
			Error: fmt.Sprintf("%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allow, " or ")), Code: codeMethod,
		})
		return
	}
	h.fail(w, r, fmt.Errorf("%w: no such operation: %s %s", errNoRoute, r.Method, r.URL.Path))
}

// errNoRoute is a path under Path that names no operation.
var errNoRoute = errors.New("not found")

// Error codes, which Remote maps back to the sentinels.
const (
	codeInvalidArgument  = "invalid_argument"
	codeInvalidPayload   = "invalid_payload"
	codeRunNotFound      = "run_not_found"
	codeHookNotFound     = "hook_not_found"
	codeDeliveryNotFound = "delivery_not_found"
	codeRunEnded         = "run_ended"
	codeRunNotEnded      = "run_not_ended"
	codeTooLarge         = "payload_too_large"
	codeNotFound         = "not_found"
	codeMethod           = "method_not_allowed"
	codeInternal         = "internal"
)

// errorBody is the JSON of a failed call.
type errorBody struct {
	Error  string   `json:"error"`
	Code   string   `json:"code"`
	Issues []string `json:"issues,omitempty"`
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var verr *workflow.ValidationError
	status, body := http.StatusInternalServerError, errorBody{Error: "internal error", Code: codeInternal}
	switch {
	case errors.As(err, &verr):
		status, body = http.StatusBadRequest, errorBody{Error: err.Error(), Code: codeInvalidPayload, Issues: verr.Issues}
	case errors.Is(err, workflow.ErrInvalidArgument):
		status, body = http.StatusBadRequest, errorBody{Error: err.Error(), Code: codeInvalidArgument}
	case errors.Is(err, workflow.ErrRunNotFound):
		status, body = http.StatusNotFound, errorBody{Error: err.Error(), Code: codeRunNotFound}
	case errors.Is(err, workflow.ErrHookNotFound):
		status, body = http.StatusNotFound, errorBody{Error: err.Error(), Code: codeHookNotFound}
	case errors.Is(err, workflow.ErrDeliveryNotFound):
		status, body = http.StatusNotFound, errorBody{Error: err.Error(), Code: codeDeliveryNotFound}
	case errors.Is(err, errNoRoute):
		status, body = http.StatusNotFound, errorBody{Error: err.Error(), Code: codeNotFound}
	case errors.Is(err, workflow.ErrRunEnded):
		status, body = http.StatusConflict, errorBody{Error: err.Error(), Code: codeRunEnded}
	case errors.Is(err, workflow.ErrRunNotEnded):
		status, body = http.StatusConflict, errorBody{Error: err.Error(), Code: codeRunNotEnded}
	case errors.Is(err, workflow.ErrPayloadTooLarge):
		status, body = http.StatusRequestEntityTooLarge, errorBody{Error: err.Error(), Code: codeTooLarge}
	default:
		h.log.ErrorContext(r.Context(), "admin: operation failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decode reads a JSON body into v, refusing unknown fields, trailing data and bodies over
// MaxRequestBytes.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, MaxRequestBytes+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: the request body: %v", workflow.ErrInvalidArgument, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: the request body holds more than one JSON value", workflow.ErrInvalidArgument)
	}
	return nil
}

func (h *handler) listRuns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := workflow.RunFilter{Status: workflow.RunStatus(q.Get("status")), Workflow: q.Get("workflow"), Cursor: q.Get("cursor")}
	var err error
	if s := q.Get("limit"); s != "" {
		if f.Limit, err = strconv.Atoi(s); err != nil {
			h.fail(w, r, fmt.Errorf("%w: limit %q is not a number", workflow.ErrInvalidArgument, s))
			return
		}
	}
	for name, dst := range map[string]*time.Time{"createdAfter": &f.CreatedAfter, "createdBefore": &f.CreatedBefore} {
		if s := q.Get(name); s != "" {
			if *dst, err = time.Parse(time.RFC3339Nano, s); err != nil {
				h.fail(w, r, fmt.Errorf("%w: %s %q is not an RFC 3339 time", workflow.ErrInvalidArgument, name, s))
				return
			}
		}
	}
	page, err := h.api.ListRuns(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if page.Runs == nil {
		page.Runs = []workflow.RunInfo{}
	}
	writeJSON(w, http.StatusOK, page)
}

func (h *handler) start(w http.ResponseWriter, r *http.Request) {
	var req StartRequest
	if err := decode(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	id, err := h.api.Start(r.Context(), req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"runId": id})
}

func (h *handler) getRun(w http.ResponseWriter, r *http.Request) {
	info, err := h.api.GetRun(r.Context(), r.PathValue("run"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}

func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	evs, err := h.api.ListEvents(r.Context(), r.PathValue("run"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string][]workflow.Event{"events": nonNil(evs)})
}

func (h *handler) deliveries(w http.ResponseWriter, r *http.Request) {
	ds, err := h.api.ListDeliveries(r.Context(), r.PathValue("run"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string][]workflow.Delivery{"deliveries": nonNil(ds)})
}

func (h *handler) cancel(w http.ResponseWriter, r *http.Request) {
	if err := h.api.Cancel(r.Context(), r.PathValue("run")); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, struct{}{})
}

func (h *handler) delete(w http.ResponseWriter, r *http.Request) {
	if err := h.api.Delete(r.Context(), r.PathValue("run")); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) export(w http.ResponseWriter, r *http.Request) {
	x, err := h.api.Export(r.Context(), r.PathValue("run"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	x.Events, x.Hooks = nonNil(x.Events), nonNil(x.Hooks)
	writeJSON(w, http.StatusOK, x)
}

func (h *handler) retry(w http.ResponseWriter, r *http.Request) {
	if err := h.api.Retry(r.Context(), r.PathValue("run")); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, struct{}{})
}

func (h *handler) redeliver(w http.ResponseWriter, r *http.Request) {
	var body struct {
		NewRunOf string `json:"newRunOf,omitempty"`
	}
	if r.ContentLength != 0 {
		if err := decode(r, &body); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	res, err := h.api.Redeliver(r.Context(), RedeliverRequest{
		RunID: r.PathValue("run"), DeliveryID: r.PathValue("delivery"), NewRunOf: body.NewRunOf,
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, res)
}

func (h *handler) hooks(w http.ResponseWriter, r *http.Request) {
	hooks, err := h.api.ListHooks(r.Context(), workflow.HookFilter{RunID: r.URL.Query().Get("run")})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string][]workflow.HookInfo{"hooks": nonNil(hooks)})
}

func (h *handler) resume(w http.ResponseWriter, r *http.Request) {
	var req ResumeRequest
	if err := decode(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	res, err := h.api.Resume(r.Context(), req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (h *handler) workflows(w http.ResponseWriter, r *http.Request) {
	names, err := h.api.Workflows(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string][]string{"workflows": nonNil(names)})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
