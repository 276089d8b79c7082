package memory

import (
	"errors"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// Group commit. A bbolt write transaction ends with an fsync, which takes about a millisecond
// on a fast disk and far longer on most: one transaction per write caps a file at about a
// thousand writes a second however many callers wait. So writes are grouped. A write
// checks and applies its change to the in-memory state under b.mu, as before, and queues
// its records for the file (persist) in that same order; one goroutine writes everything
// queued in one bbolt transaction, with one fsync, while the next group gathers; each caller
// returns only once the group that holds its write is on disk.
//
// Nothing is acknowledged before its fsync. Other callers may read a change before it is on
// disk (it is in memory), but the file always holds a prefix of the changes in their order,
// so whatever they then write lands after it: a crash loses a suffix, never a write whose
// caller was answered, and never an earlier write under a later one. If the file fails, the
// memory is ahead of it for good: the backend fails every call from then on (ErrFailed), and
// the process restarts from the file.

// ErrFailed is returned by every call once a write to the file has failed: the backend's
// memory may hold changes the file does not, so it stops rather than serve them.
var ErrFailed = errors.New("memory: the store's file failed; reopen it")

// committer writes the queued records of one bbolt file in groups.
type committer struct {
	db *bolt.DB

	mu      sync.Mutex
	pending []func(*bolt.Tx) error
	waiters []chan error
	busy    bool  // a goroutine is writing groups
	failed  error // set once a group failed
	groups  int   // groups written, for tests
	wg      sync.WaitGroup
}

func newCommitter(db *bolt.DB) *committer { return &committer{db: db} }

// submit queues fn, which writes one change's records, and returns a function that waits
// until the group holding it is on disk. The caller holds b.mu, so that the queue's order is
// the order of the changes in memory.
func (c *committer) submit(fn func(*bolt.Tx) error) (wait func() error) {
	ch := make(chan error, 1)
	c.mu.Lock()
	if c.failed != nil {
		err := c.failed
		c.mu.Unlock()
		return func() error { return err }
	}
	c.pending = append(c.pending, fn)
	c.waiters = append(c.waiters, ch)
	if !c.busy {
		c.busy = true
		c.wg.Add(1)
		go c.run()
	}
	c.mu.Unlock()
	return func() error { return <-ch }
}

// run writes groups until the queue is empty.
func (c *committer) run() {
	defer c.wg.Done()
	for {
		c.mu.Lock()
		fns, waiters := c.pending, c.waiters
		c.pending, c.waiters = nil, nil
		if len(fns) == 0 {
			c.busy = false
			c.mu.Unlock()
			return
		}
		c.groups++
		c.mu.Unlock()
		err := c.db.Update(func(tx *bolt.Tx) error {
			for _, fn := range fns {
				if err := fn(tx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			err = fmt.Errorf("%w: %w", ErrFailed, err)
			c.mu.Lock()
			if c.failed == nil {
				c.failed = err
			}
			c.mu.Unlock()
		}
		for _, w := range waiters {
			w <- err
		}
	}
}

// err reports a failed group.
func (c *committer) err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failed
}

// groupsWritten returns how many groups were written (for tests).
func (c *committer) groupsWritten() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.groups
}

// drain waits until every queued group is written. No submit may come meanwhile.
func (c *committer) drain() { c.wg.Wait() }
