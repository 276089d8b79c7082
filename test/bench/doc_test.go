// Package bench writes the benchmark report, docs/benchmarks.md: what a delivery costs on
// each backend (in memory, a bbolt file, DynamoDB and SQS), in latency, throughput and, on
// DynamoDB, API calls and write units, each figure next to a floor measured in the same run
// (the least that kind of operation can cost on that backend).
//
// The scenarios, each on the three backends:
//
//  1. webhook ingest answered 202: one POST of a 1 KiB JSON body until its answer, with the
//     client's token cache warm (and once cold);
//  2. webhook ingest answered with a static response (WebhookOptions.RespondWith);
//  3. a manual round trip: the workflow answers each request with Request.RespondWith;
//  4. Client.ResumeHook until a step of the workflow holding the payload runs;
//  5. the same, +1 delivery to a run that already received N (warm: the worker holds the
//     run; cold: a new worker replays its history);
//  6. throughput of 1, 16 and 64 webhook senders into one hook and into 100 hooks, each
//     delivery checked to reach the workflow's history exactly once;
//  7. an open loop (memory and bbolt): 64 senders as fast as the 202s come back, and per
//     delivery the time from its 202 to the workflow code seeing it;
//  8. 16 concurrent ResumeHook callers into one hook.
//
// and, on DynamoDB, the end-to-end cost of one 1 KiB delivery (the webhook function, the
// SQS poller, the runner's turn) call by call, with its write units.
//
// TestReport runs them when HOOKFLOW_BENCH_REPORT=1 (`make bench` sets it, with a moto
// server at AWS_ENDPOINT_URL) and writes the report to HOOKFLOW_BENCH_OUT (default
// docs/benchmarks.md); HOOKFLOW_BENCH_QUICK=1 shrinks every size, HOOKFLOW_BENCH_FULL=1 adds
// N = 1,000 on DynamoDB (and 10,000 on an endpoint other than moto). TestReportQuick runs every scenario on the in-memory backend at a
// tiny size in `go test ./...`, and checks that the figures are sane (never their speed).
//
//	HOOKFLOW_BENCH_REPORT=1 HOOKFLOW_REQUIRE_AWS=1 AWS_ENDPOINT_URL=http://127.0.0.1:4566 \
//		go test -count=1 -timeout 30m -run TestReport -v ./test/bench/
package bench
