package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// registry holds the workflows of the report.
var registry = workflow.NewRegistry(webhookFlow, hookFlow)

// bodySize is the size of every webhook body and hook payload: 1 KiB of JSON.
const bodySize = 1024

// msg is a payload: its delivery number, padded to bodySize bytes of JSON.
type msg struct {
	N   int    `json:"n"`
	Pad string `json:"pad"`
}

// payload returns the delivery numbered n, as a value whose JSON is bodySize bytes.
func payload(n int) msg {
	m := msg{N: n}
	raw, _ := json.Marshal(m)
	m.Pad = strings.Repeat("x", bodySize-len(raw))
	return m
}

// body returns the JSON of payload(n).
func body(n int) []byte {
	raw, err := json.Marshal(payload(n))
	if err != nil {
		panic(err)
	}
	return raw
}

// Webhook modes.
const (
	mode202    = "202"
	modeStatic = "static"
	modeManual = "manual"
)

// staticResponse is the static answer of modeStatic webhooks.
var staticResponse = workflow.Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("ok")}

// flowInput configures the report's workflows.
type flowInput struct {
	Sink  string `json:"sink"`            // the sink that sees the deliveries (sinks)
	Mode  string `json:"mode,omitempty"`  // webhookFlow: mode202, modeStatic or modeManual
	Token string `json:"token,omitempty"` // hookFlow: the hook's custom token
	Count int    `json:"count,omitempty"` // return after Count deliveries; 0: never
	Step  bool   `json:"step,omitempty"`  // see each delivery in a step rather than the receive loop
}

// webhookFlow receives the requests of one webhook, answering them as in.Mode says, and shows
// each to its sink.
var webhookFlow = workflow.Define("bench-webhook", func(ctx workflow.Context, in flowInput) (int, error) {
	opts := workflow.WebhookOptions{}
	switch in.Mode {
	case modeStatic:
		opts.RespondWith = &staticResponse
	case modeManual:
		opts.Manual = true
	}
	wh, err := workflow.CreateWebhook(ctx, opts)
	if err != nil {
		return 0, err
	}
	sinkOf(in.Sink).created(workflow.RunID(ctx), wh.Token())
	count := 0
	for in.Count == 0 || count < in.Count {
		req, err := wh.Receive(ctx)
		if err != nil {
			return count, err
		}
		var m msg
		if err := req.JSON(&m); err != nil {
			return count, err
		}
		if in.Mode == modeManual {
			if err := req.RespondWith(ctx, workflow.JSONResponse(http.StatusOK, map[string]int{"n": m.N})); err != nil {
				return count, err
			}
		}
		if err := see(ctx, in, m.N); err != nil {
			return count, err
		}
		count++
	}
	return count, nil
})

// hookFlow receives the payloads of a hook with a custom token and shows each to its sink.
var hookFlow = workflow.Define("bench-hook", func(ctx workflow.Context, in flowInput) (int, error) {
	hook, err := workflow.CreateHook[msg](ctx, workflow.HookOptions{Token: in.Token})
	if err != nil {
		return 0, err
	}
	sinkOf(in.Sink).created(workflow.RunID(ctx), hook.Token())
	count := 0
	for in.Count == 0 || count < in.Count {
		m, err := hook.Receive(ctx)
		if err != nil {
			return count, err
		}
		if err := see(ctx, in, m.N); err != nil {
			return count, err
		}
		count++
	}
	return count, nil
})

// see shows delivery n to the sink of in: in a step (which a replay does not run again), or
// straight from the receive loop (a replay shows it again; the sink keeps the first sighting).
func see(ctx workflow.Context, in flowInput, n int) error {
	if !in.Step {
		sinkOf(in.Sink).mark(n)
		return nil
	}
	_, err := workflow.Step(ctx, "see", func(context.Context) (int, error) {
		sinkOf(in.Sink).mark(n)
		return n, nil
	})
	return err
}

// A sink is where the workflow code tells the benchmark which deliveries it saw, and when:
// a side effect only a benchmark may take (workflow code should do no I/O).
type sink struct {
	id      string
	mu      sync.Mutex
	first   map[int]time.Time // when each delivery was first seen
	marks   int               // sightings, replays included
	waiters map[int]chan struct{}
	tokens  map[string]string // run ID → the token of the hook it created
}

var (
	sinks   sync.Map // id → *sink
	sinkSeq atomic.Int64
)

// newSink registers a sink, for one run (or one group of runs).
func newSink() *sink {
	s := &sink{id: fmt.Sprintf("sink-%d", sinkSeq.Add(1)), first: map[int]time.Time{}, waiters: map[int]chan struct{}{}, tokens: map[string]string{}}
	sinks.Store(s.id, s)
	return s
}

// sinkOf returns the sink registered under id; a sink nobody registered (a run outliving its
// scenario) swallows everything.
func sinkOf(id string) *sink {
	if s, ok := sinks.Load(id); ok {
		return s.(*sink)
	}
	return &sink{first: map[int]time.Time{}, waiters: map[int]chan struct{}{}, tokens: map[string]string{}}
}

// created records the token of the hook the run created (its turn has run; the token is
// claimed once the turn commits).
func (s *sink) created(runID, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[runID] = token
}

// token waits until the run has created its hook and returns the token.
func (s *sink) token(ctx context.Context, runID string) (string, error) {
	for {
		s.mu.Lock()
		token, ok := s.tokens[runID]
		s.mu.Unlock()
		if ok {
			return token, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("run %s never created its hook: %w", runID, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

func (s *sink) mark(n int) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.marks++
	if _, ok := s.first[n]; ok {
		return
	}
	s.first[n] = now
	if ch, ok := s.waiters[n]; ok {
		close(ch)
		delete(s.waiters, n)
	}
}

// seen returns a channel closed once delivery n has been seen.
func (s *sink) seen(n int) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan struct{})
	if _, ok := s.first[n]; ok {
		close(ch)
		return ch
	}
	if w, ok := s.waiters[n]; ok {
		return w
	}
	s.waiters[n] = ch
	return ch
}

// wait waits until delivery n has been seen, and returns when it was; ctx bounds the wait.
func (s *sink) wait(ctx context.Context, n int) (time.Time, error) {
	select {
	case <-s.seen(n):
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.first[n], nil
	case <-ctx.Done():
		return time.Time{}, fmt.Errorf("delivery %d never reached the workflow: %w", n, ctx.Err())
	}
}

// waitCount waits until count distinct deliveries have been seen, logging its progress with
// logf every 15 s.
func (s *sink) waitCount(ctx context.Context, count int, logf func(string, ...any)) error {
	began := time.Now()
	next := began.Add(15 * time.Second)
	for {
		s.mu.Lock()
		got := len(s.first)
		s.mu.Unlock()
		if got >= count {
			return nil
		}
		if time.Now().After(next) {
			logf("the workflow saw %d deliveries of %d after %v", got, count, time.Since(began).Round(time.Second))
			next = next.Add(15 * time.Second)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the workflow saw %d deliveries of %d: %w", got, count, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

// snapshot returns when each delivery was first seen, and how many sightings there were.
func (s *sink) snapshot() (map[int]time.Time, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[int]time.Time, len(s.first))
	for n, at := range s.first {
		m[n] = at
	}
	return m, s.marks
}

// close unregisters the sink.
func (s *sink) close() { sinks.Delete(s.id) }
