package webhook_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// BenchmarkWebhookIngest measures 202 webhook deliveries per second through the route (token
// lookup, the durable inbox write, the wake) from 1, 16 and 64 concurrent senders, in memory
// and on a bbolt file, where each 202 waits for its write's fsync (shared by group commit).
func BenchmarkWebhookIngest(b *testing.B) {
	inbox := workflow.Define("bench-inbox", func(ctx workflow.Context, _ struct{}) (int, error) {
		wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{})
		if err != nil {
			return 0, err
		}
		n := 0
		for _, err := range wh.All(ctx) {
			if err != nil {
				return n, err
			}
			n++
		}
		return n, nil
	})
	for _, kind := range []string{"memory", "bbolt"} {
		for _, senders := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("%s/senders=%d", kind, senders), func(b *testing.B) {
				var be *memory.Backend
				if kind == "memory" {
					be = memory.New()
				} else {
					var err error
					if be, err = memory.Open(filepath.Join(b.TempDir(), "db")); err != nil {
						b.Fatal(err)
					}
				}
				defer be.Close()
				ctx := b.Context()
				c := workflow.NewClient(be, workflow.ClientOptions{})
				w := workflow.NewWorker(be, workflow.NewRegistry(inbox), workflow.WorkerOptions{Logger: slog.New(slog.DiscardHandler)})
				defer w.Close()
				run, err := workflow.Start(ctx, c, inbox, struct{}{})
				if err != nil {
					b.Fatal(err)
				}
				if err := w.RunTurn(ctx, run.ID()); err != nil {
					b.Fatal(err)
				}
				hooks, err := c.ListHooks(ctx, workflow.HookFilter{RunID: run.ID()})
				if err != nil || len(hooks) != 1 {
					b.Fatalf("hooks %v, %v", hooks, err)
				}
				h := webhook.NewHandler(c, webhook.Options{Logger: slog.New(slog.DiscardHandler)})
				path := workflow.WebhookPath + hooks[0].Token
				var n atomic.Int64
				b.SetParallelism(max(senders/2, 1))
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						rec := httptest.NewRecorder()
						h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(`{"event":"push","ref":"main"}`)))
						if rec.Code != http.StatusAccepted {
							b.Errorf("status %d", rec.Code)
							return
						}
						n.Add(1)
					}
				})
				b.ReportMetric(float64(n.Load())/b.Elapsed().Seconds(), "deliveries/s")
			})
		}
	}
}
