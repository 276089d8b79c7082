package devserver

import (
	"net/http"
	"strings"

	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/inspector"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// router sends each request to the handler of its path's prefix. It is not an
// http.ServeMux on purpose: a ServeMux redirects paths that are not clean, and the webhook
// route answers those 404 itself (a webhook URL is never redirected).
type router struct {
	hooks http.Handler // the webhook route and the resume endpoint
	admin http.Handler
	index http.Handler // the plain-text list of the URLs, at IndexPath
	root  http.Handler // Options.UI, or the web inspector
}

// IndexPath is where the server lists the URLs it serves, as plain text.
const IndexPath = "/.well-known/workflow/v1/"

func newRouter(s *Server, opts Options) *router {
	api := admin.Local(s.client, opts.Registry)
	r := &router{
		hooks: webhook.NewHandler(s.client, webhook.Options{Logger: opts.Logger, Routes: webhook.AllRoutes}),
		admin: admin.NewHandler(api, admin.Options{Logger: opts.Logger}),
		index: &index{endpoints: s.Endpoints(), store: s.store, workflows: opts.Registry.Names()},
		root:  opts.UI,
	}
	if r.root == nil {
		r.root = inspector.NewHandler(api, inspector.Options{Logger: opts.Logger, Title: "hookflow dev"})
	}
	return r
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, strings.TrimSuffix(workflow.WebhookPath, "/")), p == webhook.ResumePath:
		rt.hooks.ServeHTTP(w, r)
	case p == admin.Path || strings.HasPrefix(p, admin.Path+"/"):
		rt.admin.ServeHTTP(w, r)
	case p == IndexPath || p == strings.TrimSuffix(IndexPath, "/"):
		rt.index.ServeHTTP(w, r)
	default:
		rt.root.ServeHTTP(w, r)
	}
}
