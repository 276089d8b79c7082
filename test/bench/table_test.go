package bench

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// row is one line of the report's table: a scenario's figure on one backend.
type row struct {
	scenario int    // 1-8, the order of the table
	sub      int    // the variant's order within the scenario
	title    string // "webhook ingest, 202 (warm token)"
	kind     string

	lat     *latency // a latency row
	rate    float64  // a throughput row: operations per second
	n       int      // operations measured
	floor   *floorFig
	usage   *perOp // DynamoDB: the calls and units of one operation
	notes   string
	noFloor string // why the row has no floor
}

// floorFig is a floor as a row shows it.
type floorFig struct {
	name string
	lat  latency
	rate float64
}

func (f *floorFig) String() string {
	if f.rate > 0 {
		return fmtRate(f.rate) + " (" + f.name + ")"
	}
	return f.lat.String() + " (" + f.name + ")"
}

// result prints the row's figure.
func (r row) result() string {
	if r.lat != nil {
		return r.lat.String()
	}
	return fmtRate(r.rate)
}

// ratio prints how many times the floor's cost the row's figure is: latencies divided (p50
// and p99), or for a throughput the floor's rate divided by the row's.
func (r row) ratio() string {
	switch {
	case r.floor == nil:
		return "—"
	case r.lat != nil && r.floor.lat.p50 > 0:
		return "×" + fmtRatio(float64(r.lat.p50)/float64(r.floor.lat.p50)) +
			" / ×" + fmtRatio(float64(r.lat.p99)/float64(r.floor.lat.p99))
	case r.rate > 0 && r.floor.rate > 0:
		return "×" + fmtRatio(r.floor.rate/r.rate)
	}
	return "—"
}

func fmtRatio(v float64) string {
	switch {
	case v >= 10:
		return fmt.Sprintf("%.0f", v)
	case v >= 1:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// costLine is one call of the end-to-end cost breakdown, or a total.
type costLine struct {
	phase, call, what string
	wru, iwru, rru    float64
}

// report collects the figures of a run and renders them as markdown.
type report struct {
	mu     sync.Mutex
	rows   []row
	cost   []costLine // the end-to-end cost of one delivery on DynamoDB, call by call
	totals []costLine // its totals
	notes  []string   // observations made while measuring
}

func (rp *report) add(r row) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	rp.rows = append(rp.rows, r)
}

func (rp *report) note(format string, args ...any) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	rp.notes = append(rp.notes, fmt.Sprintf(format, args...))
}

var kindOrder = map[string]int{kindMemory: 0, kindBbolt: 1, kindDynamoDB: 2}

// sorted returns the rows by scenario, variant and backend.
func (rp *report) sorted() []row {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	rows := slices.Clone(rp.rows)
	slices.SortStableFunc(rows, func(a, b row) int {
		if a.scenario != b.scenario {
			return a.scenario - b.scenario
		}
		if a.sub != b.sub {
			return a.sub - b.sub
		}
		return kindOrder[a.kind] - kindOrder[b.kind]
	})
	return rows
}

// table renders the main table.
func (rp *report) table() string {
	var b strings.Builder
	b.WriteString("| # | scenario | backend | result | floor (same run) | × floor | AWS calls / op | DynamoDB units / op | n | notes |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rp.sorted() {
		floor := "—"
		if r.floor != nil {
			floor = r.floor.String()
		} else if r.noFloor != "" {
			floor = r.noFloor
		}
		calls, units := "", ""
		if r.usage != nil {
			calls, units = r.usage.callsString(), r.usage.unitsString()
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.scenario, r.title, r.kind, r.result(), floor, r.ratio(), calls, units, thousands(int64(r.n)), r.notes)
	}
	return b.String()
}

// costTable renders the end-to-end cost breakdown, or "" when it was not measured.
func (rp *report) costTable() string {
	if len(rp.cost) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("| phase | call | item(s) | write units | index write units | read units |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, c := range rp.cost {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", c.phase, c.call, c.what, num(c.wru), num(c.iwru), num(c.rru))
	}
	for _, c := range rp.totals {
		fmt.Fprintf(&b, "| **%s** | %s | %s | **%s** | **%s** | %s |\n", c.phase, c.call, c.what, num(c.wru), num(c.iwru), num(c.rru))
	}
	return b.String()
}
