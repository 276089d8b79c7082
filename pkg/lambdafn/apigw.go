package lambdafn

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hookflow/hookflow/pkg/webhook"
)

// RequestFromAPIGateway converts an HTTP API (payload 2.0) event into an *http.Request:
// method, raw path and query, headers, cookies, source IP and the body (decoded from base64
// when API Gateway encoded it). API Gateway joins repeated headers with commas, so a header
// sent twice arrives as one comma-separated value.
func RequestFromAPIGateway(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	method := ev.RequestContext.HTTP.Method
	if method == "" {
		return nil, fmt.Errorf("hookflow: API Gateway event without requestContext.http.method")
	}
	path := ev.RawPath
	if path == "" {
		path = ev.RequestContext.HTTP.Path
	}
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("hookflow: API Gateway event with path %q", path)
	}
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			return nil, fmt.Errorf("hookflow: API Gateway event body is not base64: %w", err)
		}
	}
	host, scheme := ev.RequestContext.DomainName, "https"
	for k, v := range ev.Headers {
		switch {
		case strings.EqualFold(k, "host") && v != "":
			host = v
		case strings.EqualFold(k, "x-forwarded-proto") && v != "":
			// API Gateway always says https; a local front end (sam local) may say http.
			scheme, _, _ = strings.Cut(v, ",")
			scheme = strings.TrimSpace(scheme)
		}
	}
	u := &url.URL{Scheme: scheme, Host: host, RawQuery: ev.RawQueryString}
	if err := setPath(u, path); err != nil {
		return nil, err
	}
	r, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("hookflow: API Gateway event: %w", err)
	}
	for k, v := range ev.Headers {
		r.Header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	if r.Header.Get("X-Forwarded-Proto") == "" {
		r.Header.Set("X-Forwarded-Proto", scheme)
	}
	r.Host = host
	r.RemoteAddr = ev.RequestContext.HTTP.SourceIP
	r.RequestURI = u.RequestURI()
	return r, nil
}

func setPath(u *url.URL, raw string) error {
	p, err := url.PathUnescape(raw)
	if err != nil {
		return fmt.Errorf("hookflow: API Gateway event path %q: %w", raw, err)
	}
	u.Path, u.RawPath = p, raw
	return nil
}

// ServeAPIGateway answers the event with h: the event becomes an *http.Request
// (RequestFromAPIGateway), h gives its answer (webhook.Handler.Answer), and the answer
// becomes the response event (ResponseToAPIGateway). A malformed event gets 400.
func ServeAPIGateway(ctx context.Context, h *webhook.Handler, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	r, err := RequestFromAPIGateway(ctx, ev)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadRequest, Headers: map[string]string{}}
	}
	a := h.Answer(r)
	return ResponseToAPIGateway(a.Status, a.Header, a.Body)
}

// ResponseToAPIGateway builds the event for a response.
func ResponseToAPIGateway(status int, header http.Header, body []byte) events.APIGatewayV2HTTPResponse {
	out := events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: map[string]string{}}
	for k, vs := range header {
		if http.CanonicalHeaderKey(k) == "Set-Cookie" {
			out.Cookies = append(out.Cookies, vs...)
			continue
		}
		out.Headers[k] = strings.Join(vs, ",")
	}
	if utf8.Valid(body) {
		out.Body = string(body)
	} else {
		out.Body, out.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	return out
}
