package load

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
)

// Flood sizes: deliveries into one run, and how many callers send them.
const (
	floodBounded = 2000
	floodFull    = 10000
	floodSenders = 32
	floodPad     = 256 // bytes of padding in every payload
)

// TestFloodIntoOneRun sends a flood of deliveries into one run on the embedded backend while
// its workflow receives them in a loop, and checks that every one is processed exactly once.
// It logs the peak heap in use (sampled), the peak RSS of the process (VmHWM, reset when the
// flood starts where the kernel allows), and the turns and commits the flood cost. It is not
// parallel, so that the figures are the flood's own.
func TestFloodIntoOneRun(t *testing.T) {
	n, bound := floodBounded, 2*time.Minute
	if stress {
		n, bound = floodFull, 10*time.Minute
	}
	e := newEnv(t, kindMemory)
	ctx := t.Context()
	token := "flood-" + rand.Text()
	run, err := workflow.Start(ctx, e.client, flood, floodInput{Token: token, Count: n})
	require.NoError(t, err)
	e.awaitToken(t, token)

	runtime.GC()
	resetPeakRSS()
	rssBefore := procStatus("VmRSS")
	sampler := startHeapSampler(10 * time.Millisecond)
	pad := strings.Repeat("x", floodPad)
	var next atomic.Int64
	began := time.Now()
	var wg sync.WaitGroup
	for range floodSenders {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if _, err := e.client.ResumeHook(ctx, token, item{I: i, Pad: pad}, workflow.WithIdempotencyKey(strconv.Itoa(i))); err != nil {
					t.Errorf("delivery %d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	sent := time.Since(began)
	out := awaitResult(t, run, bound)
	took := time.Since(began)
	peakHeap, samples := sampler.stop()

	c := e.counted.Counts()
	t.Logf("flood of %d deliveries (%d B payloads, %d senders) into one run on the embedded backend:\n"+
		"  sent in %v, processed in %v (%.0f deliveries/s)\n"+
		"  peak HeapInuse %s (%d samples); VmRSS before %s, peak VmHWM %s\n"+
		"  worker: %d turns (GetRun), %d commits, %d inbox reads (%.1f deliveries per commit)",
		n, floodPad, floodSenders, sent.Round(time.Millisecond), took.Round(time.Millisecond), float64(n)/took.Seconds(),
		mib(peakHeap), samples, rssBefore, procStatus("VmHWM"),
		c["GetRun"], c["Commit"], c["ListInbox"], float64(n)/float64(max(c["Commit"], 1)))

	require.Equal(t, floodOutput{Count: n, Sum: int64(n) * int64(n-1) / 2, Distinct: true}, out, "every delivery once")
	requireOnce(t, e.received(t, run.ID()), n)
}

// heapSampler records the peak of runtime.MemStats.HeapInuse.
type heapSampler struct {
	stopCh chan struct{}
	done   chan struct{}
	peak   uint64
	n      int
}

func startHeapSampler(every time.Duration) *heapSampler {
	s := &heapSampler{stopCh: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			s.peak = max(s.peak, ms.HeapInuse)
			s.n++
			select {
			case <-s.stopCh:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// stop ends the sampling and returns the peak and the number of samples.
func (s *heapSampler) stop() (uint64, int) {
	close(s.stopCh)
	<-s.done
	return s.peak, s.n
}

// resetPeakRSS resets the process's peak RSS (VmHWM), where the kernel allows it.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// procStatus returns a field of /proc/self/status ("VmHWM", "VmRSS"), or "n/a".
func procStatus(field string) string {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return "n/a"
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
