package devserver

import (
	"fmt"
	"net/http"
	"strings"
)

// index is the page at IndexPath: the URLs the server serves, as plain text that reads as
// well in curl as in a browser.
type index struct {
	endpoints Endpoints
	store     string
	workflows []string
}

func (ix *index) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, ix.text())
}

func (ix *index) text() string {
	e := ix.endpoints
	var b strings.Builder
	fmt.Fprintf(&b, "hookflow dev server at %s\n\n", e.URL)
	fmt.Fprintf(&b, "  webhooks   ANY  %s{token}\n", e.Webhook)
	fmt.Fprintf(&b, "  resume     POST %s  {\"token\": ..., \"payload\": ...}\n", e.Resume)
	fmt.Fprintf(&b, "  admin API       %s/runs, /hooks, /workflows, ...\n", e.Admin)
	fmt.Fprintf(&b, "  store           %s\n\n", ix.store)
	fmt.Fprintf(&b, "workflows: %s\n\n", strings.Join(ix.workflows, ", "))
	fmt.Fprintf(&b, "from a shell: hookflow --server %s runs ls\n", e.URL)
	return b.String()
}
