package httpedge

import (
	"errors"
	"io"
	"net/http"
	"strings"
)

var errTooLarge = errors.New("body over the limit")

// readLimited reads at most limit bytes, failing with errTooLarge beyond.
func readLimited(body io.Reader, limit int64) ([]byte, error) {
	if body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	return b, nil
}

// FullURL reconstructs the URL the caller used, with its query: the request's own when it is
// absolute, otherwise its Host, with https when it came over TLS or an X-Forwarded-Proto
// header says so.
func FullURL(r *http.Request) string {
	if r.URL.IsAbs() {
		return r.URL.String()
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	} else if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
		scheme, _, _ = strings.Cut(p, ",")
		scheme = strings.TrimSpace(scheme)
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}
