package load

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// Callers into one hook: 1,000 on the embedded backend; 200 on the endpoint with
// HOOKFLOW_STRESS=1, 50 otherwise (the emulator serialises writes and slows down as a table
// grows). Every tenth caller retries at once with the same idempotency key, racing its own
// first call.
const (
	oneHookCallers = 1000
	retryEvery     = 10
)

// awsSize is the number of callers or runs on the endpoint.
func awsSize() int {
	if stress {
		return 200
	}
	return 50
}

// completion bounds how long a load may take to be processed: generous, so that a slow
// machine or a busy endpoint does not fail the test, while a lost wake (which only the
// sweeper would recover) or a stall does.
const completion = 3 * time.Minute

func TestConcurrentResumesIntoOneHook(t *testing.T) {
	t.Parallel()
	eachBackend(t, oneHookCallers, awsSize(), func(t *testing.T, e *env, n int) {
		ctx := t.Context()
		token := "load-" + rand.Text()
		run, err := workflow.Start(ctx, e.client, collect, collectInput{Token: token, Count: n})
		require.NoError(t, err)
		e.awaitToken(t, token)

		results := make([][]workflow.ResumeResult, n)
		var mu sync.Mutex
		began := time.Now()
		fire(n, retryEvery, func(i int) {
			res, err := e.client.ResumeHook(ctx, token, item{I: i}, workflow.WithIdempotencyKey(fmt.Sprintf("k%d", i)))
			if err != nil {
				t.Errorf("resume %d: %v", i, err)
				return
			}
			mu.Lock()
			results[i] = append(results[i], res)
			mu.Unlock()
		})
		out := awaitResult(t, run, completion)
		e.report(t, "resumes into one hook", n, time.Since(began))

		requirePermutation(t, out, n)
		ids := e.received(t, run.ID())
		requireOnce(t, ids, n)
		for i, rs := range results {
			require.NotEmpty(t, rs, "caller %d got no result", i)
			for _, r := range rs {
				require.Equal(t, rs[0].DeliveryID, r.DeliveryID, "caller %d: a retry with the same key got another delivery", i)
			}
			require.Equal(t, 1, ids[rs[0].DeliveryID], "delivery %d (%s) in history", i, rs[0].DeliveryID)
		}
	})
}

func TestConcurrentWebhookRequestsIntoOneWebhook(t *testing.T) {
	t.Parallel()
	eachBackend(t, oneHookCallers, awsSize(), func(t *testing.T, e *env, n int) {
		ctx := t.Context()
		run, err := workflow.Start(ctx, e.client, collect, collectInput{Webhook: true, Count: n})
		require.NoError(t, err)
		var hook workflow.HookInfo
		require.Eventually(t, func() bool {
			hooks, err := e.client.ListHooks(ctx, workflow.HookFilter{RunID: run.ID()})
			if err != nil || len(hooks) == 0 {
				return false
			}
			hook = hooks[0]
			return true
		}, time.Minute, 10*time.Millisecond)

		srv := httptest.NewServer(webhook.NewHandler(e.client, webhook.Options{Logger: discard}))
		defer srv.Close()
		transport := &http.Transport{MaxIdleConnsPerHost: n}
		defer transport.CloseIdleConnections()
		client := &http.Client{Transport: transport, Timeout: completion}
		url := srv.URL + workflow.WebhookPath + hook.Token

		began := time.Now()
		fire(n, retryEvery, func(i int) {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(fmt.Sprintf(`{"i":%d}`, i)))
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Idempotency-Key", fmt.Sprintf("w%d", i))
			resp, err := client.Do(req)
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				t.Errorf("request %d: %s, want 202", i, resp.Status)
			}
		})
		out := awaitResult(t, run, completion)
		e.report(t, "webhook requests into one webhook", n, time.Since(began))

		requirePermutation(t, out, n)
		requireOnce(t, e.received(t, run.ID()), n)
	})
}

// fire calls call(i) for i in [0, n) from n goroutines released at once, and a second time
// at once for every every-th i (a retry racing the first call); it returns when all are done.
func fire(n, every int, call func(i int)) {
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		copies := 1
		if every > 0 && i%every == 0 {
			copies = 2
		}
		for range copies {
			wg.Go(func() {
				<-gate
				call(i)
			})
		}
	}
	close(gate)
	wg.Wait()
}

// requirePermutation checks that got holds each of 0..n-1 exactly once.
func requirePermutation(t *testing.T, got []int, n int) {
	t.Helper()
	require.Len(t, got, n, "the workflow saw every payload")
	sorted := slices.Sorted(slices.Values(got))
	for i, v := range sorted {
		require.Equal(t, i, v, "payload %d seen %d times", i, countOf(got, i))
	}
}

// requireOnce checks that history holds n deliveries, each once.
func requireOnce(t *testing.T, ids map[string]int, n int) {
	t.Helper()
	require.Len(t, ids, n, "history has one hook_received per delivery")
	for id, k := range ids {
		require.Equal(t, 1, k, "delivery %s is in history %d times", id, k)
	}
}

func countOf(s []int, v int) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}
