package e2e

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/examples/catalog"
	"github.com/hookflow/hookflow/pkg/backend"
	hfaws "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// lostWakes is a backend whose wake messages are never sent: a resume through it stores the
// payload and then "crashes" before it sends the wake to SQS.
type lostWakes struct{ backend.Backend }

func (lostWakes) Enqueue(context.Context, string, time.Duration) error { return nil }

// crashingClient is a client that loses every wake it sends.
func (s *stack) crashingClient() *workflow.Client {
	return workflow.NewClient(lostWakes{s.backend}, workflow.ClientOptions{BaseURL: s.gateway.URL()})
}

// A resume that crashes between the inbox write and the SQS send loses nothing: the payload
// waits in the inbox until the runner's scheduled sweep wakes the run.
func testLostWakeIsSwept(t *testing.T, s *stack) {
	tok := token("e2e-lost")
	run := start(t, s, catalog.Collect, catalog.CollectInput{Token: tok, Count: 1})
	s.awaitHook(t, tok)
	// The runner that created the hook holds the run until its turn is over, and takes what
	// arrives meanwhile itself, up to a last look after it lets go: the wake under test is
	// lost once that invocation has returned (the event source hands batches over one at a
	// time, so no batch in flight after the lease is free means it has).
	require.Eventually(t, func() bool {
		r, err := s.backend.GetRun(t.Context(), run.ID())
		return err == nil && r.LeaseOwner == "" && r.Status == backend.StatusWaiting && s.events.idle()
	}, 30*time.Second, 5*time.Millisecond, "the first turn never let go of the run")

	_, err := s.crashingClient().ResumeHook(t.Context(), tok, "stranded")
	require.NoError(t, err)
	// Nothing wakes the run (the event source polls every second): the payload stays put.
	sleep(t.Context(), 1500*time.Millisecond)
	info, err := s.client.GetRun(t.Context(), run.ID())
	require.NoError(t, err)
	require.Equal(t, workflow.StatusWaiting, info.Status)
	require.Empty(t, ofType(s.history(t, run.ID()), "hook_received"))

	swept := s.sweep(t)
	require.GreaterOrEqual(t, swept.Woken, 1)
	require.Equal(t, []any{"stranded"}, result(t, run))
	evs := s.history(t, run.ID())
	requireWellFormed(t, evs)
	require.Len(t, deliveries(t, evs), 1)
}

// SQS delivers at least once: a wake message may come twice, to one runner or to two at
// once, and a batch may hold one run twice. Every payload is recorded once all the same.
func testDuplicatedWakes(t *testing.T, s *stack) {
	tok := token("e2e-dup")
	run := start(t, s, catalog.Collect, catalog.CollectInput{Token: tok, Count: 2})
	s.awaitHook(t, tok)
	crashing := s.crashingClient()
	_, err := crashing.ResumeHook(t.Context(), tok, "first")
	require.NoError(t, err)

	// One wake message, as SQS hands it to the runner: delivered to two execution
	// environments at once, then redelivered in a batch that holds it twice.
	body, err := json.Marshal(map[string]string{"runId": run.ID()})
	require.NoError(t, err)
	w, err := hfaws.DecodeWake(string(body))
	require.NoError(t, err)
	require.Equal(t, run.ID(), w.RunID, "the wake body is the driver's")
	msg := events.SQSMessage{
		MessageId: "5fea7756-0ea4-451a-a703-a558b933e274", ReceiptHandle: "AQEB-duplicate",
		Body: string(body), EventSource: "aws:sqs", AWSRegion: s.env.Region,
	}
	var wg sync.WaitGroup
	for _, runner := range []*function{s.runner, s.runner2} {
		wg.Go(func() {
			var resp events.SQSEventResponse
			if err := runner.invokeInto(t.Context(), events.SQSEvent{Records: []events.SQSMessage{msg}}, &resp); err != nil {
				t.Errorf("%s: %v", runner.name, err)
			}
		})
	}
	wg.Wait()
	var resp events.SQSEventResponse
	require.NoError(t, s.runner.invokeInto(t.Context(), events.SQSEvent{Records: []events.SQSMessage{msg, msg}}, &resp))
	require.Empty(t, resp.BatchItemFailures)
	got := deliveries(t, s.history(t, run.ID()))
	require.Len(t, got, 1)
	require.JSONEq(t, `"first"`, string(got[0].Payload))

	// The second payload's wake, sent twice to the queue: the event source delivers both.
	_, err = crashing.ResumeHook(t.Context(), tok, "second")
	require.NoError(t, err)
	for range 2 {
		require.NoError(t, s.backend.Enqueue(t.Context(), run.ID(), 0))
	}
	require.Equal(t, []any{"first", "second"}, result(t, run))

	evs := s.history(t, run.ID())
	requireWellFormed(t, evs)
	got = deliveries(t, evs)
	require.Len(t, got, 2)
	require.JSONEq(t, `"second"`, string(got[1].Payload))
	for _, typ := range []string{"run_created", "hook_created", "hook_disposed", "run_completed"} {
		require.Len(t, ofType(evs, typ), 1, typ)
	}
}
