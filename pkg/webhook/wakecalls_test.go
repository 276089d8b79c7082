package webhook_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
)

var collects = workflow.Define("wake-calls", func(ctx workflow.Context, _ struct{}) (string, error) {
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{})
	if err != nil {
		return "", err
	}
	n := 0
	for _, err := range wh.All(ctx) {
		if err != nil {
			return "", err
		}
		if n++; n == 100 {
			break
		}
	}
	return fmt.Sprint(n), nil
})

// A 202 delivery with a warm token costs its write and its wake: no read of the token, no
// read of the run. Deliveries that follow it close behind may read the run: a run that a
// runner holds gets no wake (the holder takes the delivery when it lets go), and a read that
// finds it free makes the next deliveries skip theirs. On memory and DynamoDB.
func TestDeliveryCallsWithAWarmToken(t *testing.T) {
	t.Parallel()
	onBackends(t, func(t *testing.T, bk backend.Backend) {
		s := start(t, bk, secrets, collects)
		b, ctx := s.b, t.Context()
		count := func() calls {
			return calls{b.lookups.Load(), b.puts.Load(), b.runReads.Load(), b.enqueues.Load()}
		}
		// A client of its own, on a clock that moves only when told to, whose first delivery
		// reads the token record.
		clock := &steppedClock{at: time.Now()}
		c := workflow.NewClient(clocked{b, clock}, workflow.ClientOptions{})
		h := webhook.NewHandler(c, webhook.Options{Logger: slog.New(slog.DiscardHandler)})
		deliver := func(body string) {
			t.Helper()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, workflow.WebhookPath+s.hooks[0].Token, strings.NewReader(body)))
			require.Equal(t, http.StatusAccepted, rec.Code)
		}
		deliver(`{"n":1}`)
		deliver(`{"n":2}`)
		require.NoError(t, s.w.RunTurn(ctx, s.run.ID()))
		before := count()
		clock.step(time.Second) // past the window in which the run counts as hot
		deliver(`{"n":3}`)
		require.Equal(t, calls{lookups: 0, puts: 1, runReads: 0, enqueues: 1}, count().sub(before), "a warm 202: the write and the wake")

		// Close behind: the run is read, found free, and woken; the next delivery skips the
		// read (the back-off after a free run).
		before = count()
		deliver(`{"n":4}`)
		require.Equal(t, calls{lookups: 0, puts: 1, runReads: 1, enqueues: 1}, count().sub(before), "a delivery close behind into a free run")
		before = count()
		deliver(`{"n":5}`)
		require.Equal(t, calls{lookups: 0, puts: 1, runReads: 0, enqueues: 1}, count().sub(before), "the next one skips the read")

		// Held by a runner: the read replaces the wake, delivery after delivery.
		now := time.Now()
		require.NoError(t, bk.TakeLease(ctx, s.run.ID(), "another-runner", now, now.Add(time.Minute)))
		for _, body := range []string{`{"n":6}`, `{"n":7}`} {
			before = count()
			deliver(body)
			require.Equal(t, calls{lookups: 0, puts: 1, runReads: 1, enqueues: 0}, count().sub(before), "a delivery close behind into a held run")
		}
		require.NoError(t, bk.ReleaseLease(ctx, s.run.ID(), "another-runner"))

		require.NoError(t, s.w.RunTurn(ctx, s.run.ID()))
		items, err := bk.ListInbox(ctx, s.run.ID(), 0)
		require.NoError(t, err)
		require.Empty(t, items, "the turn took every delivery")
		delivered, err := s.c.ListDeliveries(ctx, s.run.ID())
		require.NoError(t, err)
		require.Len(t, delivered, 7)
	})
}

// clocked is a backend seen through another clock.
type clocked struct {
	*counting
	clock backend.Clock
}

func (c clocked) Clock() backend.Clock { return c.clock }

// steppedClock is a clock that stands still until stepped.
type steppedClock struct {
	mu sync.Mutex
	at time.Time
}

func (c *steppedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

func (c *steppedClock) step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(d)
}

// calls counts a counting backend's calls of interest.
type calls struct{ lookups, puts, runReads, enqueues int64 }

func (a calls) sub(b calls) calls {
	return calls{a.lookups - b.lookups, a.puts - b.puts, a.runReads - b.runReads, a.enqueues - b.enqueues}
}
