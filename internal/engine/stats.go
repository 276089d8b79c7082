package engine

import "sync/atomic"

// Stats counts what an engine did since it was made; workflow.WorkerStats, which has the
// same fields, says what each counts. The load tests read it to show how many turns a
// workload cost and how many were wasted; hosts may log it.
type Stats struct {
	Wakes, Coalesced            int64 // wakes handled; of them, those that needed no turn
	Turns, Conflicts, IdleTurns int64 // turn attempts; lost races; turns with no event
	Replays, CatchUps           int64 // cold replays; warm runs brought up to date
	Commits, Events             int64 // commits sent; events they appended
	Forwarded                   int64 // wakes sent to the code version their run is pinned to
	Deleted                     int64 // ended runs deleted when their retention passed
}

// counters is the engine's live Stats.
type counters struct {
	wakes, coalesced, turns, conflicts, idle, replays, catchUps, commits, events, forwarded, deleted atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Wakes: c.wakes.Load(), Coalesced: c.coalesced.Load(), Turns: c.turns.Load(),
		Conflicts: c.conflicts.Load(), IdleTurns: c.idle.Load(), Replays: c.replays.Load(),
		CatchUps: c.catchUps.Load(), Commits: c.commits.Load(), Events: c.events.Load(),
		Forwarded: c.forwarded.Load(), Deleted: c.deleted.Load(),
	}
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats { return e.stats.snapshot() }
