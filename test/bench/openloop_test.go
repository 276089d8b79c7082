package bench

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// openLoop is scenario 7 (memory and bbolt): sz.openLoopSenders senders post to one webhook
// as fast as the 202s come back, for sz.openLoop, with the worker running in process; per
// delivery, the time from its 202 reaching the sender to the workflow code seeing it (negative
// when the workflow saw it first).
func (s *suite) openLoop(t *testing.T) {
	e := newEnv(t, s.kind, s.ae)
	_, stop := e.startWorker(t)
	defer stop()
	sk := newSink()
	defer sk.close()
	runID := start(t, e, webhookFlow, flowInput{Sink: sk.id, Mode: mode202}, false)
	token := awaitToken(t, sk, runID)
	send, release := e.sender(nil)
	defer release()

	type ack struct {
		n  int
		at time.Time
	}
	ctx := waitCtx(t)
	var next atomic.Int64
	var mu sync.Mutex
	var acks []ack
	var wg sync.WaitGroup
	errs := make(chan error, s.sz.openLoopSenders)
	t0 := time.Now()
	deadline := t0.Add(s.sz.openLoop)
	for range s.sz.openLoopSenders {
		wg.Go(func() {
			var mine []ack
			defer func() {
				mu.Lock()
				acks = append(acks, mine...)
				mu.Unlock()
			}()
			for time.Now().Before(deadline) {
				n := int(next.Add(1)) - 1
				status, b, err := send(ctx, token, body(n))
				if err == nil && status != http.StatusAccepted {
					err = fmt.Errorf("answer %d %q, want 202", status, b)
				}
				if err != nil {
					errs <- err
					return
				}
				mine = append(mine, ack{n: n, at: time.Now()})
			}
		})
	}
	wg.Wait()
	sent := time.Since(t0)
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	total := len(acks)
	require.NoError(t, sk.waitCount(ctx, total, t.Logf))
	first := sinkCheck(t, sk, total)
	receivedOnce(t, e.client, runID, total)
	ds := make([]time.Duration, 0, total)
	early := 0
	for _, a := range acks {
		d := first[a.n].Sub(a.at)
		if d < 0 {
			early++
		}
		ds = append(ds, d)
	}
	lat := summarize(ds)
	drained := lastSeen(first).Sub(t0)
	s.rp.add(row{scenario: 7, title: fmt.Sprintf("open loop, %d senders: 202 → workflow sees it", s.sz.openLoopSenders),
		kind: s.kind, lat: ptr(lat), n: total, noFloor: "n/a",
		notes: fmt.Sprintf("%s deliveries answered at %s; all seen after %v; %d%% seen before their 202 arrived; each received once",
			thousands(int64(total)), fmtRate(float64(total)/sent.Seconds()), drained.Round(time.Millisecond), 100*early/max(total, 1))})
}
