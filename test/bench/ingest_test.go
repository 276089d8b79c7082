package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// Scenarios 1 and 2: one webhook delivery at a time, until its answer (202, or the static
// response), with no worker running (the inbox fills; a worker would only compete for the
// CPU and, on moto, for the endpoint). The client's token cache is warm (a few deliveries go
// first) except in the cold-token variant, where each delivery goes through a new client,
// which reads the token record first.
func (s *suite) ingest(t *testing.T, mode string) {
	e := newEnv(t, s.kind, s.ae)
	sk := newSink()
	defer sk.close()
	runID := start(t, e, webhookFlow, flowInput{Sink: sk.id, Mode: mode}, true)
	token := awaitToken(t, sk, runID)
	check := answerCheck(mode)

	send, release := e.sender(nil)
	defer release()
	n := s.sz.ingest.of(s.kind)
	lat := timeSeries(t, s.sz.warmup, n, func(ctx context.Context, i int) error {
		return check(send(ctx, token, body(i)))
	})
	scenario, title := 1, "webhook ingest, 202"
	if mode == modeStatic {
		scenario, title = 2, "webhook ingest, static response"
	}
	r := row{scenario: scenario, sub: 0, title: title + " (warm token)", kind: s.kind, lat: ptr(lat), n: n,
		floor: s.fl.latency(t, "ingest", n, s.sz.warmup)}
	if s.kind == kindDynamoDB {
		// Metered apart: a client of its own on the metered backend, warmed first.
		mc := e.meteredClient()
		msend, _ := e.sender(mc)
		r.usage, r.notes = s.metered(t, e, 1, func(ctx context.Context, i int) error {
			return check(msend(ctx, token, body(i)))
		})
	}
	s.rp.add(r)
	if mode != mode202 {
		return
	}

	// Cold token: a new client per delivery.
	n = s.sz.coldToken.of(s.kind)
	lat = timeSeries(t, 0, n, func(ctx context.Context, i int) error {
		c := workflow.NewClient(e.b, workflow.ClientOptions{BaseURL: baseURL})
		send, release := e.sender(c)
		defer release()
		return check(send(ctx, token, body(i)))
	})
	r = row{scenario: 1, sub: 1, title: "webhook ingest, 202 (cold token: a new client each)", kind: s.kind, lat: ptr(lat), n: n,
		floor: s.fl.latency(t, "ingest", s.sz.ingest.of(s.kind), s.sz.warmup)}
	if s.kind == kindDynamoDB {
		r.usage, r.notes = s.metered(t, e, 0, func(ctx context.Context, i int) error {
			send, _ := e.sender(e.meteredClient())
			return check(send(ctx, token, body(i)))
		})
	}
	s.rp.add(r)
}

// manual is scenario 3: a manual webhook whose workflow answers each request at once with
// Request.RespondWith; the time from the POST to the answer, with the worker running in
// process (on DynamoDB, it receives the wake from SQS).
func (s *suite) manual(t *testing.T) {
	e := newEnv(t, s.kind, s.ae)
	_, stop := e.startWorker(t)
	defer stop()
	sk := newSink()
	defer sk.close()
	runID := start(t, e, webhookFlow, flowInput{Sink: sk.id, Mode: modeManual}, false)
	token := awaitToken(t, sk, runID)
	send, release := e.sender(nil)
	defer release()
	n := s.sz.manual.of(s.kind)
	lat := timeSeries(t, s.sz.warmup, n, func(ctx context.Context, i int) error {
		status, b, err := send(ctx, token, body(i))
		return manualCheck(i, status, b, err)
	})
	r := row{scenario: 3, title: "manual round trip (RespondWith from the workflow)", kind: s.kind, lat: ptr(lat), n: n,
		floor: s.fl.latency(t, "ingest", s.sz.ingest.of(s.kind), s.sz.warmup),
		notes: "the route polls for the answer (1 ms, doubling, at most 100 ms)"}
	if s.kind == kindDynamoDB {
		msend, _ := e.sender(e.meteredClient())
		var reads string
		r.usage, reads = s.metered(t, e, 1, func(ctx context.Context, i int) error {
			status, b, err := msend(ctx, token, body(i))
			return manualCheck(i, status, b, err)
		})
		r.notes = join(r.notes, "calls: the webhook function's only", reads)
	}
	s.rp.add(r)
}

// answerCheck returns a check of the answers of a webhook in mode.
func answerCheck(mode string) func(int, []byte, error) error {
	return func(status int, b []byte, err error) error {
		switch {
		case err != nil:
			return err
		case mode == modeStatic && (status != staticResponse.Status || string(b) != string(staticResponse.Body)):
			return fmt.Errorf("answer %d %q, want the static response", status, b)
		case mode == mode202 && status != http.StatusAccepted:
			return fmt.Errorf("answer %d %q, want 202", status, b)
		}
		return nil
	}
}

// manualCheck checks the workflow's answer to delivery i.
func manualCheck(i, status int, b []byte, err error) error {
	if err != nil {
		return err
	}
	var got struct{ N int }
	if status != http.StatusOK || json.Unmarshal(b, &got) != nil || got.N != i {
		return fmt.Errorf("answer %d %q to delivery %d, want 200 {\"n\":%d}", status, b, i, i)
	}
	return nil
}

// timeSeries runs op warmup times untimed, then n times timed, one at a time, and summarizes
// the times; op gets its number, counting from 0 (the warm-up's first).
func timeSeries(t *testing.T, warmup, n int, op func(ctx context.Context, i int) error) latency {
	t.Helper()
	ctx := waitCtx(t)
	for i := range warmup {
		require.NoError(t, op(ctx, i))
	}
	ds := make([]time.Duration, 0, n)
	for i := range n {
		t0 := time.Now()
		require.NoError(t, op(ctx, warmup+i))
		ds = append(ds, time.Since(t0))
	}
	return summarize(ds)
}

// metered runs op sz.metered times in a row with the meter reset first (after warmup
// unmetered runs) and returns the usage of one op, and which items its reads read. Nothing
// else uses the metered backend meanwhile, so the figures are op's alone. The ops are
// numbered from 100,000 up, apart from the timed ones.
func (s *suite) metered(t *testing.T, e *env, warmup int, op func(ctx context.Context, i int) error) (*perOp, string) {
	t.Helper()
	ctx := waitCtx(t)
	for i := range warmup {
		require.NoError(t, op(ctx, 100_000+i))
	}
	e.aws.meter.Reset()
	e.aws.calls.in("metered")
	for i := range s.sz.metered {
		require.NoError(t, op(ctx, 100_000+warmup+i))
	}
	e.aws.calls.in("")
	return divide(e.aws.meter.Usage(), s.sz.metered), reads(e.aws.calls.take())
}

// reads says which items the read calls read: "GetItem: RUN#…/META".
func reads(calls []call) string {
	seen := map[string]bool{}
	var out []string
	for _, c := range calls {
		if c.u.ReadUnits == 0 || seen[c.op+c.what] {
			continue
		}
		seen[c.op+c.what] = true
		out = append(out, shortOp(c.op)+" "+strings.TrimPrefix(c.what, "get "))
	}
	if len(out) == 0 {
		return ""
	}
	return "reads: " + strings.Join(out, ", ")
}

// join joins the notes that are not empty.
func join(notes ...string) string {
	var out []string
	for _, n := range notes {
		if n != "" {
			out = append(out, n)
		}
	}
	return strings.Join(out, "; ")
}
