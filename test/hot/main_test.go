package hot

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// stress is set by `make stress` (HOOKFLOW_STRESS=1): the scenarios at full size.
var stress = os.Getenv("HOOKFLOW_STRESS") == "1"

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// Idle keep-alive connections of the SDK's HTTP clients.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}
