package backendtest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// subtest is one conformance check. It gets a fresh backend of its own.
type subtest struct {
	name string
	fn   func(t *testing.T, b backend.Backend)
}

// Run runs the conformance suite. newBackend returns a fresh, empty backend for one subtest
// (and arranges its cleanup with t.Cleanup); its wake queue's visibility timeout must be at
// most 2 seconds so that redelivery can be tested.
func Run(t *testing.T, newBackend func(t *testing.T) backend.Backend) {
	groups := []struct {
		name  string
		tests []subtest
	}{
		{"Run", runTests()},
		{"RunList", runListTests()},
		{"Events", eventTests()},
		{"Commit", commitTests()},
		{"Tokens", tokenTests()},
		{"Inbox", inboxTests()},
		{"Rejections", rejectionTests()},
		{"Idempotency", idempotencyTests()},
		{"Responses", responseTests()},
		{"Due", dueTests()},
		{"Stuck", stuckTests()},
		{"DeleteRun", deleteRunTests()},
		{"Lease", leaseTests()},
		{"Limits", limitTests()},
		{"Attachments", attachmentTests()},
		{"Queue", queueTests()},
		{"Concurrency", concurrencyTests()},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, st := range g.tests {
				t.Run(st.name, func(t *testing.T) {
					t.Parallel()
					b := newBackend(t)
					require.NotNil(t, b, "newBackend returned nil")
					st.fn(t, b)
				})
			}
		})
	}
}
