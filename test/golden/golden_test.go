// Package golden_test pins the exact bytes of every answer of hookflow's HTTP interface (the
// README's "The HTTP interface": the webhook route and the resume endpoint), served by
// webhook.Handler and by the Lambda adapters of pkg/lambdafn, so that a refactoring of the
// delivery path can be proven not to change a single byte of what callers get.
//
// Each case runs on a fresh workflowtest.Env (fixed run IDs, custom hook tokens, a fake clock)
// and writes its answer to testdata/<group>-<case>.<transport>.golden:
//
//   - HTTP (webhook.NewHandler(...).ServeHTTP into an httptest.ResponseRecorder): the status
//     line, the headers sorted by key (one "Key: value" line per value), a blank line and the
//     body as it is (a body that is not UTF-8 as "<base64>" and its base64).
//   - Lambda (lambdafn.WebhookHandler and lambdafn.ResumeHandler): the JSON of the returned
//     value, indented, and the function error, if any, on a last line.
//
// Only what is random is normalised: webhook tokens (written as {webhook}) and delivery IDs
// (dlv_<random>). Rewrite the files with
//
//	go test ./test/golden/ -update
package golden_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/lambdafn"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
	"github.com/hookflow/hookflow/pkg/workflow/workflowtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.DiscardHandler)

// Fixed names: custom tokens and run IDs need no normalising.
const (
	goToken     = "golden-go"     // the holder's plain hook: commands, and a plain hook's token
	refundToken = "golden-refund" // the holder's hook with a schema (DefineHook)
	holderRun   = "run-holder"
	echoRun     = "run-echo"
	domain      = "abc.execute-api.test" // the API Gateway domain of the Lambda events
)

// refund is the payload of the schema hook: both fields are required.
type refund struct {
	OrderID string `json:"orderId"`
	Cents   int    `json:"cents"`
}

var refundHook = workflow.DefineHook(workflow.DefineHookOptions[refund]{})

// holder creates a webhook with the options it is given, a plain hook (goToken) and a hook
// with a schema (refundToken). It never receives from the webhook or the schema hook; on the
// plain hook it takes commands: "dispose" disposes the webhook, "end" ends the run, anything
// else is ignored.
var holder = workflow.Define("golden-holder", func(ctx workflow.Context, opts workflow.WebhookOptions) (string, error) {
	wh, err := workflow.CreateWebhook(ctx, opts)
	if err != nil {
		return "", err
	}
	cmds, err := workflow.CreateHook[json.RawMessage](ctx, workflow.HookOptions{Token: goToken})
	if err != nil {
		return "", err
	}
	if _, err := refundHook.Create(ctx, workflow.HookOptions{Token: refundToken}); err != nil {
		return "", err
	}
	for {
		cmd, err := cmds.Receive(ctx)
		if err != nil {
			return "", err
		}
		switch string(cmd) {
		case `"dispose"`:
			if err := wh.Dispose(ctx); err != nil {
				return "", err
			}
		case `"end"`:
			return "ended", nil
		}
	}
})

// echoed is what the echo workflow answers: the request as the workflow received it.
type echoed struct {
	Method     string      `json:"method"`
	URL        string      `json:"url"`
	Header     http.Header `json:"header"`
	Body       string      `json:"body"`
	BodyBase64 []byte      `json:"bodyBase64,omitempty"` // instead of Body, when it is not UTF-8
	ReceivedAt time.Time   `json:"receivedAt"`
}

// echo answers every request of its manual webhook with 201 and the request, as JSON.
var echo = workflow.Define("golden-echo", func(ctx workflow.Context, _ struct{}) (int, error) {
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{Manual: true})
	if err != nil {
		return 0, err
	}
	for n := 0; ; n++ {
		req, err := wh.Receive(ctx)
		if err != nil {
			return n, err
		}
		e := echoed{Method: req.Method, URL: req.URL, Header: req.Header, Body: string(req.Body), ReceivedAt: req.ReceivedAt}
		if !utf8.Valid(req.Body) {
			e.Body, e.BodyBase64 = "", req.Body
		}
		resp := workflow.JSONResponse(http.StatusCreated, e)
		resp.Header.Set("X-Golden", "manual")
		resp.Header.Add("X-Golden-Multi", "one")
		resp.Header.Add("X-Golden-Multi", "two")
		if err := req.RespondWith(ctx, resp); err != nil {
			return n, err
		}
	}
})

// broken is a backend whose token lookups fail, as when the store is unreachable.
type broken struct{ *memory.Backend }

func (broken) GetToken(context.Context, string) (backend.Token, error) {
	return backend.Token{}, errors.New("store unreachable")
}

// A fixture is the state a case's requests are sent to.
type fixture struct {
	env  *workflowtest.Env // nil for the broken store
	c    *workflow.Client
	vars map[string]string // placeholder ("{webhook}") → value, in requests and answers
}

// holderFixture runs holder with a webhook of the given options until it waits.
func holderFixture(opts workflow.WebhookOptions) func(*testing.T) *fixture {
	return func(t *testing.T) *fixture {
		env := workflowtest.New(t, holder, echo)
		_, err := workflow.Start(t.Context(), env.Client(), holder, opts, workflow.WithRunID(holderRun))
		require.NoError(t, err)
		return newFixture(t, env, holderRun)
	}
}

// echoFixture runs echo until it waits for a request.
func echoFixture(t *testing.T) *fixture {
	env := workflowtest.New(t, holder, echo)
	_, err := workflow.Start(t.Context(), env.Client(), echo, struct{}{}, workflow.WithRunID(echoRun))
	require.NoError(t, err)
	return newFixture(t, env, echoRun)
}

func newFixture(t *testing.T, env *workflowtest.Env, runID string) *fixture {
	t.Helper()
	env.WaitIdle()
	hooks, err := env.Client().ListHooks(t.Context(), workflow.HookFilter{RunID: runID})
	require.NoError(t, err)
	fx := &fixture{env: env, c: env.Client(), vars: map[string]string{}}
	for _, h := range hooks {
		if h.Webhook {
			fx.vars["{webhook}"] = h.Token
		}
	}
	require.NotEmpty(t, fx.vars["{webhook}"], "the run has a live webhook: %+v", hooks)
	return fx
}

// brokenFixture is a client whose store fails every token lookup.
func brokenFixture(t *testing.T) *fixture {
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	return &fixture{
		c:    workflow.NewClient(broken{b}, workflow.ClientOptions{}),
		vars: map[string]string{"{webhook}": "token-the-store-cannot-look-up"},
	}
}

// command sends cmd to the holder's plain hook and runs the turns it causes.
func (fx *fixture) command(t *testing.T, cmd string) {
	t.Helper()
	_, err := fx.c.ResumeHook(t.Context(), goToken, cmd)
	require.NoError(t, err)
	fx.env.WaitIdle()
}

// awaitDelivery waits until the webhook has taken a request into its run's inbox.
func (fx *fixture) awaitDelivery(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := fx.c.GetHookByToken(t.Context(), fx.vars["{webhook}"])
		require.NoError(t, err)
		if info.Deliveries > 0 {
			return
		}
		require.True(t, time.Now().Before(deadline), "the request was never stored")
		time.Sleep(time.Millisecond)
	}
}

func (fx *fixture) fill(s string) string {
	for k, v := range fx.vars {
		s = strings.ReplaceAll(s, k, v)
	}
	return s
}

var deliveryID = regexp.MustCompile(`dlv_[A-Z2-7]{26}`)

// normalise replaces what is random in an answer with placeholders.
func (fx *fixture) normalise(s string) string {
	for k, v := range fx.vars {
		s = strings.ReplaceAll(s, v, k)
	}
	return deliveryID.ReplaceAllString(s, "dlv_<random>")
}

// A request is what a case sends, with placeholders ("{webhook}") in its path, header values
// and body. The Lambda transports turn it into an API Gateway HTTP API (payload 2.0) event.
type request struct {
	method string
	path   string // escaped, as on the wire
	query  string
	header [][2]string
	body   string
	// deadline, when set, bounds the context the request is served with (a Lambda's deadline).
	deadline time.Duration
	// event spoils the Lambda event (malformed-event cases); rawEvent replaces it.
	event    func(*events.APIGatewayV2HTTPRequest)
	rawEvent string
}

func (r request) filled(fx *fixture) request {
	r.path, r.body = fx.fill(r.path), fx.fill(r.body)
	r.header = slices.Clone(r.header)
	for i, h := range r.header {
		r.header[i][1] = fx.fill(h[1])
	}
	return r
}

// A transport delivers a request to one of the handlers under test and formats the answer.
// It reports failures with t.Errorf (never FailNow): it may run outside the test's goroutine.
type transport struct {
	name string
	send func(ctx context.Context, t *testing.T, c *workflow.Client, r request) string
}

// do sends r through the transport, within r's deadline.
func (tr transport) do(t *testing.T, c *workflow.Client, r request) string {
	ctx := t.Context()
	if r.deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.deadline)
		defer cancel()
	}
	return tr.send(ctx, t, c, r)
}

var (
	// viaHTTP: webhook.Handler, into a recorder (no server: no Date header).
	viaHTTP = transport{"http", func(ctx context.Context, t *testing.T, c *workflow.Client, r request) string {
		target := r.path
		if r.query != "" {
			target += "?" + r.query
		}
		req := httptest.NewRequestWithContext(ctx, r.method, target, strings.NewReader(r.body))
		for _, h := range r.header {
			req.Header.Add(h[0], h[1])
		}
		rec := httptest.NewRecorder()
		webhook.NewHandler(c, webhook.Options{Logger: quiet}).ServeHTTP(rec, req)
		return formatHTTP(t, rec.Result())
	}}
	// viaWebhookFn: the webhook function's handler, with an API Gateway event.
	viaWebhookFn = transport{"lambda", func(ctx context.Context, t *testing.T, c *workflow.Client, r request) string {
		out, err := lambdafn.NewWebhookHandler(c, quiet).Handle(ctx, apiEvent(r))
		return formatLambda(t, out, err)
	}}
	// viaResumeFnEvent: the resume function's handler, with an API Gateway event.
	viaResumeFnEvent = transport{"lambda-apigw", func(ctx context.Context, t *testing.T, c *workflow.Client, r request) string {
		raw := []byte(r.rawEvent)
		if r.rawEvent == "" {
			var err error
			raw, err = json.Marshal(apiEvent(r))
			assert.NoError(t, err)
		}
		out, err := lambdafn.NewResumeHandler(c, quiet).Handle(ctx, raw)
		return formatLambda(t, out, err)
	}}
	// viaResumeFnInvoke: the resume function's handler, invoked directly with the body.
	viaResumeFnInvoke = transport{"lambda-invoke", func(ctx context.Context, t *testing.T, c *workflow.Client, r request) string {
		out, err := lambdafn.NewResumeHandler(c, quiet).Handle(ctx, json.RawMessage(r.body))
		return formatLambda(t, out, err)
	}}
)

// apiEvent is the event API Gateway would send for r: header names in lower case, repeated
// headers joined with commas, a body that is not UTF-8 in base64.
func apiEvent(r request) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "$default", RawPath: r.path, RawQueryString: r.query, Headers: map[string]string{},
	}
	for _, h := range r.header {
		k := strings.ToLower(h[0])
		if v, ok := ev.Headers[k]; ok {
			ev.Headers[k] = v + "," + h[1]
		} else {
			ev.Headers[k] = h[1]
		}
	}
	if utf8.ValidString(r.body) {
		ev.Body = r.body
	} else {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(r.body)), true
	}
	ev.RequestContext.DomainName = domain
	ev.RequestContext.RequestID = "req-golden"
	ev.RequestContext.Stage = "$default"
	ev.RequestContext.HTTP.Method = r.method
	ev.RequestContext.HTTP.Path = r.path
	ev.RequestContext.HTTP.Protocol = "HTTP/1.1"
	ev.RequestContext.HTTP.SourceIP = "203.0.113.9"
	if r.event != nil {
		r.event(&ev)
	}
	return ev
}

// formatHTTP writes the status line, the sorted headers, a blank line and the body.
func formatHTTP(t *testing.T, res *http.Response) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", res.Proto, res.Status)
	for _, k := range slices.Sorted(maps.Keys(res.Header)) {
		for _, v := range res.Header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteString("\n")
	body, err := io.ReadAll(res.Body)
	assert.NoError(t, err)
	if utf8.Valid(body) {
		b.Write(body)
	} else {
		b.WriteString("<base64>\n" + base64.StdEncoding.EncodeToString(body) + "\n")
	}
	return b.String()
}

// formatLambda writes the JSON of a handler's answer and its function error.
func formatLambda(t *testing.T, out any, err error) string {
	raw, merr := json.MarshalIndent(out, "", "  ")
	assert.NoError(t, merr)
	s := string(raw) + "\n"
	if err != nil {
		s += "function error: " + err.Error() + "\n"
	}
	return s
}

// A case is one row of the README's tables: a fixture and the requests sent to it.
type gcase struct {
	name       string
	transports []transport
	fixture    func(*testing.T) *fixture
	// run sends the requests through send and returns the golden text; nil sends req once.
	run func(t *testing.T, fx *fixture, send func(request) string) string
	req request
}

// steps labels the answers of a case that sends several requests.
func steps(parts ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(parts); i += 2 {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "### %s\n%s", parts[i], parts[i+1])
	}
	return b.String()
}

func goldenName(group string, c gcase, tr transport) string {
	return group + "-" + c.name + "." + tr.name + ".golden"
}

// runCases runs every case on every one of its transports, in parallel, and compares the
// answers with the golden files.
func runCases(t *testing.T, group string, cases []gcase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, tr := range c.transports {
				t.Run(tr.name, func(t *testing.T) {
					t.Parallel()
					fx := c.fixture(t)
					send := func(r request) string { return fx.normalise(tr.do(t, fx.c, r.filled(fx))) }
					var got string
					if c.run != nil {
						got = c.run(t, fx, send)
					} else {
						got = send(c.req)
					}
					compareGolden(t, goldenName(group, c, tr), got)
				})
			}
		})
	}
}

func compareGolden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(file, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(file)
	require.NoError(t, err, "no golden file: run go test ./test/golden/ -update")
	require.Equal(t, string(want), got, "the answer differs from %s", file)
}

var (
	both      = []transport{viaHTTP, viaWebhookFn}
	resumeAll = []transport{viaHTTP, viaResumeFnEvent, viaResumeFnInvoke}
	resumeAPI = []transport{viaHTTP, viaResumeFnEvent}

	defaultHolder  = holderFixture(workflow.WebhookOptions{})
	customFallback = &workflow.Response{
		Status: http.StatusServiceUnavailable,
		Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "Retry-After": {"5"}},
		Body:   []byte("busy, try again\n"),
	}
)

const (
	whPath  = workflow.WebhookPath + "{webhook}"
	kib     = 1 << 10
	maxBody = workflow.DefaultMaxPayloadBytes
)

func post(path, body string, header ...[2]string) request {
	return request{method: http.MethodPost, path: path, body: body, header: header}
}

var jsonType = [2]string{"Content-Type", "application/json"}

// webhookCases: ANY /.well-known/workflow/v1/webhook/{token}.
var webhookCases = []gcase{
	// 400
	{name: "no-token", transports: both, fixture: defaultHolder, req: post(workflow.WebhookPath, "{}", jsonType)},
	{name: "no-token-no-slash", transports: both, fixture: defaultHolder,
		req: post(strings.TrimSuffix(workflow.WebhookPath, "/"), "{}", jsonType)},
	{name: "idempotency-key-over-1KiB", transports: both, fixture: defaultHolder,
		req: post(whPath, "{}", jsonType, [2]string{"Idempotency-Key", strings.Repeat("k", workflow.MaxIdempotencyKeyBytes+1)})},
	{name: "idempotency-key-1KiB", transports: both, fixture: defaultHolder,
		req: post(whPath, "{}", jsonType, [2]string{"Idempotency-Key", strings.Repeat("k", workflow.MaxIdempotencyKeyBytes)})},

	// 404, empty body
	{name: "unknown-token", transports: both, fixture: defaultHolder, req: post(workflow.WebhookPath+"no-such-token", "{}", jsonType)},
	{name: "token-with-slash", transports: both, fixture: defaultHolder, req: post(whPath+"/more", "{}", jsonType)},
	{name: "disposed-webhook", transports: both, fixture: defaultHolder,
		run: func(t *testing.T, fx *fixture, send func(request) string) string {
			fx.command(t, "dispose")
			return send(post(whPath, "{}", jsonType))
		}},
	{name: "ended-run", transports: both, fixture: defaultHolder,
		run: func(t *testing.T, fx *fixture, send func(request) string) string {
			fx.command(t, "end")
			return send(post(whPath, "{}", jsonType))
		}},
	{name: "plain-hook-token", transports: both, fixture: defaultHolder, req: post(workflow.WebhookPath+goToken, "1", jsonType)},
	{name: "schema-hook-token", transports: both, fixture: defaultHolder,
		req: post(workflow.WebhookPath+refundToken, `{"orderId":"o-1","cents":1}`, jsonType)},
	{name: "unclean-dot-dot-to-resume", transports: both, fixture: defaultHolder,
		req: post("/.well-known/workflow/v1/webhook/../resume", `{"token":"`+goToken+`","payload":1}`, jsonType)},
	{name: "unclean-dot-segment", transports: both, fixture: defaultHolder,
		req: post("/.well-known/workflow/v1/webhook/./{webhook}", "{}", jsonType)},
	{name: "unclean-leading-double-slash", transports: both, fixture: defaultHolder,
		req: post("//.well-known/workflow/v1/webhook/{webhook}", "{}", jsonType)},
	{name: "unclean-double-slash-in-route", transports: both, fixture: defaultHolder,
		req: post("/.well-known/workflow/v1//webhook/{webhook}", "{}", jsonType)},
	{name: "unclean-double-slash-before-token", transports: both, fixture: defaultHolder,
		req: post("/.well-known/workflow/v1/webhook//{webhook}", "{}", jsonType)},
	{name: "unknown-route-root", transports: both, fixture: defaultHolder, req: request{method: http.MethodGet, path: "/"}},
	{name: "unknown-route-other", transports: both, fixture: defaultHolder, req: post("/.well-known/workflow/v1/other", "{}", jsonType)},

	// 413
	{name: "body-over-limit", transports: both, fixture: defaultHolder, req: post(whPath, strings.Repeat("x", maxBody+1))},
	{name: "body-at-limit", transports: both, fixture: defaultHolder, req: post(whPath, strings.Repeat("x", maxBody))},
	{name: "headers-and-body-over-one-record", transports: both, fixture: defaultHolder,
		req: post(whPath, strings.Repeat("b", 250*kib),
			[2]string{"X-Pad-1", strings.Repeat("1", 50*kib)}, [2]string{"X-Pad-2", strings.Repeat("2", 50*kib)},
			[2]string{"X-Pad-3", strings.Repeat("3", 50*kib)}, [2]string{"X-Pad-4", strings.Repeat("4", 50*kib)})},
	{name: "unknown-token-body-over-limit", transports: both, fixture: defaultHolder,
		req: post(workflow.WebhookPath+"no-such-token", strings.Repeat("x", maxBody+1))},

	// 202, empty body
	{name: "default", transports: both, fixture: defaultHolder, req: post(whPath, `{"event":"push"}`, jsonType)},
	{name: "default-query", transports: both, fixture: defaultHolder,
		req: request{method: http.MethodPost, path: whPath, query: "a=1&b=two&b=3", body: `{"event":"push"}`, header: [][2]string{jsonType}}},
	{name: "default-get", transports: both, fixture: defaultHolder, req: request{method: http.MethodGet, path: whPath}},
	{name: "default-retry", transports: both, fixture: defaultHolder,
		run: func(t *testing.T, fx *fixture, send func(request) string) string {
			r := post(whPath, `{"event":"push"}`, jsonType, [2]string{"Idempotency-Key", "delivery-1"})
			return steps("first request", send(r), "retry with the same Idempotency-Key", send(r))
		}},
	{name: "default-retry-after-run-ended", transports: both, fixture: defaultHolder,
		run: func(t *testing.T, fx *fixture, send func(request) string) string {
			r := post(whPath, `{"event":"push"}`, jsonType, [2]string{"Idempotency-Key", "delivery-1"})
			first := send(r)
			fx.command(t, "end")
			return steps("first request", first, "retry with the same Idempotency-Key after the run ended", send(r),
				"another key after the run ended", send(post(whPath, `{"event":"push"}`, jsonType, [2]string{"Idempotency-Key", "delivery-2"})))
		}},

	// the static response
	{name: "static", transports: both, fixture: holderFixture(workflow.WebhookOptions{RespondWith: &workflow.Response{
		Status: http.StatusOK,
		Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "X-Golden": {"static"}},
		Body:   []byte("thanks\n"),
	}}), req: post(whPath, `{"event":"push"}`, jsonType)},
	{name: "static-binary", transports: both, fixture: holderFixture(workflow.WebhookOptions{RespondWith: &workflow.Response{
		Status: http.StatusOK,
		Header: http.Header{"Content-Type": {"application/octet-stream"}},
		Body:   []byte{0xff, 0xfe, 0x00, 'h', 'i', 0x80},
	}}), req: post(whPath, `{"event":"push"}`, jsonType)},
	{name: "static-retry", transports: both, fixture: holderFixture(workflow.WebhookOptions{RespondWith: &workflow.Response{
		Status: http.StatusCreated, Header: http.Header{"X-Golden": {"static"}}, Body: []byte("created"),
	}}), run: func(t *testing.T, fx *fixture, send func(request) string) string {
		r := post(whPath, `{"event":"push"}`, jsonType, [2]string{"Idempotency-Key", "delivery-1"})
		return steps("first request", send(r), "retry with the same Idempotency-Key", send(r))
	}},

	// the workflow's response (manual mode)
	{name: "manual-respond", transports: both, fixture: echoFixture,
		req: request{method: http.MethodPut, path: whPath, query: "x=1&y=%C3%A9", body: `{"items":["a","b"]}`,
			header: [][2]string{jsonType, {"X-Request", "a"}, {"X-Request", "b"}}}},
	{name: "manual-respond-retry", transports: both, fixture: echoFixture,
		run: func(t *testing.T, fx *fixture, send func(request) string) string {
			r := post(whPath, `{"items":["a"]}`, jsonType, [2]string{"Idempotency-Key", "delivery-1"})
			return steps("first request", send(r), "retry with the same Idempotency-Key", send(r))
		}},

	// the fallback (manual mode)
	{name: "manual-timeout-default-fallback", transports: both,
		fixture: holderFixture(workflow.WebhookOptions{Manual: true, ResponseTimeout: 50 * time.Millisecond}),
		req:     post(whPath, `{"event":"push"}`, jsonType)},
	{name: "manual-timeout-custom-fallback", transports: both,
		fixture: holderFixture(workflow.WebhookOptions{Manual: true, ResponseTimeout: 50 * time.Millisecond, FallbackResponse: customFallback}),
		req:     post(whPath, `{"event":"push"}`, jsonType)},
	{name: "manual-disposed-fallback", transports: both,
		fixture: holderFixture(workflow.WebhookOptions{Manual: true, ResponseTimeout: 20 * time.Second, FallbackResponse: customFallback}),
		run:     heldThen("dispose")},
	{name: "manual-request-deadline-fallback", transports: both,
		fixture: holderFixture(workflow.WebhookOptions{Manual: true, ResponseTimeout: 20 * time.Second, FallbackResponse: customFallback}),
		run: func(t *testing.T, fx *fixture, send func(request) string) string {
			// The fallback is sent a second before the request's deadline: here 100ms from now.
			start := time.Now()
			r := post(whPath, `{"event":"push"}`, jsonType)
			r.deadline = time.Second + 100*time.Millisecond
			got := send(r)
			require.Less(t, time.Since(start), r.deadline, "the fallback came before the deadline")
			return got
		}},
	{name: "manual-run-ended-fallback", transports: both,
		fixture: holderFixture(workflow.WebhookOptions{Manual: true, ResponseTimeout: 20 * time.Second, FallbackResponse: customFallback}),
		run:     heldThen("end")},

	// 500, empty body
	{name: "store-fails", transports: both, fixture: brokenFixture, req: post(whPath, `{"event":"push"}`, jsonType)},
}

// heldThen sends a request to the holder's manual webhook and, while its caller is held,
// sends cmd: the caller must get the fallback at once, long before the ResponseTimeout.
func heldThen(cmd string) func(t *testing.T, fx *fixture, send func(request) string) string {
	return func(t *testing.T, fx *fixture, send func(request) string) string {
		start := time.Now()
		answer := make(chan string, 1)
		go func() { answer <- send(post(whPath, `{"event":"push"}`, jsonType)) }()
		fx.awaitDelivery(t)
		fx.command(t, cmd)
		got := <-answer
		require.Less(t, time.Since(start), 10*time.Second, "the fallback came at once, not after the ResponseTimeout")
		return got
	}
}

func resumeBody(token, payload string) string {
	return `{"token":"` + token + `","payload":` + payload + `}`
}

// resumeCases: POST /.well-known/workflow/v1/resume.
var resumeCases = []gcase{
	// 200
	{name: "ok", transports: resumeAll, fixture: defaultHolder,
		req: post(webhook.ResumePath, resumeBody(refundToken, `{"orderId":"o-1","cents":1250}`), jsonType)},
	{name: "ok-plain-hook", transports: resumeAll, fixture: defaultHolder,
		req: post(webhook.ResumePath, resumeBody(goToken, `{"note":"hello"}`), jsonType)},
	{name: "retry", transports: resumeAll, fixture: defaultHolder,
		run: func(t *testing.T, fx *fixture, send func(request) string) string {
			r := post(webhook.ResumePath, `{"token":"`+refundToken+`","payload":{"orderId":"o-1","cents":1250},"idempotencyKey":"resume-1"}`, jsonType)
			return steps("first request", send(r), "retry with the same idempotencyKey", send(r))
		}},

	// 400
	{name: "invalid-payload-missing-field", transports: resumeAll, fixture: defaultHolder,
		req: post(webhook.ResumePath, resumeBody(refundToken, `{"orderId":"o-1"}`), jsonType)},
	{name: "invalid-payload-wrong-type", transports: resumeAll, fixture: defaultHolder,
		req: post(webhook.ResumePath, resumeBody(refundToken, `"refund me"`), jsonType)},
	{name: "bad-json", transports: resumeAll, fixture: defaultHolder, req: post(webhook.ResumePath, `{"token":`, jsonType)},
	{name: "empty-body", transports: resumeAll, fixture: defaultHolder, req: post(webhook.ResumePath, ``, jsonType)},
	{name: "not-an-object", transports: resumeAll, fixture: defaultHolder, req: post(webhook.ResumePath, `["golden-go",1]`, jsonType)},
	{name: "unknown-field", transports: resumeAll, fixture: defaultHolder,
		req: post(webhook.ResumePath, `{"token":"`+goToken+`","payload":1,"runId":"`+holderRun+`"}`, jsonType)},
	{name: "missing-token", transports: resumeAll, fixture: defaultHolder, req: post(webhook.ResumePath, `{"payload":1}`, jsonType)},
	{name: "empty-token", transports: resumeAll, fixture: defaultHolder, req: post(webhook.ResumePath, resumeBody("", "1"), jsonType)},
	{name: "missing-payload", transports: resumeAll, fixture: defaultHolder,
		req: post(webhook.ResumePath, `{"token":"`+goToken+`"}`, jsonType)},
	{name: "trailing-data", transports: resumeAll, fixture: defaultHolder,
		req: post(webhook.ResumePath, resumeBody(goToken, "1")+`{}`, jsonType)},
	{name: "idempotency-key-over-1KiB", transports: resumeAll, fixture: defaultHolder,
		req: post(webhook.ResumePath, `{"token":"`+goToken+`","payload":1,"idempotencyKey":"`+
			strings.Repeat("k", workflow.MaxIdempotencyKeyBytes+1)+`"}`, jsonType)},

	// 404
	{name: "unknown-token", transports: resumeAll, fixture: defaultHolder,
		req: post(webhook.ResumePath, resumeBody("no-such-token", "1"), jsonType)},
	{name: "webhook-token", transports: resumeAll, fixture: defaultHolder,
		req: post(webhook.ResumePath, resumeBody("{webhook}", "1"), jsonType)},
	{name: "ended-run", transports: resumeAll, fixture: defaultHolder,
		run: func(t *testing.T, fx *fixture, send func(request) string) string {
			fx.command(t, "end")
			return send(post(webhook.ResumePath, resumeBody(goToken, "1"), jsonType))
		}},

	// 413
	{name: "payload-over-limit", transports: resumeAll, fixture: defaultHolder,
		req: post(webhook.ResumePath, resumeBody(goToken, `"`+strings.Repeat("x", maxBody)+`"`), jsonType)},
	{name: "request-over-limit", transports: resumeAll, fixture: defaultHolder,
		req: post(webhook.ResumePath, resumeBody(goToken, `"`+strings.Repeat("x", 2*maxBody+4096)+`"`), jsonType)},

	// 405
	{name: "get", transports: resumeAPI, fixture: defaultHolder,
		req: request{method: http.MethodGet, path: webhook.ResumePath, body: resumeBody(goToken, "1"), header: [][2]string{jsonType}}},

	// 500
	{name: "store-fails", transports: resumeAll, fixture: brokenFixture,
		req: post(webhook.ResumePath, resumeBody(goToken, "1"), jsonType)},
}

// lambdaEventCases: events the Lambda adapters cannot turn into a request.
var lambdaEventCases = []gcase{
	{name: "webhook-without-method", transports: []transport{viaWebhookFn}, fixture: defaultHolder,
		req: request{method: http.MethodPost, path: whPath, body: "{}", event: func(ev *events.APIGatewayV2HTTPRequest) {
			ev.RequestContext.HTTP.Method = ""
		}}},
	{name: "webhook-body-not-base64", transports: []transport{viaWebhookFn}, fixture: defaultHolder,
		req: request{method: http.MethodPost, path: whPath, body: "{}", event: func(ev *events.APIGatewayV2HTTPRequest) {
			ev.Body, ev.IsBase64Encoded = "%%%not base64", true
		}}},
	{name: "webhook-body-base64", transports: []transport{viaWebhookFn}, fixture: echoFixture,
		req: request{method: http.MethodPost, path: whPath, body: "{}", event: func(ev *events.APIGatewayV2HTTPRequest) {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte{'h', 'i', 0xff}), true
		}}},
	{name: "webhook-path-not-absolute", transports: []transport{viaWebhookFn}, fixture: defaultHolder,
		req: request{method: http.MethodPost, path: "no-slash", body: "{}"}},
	{name: "webhook-path-bad-escape", transports: []transport{viaWebhookFn}, fixture: defaultHolder,
		req: post(workflow.WebhookPath+"%zz", "{}")},
	{name: "resume-without-method", transports: []transport{viaResumeFnEvent}, fixture: defaultHolder,
		req: request{method: http.MethodPost, path: webhook.ResumePath, body: resumeBody(goToken, "1"), event: func(ev *events.APIGatewayV2HTTPRequest) {
			ev.RequestContext.HTTP.Method = ""
		}}},
	{name: "resume-body-not-base64", transports: []transport{viaResumeFnEvent}, fixture: defaultHolder,
		req: request{method: http.MethodPost, path: webhook.ResumePath, body: resumeBody(goToken, "1"), event: func(ev *events.APIGatewayV2HTTPRequest) {
			ev.Body, ev.IsBase64Encoded = "%%%not base64", true
		}}},
	{name: "resume-body-base64", transports: []transport{viaResumeFnEvent}, fixture: defaultHolder,
		req: request{method: http.MethodPost, path: webhook.ResumePath, body: resumeBody(goToken, "1"), event: func(ev *events.APIGatewayV2HTTPRequest) {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(ev.Body)), true
		}}},
	{name: "resume-event-undecodable", transports: []transport{viaResumeFnEvent}, fixture: defaultHolder,
		req: request{rawEvent: `{"rawPath":"/.well-known/workflow/v1/resume","requestContext":{"http":{"method":7}}}`}},
}

func TestWebhookRoute(t *testing.T) {
	t.Parallel()
	runCases(t, "webhook", webhookCases)
}

func TestResumeEndpoint(t *testing.T) {
	t.Parallel()
	runCases(t, "resume", resumeCases)
}

func TestLambdaEvents(t *testing.T) {
	t.Parallel()
	runCases(t, "lambda-event", lambdaEventCases)
}

// TestNoStrayGoldens fails on a golden file that no case writes (a renamed or removed case).
func TestNoStrayGoldens(t *testing.T) {
	t.Parallel()
	want := map[string]bool{}
	for group, cases := range map[string][]gcase{"webhook": webhookCases, "resume": resumeCases, "lambda-event": lambdaEventCases} {
		for _, c := range cases {
			require.NotEmpty(t, c.transports, c.name)
			for _, tr := range c.transports {
				name := goldenName(group, c, tr)
				require.False(t, want[name], "two cases write %s", name)
				want[name] = true
			}
		}
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.golden"))
	require.NoError(t, err)
	var stray []string
	for _, f := range files {
		if !want[filepath.Base(f)] {
			stray = append(stray, filepath.Base(f))
		}
	}
	require.Empty(t, stray, "golden files no case writes: delete them")
}
