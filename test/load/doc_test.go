// Package load drives hookflow hard and checks that nothing is lost or doubled: concurrent
// webhook requests and concurrent ResumeHook calls into one hook, many runs resumed at once,
// and a flood of deliveries into one run whose workflow receives in a loop, with its memory,
// turns and commits measured and logged.
//
// The concurrency tests run on the embedded backend (1,000 callers into one hook, 200 runs)
// and on the DynamoDB and SQS endpoint (a table and a queue per test; skipped without an
// endpoint unless HOOKFLOW_REQUIRE_AWS=1) with 200 callers or runs under HOOKFLOW_STRESS=1
// (`make stress`) and 50 otherwise. The flood runs on the embedded backend: 2,000
// deliveries under `go test`, 10,000 under HOOKFLOW_STRESS=1. The assertions are the
// ones that cannot flake (every delivery exactly once, completion within a generous bound);
// the figures are logged (go test -v):
//
//	go test ./test/load -run TestFlood -v
//	HOOKFLOW_STRESS=1 go test ./test/load -run TestFlood -v
package load
