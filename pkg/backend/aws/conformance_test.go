package aws_test

import (
	"testing"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/backend/backendtest"
)

// TestConformance runs the backend conformance suite against the AWS endpoint, each subtest
// on a table and queue of its own.
func TestConformance(t *testing.T) {
	t.Parallel()
	setup(t)
	backendtest.Run(t, func(t *testing.T) backend.Backend {
		return newBundle(t).b
	})
}
