// Package hot checks that hot runs scale: one long-lived run receiving a stream of webhook
// deliveries from many senders, and many runs receiving a few each, handled by K runners at
// once, as Lambda's SQS poller runs K runner invocations.
//
// On the DynamoDB and SQS endpoint, each runner is a lambdafn.Runner of its own (its own
// engine, warm cache and lease owner) fed by a poller that receives batches of up to 10 wake
// messages, calls HandleSQS with a deadline and deletes what it did not report as failed;
// senders call the webhook Lambda handler with API Gateway events. On the embedded backend,
// K workers share one store. Every test checks that each delivery reaches history exactly
// once and that nothing stalls, and counts, over all runners, the turns, the turns that lost
// a race (conflicts), the turns that found nothing to do (wasted) and the commits:
//
//   - one run, 500 deliveries of 1 KiB from 16 senders, K = 1, 4, 8 and 1 again: conflicts at
//     most 5 % and wasted turns at most 10 % of turns, and the time at K = 8 at most 1.5 times
//     the mean time at K = 1 (asserted at full size; logged in the bounded form);
//   - 100 runs × 5 deliveries, K = 1 and 8: conflicts (only ever between two runners of one
//     run, after a lapsed lease) at most 5 % of turns, at most 1.2 turns per delivery (the first
//     turn of each run included).
//
// `make test` runs the bounded form (fewer deliveries and runs); `make stress`
// (HOOKFLOW_STRESS=1) the full size. The figures are logged (go test -v):
//
//	HOOKFLOW_STRESS=1 go test ./test/hot -v -timeout 30m
package hot
