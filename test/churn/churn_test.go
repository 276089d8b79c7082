// Package churn measures what ended runs cost the embedded backend: the bbolt file's size and
// the process's memory after many runs start and end, with retention on and off.
//
// go test runs a small churn and checks what cannot flake: with retention on, every ended
// run is deleted and a second round reuses the first round's pages instead of growing the
// file. HOOKFLOW_CHURN_REPORT=on or off runs 10,000 runs with retention on or off, alone in
// its process so that its memory figures are its own, and logs them (make churn runs both).
package churn

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// receiveOne receives one payload on a hook named after its run and returns its size.
var receiveOne = workflow.Define("churn", func(ctx workflow.Context, token string) (int, error) {
	h, err := workflow.CreateHook[string](ctx, workflow.HookOptions{Token: token})
	if err != nil {
		return 0, err
	}
	p, err := h.Receive(ctx)
	return len(p), err
})

// payload is each run's 1 KB delivery.
var payload = strings.Repeat("churn-payload-", 74)[:1024]

// figures is one churn's outcome.
type figures struct {
	runs, left   int
	fileBytes    int64
	heapBytes    uint64 // live heap after a GC
	rssBytes     int64  // the process's resident set after returning freed memory
	elapsed      time.Duration
	deletedStats int64
}

// churn starts and ends n runs in rounds of round on a bbolt file under dir, with the given
// retention; after each round it waits past the retention and sweeps, so that retention
// deletes what has ended.
func churn(t *testing.T, dir string, n, round int, retention time.Duration) figures {
	t.Helper()
	ctx := t.Context()
	path := filepath.Join(dir, "store.db")
	b, err := memory.Open(path)
	require.NoError(t, err)
	client := workflow.NewClient(b, workflow.ClientOptions{})
	worker := workflow.NewWorker(b, workflow.NewRegistry(receiveOne),
		workflow.WorkerOptions{Logger: slog.New(slog.DiscardHandler), Retention: retention, CacheSize: -1})
	start := time.Now()
	for done := 0; done < n; done += round {
		ids := make([]string, 0, round)
		for i := done; i < min(done+round, n); i++ {
			tok := "churn:" + strconv.Itoa(i)
			run, err := workflow.Start(ctx, client, receiveOne, tok)
			require.NoError(t, err)
			require.NoError(t, worker.RunTurn(ctx, run.ID()))
			_, err = client.ResumeHook(ctx, tok, payload)
			require.NoError(t, err)
			require.NoError(t, worker.RunTurn(ctx, run.ID()))
			ids = append(ids, run.ID())
		}
		drain(t, b)
		if retention > 0 {
			time.Sleep(retention + 5*time.Millisecond)
			_, err := worker.Sweep(ctx, 0)
			require.NoError(t, err)
			for _, id := range ids {
				require.NoError(t, worker.RunTurn(ctx, id))
			}
			drain(t, b)
		}
	}
	f := figures{runs: n, elapsed: time.Since(start), deletedStats: worker.Stats().Deleted}
	page, err := b.ListRuns(ctx, backend.RunQuery{Limit: backend.MaxRunPage})
	require.NoError(t, err)
	f.left = len(page.Runs)
	for page.Next != "" {
		page, err = b.ListRuns(ctx, backend.RunQuery{Limit: backend.MaxRunPage, Cursor: page.Next})
		require.NoError(t, err)
		f.left += len(page.Runs)
	}
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	f.heapBytes = ms.HeapAlloc
	f.rssBytes = rss()
	worker.Close()
	require.NoError(t, b.Close())
	st, err := os.Stat(path)
	require.NoError(t, err)
	f.fileBytes = st.Size()
	return f
}

// drain acknowledges the wake messages the turns above made redundant.
func drain(t *testing.T, b backend.Backend) {
	t.Helper()
	for {
		msgs, err := b.Receive(context.WithoutCancel(t.Context()), 100, 0)
		require.NoError(t, err)
		if len(msgs) == 0 {
			return
		}
		require.NoError(t, b.Ack(t.Context(), msgs...))
	}
}

// rss reads the process's resident set size from /proc (0 where there is none).
func rss() int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func (f figures) String() string {
	return fmt.Sprintf("%d runs in %s: %d left, file %.1f MB, heap %.1f MB, RSS %.1f MB, %d deleted",
		f.runs, f.elapsed.Round(time.Millisecond), f.left, mb(f.fileBytes), mb(int64(f.heapBytes)), mb(f.rssBytes), f.deletedStats)
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

// With retention on, every ended run is deleted and a second round of runs reuses the pages
// the first freed: the file does not grow with ended runs. Kept, the same runs stay, and the
// file grows with them.
func TestChurn(t *testing.T) {
	const n, round = 300, 100
	kept := churn(t, t.TempDir(), n, round, workflow.KeepForever)
	t.Logf("retention off: %s", kept)
	require.Equal(t, n, kept.left, "kept runs stay")

	dir := t.TempDir()
	deleted := churn(t, dir, n, round, 50*time.Millisecond)
	t.Logf("retention on:  %s", deleted)
	require.Zero(t, deleted.left, "every ended run is deleted")
	require.EqualValues(t, n, deleted.deletedStats)
	require.Less(t, deleted.fileBytes, kept.fileBytes, "the file keeps no ended run")

	again := churn(t, dir, n, round, 50*time.Millisecond)
	t.Logf("retention on, a second round on the same file: %s", again)
	require.Zero(t, again.left)
	require.LessOrEqual(t, again.fileBytes, deleted.fileBytes+deleted.fileBytes/4,
		"a second round reuses the pages the first freed")
}

// TestChurnReport runs 10,000 runs, with retention on or off as HOOKFLOW_CHURN_REPORT says,
// and logs the file's size and the process's memory after them.
func TestChurnReport(t *testing.T) {
	mode := os.Getenv("HOOKFLOW_CHURN_REPORT")
	var retention time.Duration
	switch mode {
	case "on":
		retention = 50 * time.Millisecond
	case "off":
		retention = workflow.KeepForever
	default:
		t.Skip("HOOKFLOW_CHURN_REPORT=on or off runs the 10,000-run churn (make churn)")
	}
	runtime.GC()
	debug.FreeOSMemory()
	t.Logf("before: RSS %.1f MB", mb(rss()))
	f := churn(t, t.TempDir(), 10_000, 1_000, retention)
	t.Logf("retention %s: %s", mode, f)
	if mode == "on" {
		require.Zero(t, f.left)
	} else {
		require.Equal(t, 10_000, f.left)
	}
}
