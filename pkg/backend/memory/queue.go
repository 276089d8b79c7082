package memory

import (
	"cmp"
	"container/heap"
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
)

// pollInterval bounds how long a waiting Receive sleeps between checks when the clock is not
// the system clock: a fake clock can move at any moment without telling anyone.
const pollInterval = 5 * time.Millisecond

// message is one wake message in the queue.
type message struct {
	id        uint64
	runID     string
	trace     string    // the traceparent of the Enqueue
	visibleAt time.Time // per the clock
	receipt   string    // of the latest delivery; "" before the first
	received  uint64    // deliveries so far
	index     int       // in the heap
}

// messageHeap orders messages by visibility time, then by enqueue order.
type messageHeap []*message

func (h messageHeap) Len() int { return len(h) }
func (h messageHeap) Less(i, j int) bool {
	if c := h[i].visibleAt.Compare(h[j].visibleAt); c != 0 {
		return c < 0
	}
	return h[i].id < h[j].id
}
func (h messageHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *messageHeap) Push(x any) {
	m := x.(*message)
	m.index = len(*h)
	*h = append(*h, m)
}
func (h *messageHeap) Pop() any {
	old := *h
	m := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	m.index = -1
	return m
}

// MaxDeadLetters is how many dead letters a Backend keeps (see DeadLetters); when more
// messages die, the oldest dead letters are dropped.
const MaxDeadLetters = 1000

// DeadLetter is a wake message that was received as many times as the backend allows (see
// WithMaxReceives) without being acknowledged, and was moved out of the queue.
type DeadLetter struct {
	RunID    string
	Receives int       // how many times it was received
	DiedAt   time.Time // when the visibility timeout after its last receive ended, per the clock
}

// queue is the in-memory wake queue, guarded by Backend.qmu.
type queue struct {
	clock       backend.Clock
	poll        bool // the clock is not the system clock
	nonce       string
	maxReceives uint64
	closed      bool
	nextID      uint64
	heap        messageHeap
	receipts    map[string]*message
	dead        []DeadLetter  // oldest first, at most MaxDeadLetters
	changed     chan struct{} // closed and replaced whenever the queue changes
}

func newQueue(nonce string, clock backend.Clock, maxReceives int) queue {
	_, sys := clock.(backend.SystemClock)
	_, sysPtr := clock.(*backend.SystemClock)
	return queue{
		clock:       clock,
		poll:        !sys && !sysPtr,
		nonce:       nonce,
		maxReceives: uint64(maxReceives),
		receipts:    make(map[string]*message),
		changed:     make(chan struct{}),
	}
}

// spent reports whether m is dead at now: it was received as often as allowed and the
// visibility timeout after the last receive has ended. A spent message may still sit in the
// heap until the queue next looks at it; every method treats it as gone.
func (q *queue) spent(m *message, now time.Time) bool {
	return m.received >= q.maxReceives && !m.visibleAt.After(now)
}

// bury records m, which has left the heap, as a dead letter.
func (q *queue) bury(m *message) {
	delete(q.receipts, m.receipt)
	if len(q.dead) == MaxDeadLetters {
		q.dead = slices.Delete(q.dead, 0, 1)
	}
	q.dead = append(q.dead, DeadLetter{RunID: m.runID, Receives: int(m.received), DiedAt: m.visibleAt})
}

// sweep moves every spent message out of the heap to the dead letters, in the order they died.
func (q *queue) sweep(now time.Time) {
	var spent []*message
	for _, m := range q.heap {
		if q.spent(m, now) {
			spent = append(spent, m)
		}
	}
	if len(spent) == 0 {
		return
	}
	slices.SortFunc(spent, func(x, y *message) int {
		return cmp.Or(x.visibleAt.Compare(y.visibleAt), cmp.Compare(x.id, y.id))
	})
	for _, m := range spent {
		heap.Remove(&q.heap, m.index)
		q.bury(m)
	}
}

// notify wakes the waiting Receive calls.
func (q *queue) notify() {
	close(q.changed)
	q.changed = make(chan struct{})
}

func (q *queue) close() {
	if q.closed {
		return
	}
	q.closed = true
	q.heap = nil
	q.receipts = nil
	q.dead = nil
	q.notify()
}

// take returns up to n messages visible at now, in visibility order, and makes them
// invisible until now+visibility under fresh receipts. Spent messages it meets on the way
// become dead letters.
func (q *queue) take(n int, now time.Time, visibility time.Duration) []backend.WakeMessage {
	var taken []*message
	for len(taken) < n && len(q.heap) > 0 && !q.heap[0].visibleAt.After(now) {
		m := heap.Pop(&q.heap).(*message)
		if q.spent(m, now) {
			q.bury(m)
			continue
		}
		taken = append(taken, m)
	}
	if len(taken) == 0 {
		return nil
	}
	out := make([]backend.WakeMessage, len(taken))
	for i, m := range taken {
		delete(q.receipts, m.receipt)
		m.received++
		m.receipt = q.nonce + "." + strconv.FormatUint(m.id, 36) + "." + strconv.FormatUint(m.received, 36)
		m.visibleAt = now.Add(visibility)
		q.receipts[m.receipt] = m
		heap.Push(&q.heap, m)
		out[i] = backend.WakeMessage{RunID: m.runID, TraceParent: m.trace, Receipt: m.receipt}
	}
	return out
}

// Enqueue adds a wake message for runID that becomes visible at clock.Now()+delay. A delay
// that is not positive means at once; there is no cap on the delay. An empty runID is an
// error. Messages are not persisted, even by a backend made by Open.
func (b *Backend) Enqueue(ctx context.Context, runID string, delay time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if runID == "" {
		return errors.New("memory: enqueue: empty run ID")
	}
	b.qmu.Lock()
	defer b.qmu.Unlock()
	if b.q.closed {
		return ErrClosed
	}
	b.q.nextID++
	heap.Push(&b.q.heap, &message{
		id:        b.q.nextID,
		runID:     runID,
		trace:     backend.TraceParent(ctx),
		visibleAt: b.clock.Now().Add(max(delay, 0)),
	})
	b.q.notify()
	return nil
}

// Receive returns up to max messages visible now (max <= 0 counts as 1), earliest visibility
// first. Each gets a fresh receipt and stays invisible for the visibility timeout, after which
// it is delivered again unless acknowledged, or, once it has been received the most times
// allowed (WithMaxReceives), moved to the dead letters. When no message is visible, Receive
// waits up to wait (real time) for one: it wakes on Enqueue, when the earliest delayed message
// becomes due, and, with a clock other than backend.SystemClock, every few milliseconds to
// look at the clock again. It returns messages that are visible even when ctx has ended; it returns
// ctx.Err() when ctx ends while it has none, and an empty list with no error when wait runs
// out.
func (b *Backend) Receive(ctx context.Context, max int, wait time.Duration) ([]backend.WakeMessage, error) {
	if max <= 0 {
		max = 1
	}
	deadline := time.Now().Add(wait)
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		b.qmu.Lock()
		if b.q.closed {
			b.qmu.Unlock()
			return nil, ErrClosed
		}
		now := b.clock.Now()
		if msgs := b.q.take(max, now, b.visibility); len(msgs) > 0 {
			b.qmu.Unlock()
			return msgs, nil
		}
		var next time.Time
		if len(b.q.heap) > 0 {
			next = b.q.heap[0].visibleAt
		}
		changed := b.q.changed
		poll := b.q.poll
		b.qmu.Unlock()

		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sleep := time.Until(deadline)
		if sleep <= 0 {
			return []backend.WakeMessage{}, nil
		}
		if !next.IsZero() {
			sleep = min(sleep, next.Sub(now))
		}
		if poll {
			sleep = min(sleep, pollInterval)
		}
		if sleep <= 0 {
			continue
		}
		if timer == nil {
			timer = time.NewTimer(sleep)
		} else {
			timer.Reset(sleep)
		}
		select {
		case <-ctx.Done():
		case <-changed:
		case <-timer.C:
		}
	}
}

// Ack deletes received messages by receipt. Only the receipt of a message's latest delivery
// counts: an unknown or outdated receipt, the receipt of a message that has become a dead
// letter, or acknowledging twice, is not an error and does nothing.
func (b *Backend) Ack(ctx context.Context, msgs ...backend.WakeMessage) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.qmu.Lock()
	defer b.qmu.Unlock()
	if b.q.closed {
		return ErrClosed
	}
	now := b.clock.Now()
	acked := false
	for _, wm := range msgs {
		m, ok := b.q.receipts[wm.Receipt]
		if !ok {
			continue
		}
		heap.Remove(&b.q.heap, m.index)
		if b.q.spent(m, now) {
			b.q.bury(m) // too late: it died when its visibility timeout ended
			continue
		}
		delete(b.q.receipts, wm.Receipt)
		acked = true
	}
	if acked {
		b.q.notify()
	}
	return nil
}

// Pending returns the number of messages visible now, that is, that Receive would return
// at once (in flight and delayed messages, and dead letters, are not counted). It is meant for
// test kits that need to know whether work is queued; it returns 0 after Close.
func (b *Backend) Pending() int {
	b.qmu.Lock()
	defer b.qmu.Unlock()
	now := b.clock.Now()
	b.q.sweep(now)
	n := 0
	for _, m := range b.q.heap {
		if !m.visibleAt.After(now) {
			n++
		}
	}
	return n
}

// NextVisible returns when the earliest message that is not visible now (delayed, or
// received and not acknowledged) becomes visible, per the backend's clock, and false when
// there is no such message (or after Close). A test kit on a fake clock can advance the clock
// to that time to let the message be delivered.
//
// A message in flight after its last allowed receive is not reported: when its visibility
// timeout ends it becomes a dead letter, not visible.
func (b *Backend) NextVisible() (time.Time, bool) {
	b.qmu.Lock()
	defer b.qmu.Unlock()
	now := b.clock.Now()
	b.q.sweep(now)
	var next time.Time
	found := false
	for _, m := range b.q.heap {
		if m.received >= b.q.maxReceives {
			continue
		}
		if m.visibleAt.After(now) && (!found || m.visibleAt.Before(next)) {
			next, found = m.visibleAt, true
		}
	}
	return next, found
}

// DeadLetters returns the wake messages that were received as many times as allowed (see
// WithMaxReceives) without being acknowledged, oldest first: at most MaxDeadLetters, none
// after Close. Like an SQS dead-letter queue, it is for operators and tests to look at; a
// run whose wake died is still woken by the sweeper while it is due. The dead letters are not
// persisted, even by a backend made by Open.
func (b *Backend) DeadLetters() []DeadLetter {
	b.qmu.Lock()
	defer b.qmu.Unlock()
	b.q.sweep(b.clock.Now())
	return slices.Clone(b.q.dead)
}
