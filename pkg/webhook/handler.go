// Package webhook serves hookflow's HTTP interface: the public webhook route
// ANY /.well-known/workflow/v1/webhook/{token} and the resume endpoint
// POST /.well-known/workflow/v1/resume for callers that are not Go. It is plain net/http: mount
// it in any server. Adapters that are not net/http servers (the webhook Lambda, through
// pkg/lambdafn) call Handler.Answer and send its answer their own way.
//
// A request goes from here into the engine (internal/engine: lookup, idempotency, schema
// check, inbox write, wake, the wait for a manual answer) and down to the backend; the
// webhook route's mapping of requests to deliveries and of outcomes to statuses is
// internal/httpedge, which Client.ResumeWebhook shares.
package webhook

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/hookflow/hookflow/internal/clientlink"
	"github.com/hookflow/hookflow/internal/engine"
	"github.com/hookflow/hookflow/internal/httpedge"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// ResumePath is the route of the resume endpoint.
const ResumePath = "/.well-known/workflow/v1/resume"

// Routes is a set of the routes a Handler serves.
type Routes uint8

// The routes. The webhook route is public by design (its tokens are random); the resume
// endpoint takes any hook's token and belongs behind authentication, so a server facing the
// internet may leave it out.
const (
	// RouteWebhook is ANY /.well-known/workflow/v1/webhook/{token}.
	RouteWebhook Routes = 1 << iota
	// RouteResume is POST /.well-known/workflow/v1/resume.
	RouteResume
	// AllRoutes is both.
	AllRoutes = RouteWebhook | RouteResume
)

// Options configure a Handler. The zero value is usable.
type Options struct {
	// Logger receives a line for every request that fails on the server side; default
	// slog.Default(). The lines never hold a hook's token, only its TokenFingerprint.
	Logger *slog.Logger
	// Routes are the routes served; a request for another one gets 404. Zero: AllRoutes.
	Routes Routes
}

// Handler serves the webhook route and the resume endpoint with a Client.
type Handler struct {
	e      *engine.Client
	err    error // why the client cannot deliver: every request gets 500, and the log says why
	log    *slog.Logger
	routes Routes
}

// NewHandler returns a handler that delivers to hooks and webhooks through c. A client that
// cannot deliver (c.Err() is not nil, or it has no backend) gives a handler that answers
// every request for its routes with 500 and logs why.
func NewHandler(c *workflow.Client, opts Options) *Handler {
	h := &Handler{log: cmp.Or(opts.Logger, slog.Default()), routes: cmp.Or(opts.Routes&AllRoutes, AllRoutes)}
	var err error
	if h.e, err = clientlink.Engine(c); err != nil {
		// Not the caller's fault: a server error (500), not ErrInvalidArgument's 400.
		h.err = fmt.Errorf("hookflow: the webhook handler's client cannot deliver: %v", err)
	}
	return h
}

// ServeHTTP writes the answer to r (see Answer).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a := h.Answer(r)
	for k, vs := range a.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(a.Status)
	if len(a.Body) > 0 {
		if _, err := w.Write(a.Body); err != nil {
			h.log.Warn("writing a webhook response", "error", err)
		}
	}
}

// Answer returns the answer to r without writing it. A path that is not clean (dot
// segments, doubled slashes) is answered 404 with an empty body, never redirected to its
// clean form: a caller of a webhook URL is never sent elsewhere (to the resume endpoint,
// say), and such a path is no webhook's. Other paths are routed as http.ServeMux routes the
// patterns of the served routes; a path no route serves gets 404 "404 page not found", a
// method the resume endpoint does not take 405. Header keys are in canonical form, as a
// ResponseWriter would send them.
func (h *Handler) Answer(r *http.Request) workflow.Response {
	a := h.answer(r)
	if len(a.Header) > 0 {
		header := make(http.Header, len(a.Header))
		for k, vs := range a.Header {
			for _, v := range vs {
				header.Add(k, v)
			}
		}
		a.Header = header
	}
	return a
}

func (h *Handler) answer(r *http.Request) workflow.Response {
	if r.Method != http.MethodConnect && !isClean(r.URL.EscapedPath()) {
		return workflow.Response{Status: http.StatusNotFound}
	}
	switch rt, token := route(r.URL.EscapedPath()); {
	case rt == RouteWebhook && h.routes&RouteWebhook != 0:
		return h.webhook(r, token)
	case rt == RouteResume && h.routes&RouteResume != 0 && r.Method == http.MethodPost:
		return h.resume(r)
	case rt == RouteResume && h.routes&RouteResume != 0:
		return plainError(http.StatusMethodNotAllowed, http.Header{"Allow": {http.MethodPost}})
	default:
		return plainError(http.StatusNotFound, nil)
	}
}

// webhook answers ANY /.well-known/workflow/v1/webhook/{token} as internal/httpedge maps
// it: 400 without a token, 404 with an empty body for anything that is not a live
// webhook's token, 413 for a body over the limit, 400 for a body that cannot be read, the
// webhook's answer once the request is stored, and 500 (logged without the token) when the
// store fails.
func (h *Handler) webhook(r *http.Request, token string) workflow.Response {
	if h.err != nil {
		h.log.Error("webhook delivery failed", "error", h.err.Error(), "method", r.Method)
		return workflow.Response{Status: http.StatusInternalServerError}
	}
	resp, err := httpedge.Webhook(r.Context(), h.e, token, r)
	if err != nil {
		// The token is the URL's only secret: the log names it by its fingerprint only.
		h.log.Error("webhook delivery failed", "error", RedactToken(err.Error(), token),
			"token_fingerprint", TokenFingerprint(token), "method", r.Method)
		return workflow.Response{Status: http.StatusInternalServerError}
	}
	return workflow.Response(resp)
}

// plainError is the answer http.Error gives: the status text as plain text.
func plainError(status int, header http.Header) workflow.Response {
	if header == nil {
		header = http.Header{}
	}
	header.Set("Content-Type", "text/plain; charset=utf-8")
	header.Set("X-Content-Type-Options", "nosniff")
	text := http.StatusText(status)
	if status == http.StatusNotFound {
		text = "404 page not found"
	}
	return workflow.Response{Status: status, Header: header, Body: []byte(text + "\n")}
}
