package load

import (
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// manyRuns is how many runs are resumed at once on the embedded backend (on the endpoint:
// awsSize); every fifth is resumed twice at once with the same key.
const manyRuns = 200

func TestConcurrentRunsResumedOnce(t *testing.T) {
	t.Parallel()
	eachBackend(t, manyRuns, awsSize(), func(t *testing.T, e *env, n int) {
		ctx := t.Context()
		prefix := "load-" + rand.Text()[:10]
		runs := make([]*workflow.Run[int], n)
		fire(n, 0, func(i int) {
			run, err := workflow.Start(ctx, e.client, once, fmt.Sprintf("%s-%d", prefix, i), workflow.WithRunID(fmt.Sprintf("%s-run-%d", prefix, i)))
			if err != nil {
				t.Errorf("start %d: %v", i, err)
				return
			}
			runs[i] = run
		})
		require.Eventually(t, func() bool {
			hooks, err := e.client.ListHooks(ctx, workflow.HookFilter{})
			return err == nil && len(hooks) >= n
		}, completion, 50*time.Millisecond, "every run created its hook")

		results := make([][]workflow.ResumeResult, n)
		var mu sync.Mutex
		began := time.Now()
		fire(n, 5, func(i int) {
			res, err := e.client.ResumeHook(ctx, fmt.Sprintf("%s-%d", prefix, i), item{I: i}, workflow.WithIdempotencyKey("once"))
			if err != nil {
				t.Errorf("resume %d: %v", i, err)
				return
			}
			mu.Lock()
			results[i] = append(results[i], res)
			mu.Unlock()
		})
		for i, run := range runs {
			require.NotNil(t, run, "run %d", i)
			require.Equal(t, i, awaitResult(t, run, completion), "run %d got its own payload", i)
		}
		e.report(t, fmt.Sprintf("%d runs resumed at once", n), n, time.Since(began))

		for i, run := range runs {
			ids := e.received(t, run.ID())
			require.Len(t, ids, 1, "run %d has one hook_received", i)
			for _, r := range results[i] {
				require.Equal(t, 1, ids[r.DeliveryID], "run %d: the delivery its callers were told of is the one in history", i)
			}
		}
	})
}
