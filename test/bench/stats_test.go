package bench

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
)

// latency summarizes a series of timed operations.
type latency struct {
	n        int
	p50, p99 time.Duration
}

// summarize returns the nearest-rank percentiles of ds (which it sorts).
func summarize(ds []time.Duration) latency {
	if len(ds) == 0 {
		return latency{}
	}
	slices.Sort(ds)
	return latency{n: len(ds), p50: percentile(ds, 50), p99: percentile(ds, 99)}
}

// percentile returns the nearest-rank p-th percentile of sorted ds.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func (l latency) String() string {
	return "p50 " + fmtDur(l.p50) + " · p99 " + fmtDur(l.p99)
}

// fmtDur prints a duration with three significant digits in a unit that suits it.
func fmtDur(d time.Duration) string {
	neg := ""
	if d < 0 {
		neg, d = "−", -d
	}
	switch {
	case d < time.Millisecond:
		return neg + sig3(float64(d)/float64(time.Microsecond)) + " µs"
	case d < time.Second:
		return neg + sig3(float64(d)/float64(time.Millisecond)) + " ms"
	default:
		return neg + sig3(d.Seconds()) + " s"
	}
}

// sig3 prints v with three significant digits (no exponent).
func sig3(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// fmtRate prints a rate per second with thousands separators.
func fmtRate(perSecond float64) string {
	if perSecond < 100 {
		return sig3(perSecond) + " /s"
	}
	return thousands(int64(math.Round(perSecond))) + " /s"
}

// thousands prints n with commas.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// perOp is the AWS usage of one operation: metered totals divided by the operations.
type perOp struct {
	ops   int
	calls map[string]float64 // by "Service.Operation"
	wru   float64            // base table write units
	iwru  float64            // index write units
	rru   float64            // read units
}

// divide returns u as the usage of each of n operations.
func divide(u awstest.Usage, n int) *perOp {
	p := &perOp{ops: n, calls: map[string]float64{}}
	for op, c := range u.Calls {
		p.calls[op] = float64(c) / float64(n)
	}
	p.wru, p.iwru, p.rru = u.WriteUnits/float64(n), u.IndexWriteUnits/float64(n), u.ReadUnits/float64(n)
	return p
}

// addUsage returns a + b.
func addUsage(a, b awstest.Usage) awstest.Usage {
	s := awstest.Usage{Calls: map[string]int{}}
	for op, n := range a.Calls {
		s.Calls[op] += n
	}
	for op, n := range b.Calls {
		s.Calls[op] += n
	}
	s.WriteUnits = a.WriteUnits + b.WriteUnits
	s.IndexWriteUnits = a.IndexWriteUnits + b.IndexWriteUnits
	s.ReadUnits = a.ReadUnits + b.ReadUnits
	return s
}

// callsString prints the calls of one operation, DynamoDB's first: "TransactWriteItems 1,
// GetItem 1 · SendMessage 1".
func (p *perOp) callsString() string {
	if p == nil {
		return ""
	}
	ops := make([]string, 0, len(p.calls))
	for op := range p.calls {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var parts []string
	total := 0.0
	for _, op := range ops {
		_, name, _ := strings.Cut(op, ".")
		parts = append(parts, name+" "+num(p.calls[op]))
		total += p.calls[op]
	}
	if len(parts) == 0 {
		return "none"
	}
	return num(total) + ": " + strings.Join(parts, ", ")
}

// unitsString prints the units of one operation: "4 WRU (+1 index), 0.5 RRU".
func (p *perOp) unitsString() string {
	if p == nil {
		return ""
	}
	s := num(p.wru) + " WRU"
	if p.iwru != 0 {
		s += " (+" + num(p.iwru) + " index)"
	}
	if p.rru != 0 {
		s += ", " + num(p.rru) + " RRU"
	}
	return s
}

// num prints a count that is usually whole: 3, 1.5, 0.33.
func num(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}

// ptr returns a pointer to a copy of l.
func ptr(l latency) *latency { return &l }
