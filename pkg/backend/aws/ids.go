package aws

import (
	"crypto/rand"
	"sync"

	"github.com/oklog/ulid/v2"

	"github.com/hookflow/hookflow/pkg/backend"
)

// idGen assigns inbox IDs: ULIDs from the clock with monotonic entropy, strictly increasing
// within the process. Across processes they are ordered by their millisecond only, which is
// what the inbox order needs: items from different senders have no order but arrival.
type idGen struct {
	mu      sync.Mutex
	clock   backend.Clock
	entropy *ulid.MonotonicEntropy
	last    ulid.ULID
}

func newIDGen(clock backend.Clock) *idGen {
	return &idGen{clock: clock, entropy: ulid.Monotonic(rand.Reader, 0)}
}

// next returns an ID greater than every ID it returned before.
func (g *idGen) next() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	ms := ulid.Timestamp(g.clock.Now())
	if last := g.last.Time(); ms < last {
		ms = last // the clock went back: stay in the last millisecond
	}
	id, err := ulid.New(ms, g.entropy)
	if err != nil || id.Compare(g.last) <= 0 {
		// Out of ULID range, or the entropy overflowed within one millisecond: count on.
		id = increment(g.last)
	}
	g.last = id
	return id.String()
}

// increment returns id + 1, reading the ULID as a 128-bit big-endian number.
func increment(id ulid.ULID) ulid.ULID {
	for i := len(id) - 1; i >= 0; i-- {
		id[i]++
		if id[i] != 0 {
			break
		}
	}
	return id
}
