package engine

import "sync/atomic"

// Stats counts what an engine did since it was made. The load tests read it to show how many
// turns a workload cost and how many were wasted; hosts may log it.
type Stats struct {
	// Wakes is how many wakes the engine handled (Drive calls).
	Wakes int64
	// Coalesced is how many of them needed no turn of their own: another runner held the run
	// (and drains what the wake announced), or the run had nothing to do.
	Coalesced int64
	// Turns is how many turns ran the workflow (attempts, including those that lost a race).
	Turns int64
	// Conflicts is how many turn attempts lost a race with another runner's commit.
	Conflicts int64
	// IdleTurns is how many turns committed no event: they found nothing to do.
	IdleTurns int64
	// Replays is how many turns replayed the history from the start (no warm executor).
	Replays int64
	// CatchUps is how many turns brought a warm executor up to date from the events after its
	// version instead of replaying from the start.
	CatchUps int64
	// Commits is how many commits the engine sent (each chunk of a large one counts).
	Commits int64
	// Events is how many events those commits appended.
	Events int64
}

// counters is the engine's live Stats.
type counters struct {
	wakes, coalesced, turns, conflicts, idle, replays, catchUps, commits, events atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Wakes: c.wakes.Load(), Coalesced: c.coalesced.Load(), Turns: c.turns.Load(),
		Conflicts: c.conflicts.Load(), IdleTurns: c.idle.Load(), Replays: c.replays.Load(),
		CatchUps: c.catchUps.Load(), Commits: c.commits.Load(), Events: c.events.Load(),
	}
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats { return e.stats.snapshot() }
