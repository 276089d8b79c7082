package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// apiGateway stands in for the API Gateway HTTP API in front of the webhook function: one
// route, ANY /.well-known/workflow/v1/webhook/{token}, with a Lambda proxy integration of
// payload format 2.0.
type apiGateway struct {
	t   *testing.T
	srv *httptest.Server
	fn  *function
	// failures counts the requests the gateway answered 500 because the function failed.
	failures atomic.Int64
}

// newAPIGateway makes the gateway; its URL is known at once (the base URL the functions are
// configured with), and it serves once start is called with the webhook function.
func newAPIGateway(t *testing.T) *apiGateway {
	g := &apiGateway{t: t}
	g.srv = httptest.NewUnstartedServer(g)
	t.Cleanup(g.srv.Close)
	return g
}

func (g *apiGateway) URL() string { return "http://" + g.srv.Listener.Addr().String() }

func (g *apiGateway) start(fn *function) {
	g.fn = fn
	g.srv.Start()
}

const (
	routeKey = "ANY " + workflow.WebhookPath + "{token}"
	// maxBody is API Gateway's payload limit.
	maxBody = 10 << 20
)

func (g *apiGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.URL.Path, workflow.WebhookPath)
	if !ok || token == "" || strings.Contains(token, "/") {
		gatewayError(w, http.StatusNotFound, "Not Found") // no route matches
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		gatewayError(w, http.StatusBadRequest, "Bad Request")
		return
	}
	if len(body) > maxBody {
		gatewayError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	ev := apiGatewayEvent(r, token, body)
	var resp events.APIGatewayV2HTTPResponse
	if err := g.fn.invokeInto(r.Context(), ev, &resp); err != nil || resp.StatusCode == 0 {
		g.failures.Add(1)
		g.t.Logf("API Gateway: %s %s: the webhook function failed: %v (status %d)", r.Method, r.URL, err, resp.StatusCode)
		gatewayError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	writeAPIGatewayResponse(w, resp)
}

// apiGatewayEvent builds the event API Gateway sends for r: header names in lower case with
// repeated headers joined by commas, cookies apart, the body base64-encoded unless it is
// UTF-8 text.
func apiGatewayEvent(r *http.Request, token string, body []byte) events.APIGatewayV2HTTPRequest {
	now := time.Now()
	rawPath, _, _ := strings.Cut(r.RequestURI, "?")
	ev := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       routeKey,
		RawPath:        rawPath,
		RawQueryString: r.URL.RawQuery,
		Headers:        map[string]string{},
		PathParameters: map[string]string{"token": token},
	}
	for k, vs := range r.Header {
		k = strings.ToLower(k)
		if k == "cookie" {
			for _, v := range vs {
				for c := range strings.SplitSeq(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						ev.Cookies = append(ev.Cookies, c)
					}
				}
			}
			continue
		}
		ev.Headers[k] = strings.Join(vs, ",")
	}
	sourceIP, _, _ := net.SplitHostPort(r.RemoteAddr)
	_, localPort, _ := net.SplitHostPort(r.Host)
	ev.Headers["host"] = r.Host
	ev.Headers["x-forwarded-for"] = sourceIP
	ev.Headers["x-forwarded-port"] = localPort
	ev.Headers["x-forwarded-proto"] = "http"
	if len(body) > 0 {
		if utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	rc := &ev.RequestContext
	rc.AccountID = "123456789012"
	rc.APIID = "e2etest"
	rc.DomainName = r.Host
	rc.DomainPrefix, _, _ = strings.Cut(r.Host, ".")
	rc.RequestID = rand.Text()[:16]
	rc.RouteKey = routeKey
	rc.Stage = "$default"
	rc.Time = now.UTC().Format("02/Jan/2006:15:04:05 -0700")
	rc.TimeEpoch = now.UnixMilli()
	rc.HTTP.Method = r.Method
	rc.HTTP.Path = rawPath
	rc.HTTP.Protocol = r.Proto
	rc.HTTP.SourceIP = sourceIP
	rc.HTTP.UserAgent = r.UserAgent()
	return ev
}

// writeAPIGatewayResponse writes the function's response as API Gateway does: headers (and
// multi-value headers), cookies as Set-Cookie headers, and the body decoded from base64 when
// the function encoded it.
func writeAPIGatewayResponse(w http.ResponseWriter, resp events.APIGatewayV2HTTPResponse) {
	h := w.Header()
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	if h.Get("Content-Type") == "" {
		h["Content-Type"] = nil // no sniffing: the function said nothing
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			gatewayError(w, http.StatusInternalServerError, "Internal Server Error")
			return
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}

// gatewayError answers as API Gateway does when it cannot route or integrate.
func gatewayError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": message})
}
