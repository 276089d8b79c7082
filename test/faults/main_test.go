package faults

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// stress is set by `make stress` (HOOKFLOW_STRESS=1): every cell of the matrix on every
// backend, instead of the bounded form.
var stress = os.Getenv("HOOKFLOW_STRESS") == "1"

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// Idle keep-alive connections of the SDK's HTTP client.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}
