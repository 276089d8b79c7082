package memory_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/memory"
)

// BenchmarkPutInbox measures deliveries stored per second, each acknowledged only once
// durable: in memory, and on a bbolt file with 1, 16 and 64 concurrent writers (the file's
// throughput is its fsyncs, which group commit shares among the writers waiting together).
func BenchmarkPutInbox(b *testing.B) {
	for _, kind := range []string{"memory", "bbolt"} {
		for _, writers := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("%s/writers=%d", kind, writers), func(b *testing.B) {
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
				now := time.Now()
				if _, err := be.CreateRun(ctx, backend.Run{ID: "r", Workflow: "w", Status: backend.StatusWaiting, CreatedAt: now}, nil); err != nil {
					b.Fatal(err)
				}
				tok := backend.Token{Token: "t", RunID: "r", HookID: "h", Kind: backend.TokenHook, CreatedAt: now}
				if err := be.Commit(ctx, backend.Commit{RunID: "r", Version: 1, Status: backend.StatusWaiting, Now: now, ClaimTokens: []backend.Token{tok}}); err != nil {
					b.Fatal(err)
				}
				payload := json.RawMessage(`{"order":42,"note":"a delivery of a hundred bytes or so, as a small webhook sends"}`)
				var n atomic.Int64
				b.SetParallelism(max(writers/2, 1)) // GOMAXPROCS is 2 here; SetParallelism multiplies it
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						item := backend.InboxItem{RunID: "r", Kind: backend.InboxHook, Token: "t", HookID: "h", Payload: payload, CreatedAt: now}
						if _, _, err := be.PutInbox(ctx, item, nil); err != nil {
							b.Error(err)
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
