package engine

// Future is the untyped result of an asynchronous durable operation: a step, a timer, a
// coroutine or a hook receive. pkg/workflow wraps it in the generic Future[T].
type Future struct {
	x     *executor
	ready bool
	seq   int64 // when it became ready, in the run's resolution order
	value any
	err   error
	// lazy futures (hook receives) compute readiness from their source and take the value
	// only when Get is called, so a receive that loses a Select takes nothing.
	poll  func() (bool, int64)
	take  func() (any, error)
	taken bool
}

func (x *executor) newFuture() *Future { return &Future{x: x} }

// resolve makes f ready. The resolution sequence is the executor's, which advances in the
// deterministic order in which events are delivered and coroutines finish.
func (f *Future) resolve(v any, err error) {
	if f.ready {
		return
	}
	f.x.resolved++
	f.ready, f.seq, f.value, f.err = true, f.x.resolved, v, err
}

// Ready reports whether Get would return without blocking.
func (f *Future) Ready() bool {
	ok, _ := f.readyAt()
	return ok
}

func (f *Future) readyAt() (bool, int64) {
	if f.poll != nil && !f.taken {
		return f.poll()
	}
	return f.ready, f.seq
}

// Get blocks the calling coroutine until f is ready and returns its value.
func (f *Future) Get(c *Ctx) (any, error) {
	if err := c.enter(); err != nil {
		return nil, err
	}
	c.x.sched.block(f.Ready)
	f.settle()
	return f.value, f.err
}

// settle takes a lazy future's value, once; later Gets return the same value.
func (f *Future) settle() {
	if f.poll == nil || f.taken {
		return
	}
	_, seq := f.poll()
	v, err := f.take()
	f.taken = true
	f.ready, f.seq, f.value, f.err = true, seq, v, err
}

// Select blocks until one of fs is ready and returns the index of the one that became ready
// first in the run's history.
func Select(c *Ctx, fs ...*Future) (int, error) {
	if err := c.enter(); err != nil {
		return -1, err
	}
	if len(fs) == 0 {
		return -1, invalidf("Select needs at least one item")
	}
	for i, f := range fs {
		if f == nil {
			return -1, invalidf("Select item %d is nil", i)
		}
	}
	pick := func() int {
		best, bestSeq := -1, int64(0)
		for i, f := range fs {
			if ok, seq := f.readyAt(); ok && (best < 0 || seq < bestSeq) {
				best, bestSeq = i, seq
			}
		}
		return best
	}
	c.x.sched.block(func() bool { return pick() >= 0 })
	return pick(), nil
}

// All blocks until every one of fs is ready and returns the first error among them, in
// argument order.
func All(c *Ctx, fs ...*Future) error {
	if err := c.enter(); err != nil {
		return err
	}
	for i, f := range fs {
		if f == nil {
			return invalidf("All item %d is nil", i)
		}
	}
	c.x.sched.block(func() bool {
		for _, f := range fs {
			if !f.Ready() {
				return false
			}
		}
		return true
	})
	for _, f := range fs {
		// A lazy future (a hook's Next) keeps its payload until its own Get takes it.
		if (f.poll == nil || f.taken) && f.err != nil {
			return f.err
		}
	}
	return nil
}
