package bench

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
)

// suite runs the scenarios on one backend kind, adding their rows to rp.
type suite struct {
	rp   *report
	kind string
	ae   *awstest.Env // DynamoDB only
	fl   *floors
	sz   sizes
}

// runAll runs every scenario on kind, each as a subtest (a failing one does not stop the
// others).
func runAll(t *testing.T, rp *report, kind string, ae *awstest.Env, sz sizes) {
	s := &suite{rp: rp, kind: kind, ae: ae, sz: sz}
	s.fl = newFloors(t, kind, ae, sz)
	for _, n := range s.fl.notes {
		rp.note("%s: %s.", kind, n)
	}
	if u := s.fl.usage; u != nil {
		rp.note("%s: the floor (%s) costs %s; %s.", kind, s.fl.names["ingest"], u.callsString(), u.unitsString())
	}
	t.Run("1-ingest-202", func(t *testing.T) { s.ingest(t, mode202) })
	t.Run("2-ingest-static", func(t *testing.T) { s.ingest(t, modeStatic) })
	t.Run("3-manual", s.manual)
	t.Run("4-resume-step", s.resumeToStep)
	for i, n := range sz.history[kind] {
		t.Run(fmt.Sprintf("5-after-%d", n), func(t *testing.T) { s.afterN(t, i, n) })
	}
	sub := 0
	for _, hooks := range sz.hookCounts {
		for _, senders := range sz.senders {
			t.Run(fmt.Sprintf("6-throughput-hooks-%d-senders-%d", hooks, senders), func(t *testing.T) { s.throughput(t, sub, senders, hooks) })
			sub++
		}
	}
	if kind != kindDynamoDB {
		t.Run("7-open-loop", s.openLoop)
	}
	t.Run("8-resumers", s.resumers)
	if kind == kindDynamoDB {
		t.Run("cost", s.cost)
	}
}

// TestReport writes the benchmark report (see the package documentation).
func TestReport(t *testing.T) {
	if os.Getenv(envReport) != "1" {
		t.Skipf("the benchmark report runs with %s=1 (make bench does it, with a moto server); "+
			"%s=1 shrinks it to a smoke run; TestReportQuick is its bounded form", envReport, envQuick)
	}
	sz := full()
	if os.Getenv(envQuick) == "1" {
		sz = quick()
	}
	began := time.Now()
	var ae *awstest.Env
	t.Run("endpoint", func(t *testing.T) { ae = awstest.Setup(t) })
	rp := &report{}
	kinds := []string{kindMemory, kindBbolt}
	if ae != nil {
		kinds = append(kinds, kindDynamoDB)
		sz = sz.withFull(ae.Moto())
	} else {
		rp.note("No AWS endpoint answered at AWS_ENDPOINT_URL: the dynamodb rows are missing.")
	}
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) { runAll(t, rp, kind, ae, sz) })
	}
	if t.Failed() {
		t.Fatal("a scenario failed: the report is not written")
	}
	doc := render(rp, describeRun(ae, sz, time.Since(began)))
	fmt.Println(doc)
	out := os.Getenv(envOut)
	if out == "" {
		out = defaultOut
	}
	require.NoError(t, os.WriteFile(out, []byte(doc), 0o644))
	t.Logf("report written to %s in %v", outPath(out), time.Since(began).Round(time.Second))
}

// TestReportQuick runs every scenario on the in-memory backend at a tiny size, and checks that
// the figures make sense: every delivery reaches its workflow exactly once (the scenarios
// check it), and every figure is positive with p50 <= p99. It never checks speed.
func TestReportQuick(t *testing.T) {
	rp := &report{}
	runAll(t, rp, kindMemory, nil, smoke())
	rows := rp.sorted()
	seen := map[int]bool{}
	for _, r := range rows {
		seen[r.scenario] = true
		require.Positive(t, r.n, "%s: operations measured", r.title)
		if r.lat != nil {
			require.Positive(t, r.lat.p99, "%s: p99", r.title)
			require.LessOrEqual(t, r.lat.p50, r.lat.p99, "%s: p50 <= p99", r.title)
		} else {
			require.Positive(t, r.rate, "%s: rate", r.title)
		}
		if r.scenario != 7 {
			require.NotNil(t, r.floor, "%s: floor", r.title)
			if r.floor.rate == 0 {
				require.Positive(t, r.floor.lat.p50, "%s: floor p50", r.title)
				require.LessOrEqual(t, r.floor.lat.p50, r.floor.lat.p99, "%s: floor p50 <= p99", r.title)
			}
		}
	}
	for sc := 1; sc <= 8; sc++ {
		require.True(t, seen[sc], "scenario %d has a row", sc)
	}
	doc := render(rp, describeRun(nil, smoke(), 0))
	require.Contains(t, doc, "| 1 | webhook ingest, 202 (warm token) | memory |")
	if testing.Verbose() {
		t.Log("\n" + rp.table())
	}
}

// runInfo is what the report's header says about the run.
type runInfo struct {
	commit, date, machine, goVersion, endpoint, mode, took string
}

func describeRun(ae *awstest.Env, sz sizes, took time.Duration) runInfo {
	ri := runInfo{
		commit:    gitCommit(),
		date:      time.Now().UTC().Format("2006-01-02 15:04 MST"),
		machine:   fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU()),
		goVersion: runtime.Version(),
		endpoint:  "none (the dynamodb rows are missing)",
		mode:      sz.mode,
		took:      took.Round(time.Second).String(),
	}
	if m := cpuModel(); m != "" {
		ri.machine += ", " + m
	}
	if ae != nil {
		ri.endpoint = ae.Kind + " at " + ae.Endpoint
		if ae.Moto() {
			ri.endpoint += " (its DynamoDB writes serialized in process: moto does not isolate transactions)"
		}
	}
	return ri
}

// gitCommit returns the short commit of the work tree, with "-dirty" when it has changes.
func gitCommit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	commit := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
		commit += "-dirty"
	}
	return commit
}

// cpuModel returns the first "model name" of /proc/cpuinfo, or "".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// render returns the report as markdown.
func render(rp *report, ri runInfo) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# Benchmarks\n\n")
	w("Written by `make bench` (`TestReport` in [test/bench](../test/bench)); do not edit it by hand.\n\n")
	w("| | |\n|---|---|\n")
	w("| commit | `%s` |\n| date | %s |\n| machine | %s |\n| Go | %s |\n| AWS endpoint | %s |\n| sizes | %s |\n| took | %s |\n\n",
		ri.commit, ri.date, ri.machine, ri.goVersion, ri.endpoint, ri.mode, ri.took)
	w("Reproduce with `make bench`, which starts moto, runs\n\n")
	w("```sh\nHOOKFLOW_BENCH_REPORT=1 HOOKFLOW_REQUIRE_AWS=1 AWS_ENDPOINT_URL=http://localhost:4566 \\\n")
	w("\tgo test -count=1 -timeout 30m -run TestReport -v ./test/bench/\n```\n\n")
	w("and then every `go test` benchmark (`go test -run '^$' -bench . -benchmem ./...`). ")
	w("`HOOKFLOW_BENCH_QUICK=1` shrinks every size (a smoke run of under a minute), `HOOKFLOW_BENCH_FULL=1` adds N = 1,000 on DynamoDB (and 10,000 on an endpoint other than moto: see the notes), ")
	w("`HOOKFLOW_BENCH_OUT` writes the report elsewhere.\n\n")

	w("## How to read it\n\n")
	w("- **Backends.** memory: `memory.New()`; bbolt: `memory.Open` on a file in a temporary directory (group commit, each write answered after its fsync); ")
	w("dynamodb: `pkg/backend/aws` on a local emulator. Its latencies are the emulator's (a Python server, milliseconds a call, no parallelism), not DynamoDB's: ")
	w("on DynamoDB read its rows for the calls and units, and for the ratio to the floor, which pays the same emulator.\n")
	w("- **The route.** memory and bbolt: `pkg/webhook`'s handler behind an `httptest` server, over loopback HTTP with keep-alive. ")
	w("dynamodb: the webhook Lambda's handler, `lambdafn.NewWebhookHandler`, called with API Gateway (HTTP API, payload 2.0) events, as the function runs.\n")
	w("- **Bodies** are 1 KiB of JSON (webhook bodies and hook payloads alike).\n")
	w("- **result**: p50 and p99 of operations made one at a time (nearest rank: with fewer than 100 of them, p99 is the slowest), ")
	w("or for throughput rows deliveries per second from the first send until the workflow code has seen the last (the notes give the rate the senders were answered at).\n")
	w("- **Resume rows** (4, 5, 8) time `Client.ResumeHook` until a step of the workflow holding the payload runs (4 sends the next one as soon as the step ran; ")
	w("5 waits for the turn to commit first, so each delivery finds the run parked). **Cold** rows start a new worker before each delivery: it has never seen the run and replays its history.\n")
	w("- **floor**: the least that kind of operation costs on that backend, measured in the same run at the same size or concurrency (see [Floors](#floors)); ")
	w("**× floor**: the result over the floor (p50 / p99), or for a rate the floor's rate over the result: how many times the floor's cost the engine pays.\n")
	w("- **AWS calls / op, DynamoDB units / op** (dynamodb rows): counted by `awstest.Meter` on separate, metered operations made one at a time ")
	w("(the timed ones are not metered: the meter reads every item it writes); WRU and RRU are computed from item sizes by the DynamoDB developer guide's rules, ")
	w("index write units apart. Some rows count one side only (their notes say which).\n")
	w("- Ingest rows (1, 2) run no worker: the inbox fills, and nothing competes with the route. Every other scenario runs a worker in process ")
	w("(`workflow.NewWorker(...).Run`, 8 turns at once), which on dynamodb receives its wakes from SQS.\n\n")

	w("## Results\n\n")
	w("%s\n", rp.table())
	if ct := rp.costTable(); ct != "" {
		w("## One 1 KiB webhook delivery on DynamoDB, end to end\n\n")
		w("What one delivery to a waiting run costs, call by call: the webhook function stores it, the runner's SQS event source mapping receives the wake, ")
		w("the runner function's turn takes it into the run's history (the workflow only receives it: no step), and the mapping deletes the wake. ")
		w("The calls are those of one delivery with a warm runner (the run parked in its memory since its last turn); the totals are the means over the ")
		w("deliveries measured, warm and with a new runner each (a cold Lambda execution environment, which replays the run's history). ")
		w("Items are named by their key prefixes (`RUN#…/INB#…` is an inbox item, `RUN#…/EVT#…` a history event, `TOKEN#…/META` a hook's token record), updates by the attributes they name.\n\n")
		w("%s\n", ct)
	}
	w("## Floors\n\n")
	w("- memory: ingest, an HTTP POST of the body to a handler that reads it and answers 202 (the HTTP overhead); resume, a handoff to a goroutine and back.\n")
	w("- bbolt: ingest, the same POST to a handler that also puts the body in a bbolt file of its own, in one `Update` (one fsync); resume, that `Update` alone. ")
	w("At concurrency, each of the senders makes its own `Update`, so the engine's group commit can beat the floor (× floor below 1).\n")
	w("- dynamodb: one `TransactWriteItems` of a `ConditionCheck` (the webhook's token record exists) and a `Put` of an item the size of a stored 1 KiB request, ")
	w("then one SQS `SendMessage`: the write and the wake a delivery needs. It is the floor of ingest and of resume alike.\n")
	w("- open loop: no floor (the figure is a queueing delay).\n\n")
	if len(rp.notes) > 0 {
		w("## Notes\n\n")
		for _, n := range rp.notes {
			w("- %s\n", n)
		}
		w("\n")
	}
	return b.String()
}

// outPath returns the report's path for messages: absolute when it can be.
func outPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}
