package inspector

import (
	"bytes"
	"crypto/rand"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed templates/*.html templates/style.css
var files embed.FS

// pages holds one template set per page, each the layout plus the page's "content"; parsed
// once, from files embedded in the binary. A parse error is kept, not panicked on: every
// page then answers 500 saying so (and every test fails).
var pages, pagesErr = parsePages()

// css is the style sheet, inlined in every page.
var css = styleSheet()

func styleSheet() template.CSS {
	b, err := files.ReadFile("templates/style.css")
	if err != nil {
		return "" // cannot happen: the file is embedded; the pages still work, unstyled
	}
	return template.CSS(b) // our own file, embedded: trusted
}

func parsePages() (map[string]*template.Template, error) {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, name := range names {
		base := path.Base(name)
		if base == "layout.html" || strings.HasPrefix(base, "_") {
			continue
		}
		t, err := layout.Clone()
		if err != nil {
			return nil, err
		}
		// Partials (files starting with _) are shared by every page.
		if t, err = t.ParseFS(files, "templates/_*.html", name); err != nil {
			return nil, fmt.Errorf("inspector: template %s: %w", base, err)
		}
		out[strings.TrimSuffix(base, ".html")] = t
	}
	return out, nil
}

// page is what the layout shows around a page's content.
type page struct {
	Title   string // the inspector's
	Heading string // the page's
	Nonce   string // of the inline style sheet and script (Content-Security-Policy)
	CSS     template.CSS
	Refresh int    // seconds between reloads; 0: never
	Flash   string // what the last action did
	Error   *pageError
	Data    any // the page's own
}

// pageError is a refusal shown on a page.
type pageError struct {
	Message string
	Issues  []string // a hook schema's complaints
}

// render writes page name with status.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	if pagesErr != nil {
		h.log.ErrorContext(r.Context(), "inspector: templates", "err", pagesErr)
		http.Error(w, "inspector: the page templates are broken; see the log", http.StatusInternalServerError)
		return
	}
	t, ok := pages[name]
	if !ok {
		h.log.ErrorContext(r.Context(), "inspector: no template", "page", name)
		http.Error(w, "inspector: no such page template", http.StatusInternalServerError)
		return
	}
	nonce := rand.Text()
	p.Title, p.Nonce, p.CSS = h.opts.Title, nonce, css
	if status != http.StatusOK {
		// An answer to a POST must not reload itself (that would post again), nor an error.
		p.Refresh = 0
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		h.log.ErrorContext(r.Context(), "inspector: rendering", "page", name, "err", err)
		http.Error(w, "inspector: rendering the page failed; see the log", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+nonce+"'; script-src 'nonce-"+nonce+
		"'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// renderError writes the error page: a message and a way back.
func (h *handler) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.render(w, r, status, "error", page{Heading: http.StatusText(status), Error: &pageError{Message: msg}})
}

// fail shows err, from the API, on the error page.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, pe := h.explain(r, err)
	h.render(w, r, status, "error", page{Heading: http.StatusText(status), Error: pe})
}

// redirect ends a POST that worked: 303 to the page to look at next.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}
