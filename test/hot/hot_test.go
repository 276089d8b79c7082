package hot

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Sizes: full under HOOKFLOW_STRESS=1 (make stress), bounded otherwise (make test).
func oneRunDeliveries() int {
	if stress {
		return 500
	}
	return 120
}

func manyRuns() int {
	if stress {
		return 100
	}
	return 24
}

const perRunOfMany = 5

// bound is how long a scenario may take before it counts as stalled: generous, so that a busy
// machine does not fail it, while a livelock or a wake left to the sweeper (not running here)
// does.
const bound = 10 * time.Minute

// oneRun plays the one-run scenario at K = 1, 4, 8 and 1 again on newRig, and checks its
// figures. K = 1 is measured before and after the others, and the time at K = 8 compared with
// the mean of the two: the emulator slows down as it runs (moto's memory grows), and a single
// K = 1 measured first would flatter it.
func oneRun(t *testing.T, newRig func(t *testing.T) rig) {
	n := oneRunDeliveries()
	var k1 []time.Duration
	var k8 time.Duration
	for _, k := range []int{1, 4, 8, 1} {
		s := scenario{runs: 1, perRun: n, k: k}
		o := play(t, newRig(t), s, bound)
		t.Logf("one run, %d deliveries, K = %d: %v", n, k, o)
		require.LessOrEqual(t, float64(o.stats.Conflicts), 0.05*float64(o.stats.Turns), "conflicting turns over 5%%: %v", o)
		require.LessOrEqual(t, float64(o.stats.IdleTurns), 0.10*float64(o.stats.Turns), "wasted turns over 10%%: %v", o)
		switch k {
		case 1:
			k1 = append(k1, o.took)
		case 8:
			k8 = o.took
		}
	}
	ratio := k8.Seconds() / ((k1[0] + k1[1]).Seconds() / 2)
	t.Logf("one run, %d deliveries: time at K = 8 is %.2f× the time at K = 1 (%v before, %v after)",
		n, ratio, k1[0].Round(time.Millisecond), k1[1].Round(time.Millisecond))
	if stress {
		require.LessOrEqual(t, ratio, 1.5, "K = 8 slower than 1.5× K = 1")
	}
}

// manyRunsAtOnce plays the many-run scenario at K = 1 and 8 on newRig, and checks its figures.
func manyRunsAtOnce(t *testing.T, newRig func(t *testing.T) rig) {
	runs := manyRuns()
	for _, k := range []int{1, 8} {
		s := scenario{runs: runs, perRun: perRunOfMany, k: k}
		o := play(t, newRig(t), s, bound)
		t.Logf("%d runs × %d deliveries, K = %d: %v; %.2f turns per delivery", runs, perRunOfMany, k, o, o.turnsPerDelivery(s))
		// Turns of different runs cannot conflict (versions and leases are per run): a
		// conflict is two runners on one run, after a lease lapsed because its renewal
		// waited behind the emulator's queue of writes for longer than the lease. They stay
		// as rare as on one hot run; the runs are not serialised behind each other.
		require.LessOrEqual(t, float64(o.stats.Conflicts), 0.05*float64(o.stats.Turns), "conflicting turns over 5%%: %v", o)
		require.LessOrEqual(t, o.turnsPerDelivery(s), 1.2, "turns per delivery: %v", o)
	}
}

func TestOneHotRunEmbedded(t *testing.T) {
	t.Parallel()
	oneRun(t, func(t *testing.T) rig { return newEmbedded(t) })
}

func TestManyRunsEmbedded(t *testing.T) {
	t.Parallel()
	manyRunsAtOnce(t, func(t *testing.T) rig { return newEmbedded(t) })
}

// Not parallel: it compares times, so it runs alone on the endpoint (go test starts the
// parallel tests of a package after its sequential ones; make stress runs packages one by one).
func TestOneHotRunLambda(t *testing.T) {
	oneRun(t, func(t *testing.T) rig { return newLambdas(t) })
}

func TestManyRunsLambda(t *testing.T) {
	t.Parallel()
	manyRunsAtOnce(t, func(t *testing.T) rig { return newLambdas(t) })
}
