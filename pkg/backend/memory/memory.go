package memory

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"github.com/hookflow/hookflow/pkg/backend"
)

// DefaultVisibilityTimeout is how long a received wake message stays invisible when no
// WithVisibilityTimeout option is given.
const DefaultVisibilityTimeout = 30 * time.Second

// DefaultMaxReceives is how many times a wake message may be received without being
// acknowledged when no WithMaxReceives option is given.
const DefaultMaxReceives = 10

// ErrClosed is returned by every method of a Backend after Close.
var ErrClosed = errors.New("memory: backend is closed")

// Backend is the embedded driver: an in-memory store and wake queue, optionally persisted to
// a bbolt file (see Open). It implements backend.Backend and is safe for concurrent use.
type Backend struct {
	clock      backend.Clock
	visibility time.Duration

	// mu guards the store state below.
	mu        sync.Mutex
	closed    bool
	db        *bolt.DB   // nil for a backend made by New
	commits   *committer // the file's group commits (groupcommit.go); nil without a file
	runs      map[string]*runState
	inbox     map[string][]backend.InboxItem // per run, sorted by ID
	tokens    map[string]backend.Token
	responses map[string]backend.Response
	idem      map[string]backend.Idempotency
	lastID    ulid.ULID // the greatest inbox ID assigned so far
	// lastExpire is when a write last dropped expired responses and idempotency records.
	lastExpire time.Time
	entropy    *ulid.MonotonicEntropy

	// qmu guards the queue; it is separate from mu so that a persisted Commit does not hold
	// up the queue while bbolt syncs.
	qmu sync.Mutex
	q   queue
}

// runState is a run record with its history.
type runState struct {
	run    backend.Run
	events []backend.Event // events[i].Seq == i+1
	// tokenBytes is the length of the names of the tokens the run holds, which its record
	// carries on DynamoDB and so counts in its size (see size.go).
	tokenBytes int
}

var (
	_ backend.Backend = (*Backend)(nil)
	_ backend.Clocked = (*Backend)(nil)
)

// New returns an empty Backend that keeps its state in memory only.
func New(opts ...Option) *Backend {
	return newBackend(applied(opts))
}

// NewWithOptions is New with Options; impossible values are refused.
func NewWithOptions(opts Options) (*Backend, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return newBackend(opts.WithDefaults()), nil
}

// applied returns the Options the shorthands set, with defaults.
func applied(opts []Option) Options {
	var o Options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o.WithDefaults()
}

func newBackend(cfg Options) *Backend {
	var nonce [6]byte
	_, _ = rand.Read(nonce[:]) // crypto/rand.Read never fails
	return &Backend{
		clock:      cfg.Clock,
		visibility: cfg.VisibilityTimeout,
		runs:       make(map[string]*runState),
		inbox:      make(map[string][]backend.InboxItem),
		tokens:     make(map[string]backend.Token),
		responses:  make(map[string]backend.Response),
		idem:       make(map[string]backend.Idempotency),
		entropy:    ulid.Monotonic(rand.Reader, 0),
		q:          newQueue(hex.EncodeToString(nonce[:]), cfg.Clock, cfg.MaxReceives),
	}
}

// Clock returns the clock the backend schedules by (see WithClock), so that code built on the
// backend can share it; it implements backend.Clocked.
func (b *Backend) Clock() backend.Clock { return b.clock }

// Close releases the backend. For a backend made by Open it closes the bbolt file. After
// Close every method returns ErrClosed (a Receive that is waiting returns at once), Pending
// reports 0 and NextVisible reports nothing. Closing twice is not an error.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	db := b.db
	b.db = nil
	b.runs, b.inbox, b.tokens, b.responses, b.idem = nil, nil, nil, nil, nil
	b.mu.Unlock()
	var err error
	if db != nil {
		b.commits.drain() // no write is queued after closed is set: finish the queued ones
		err = db.Close()
	}

	b.qmu.Lock()
	b.q.close()
	b.qmu.Unlock()
	return err
}

// SweepEvery suggests that workers sweep this backend every second: a sweep is one pass
// over memory (backend.SweepHinter).
func (b *Backend) SweepEvery() time.Duration { return time.Second }
