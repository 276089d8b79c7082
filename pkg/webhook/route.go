package webhook

import (
	"net/url"
	"path"
	"strings"
)

// The literal segments of the routes: WebhookPath is /.well-known/workflow/v1/webhook/ and
// ResumePath /.well-known/workflow/v1/resume (a test holds them to the constants).
var routePrefix = []string{".well-known", "workflow", "v1"}

const (
	webhookSegment = "webhook"
	resumeSegment  = "resume"
)

// route returns the route that serves an escaped path, and for the webhook route the token,
// matching as http.ServeMux matches the patterns "/.well-known/workflow/v1/webhook",
// "/.well-known/workflow/v1/webhook/{token...}" and "/.well-known/workflow/v1/resume":
// segment by segment, each unescaped, the token being the unescaped rest of the path
// (empty for the first pattern, and for a path that ends at the slash). Zero: no route.
func route(escaped string) (Routes, string) {
	rest := escaped
	for _, lit := range routePrefix {
		seg, r, ok := nextSegment(rest)
		if !ok || seg != lit {
			return 0, ""
		}
		rest = r
	}
	seg, rest, ok := nextSegment(rest)
	switch {
	case !ok:
		return 0, ""
	case seg == webhookSegment && rest == "":
		return RouteWebhook, ""
	case seg == webhookSegment:
		return RouteWebhook, unescape(rest[1:])
	case seg == resumeSegment && rest == "":
		return RouteResume, ""
	default:
		return 0, ""
	}
}

// nextSegment splits the first segment, unescaped, off a path that starts with a slash; a
// lone slash is the segment "/", which no literal matches.
func nextSegment(p string) (seg, rest string, ok bool) {
	if p == "" || p[0] != '/' {
		return "", "", false
	}
	if p == "/" {
		return "/", "", true
	}
	p = p[1:]
	i := strings.IndexByte(p, '/')
	if i < 0 {
		i = len(p)
	}
	return unescape(p[:i]), p[i:], true
}

// unescape is url.PathUnescape, keeping a badly escaped string as it is (as http.ServeMux
// does).
func unescape(s string) string {
	u, err := url.PathUnescape(s)
	if err != nil {
		return s
	}
	return u
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
