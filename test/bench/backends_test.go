package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/lambdafn"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// baseURL is the public base URL of the report's webhooks.
const baseURL = "http://hooks.test"

// testLog writes log records to the test's log until the test ends.
type testLog struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// A worker stopped with a turn in flight logs its context's cancellation: not news.
	if !l.done && !strings.Contains(string(p), "context canceled") {
		l.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

// newLogger returns a logger of errors into the test's log, for the route, the workers and
// the runners: a stored delivery that fails says why.
func newLogger(t testing.TB) *slog.Logger {
	l := &testLog{t: t}
	t.Cleanup(func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.done = true
	})
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelError}))
}

// routeHeader names the env.handlers entry a request goes to (none: the env's client).
const routeHeader = "X-Bench-Route"

// env is one backend of a scenario, with a client, and the webhook route in front of it: an
// HTTP server on the embedded backends, the webhook Lambda's handler on DynamoDB.
type env struct {
	kind   string
	log    *slog.Logger
	b      backend.Backend // unmetered: what the timed operations run on
	client *workflow.Client
	aws    *awsEnv // DynamoDB only

	srv      *httptest.Server // memory, bbolt
	handlers sync.Map         // route id → *webhook.Handler (routeHeader)
	routeSeq atomic.Int64
}

// awsEnv is the DynamoDB side of an env: the table and queue, and a second backend on them
// whose calls a Meter counts. The timed operations never go through the meter, whose reads of
// each written item would slow them down.
type awsEnv struct {
	env      *awstest.Env
	table    string
	queueURL string
	lock     *sync.RWMutex // moto's transactions, isolated (awstest.SerializeDynamoDB)
	cfg      aws.Config    // unmetered
	mcfg     aws.Config    // metered
	metered  *awsbackend.Backend
	meter    *awstest.Meter
	calls    *callLog // the metered calls, one by one, when asked
}

// httpClient is the senders' client: keep-alive connections for up to 256 senders.
var httpClient = &http.Client{Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 256}}

// newEnv returns a fresh backend of kind (a new bbolt file, a new table and queue), closed
// when the test ends. ae is the AWS endpoint (DynamoDB only).
func newEnv(t *testing.T, kind string, ae *awstest.Env) *env {
	t.Helper()
	e := &env{kind: kind, log: newLogger(t)}
	switch kind {
	case kindMemory:
		mb := memory.New()
		t.Cleanup(func() { _ = mb.Close() })
		e.b = mb
	case kindBbolt:
		mb, err := memory.Open(filepath.Join(t.TempDir(), "hookflow.db"))
		require.NoError(t, err)
		t.Cleanup(func() { _ = mb.Close() })
		e.b = mb
	case kindDynamoDB:
		e.aws = newAWSEnv(t, ae)
		b, err := awsbackend.New(e.aws.cfg, e.aws.options())
		require.NoError(t, err)
		t.Cleanup(func() { _ = b.Close() })
		e.b = b
	default:
		t.Fatalf("unknown backend %q", kind)
	}
	e.client = workflow.NewClient(e.b, workflow.ClientOptions{BaseURL: baseURL})
	if kind != kindDynamoDB {
		main := webhook.NewHandler(e.client, webhook.Options{Logger: e.log})
		e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := main
			if id := r.Header.Get(routeHeader); id != "" {
				r.Header.Del(routeHeader)
				v, ok := e.handlers.Load(id)
				if !ok {
					http.Error(w, "no route "+id, http.StatusInternalServerError)
					return
				}
				h = v.(*webhook.Handler)
			}
			h.ServeHTTP(w, r)
		}))
		t.Cleanup(func() {
			e.srv.Close()
			httpClient.CloseIdleConnections()
		})
	}
	return e
}

// newAWSEnv makes a table and a queue for the test, and the configurations of the backends on
// them: both serialize DynamoDB writes on moto, the metered one also goes through a Meter, and
// a callLog that can record its calls one by one.
func newAWSEnv(t *testing.T, ae *awstest.Env) *awsEnv {
	t.Helper()
	require.NotNil(t, ae, "no AWS endpoint")
	a := &awsEnv{env: ae, table: awstest.UniqueName(t), lock: &sync.RWMutex{}}
	ae.NewTable(t, a.table)
	a.queueURL = ae.NewQueue(t, a.table, map[string]string{"VisibilityTimeout": "30"})
	a.cfg = ae.Config.Copy()
	if ae.Moto() {
		a.cfg.APIOptions = append(a.cfg.APIOptions, awstest.SerializeDynamoDB(a.lock))
	}
	var err error
	a.meter, err = awstest.NewMeter(t.Context(), ae.DynamoDB, a.table)
	require.NoError(t, err)
	a.calls = &callLog{meter: a.meter}
	a.mcfg = a.cfg.Copy()
	a.mcfg.APIOptions = append(a.mcfg.APIOptions, a.calls.option(), a.meter.APIOption())
	a.metered, err = awsbackend.New(a.mcfg, a.options())
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = a.metered.Close()
		if err := a.meter.Err(); err != nil {
			t.Errorf("meter: %v", err)
		}
	})
	return a
}

func (a *awsEnv) options() awsbackend.Options {
	return awsbackend.Options{Table: a.table, QueueURL: a.queueURL, VisibilityTimeout: 10 * time.Second}
}

// meteredClient returns a new client (with a cold token cache) on the metered backend.
func (e *env) meteredClient() *workflow.Client {
	return workflow.NewClient(e.aws.metered, workflow.ClientOptions{BaseURL: baseURL})
}

// sender posts a webhook request and returns the answer's status and body.
type sender func(ctx context.Context, token string, body []byte) (int, []byte, error)

// sender returns a sender through the webhook route with client c (nil: the env's client):
// over HTTP on the embedded backends, through the webhook Lambda's handler with API Gateway
// (HTTP API, payload 2.0) events on DynamoDB. release forgets the route.
func (e *env) sender(c *workflow.Client) (send sender, release func()) {
	if e.kind == kindDynamoDB {
		if c == nil {
			c = e.client
		}
		return lambdaSender(lambdafn.NewWebhookHandler(c, e.log)), func() {}
	}
	id := ""
	if c != nil {
		id = fmt.Sprint(e.routeSeq.Add(1))
		e.handlers.Store(id, webhook.NewHandler(c, webhook.Options{Logger: e.log}))
	}
	return httpSender(e.srv.URL, id), func() {
		if id != "" {
			e.handlers.Delete(id)
		}
	}
}

// httpSender posts to the webhook route of the server at base.
func httpSender(base, route string) sender {
	return func(ctx context.Context, token string, b []byte) (int, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+workflow.WebhookPath+token, bytes.NewReader(b))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		if route != "" {
			req.Header.Set(routeHeader, route)
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		return resp.StatusCode, out, err
	}
}

// lambdaSender calls the webhook function's handler with API Gateway events.
func lambdaSender(h *lambdafn.WebhookHandler) sender {
	return func(ctx context.Context, token string, b []byte) (int, []byte, error) {
		resp, err := h.Handle(ctx, apiGatewayEvent(token, b))
		if err != nil {
			return 0, nil, err
		}
		return resp.StatusCode, []byte(resp.Body), nil
	}
}

// apiGatewayEvent is a POST of body to the webhook of token, as API Gateway sends it.
func apiGatewayEvent(token string, body []byte) events.APIGatewayV2HTTPRequest {
	path := workflow.WebhookPath + token
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "ANY /.well-known/workflow/v1/webhook/{token}", RawPath: path, Body: string(body),
		Headers: map[string]string{"content-type": "application/json"},
	}
	ev.RequestContext.DomainName = "hooks.test"
	ev.RequestContext.HTTP.Method = http.MethodPost
	ev.RequestContext.HTTP.Path = path
	return ev
}

// workerOptions are the options of every worker the report runs.
func (e *env) workerOptions() workflow.WorkerOptions {
	return workflow.WorkerOptions{Concurrency: 8, Logger: e.log, BaseURL: baseURL}
}

// startWorker runs a worker on the env's backend until the returned stop is called (or the
// test ends); stop waits for it to return.
func (e *env) startWorker(t *testing.T) (w *workflow.Worker, stop func()) {
	t.Helper()
	w = workflow.NewWorker(e.b, registry, e.workerOptions())
	require.NoError(t, w.Err())
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := w.Run(ctx); err != nil {
			t.Errorf("worker: %v", err)
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
	t.Cleanup(stop)
	return w, stop
}

// start starts a run of wf with in; with turn set, it runs the run's first turn at once (with
// a worker of its own, for scenarios that run no worker in the background).
func start(t *testing.T, e *env, wf *workflow.Workflow[flowInput, int], in flowInput, turn bool) string {
	t.Helper()
	run, err := workflow.Start(t.Context(), e.client, wf, in)
	require.NoError(t, err)
	if turn {
		w := workflow.NewWorker(e.b, registry, e.workerOptions())
		defer w.Close()
		require.NoError(t, w.RunTurn(t.Context(), run.ID()))
	}
	return run.ID()
}

// awaitToken waits until the run has created its hook (which the workflow tells its sink)
// and returns its token.
func awaitToken(t *testing.T, sk *sink, runID string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	token, err := sk.token(ctx, runID)
	require.NoError(t, err)
	return token
}

// receivedOnce checks that the run's history holds want hook_received events, each of a
// different delivery.
func receivedOnce(t *testing.T, c *workflow.Client, runID string, want int) {
	t.Helper()
	evs, err := c.ListEvents(t.Context(), runID)
	require.NoError(t, err)
	ids := map[string]int{}
	total := 0
	for _, ev := range evs {
		if ev.Type != "hook_received" {
			continue
		}
		d, err := ev.DecodeData()
		require.NoError(t, err)
		ids[d.DeliveryID]++
		total++
	}
	require.Equal(t, want, total, "run %s: hook_received events", runID)
	require.Len(t, ids, want, "run %s: a delivery was received twice", runID)
}

// sinkCheck checks that the sink saw the deliveries numbered 0 to want-1, and no other.
func sinkCheck(t *testing.T, s *sink, want int) map[int]time.Time {
	t.Helper()
	first, _ := s.snapshot()
	require.Len(t, first, want, "deliveries the workflow saw")
	for n := range want {
		_, ok := first[n]
		require.True(t, ok, "delivery %d never reached the workflow", n)
	}
	return first
}

// timeout bounds every wait of the report: a stall fails the test rather than hang it.
const timeout = 5 * time.Minute

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	t.Cleanup(cancel)
	return ctx
}
