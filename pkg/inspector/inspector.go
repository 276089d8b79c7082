package inspector

import (
	"cmp"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hookflow/hookflow/pkg/admin"
)

// Options configure NewHandler.
type Options struct {
	// Title names the inspector in the pages' titles and header; default
	// "hookflow inspector".
	Title string
	// Logger receives the failures answered with 500 (their message is not shown on the
	// page); default slog.Default().
	Logger *slog.Logger
	// Refresh is how often the runs list and a run's page reload themselves; default 3s.
	// Negative: never. It is rounded to whole seconds, at least one.
	Refresh time.Duration
}

// DefaultRefresh is the default of Options.Refresh.
const DefaultRefresh = 3 * time.Second

func (o Options) withDefaults() Options {
	o.Title = cmp.Or(o.Title, "hookflow inspector")
	o.Logger = cmp.Or(o.Logger, slog.Default())
	o.Refresh = cmp.Or(o.Refresh, DefaultRefresh)
	return o
}

// refreshSeconds is Options.Refresh as a page's reload period in seconds; 0: never.
func (o Options) refreshSeconds() int {
	if o.Refresh < 0 {
		return 0
	}
	return max(int(o.Refresh.Round(time.Second)/time.Second), 1)
}

// NewHandler serves the inspector on api, from the root path:
//
//	GET  /                                          the runs (?status=&workflow=&limit=&cursor=)
//	GET  /runs/{run}                                a run: status, timeline, hooks, deliveries
//	GET  /runs/{run}/deliveries/{delivery}          a delivery: request or payload
//	GET  /start                                     the start form
//	POST /start                                     start a run (workflow, input)
//	POST /runs/{run}/cancel                         cancel the run
//	POST /runs/{run}/retry                          retry the stuck run
//	POST /runs/{run}/resume                         resume a hook (token, payload, key)
//	POST /runs/{run}/deliveries/{delivery}/redeliver  to the same hook, or as a new run (newRunOf)
//
// A POST that works is answered with 303 See Other to the page to look at next; one that
// does not is answered with the page it came from, showing why, with a 4xx status (5xx when
// the API failed). A cross-site POST is refused with 403 (see the package documentation).
func NewHandler(api admin.API, opts Options) http.Handler {
	opts = opts.withDefaults()
	h := &handler{api: api, opts: opts, log: opts.Logger, csrf: http.NewCrossOriginProtection(), mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /{$}", h.runs)
	h.mux.HandleFunc("GET /runs/{run}", h.run)
	h.mux.HandleFunc("GET /runs/{run}/deliveries/{delivery}", h.delivery)
	h.mux.HandleFunc("GET /start", h.startForm)
	h.mux.HandleFunc("POST /start", h.start)
	h.mux.HandleFunc("POST /runs/{run}/cancel", h.cancel)
	h.mux.HandleFunc("POST /runs/{run}/retry", h.retry)
	h.mux.HandleFunc("POST /runs/{run}/resume", h.resume)
	h.mux.HandleFunc("POST /runs/{run}/deliveries/{delivery}/redeliver", h.redeliver)
	h.mux.HandleFunc("/", h.noRoute)
	return h
}

type handler struct {
	api  admin.API
	opts Options
	log  *slog.Logger
	csrf *http.CrossOriginProtection
	mux  *http.ServeMux
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	if err := h.csrf.Check(r); err != nil {
		h.renderError(w, r, http.StatusForbidden, "This request came from another site, and was refused: "+
			"the inspector takes actions only from its own pages.")
		return
	}
	h.mux.ServeHTTP(w, r)
}

// noRoute answers a path that no page has for the method: 405 with Allow when another
// method has it, else 404.
func (h *handler) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := h.mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		h.renderError(w, r, http.StatusMethodNotAllowed, r.Method+" is not allowed here; use "+strings.Join(allow, " or ")+".")
		return
	}
	h.renderError(w, r, http.StatusNotFound, "There is no page at "+r.URL.Path+".")
}
