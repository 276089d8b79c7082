package faults

import (
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/faultbackend"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
)

// points are the calls the matrix fails, in the order it reports them.
var points = append(slices.Clone(faultbackend.WritePoints), faultbackend.ReadPoints...)

// TestMatrix runs every scenario of the catalogue once without faults, then once per
// (point, N, mode) that run reached, on each backend, checking the invariants after each.
//
// Cells run as subtests started from goroutines, bounded by a pool per backend rather than
// by -parallel (whose default, GOMAXPROCS, suits neither): the embedded backend's cells are
// short and many, the endpoint's wait on an emulator that serves about one request at a
// time, and both must fit the package's time budget under a plain `go test`.
func TestMatrix(t *testing.T) {
	for _, kind := range []string{kindMemory, kindDynamoDB} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			if kind == kindDynamoDB {
				awstest.Setup(t) // skips, or fails under HOOKFLOW_REQUIRE_AWS=1, without an endpoint
			}
			m := &matrix{
				kind: kind, pool: make(chan struct{}, poolSize(kind)),
				counts: map[string]map[faultbackend.Point]int{}, took: map[string]time.Duration{},
			}
			began := time.Now()
			var wg sync.WaitGroup
			for i, sc := range catalogue {
				wg.Go(func() { t.Run(sc.name, func(t *testing.T) { m.scenario(t, i, sc) }) })
			}
			wg.Wait()
			t.Logf("%s matrix (%s form) in %v:\n%s", kind, form(), time.Since(began).Round(time.Millisecond), m.report())
		})
	}
}

// poolSize is how many cells of a backend run at once. On moto, more than four in flight
// only slows every one of them down (measured: the bounded form takes as long with two as
// with four, and twice as long with eight).
func poolSize(kind string) int {
	if kind == kindMemory {
		return 8 * runtime.GOMAXPROCS(0)
	}
	return 4
}

// form names the matrix's form, for the summary.
func form() string {
	if stress {
		return "full"
	}
	return "bounded"
}

// matrix runs the cells of one backend and collects their outcomes.
type matrix struct {
	kind string
	pool chan struct{}

	mu       sync.Mutex
	outcomes []outcome
	counts   map[string]map[faultbackend.Point]int // scenario: baseline counts
	took     map[string]time.Duration
}

// outcome is what one cell did.
type outcome struct {
	scenario, cell string
	fired, passed  bool
	violations     []string
}

// cell is one fault of the matrix.
type cell struct{ fault faultbackend.Fault }

func (c cell) name() string { return fmt.Sprintf("%s-%d-%s", c.fault.Point, c.fault.N, c.fault.Mode) }

// scenario runs the baseline of sc, then its cells.
func (m *matrix) scenario(t *testing.T, i int, sc scenario) {
	began := time.Now()
	// The baseline runs in the scenario's own test, not a subtest, so that -run selecting
	// one cell still plans the cells from it. A scenario that fails without faults stops here.
	h := m.newCell(t, sc, "baseline", nil)
	baselineOK := false
	defer func() {
		if !baselineOK {
			h.mu.Lock()
			m.record(outcome{scenario: sc.name, cell: "baseline", fired: true, violations: slices.Clone(h.violations)})
			h.mu.Unlock()
		}
	}()
	func() {
		m.pool <- struct{}{}
		defer func() { <-m.pool }()
		h.play(sc)
	}()
	baselineOK = true
	counts := h.fb.Counts()
	m.mu.Lock()
	m.counts[sc.name] = counts
	m.mu.Unlock()

	if m.kind == kindDynamoDB && sc.baselineOnlyOnEndpoint {
		t.Logf("%s: baseline only on the endpoint (see scenario.baselineOnlyOnEndpoint)", sc.name)
		m.mu.Lock()
		m.took[sc.name] = time.Since(began)
		m.mu.Unlock()
		return
	}
	var wg sync.WaitGroup
	for _, c := range plan(m.kind, i, counts) {
		m.pool <- struct{}{}
		wg.Go(func() {
			defer func() { <-m.pool }()
			var h *harness
			passed := t.Run(c.name(), func(t *testing.T) {
				h = m.newCell(t, sc, c.name(), &c.fault)
				h.play(sc)
			})
			if h == nil && passed {
				return // not selected by -run
			}
			o := outcome{scenario: sc.name, cell: c.name(), passed: passed}
			if h != nil {
				o.fired = len(h.fb.Fired()) > 0
				h.mu.Lock()
				o.violations = slices.Clone(h.violations)
				h.mu.Unlock()
			}
			m.record(o)
		})
	}
	wg.Wait()
	m.mu.Lock()
	m.took[sc.name] = time.Since(began)
	m.mu.Unlock()
}

// newCell returns a harness on a fresh backend of the matrix's kind, with fault armed when
// not nil.
func (m *matrix) newCell(t *testing.T, sc scenario, cellName string, fault *faultbackend.Fault) *harness {
	h := newHarness(t, newStore(t, m.kind), sanitize(sc.name+"-"+cellName))
	if fault != nil {
		if err := h.fb.Inject(*fault); err != nil {
			t.Fatal(err)
		}
		h.armed = true
	}
	return h
}

// play runs sc, lets the system settle and checks the invariants.
func (h *harness) play(sc scenario) {
	h.t.Helper()
	defer func() {
		fired := h.fb.Fired()
		switch {
		case !h.armed:
		case len(fired) == 0 && !h.t.Failed():
			h.t.Log("the fault was not reached in this run (the scenario's calls vary with timing)")
		case len(fired) > 0:
			h.t.Logf("fault fired at %s call %d (%s); %d turns failed", fired[0].Fault.Point, fired[0].Call, fired[0].Detail, h.failedTurns())
		}
	}()
	sc.play(h)
	h.settle()
	h.checkInvariants()
}

func (m *matrix) record(o outcome) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.outcomes = append(m.outcomes, o)
}

// plan lists the cells of the scenario at index i of the catalogue, whose baseline made
// counts calls: every point, call number and mode. The bounded form on the endpoint, which
// is slow and shared by every test running at the same time, tries each (point, mode) once
// across the catalogue instead, dealt round robin to the scenarios, at the middle call.
func plan(kind string, i int, counts map[faultbackend.Point]int) []cell {
	bounded := kind == kindDynamoDB && !stress
	// The scenarios that run cells on the endpoint take the deal; seat is i's place among them.
	seat, seats := 0, 0
	for j, sc := range catalogue {
		if sc.baselineOnlyOnEndpoint {
			continue
		}
		if j < i {
			seat++
		}
		seats++
	}
	var cells []cell
	k := 0 // the (point, mode) pair's number, for dealing
	for _, p := range points {
		modes := []faultbackend.Mode{faultbackend.FailBefore}
		if p.Writes() {
			modes = append(modes, faultbackend.CrashAfter)
		}
		for _, mode := range modes {
			k++
			switch {
			case counts[p] == 0:
			case bounded && (k-1)%seats == seat:
				cells = append(cells, cell{faultbackend.Fault{Point: p, N: (counts[p] + 1) / 2, Mode: mode}})
			case !bounded:
				for n := 1; n <= counts[p]; n++ {
					cells = append(cells, cell{faultbackend.Fault{Point: p, N: n, Mode: mode}})
				}
			}
		}
	}
	return cells
}

// report summarises the matrix: per scenario its baseline counts, cells and failures, then
// every failed cell with the invariants it broke.
func (m *matrix) report() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var sb strings.Builder
	total, failed, unreached := 0, 0, 0
	byScenario := map[string][]outcome{}
	for _, o := range m.outcomes {
		byScenario[o.scenario] = append(byScenario[o.scenario], o)
	}
	for _, sc := range catalogue {
		os := byScenario[sc.name]
		if _, ran := m.took[sc.name]; !ran && len(os) == 0 {
			continue // not selected by -run
		}
		f, u := 0, 0
		for _, o := range os {
			if !o.passed {
				f++
			} else if !o.fired {
				u++
			}
		}
		total, failed, unreached = total+len(os), failed+f, unreached+u
		fmt.Fprintf(&sb, "  %-18s %4d cells  %3d failed  %3d not reached  %8v  baseline calls: %s\n",
			sc.name, len(os), f, u, m.took[sc.name].Round(time.Millisecond), formatCounts(m.counts[sc.name]))
	}
	fmt.Fprintf(&sb, "  total: %d cells, %d failed, %d not reached\n", total, failed, unreached)
	slices.SortFunc(m.outcomes, func(a, b outcome) int { return strings.Compare(a.scenario+"/"+a.cell, b.scenario+"/"+b.cell) })
	for _, o := range m.outcomes {
		if o.passed {
			continue
		}
		what := "see the cell's log"
		if len(o.violations) > 0 {
			what = strings.Join(o.violations, "; ")
		}
		fmt.Fprintf(&sb, "  FAIL %s/%s/%s: %s\n", m.kind, o.scenario, o.cell, what)
	}
	return sb.String()
}

func formatCounts(c map[faultbackend.Point]int) string {
	var parts []string
	for _, p := range slices.Sorted(maps.Keys(c)) {
		if slices.Contains(points, p) {
			parts = append(parts, fmt.Sprintf("%s=%d", p, c[p]))
		}
	}
	return strings.Join(parts, " ")
}

// sanitize makes a cell's name usable in run IDs and tokens.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, s)
}
