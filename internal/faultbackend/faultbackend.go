// Package faultbackend wraps a backend.Backend to inject faults at its write, send and read
// points, for tests that prove hookflow recovers from a failure at every one of them.
//
// A Backend counts the calls of every point (CreateRun, Commit, PutInbox, TakeLease,
// ReleaseLease, Enqueue, Ack, the reads...) and fails the calls chosen by the faults it is
// armed with, in one of two modes:
//
//   - FailBefore: the call fails with the fault's error before it reaches the wrapped backend,
//     so nothing was written (a network error on the way out, a throttled request).
//   - CrashAfter: the call reaches the wrapped backend and succeeds there, then returns the
//     fault's error, as if the process had died right after the write landed: the caller
//     believes it failed although it took effect. Only write and send points have this mode.
//
// A test runs a scenario once without faults, reads Counts to learn every (point, N) the
// scenario reaches, then runs it again once per (point, N, mode) with that one fault armed:
//
//	fb := faultbackend.New(memory.New())
//	err := fb.Inject(faultbackend.Fault{Point: faultbackend.Commit, N: 3, Mode: faultbackend.CrashAfter})
//
// A Backend is safe for concurrent use; calls are numbered in the order they enter it.
package faultbackend

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
)

// Point names one method of the backend seam.
type Point string

// The points of the seam. WritePoints and ReadPoints list the ones a fault matrix enumerates;
// the others are counted too and accept faults.
const (
	CreateRun      Point = "CreateRun"
	GetRun         Point = "GetRun"
	ListRuns       Point = "ListRuns"
	ListEvents     Point = "ListEvents"
	Commit         Point = "Commit"
	PutInbox       Point = "PutInbox"
	RejectDelivery Point = "RejectDelivery"
	ListInbox      Point = "ListInbox"
	GetToken       Point = "GetToken"
	ListTokens     Point = "ListTokens"
	GetResponse    Point = "GetResponse"
	GetIdempotency Point = "GetIdempotency"
	TakeLease      Point = "TakeLease"
	ReleaseLease   Point = "ReleaseLease"
	DeleteRun      Point = "DeleteRun"
	ListDue        Point = "ListDue"
	Enqueue        Point = "Enqueue"
	Receive        Point = "Receive"
	Ack            Point = "Ack"
)

// WritePoints are the points that change state: a fault there may be FailBefore or
// CrashAfter.
var WritePoints = []Point{CreateRun, Commit, PutInbox, Enqueue, Ack, TakeLease, ReleaseLease, DeleteRun}

// ReadPoints are the reads on the paths of a turn (the run, its history, its inbox, the tokens
// it releases as it ends) and of a delivery (the token). Faults there are FailBefore only.
var ReadPoints = []Point{GetRun, ListEvents, ListInbox, ListTokens, GetToken}

// Writes reports whether p changes state, so that CrashAfter applies to it.
func (p Point) Writes() bool {
	return slices.Contains(WritePoints, p) || p == RejectDelivery
}

// Mode is when an injected fault strikes.
type Mode int

// Modes of a fault.
const (
	// FailBefore fails the call before it reaches the wrapped backend.
	FailBefore Mode = iota
	// CrashAfter makes the call on the wrapped backend, then returns the fault's error.
	CrashAfter
)

// String returns the mode's name: fail-before or crash-after.
func (m Mode) String() string {
	switch m {
	case FailBefore:
		return "fail-before"
	case CrashAfter:
		return "crash-after"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ErrInjected is the error of a fault without its own Err. Errors returned for a fault match
// it (or the fault's Err) with errors.Is.
var ErrInjected = errors.New("faultbackend: injected fault")

// Fault chooses calls to fail.
type Fault struct {
	Point Point
	// N is the 1-based number of the first call of Point to fail.
	N int
	// Times is how many calls fail from the N-th on: 0 means 1; negative means every call
	// from the N-th on (a backend that stopped).
	Times int
	Mode  Mode
	// Err is the error returned; default ErrInjected.
	Err error
}

// String describes the fault, e.g. "Commit #3 crash-after".
func (f Fault) String() string {
	s := fmt.Sprintf("%s #%d %s", f.Point, f.N, f.Mode)
	switch {
	case f.Times < 0:
		s += " (and every call after)"
	case f.Times > 1:
		s += fmt.Sprintf(" (%d calls)", f.Times)
	}
	return s
}

func (f Fault) validate() error {
	var errs []error
	if !slices.Contains(allPoints, f.Point) {
		errs = append(errs, fmt.Errorf("faultbackend: unknown point %q", f.Point))
	}
	if f.N < 1 {
		errs = append(errs, fmt.Errorf("faultbackend: %s: N is %d; calls are numbered from 1", f.Point, f.N))
	}
	if f.Mode != FailBefore && f.Mode != CrashAfter {
		errs = append(errs, fmt.Errorf("faultbackend: %s: unknown mode %d", f.Point, int(f.Mode)))
	}
	if f.Mode == CrashAfter && !f.Point.Writes() {
		errs = append(errs, fmt.Errorf("faultbackend: %s does not write: only FailBefore applies", f.Point))
	}
	return errors.Join(errs...)
}

// covers reports whether the n-th call of the fault's point fails.
func (f Fault) covers(n int) bool {
	if n < f.N {
		return false
	}
	return f.Times < 0 || n < f.N+max(f.Times, 1)
}

var allPoints = []Point{
	CreateRun, GetRun, ListRuns, ListEvents, Commit, PutInbox, RejectDelivery, ListInbox, GetToken, ListTokens,
	GetResponse, GetIdempotency, TakeLease, ReleaseLease, DeleteRun, ListDue, Enqueue, Receive, Ack,
}

// Fired records one call that an armed fault failed.
type Fired struct {
	Fault Fault
	Call  int // the number of the call of Fault.Point that failed
	// Detail names what the call was about (a run ID), for reports.
	Detail string
	At     time.Time
}

// Backend is a backend.Backend that counts the calls of every point and fails the calls its
// faults choose. The zero value is not usable; make one with New.
type Backend struct {
	inner backend.Backend

	mu     sync.Mutex
	counts map[Point]int
	faults []Fault
	fired  []Fired
}

var (
	_ backend.Backend     = (*Backend)(nil)
	_ backend.Clocked     = (*Backend)(nil)
	_ backend.SweepHinter = (*Backend)(nil)
)

// New returns a Backend that passes every call to inner, counting them, until a fault is
// injected.
func New(inner backend.Backend) *Backend {
	return &Backend{inner: inner, counts: map[Point]int{}}
}

// Inner returns the wrapped backend.
func (b *Backend) Inner() backend.Backend { return b.inner }

// Inject arms f. It refuses a fault that names an unknown point, a call number below 1, or
// CrashAfter on a point that does not write.
func (b *Backend) Inject(f Fault) error {
	if err := f.validate(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.faults = append(b.faults, f)
	return nil
}

// Reset disarms every fault and forgets the counts and the fired faults.
func (b *Backend) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.counts, b.faults, b.fired = map[Point]int{}, nil, nil
}

// Calls returns how many calls of p have entered the backend, failed ones included.
func (b *Backend) Calls(p Point) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.counts[p]
}

// Counts returns the number of calls of every point called so far.
func (b *Backend) Counts() map[Point]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.counts)
}

// Fired returns the calls that faults failed, in order.
func (b *Backend) Fired() []Fired {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.fired)
}

// enter numbers a call of p and returns the fault that strikes it, if any.
func (b *Backend) enter(p Point, detail string) (Fault, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.counts[p]++
	n := b.counts[p]
	for _, f := range b.faults {
		if f.Point == p && f.covers(n) {
			b.fired = append(b.fired, Fired{Fault: f, Call: n, Detail: detail, At: time.Now()})
			return f, true
		}
	}
	return Fault{}, false
}

// injected is the error a fault returns.
func injected(f Fault, p Point, detail string) error {
	cause := f.Err
	if cause == nil {
		cause = ErrInjected
	}
	what := "before the call"
	if f.Mode == CrashAfter {
		what = "after the write landed"
	}
	if detail != "" {
		return fmt.Errorf("faultbackend: %s (%s) failed %s: %w", p, detail, what, cause)
	}
	return fmt.Errorf("faultbackend: %s failed %s: %w", p, what, cause)
}

// Clock returns the wrapped backend's clock (backend.Clocked), so that code built on the
// wrapper shares a test's fake clock.
func (b *Backend) Clock() backend.Clock { return backend.ClockOf(b.inner) }

// SweepEvery passes on the wrapped backend's hint (backend.SweepHinter); zero when it has
// none, which leaves a worker's default.
func (b *Backend) SweepEvery() time.Duration {
	if h, ok := b.inner.(backend.SweepHinter); ok {
		return h.SweepEvery()
	}
	return 0
}

// Close closes the wrapped backend. It is not a point.
func (b *Backend) Close() error { return b.inner.Close() }
