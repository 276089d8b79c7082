package hot

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
)

var discard = slog.New(slog.DiscardHandler)

// embedded is one in-memory store shared by K workers, with the webhook route in front.
type embedded struct {
	b   *memory.Backend
	c   *workflow.Client
	hdl http.Handler
}

func newEmbedded(t *testing.T) *embedded {
	t.Helper()
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	c := workflow.NewClient(b, workflow.ClientOptions{BaseURL: baseURL})
	return &embedded{b: b, c: c, hdl: webhook.NewHandler(c, webhook.Options{Logger: discard})}
}

func (e *embedded) client() *workflow.Client { return e.c }

func (e *embedded) send(ctx context.Context, token string, body []byte) error {
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/.well-known/workflow/v1/webhook/"+token, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.hdl.ServeHTTP(rec, req)
	if rec.Code != http.StatusAccepted {
		return fmt.Errorf("status %d: %s", rec.Code, rec.Body.String())
	}
	return nil
}

// startRunners starts k workers on the one store, four turns in flight each.
func (e *embedded) startRunners(t *testing.T, k int) func() workflow.WorkerStats {
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	var wg sync.WaitGroup
	workers := make([]*workflow.Worker, k)
	for i := range workers {
		workers[i] = workflow.NewWorker(e.b, registry, workflow.WorkerOptions{Logger: discard, BaseURL: baseURL})
		wg.Go(func() {
			if err := workers[i].Run(ctx); err != nil {
				t.Errorf("worker %d: %v", i, err)
			}
		})
	}
	return func() workflow.WorkerStats {
		cancel()
		wg.Wait()
		var sum workflow.WorkerStats
		for _, w := range workers {
			sum = add(sum, w.Stats())
		}
		return sum
	}
}

// add sums two sets of counters.
func add(a, b workflow.WorkerStats) workflow.WorkerStats {
	return workflow.WorkerStats{
		Wakes: a.Wakes + b.Wakes, Coalesced: a.Coalesced + b.Coalesced, Turns: a.Turns + b.Turns,
		Conflicts: a.Conflicts + b.Conflicts, IdleTurns: a.IdleTurns + b.IdleTurns, Replays: a.Replays + b.Replays,
		CatchUps: a.CatchUps + b.CatchUps, Commits: a.Commits + b.Commits, Events: a.Events + b.Events,
	}
}
