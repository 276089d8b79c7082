package bench

import (
	"os"
	"time"
)

// Environment variables of the report.
const (
	envReport = "HOOKFLOW_BENCH_REPORT" // 1: TestReport runs
	envQuick  = "HOOKFLOW_BENCH_QUICK"  // 1: every size shrunk, for a smoke run
	envFull   = "HOOKFLOW_BENCH_FULL"   // 1: larger histories on DynamoDB (sizes.withFull)
	envOut    = "HOOKFLOW_BENCH_OUT"    // where the report goes; default defaultOut
)

// defaultOut is the report's path, relative to this package's directory.
const defaultOut = "../../docs/benchmarks.md"

// Backend kinds.
const (
	kindMemory   = "memory"
	kindBbolt    = "bbolt"
	kindDynamoDB = "dynamodb"
)

// perKind is a size for each backend kind.
type perKind struct{ memory, bbolt, dynamodb int }

func (p perKind) of(kind string) int {
	switch kind {
	case kindMemory:
		return p.memory
	case kindBbolt:
		return p.bbolt
	default:
		return p.dynamodb
	}
}

// sizes are the sizes of every scenario.
type sizes struct {
	mode string // "full", "quick", "smoke"

	ingest    perKind // sequential deliveries timed, per webhook mode
	coldToken perKind // deliveries with a fresh client each
	metered   int     // sequential deliveries metered on DynamoDB (per figure)
	manual    perKind // manual round trips
	resume    perKind // resume → step round trips

	history    map[string][]int // N of "+1 delivery after N", per kind
	warmAfterN perKind          // +1 deliveries timed, warm, per N
	coldAfterN perKind          // +1 deliveries timed, cold (a new worker each), per N

	senders    []int   // concurrent senders of the throughput scenario
	hookCounts []int   // 1 hook, and deliveries spread over this many
	throughput perKind // deliveries per throughput configuration

	openLoop        time.Duration // how long the open loop sends
	openLoopSenders int

	resumers      int     // concurrent ResumeHook callers
	resumerTotals perKind // deliveries they make

	costSamples int // end-to-end metered deliveries on DynamoDB

	warmup int // untimed operations before each timed series
}

// full are the sizes of the report `make bench` writes: about 5 minutes on a 2-core machine
// with moto.
func full() sizes {
	s := sizes{
		mode:      "full",
		ingest:    perKind{2000, 500, 100},
		coldToken: perKind{300, 100, 30},
		metered:   10,
		manual:    perKind{1000, 300, 30},
		resume:    perKind{1000, 300, 50},
		history: map[string][]int{
			kindMemory: {100, 1_000, 10_000}, kindBbolt: {100, 1_000, 10_000}, kindDynamoDB: {100},
		},
		warmAfterN:      perKind{200, 100, 20},
		coldAfterN:      perKind{10, 10, 5},
		senders:         []int{1, 16, 64},
		hookCounts:      []int{1, 100},
		throughput:      perKind{20_000, 5_000, 200},
		openLoop:        3 * time.Second,
		openLoopSenders: 64,
		resumers:        16,
		resumerTotals:   perKind{20_000, 5_000, 200},
		costSamples:     5,
		warmup:          5,
	}
	return s
}

// withFull adds the large histories on DynamoDB when HOOKFLOW_BENCH_FULL=1: N = 1,000, and
// N = 10,000 unless the endpoint is moto. moto copies the whole table for every item of a
// TransactWriteItems (about 30 µs per item of the table, per item of the transaction, on a
// 2-core machine), and its memory grows with every copy: a history of 1,000 deliveries takes
// it many minutes and gigabytes.
func (s sizes) withFull(moto bool) sizes {
	if os.Getenv(envFull) != "1" {
		return s
	}
	h := map[string][]int{}
	for k, v := range s.history {
		h[k] = v
	}
	h[kindDynamoDB] = append(h[kindDynamoDB], 1_000)
	if !moto {
		h[kindDynamoDB] = append(h[kindDynamoDB], 10_000)
	}
	s.history = h
	return s
}

// quick are the sizes of HOOKFLOW_BENCH_QUICK=1: every scenario, in under a minute.
func quick() sizes {
	return sizes{
		mode:      "quick",
		ingest:    perKind{200, 50, 10},
		coldToken: perKind{20, 10, 5},
		metered:   3,
		manual:    perKind{50, 20, 5},
		resume:    perKind{50, 20, 5},
		history: map[string][]int{
			kindMemory: {100, 1_000}, kindBbolt: {100}, kindDynamoDB: {50},
		},
		warmAfterN:      perKind{20, 10, 3},
		coldAfterN:      perKind{3, 3, 2},
		senders:         []int{1, 16, 64},
		hookCounts:      []int{1, 10},
		throughput:      perKind{1000, 300, 30},
		openLoop:        500 * time.Millisecond,
		openLoopSenders: 64,
		resumers:        16,
		resumerTotals:   perKind{1000, 300, 32},
		costSamples:     2,
		warmup:          3,
	}
}

// smoke are the sizes of TestReportQuick: memory only, a few seconds under the race detector.
func smoke() sizes {
	s := quick()
	s.mode = "smoke"
	s.ingest = perKind{memory: 30}
	s.coldToken = perKind{memory: 5}
	s.manual = perKind{memory: 10}
	s.resume = perKind{memory: 10}
	s.history = map[string][]int{kindMemory: {20}}
	s.warmAfterN = perKind{memory: 5}
	s.coldAfterN = perKind{memory: 2}
	s.throughput = perKind{memory: 200}
	s.openLoop = 200 * time.Millisecond
	s.openLoopSenders = 16
	s.resumerTotals = perKind{memory: 200}
	s.warmup = 2
	return s
}
