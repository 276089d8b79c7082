// Package faults is hookflow's fault-injection matrix: a catalogue of scenarios (a hook
// resumed with idempotency keys, manual, static and 202 webhooks, retried steps and a timer, a
// run cancelled while it waits, hooks disposed while deliveries are in flight, a run that ends
// with deliveries in its inbox, a token disposed and claimed again; see scenarios*_test.go),
// each run once per fault that its calls to the backend can meet.
//
// A scenario first runs without faults, on a backend wrapped by internal/faultbackend, which
// counts the calls of every write and send point (CreateRun, Commit, PutInbox, Enqueue, Ack)
// and of the reads on the turn and delivery paths (GetRun, ListEvents, ListInbox, ListTokens,
// GetToken).
// Then, for every (point, N) that run reached and each mode (fail-before: the N-th call fails
// and writes nothing; crash-after: it lands and then reports an error, as if the process died
// right after), the scenario runs again on a fresh backend with that one fault armed, and
// recovers as production does: a caller that got an error retries the same call (Start with
// the same run ID, a resume or a webhook request with the same idempotency key), a wake
// message whose turn failed comes back after the visibility timeout, and the sweeper re-wakes
// due runs. After recovery every cell checks the same invariants (invariants_test.go): the run
// ended with the expected result, every delivery a caller saw accepted is in history once and
// none twice, every step completed once, every manual caller got exactly one answer, the run
// is not left due, and it holds no token.
//
// The matrix runs on the embedded backend (on a fake clock that jumps to the next due time
// when nothing else can happen, so a cell takes milliseconds) and on the DynamoDB and SQS
// endpoint (moto under `make test`; a table and a queue per cell; each cell's DynamoDB
// writes serialised, as moto needs). `go test` runs a bounded form: every cell on the
// embedded backend, and on the endpoint every baseline plus each (point, mode) once across
// the catalogue, at its middle call. HOOKFLOW_STRESS=1 (`make stress`) runs every cell on
// both. Without an endpoint the endpoint's half skips, unless HOOKFLOW_REQUIRE_AWS=1.
//
// A cell that cannot finish fails fast on the embedded backend (nothing queued, due or in
// flight means the run is stranded for good) and after a patience of 40 s on the endpoint.
// The test's log ends with a summary per backend: cells, failures, cells whose fault was
// not reached (a scenario's calls can vary with timing on the endpoint), and every failed
// cell with the invariants it broke.
//
// Reproduce one cell with its name, for example:
//
//	go test ./test/faults -run 'TestMatrix/memory/hook-idempotent/Commit-3-crash-after$' -v
//	HOOKFLOW_REQUIRE_AWS=1 AWS_ENDPOINT_URL=http://localhost:4566 \
//		go test ./test/faults -run 'TestMatrix/dynamodb/cancel-waiting/PutInbox-1-fail-before$' -v
//
// The baseline run and the cells' call numbers are computed fresh in each process, so a cell
// number means the same call as long as the engine's sequence of backend calls is unchanged.
package faults
