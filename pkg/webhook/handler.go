// Package webhook serves hookflow's HTTP interface: the public webhook route
// ANY /.well-known/workflow/v1/webhook/{token} and the resume endpoint
// POST /.well-known/workflow/v1/resume for callers that are not Go. It is plain net/http: mount
// it in any server, or adapt it to API Gateway (functions/webhook).
package webhook

import (
	"cmp"
	"log/slog"
	"net/http"
	"path"
	"strings"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// ResumePath is the route of the resume endpoint.
const ResumePath = "/.well-known/workflow/v1/resume"

// Options configure a Handler. The zero value is usable.
type Options struct {
	// Logger receives a line for every request that fails on the server side; default
	// slog.Default(). The lines never hold a hook's token, only its TokenFingerprint.
	Logger *slog.Logger
}

// Handler serves the webhook route and the resume endpoint with a Client.
type Handler struct {
	c   *workflow.Client
	log *slog.Logger
	mux *http.ServeMux
}

// NewHandler returns a handler that resumes hooks and webhooks through c.
func NewHandler(c *workflow.Client, opts Options) *Handler {
	h := &Handler{c: c, log: cmp.Or(opts.Logger, slog.Default()), mux: http.NewServeMux()}
	h.mux.HandleFunc(workflow.WebhookPath+"{token...}", h.serveWebhook)
	h.mux.HandleFunc(workflow.WebhookPath[:len(workflow.WebhookPath)-1], h.serveWebhook) // no token: 400
	h.mux.HandleFunc("POST "+ResumePath, h.serveResume)
	return h
}

// ServeHTTP routes the request. A path that is not clean (dot segments, doubled slashes) is
// answered 404 with an empty body, never redirected to its clean form: a caller of a webhook
// URL is never sent elsewhere (to the resume endpoint, say), and such a path is no webhook's.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect && !isClean(r.URL.EscapedPath()) {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// isClean reports whether p is a path http.ServeMux would serve as it is, not redirect.
func isClean(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}

// serveWebhook answers ANY /.well-known/workflow/v1/webhook/{token} as Client.ResumeWebhook
// says: 400 without a token, 404 with an empty body for anything that is not a live
// webhook's token, 413 for a body over the limit, 400 for a body that cannot be read, and
// 500 (logged without the token) when the store fails.
func (h *Handler) serveWebhook(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	resp, err := h.c.ResumeWebhook(r.Context(), token, r)
	if err != nil {
		// The token is the URL's only secret: the log names it by its fingerprint only.
		h.log.Error("webhook delivery failed", "error", RedactToken(err.Error(), token),
			"token_fingerprint", TokenFingerprint(token), "method", r.Method)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	if resp.ContentLength != 0 {
		if _, err := copyBody(w, resp); err != nil {
			h.log.Warn("writing a webhook response", "error", err)
		}
	}
}
