package engine

import (
	"fmt"
	"runtime/debug"

	"github.com/hookflow/hookflow/pkg/workflow/werr"
)

// The scheduler runs a run's coroutines one at a time, in creation order, each until it blocks.
// Workflow code is ordinary Go code in goroutines, but only one of them runs at any moment and
// the order in which they run depends only on what they do, so replay reproduces it exactly.

// killed is the panic value that unwinds a coroutine whose executor is being discarded.
type killed struct{}

// aborted is the panic value that unwinds a coroutine when the turn must stop (a
// non-determinism error, a failed commit); the executor records the reason first.
type aborted struct{}

type coroutine struct {
	name    string
	resume  chan struct{}
	waitFor func() bool // nil: runnable
	done    bool
}

type scheduler struct {
	coros   []*coroutine
	yield   chan struct{}
	running *coroutine
	killing bool
	// panicked holds the first real panic raised by workflow code, with its stack.
	panicked error
}

func newScheduler() *scheduler {
	return &scheduler{yield: make(chan struct{})}
}

// spawn creates a coroutine that runs fn when the scheduler first reaches it.
func (s *scheduler) spawn(name string, fn func()) *coroutine {
	c := &coroutine{name: name, resume: make(chan struct{})}
	s.coros = append(s.coros, c)
	go func() {
		defer func() {
			r := recover()
			switch r.(type) {
			case nil, killed, aborted:
			default:
				if s.panicked == nil {
					s.panicked = fmt.Errorf("%w: coroutine %q: %v\n%s", werr.ErrWorkflowPanic, c.name, r, debug.Stack())
				}
			}
			c.done = true
			s.yield <- struct{}{}
		}()
		<-c.resume
		if s.killing {
			panic(killed{})
		}
		fn()
	}()
	return c
}

// run resumes runnable coroutines until every one is blocked or done, or one panics.
// It reports whether any coroutine ran.
func (s *scheduler) run(stop func() bool) bool {
	ran := false
	for progress := true; progress; {
		progress = false
		for i := 0; i < len(s.coros); i++ {
			c := s.coros[i]
			if c.done || (c.waitFor != nil && !c.waitFor()) {
				continue
			}
			c.waitFor = nil
			s.running = c
			c.resume <- struct{}{}
			<-s.yield
			s.running = nil
			progress, ran = true, true
			if s.panicked != nil || stop() {
				return ran
			}
		}
	}
	s.compact()
	return ran
}

func (s *scheduler) compact() {
	live := s.coros[:0]
	for _, c := range s.coros {
		if !c.done {
			live = append(live, c)
		}
	}
	clear(s.coros[len(live):])
	s.coros = live
}

// block parks the running coroutine until cond holds. It must be called from the coroutine
// that the scheduler is running.
func (s *scheduler) block(cond func() bool) {
	if cond() {
		return
	}
	c := s.running
	c.waitFor = cond
	s.yield <- struct{}{}
	<-c.resume
	if s.killing {
		panic(killed{})
	}
}

// abort unwinds the running coroutine; the scheduler sees it as done.
func (s *scheduler) abort() {
	panic(aborted{})
}

// kill unwinds every coroutine that has not finished, so that no goroutine outlives the run.
func (s *scheduler) kill() {
	s.killing = true
	for _, c := range s.coros {
		if c.done {
			continue
		}
		s.running = c
		c.resume <- struct{}{}
		<-s.yield
	}
	s.running = nil
	s.coros = nil
}
