// Package backendtest is the conformance suite for drivers of [backend.Backend]: the
// executable form of the contract written in the comments of package backend. Every driver
// (pkg/backend/memory, pkg/backend/aws, ...) must pass it.
//
// A driver runs the suite from one test of its own package. [Run] calls the constructor once
// per subtest, so each subtest gets a fresh, empty backend; the constructor registers the
// backend's cleanup with t.Cleanup. The wake queue's visibility timeout must be at most two
// seconds (the redelivery test waits for it), and should be at least a tenth of a second:
//
//	package memory_test
//
//	import (
//		"testing"
//		"time"
//
//		"github.com/hookflow/hookflow/pkg/backend"
//		"github.com/hookflow/hookflow/pkg/backend/backendtest"
//		"github.com/hookflow/hookflow/pkg/backend/memory"
//	)
//
//	func TestConformance(t *testing.T) {
//		backendtest.Run(t, func(t *testing.T) backend.Backend {
//			b := memory.New(memory.WithVisibilityTimeout(time.Second))
//			t.Cleanup(func() { _ = b.Close() })
//			return b
//		})
//	}
//
// Run it with the race detector: go test -race ./pkg/backend/...
//
// The subtests are grouped by concept (Run, Events, Commit, Tokens, Inbox, Idempotency,
// Responses, Due, Stuck, Lease, Limits, Attachments, Queue, Concurrency) and all run in
// parallel; select some with -run, for example -run 'TestConformance/Tokens/'. The queue tests
// wait on real time and dominate the run time of an in-memory driver (a few seconds); the
// Limits tests write records near DynamoDB's 400 KB limit and commits of hundreds of events
// and inbox deletes, which dominate on an emulator. The others write only a few records each.
//
// What the suite assumes of a driver, beyond the contract:
//
//   - Times keep at least millisecond precision; the suite feeds UTC times truncated to the
//     millisecond (but for one lease expiry, which TakeLease must truncate itself) and
//     compares at that precision, in any location. ExpiresAt hints are fed in whole seconds
//     so that they may be kept as a TTL in epoch seconds. A zero time (DueAt never) must come
//     back zero.
//   - JSON values may be re-encoded: they are compared semantically, and an absent value
//     (nil, empty or JSON null) matches any absent value.
//   - A driver sizes records as DynamoDB does (attribute names and values) with attribute
//     names and keys of its own: the Limits tests leave it 8 KiB of each record (a record whose
//     values come to backend.MaxItemBytes less 8 KiB must fit, with short IDs) and count on
//     the values alone to go over (a record whose values exceed backend.MaxItemBytes must not).
//   - IDs, tokens, keys and delivery IDs are unique to each subtest, so a driver may share one
//     table between backends. ListDue and ListTokens("") results are then filtered to the
//     subtest's own records. A shared queue is tolerated too: queue tests look only at their
//     own runs' messages, acknowledge stray messages of subtests that have finished, and leave
//     those of running subtests to be redelivered.
package backendtest
