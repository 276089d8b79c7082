package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/workflow/werr"
)

// executor holds one run's workflow code in memory: its coroutines, the durable operations
// they started, and the position of replay in the run's history. A turn drives it forward
// (replaying history, then doing live work) and commits what it appended. Between turns an
// executor may stay parked in the engine's cache and continue on the next turn without replay
// when the run's version has not moved.
type executor struct {
	eng      *Engine
	runID    string
	workflow string
	fn       WorkflowFunc
	input    json.RawMessage
	seed     uint64
	// patches are the answers Patched gave this run, by patch ID (see patch.go).
	patches map[string]bool
	// pin is the code version the run's next commit pins it to: the engine's, for a run of a
	// pinned workflow that is not pinned yet (see pin.go); empty once it is.
	pin string
	// lease is the run's lease the current turn's caller holds (nil: none); letGo makes the
	// next commit release it, as the turn's last commit does when the workflow waits or ends.
	lease *heldLease
	letGo bool

	// The run record as of the last commit.
	version int64
	lastSeq int64
	status  backend.RunStatus
	dueAt   time.Time

	// Replay position: history[cursor:] has not been replayed yet.
	history []backend.Event
	cursor  int

	sched    *scheduler
	ctx      *Ctx
	started  bool
	resolved int64
	cmdSeq   int
	now      time.Time
	rng      *rand.Rand
	idRng    *rand.Rand
	logger   *slog.Logger

	steps  []*stepState // not yet finished, in command order
	byID   map[string]any
	timers []*timerState // not yet fired, in command order
	hooks  []*hookState  // in creation order
	// replayingEvent is true while a replayed event is applied: nothing it triggers may be
	// written again.
	replayingEvent bool

	done   bool
	output json.RawMessage
	outErr error
	// abortErr stops the turn: the executor is then discarded, never committed further.
	abortErr error

	// Changes not committed yet.
	pending     []backend.Event
	deleteInbox []string
	claims      []backend.Token
	releases    []string
	responses   []backend.Response

	// Per turn.
	turnCtx context.Context
	inbox   []backend.InboxItem
	inboxOK bool
	// inboxMore: the turn left items in the inbox (the intake bound), so it continues.
	inboxMore  bool
	intake     int       // payload bytes this turn moved into history
	cancelItem string    // the cancel request this turn took, deleted with run_cancelled
	turnEvents int       // events this turn committed
	lastCommit time.Time // wall time of the last commit (or the start of the turn)
}

func newExecutor(e *Engine, run backend.Run, fn WorkflowFunc) *executor {
	x := &executor{
		eng:      e,
		runID:    run.ID,
		workflow: run.Workflow,
		fn:       fn,
		input:    run.Input,
		seed:     seedOf(run.ID),
		version:  run.Version,
		lastSeq:  run.LastSeq,
		status:   run.Status,
		dueAt:    run.DueAt,
		sched:    newScheduler(),
		byID:     map[string]any{},
	}
	x.pin = e.pinFor(run)
	x.ctx = &Ctx{x: x}
	x.logger = slog.New(&replayHandler{x: x, h: e.logger.Handler()}).With("run_id", run.ID, "workflow", run.Workflow)
	return x
}

// seedOf derives the run's random seed from its ID (FNV-1a), so replays draw the same numbers.
func seedOf(id string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	return h
}

func (x *executor) replaying() bool { return x.cursor < len(x.history) }

// nextCommandID numbers durable calls in the order the workflow makes them.
func (x *executor) nextCommandID(prefix string) string {
	x.cmdSeq++
	return prefix + strconv.Itoa(x.cmdSeq)
}

// record appends a new event (live mode) and moves the workflow clock to its time.
func (x *executor) record(typ, corr string, data any) backend.Event {
	x.lastSeq++
	ev := backend.Event{
		Seq:           x.lastSeq,
		Type:          typ,
		CorrelationID: corr,
		Data:          mustJSON(data),
		CreatedAt:     x.eng.clock.Now().UTC(),
	}
	x.pending = append(x.pending, ev)
	x.now = ev.CreatedAt
	return ev
}

// command returns the recorded event for the durable call the workflow is making, when
// replaying, and checks that it is the same call. Live, it reports false.
func (x *executor) command(corr, name, current string, types ...string) (backend.Event, bool) {
	if !x.replaying() {
		return backend.Event{}, false
	}
	ev := x.history[x.cursor]
	if !x.matches(ev, corr, name, types...) {
		x.nonDeterminism(ev, current)
	}
	x.cursor++
	x.now = ev.CreatedAt
	return ev, true
}

func (x *executor) matches(ev backend.Event, corr, name string, types ...string) bool {
	if ev.CorrelationID != corr {
		return false
	}
	ok := false
	for _, t := range types {
		ok = ok || ev.Type == t
	}
	return ok && eventNameOf(ev) == name
}

func eventNameOf(ev backend.Event) string {
	var n eventName
	_ = json.Unmarshal(ev.Data, &n) // a missing or malformed name compares as ""
	return n.Name
}

func describe(ev backend.Event) string {
	if name := eventNameOf(ev); name != "" {
		return fmt.Sprintf("%s %s %q", ev.Type, ev.CorrelationID, name)
	}
	return fmt.Sprintf("%s %s", ev.Type, ev.CorrelationID)
}

// nonDeterminism stops the turn: the code no longer matches the history.
func (x *executor) nonDeterminism(ev backend.Event, current string) {
	x.fail(&werr.NonDeterminismError{RunID: x.runID, Position: int(ev.Seq), Recorded: describe(ev), Current: current})
}

// fail records why the turn must stop and unwinds the calling coroutine, if any.
func (x *executor) fail(err error) {
	if x.abortErr == nil {
		x.abortErr = err
	}
	if x.sched.running != nil {
		x.sched.abort()
	}
}

// runCoroutines lets workflow code run until it blocks everywhere.
func (x *executor) runCoroutines() {
	x.sched.run(func() bool { return x.abortErr != nil })
}

// startMain starts the workflow function in the run's first coroutine.
func (x *executor) startMain() {
	x.started = true
	x.sched.spawn("main", func() {
		out, err := x.fn(x.ctx, x.input)
		x.done, x.output, x.outErr = true, out, err
	})
}

// deliverNext replays the next history event that is not a command.
func (x *executor) deliverNext() {
	ev := x.history[x.cursor]
	x.cursor++
	x.now = ev.CreatedAt
	x.replayingEvent = true
	x.apply(ev)
	x.replayingEvent = false
}

// apply feeds a delivery event to the workflow state. Live events go through here too, right
// after they are recorded, so live execution and replay cannot drift apart.
func (x *executor) apply(ev backend.Event) {
	switch ev.Type {
	case EventRunCreated:
		if x.started {
			x.nonDeterminism(ev, "the run had already started")
			return
		}
		x.startMain()
	case EventStepCompleted, EventStepRetrying, EventStepFailed:
		st, ok := x.byID[ev.CorrelationID].(*stepState)
		if !ok {
			x.nonDeterminism(ev, currentCall(x.byID[ev.CorrelationID]))
			return
		}
		x.applyStep(st, ev)
	case EventHookReceived:
		x.applyHookReceived(ev)
	case EventTimerFired:
		t, ok := x.byID[ev.CorrelationID].(*timerState)
		if !ok || t.fired {
			x.nonDeterminism(ev, currentCall(x.byID[ev.CorrelationID]))
			return
		}
		x.fireTimer(t)
	default:
		if isCommandEvent(ev.Type) {
			x.nonDeterminism(ev, x.waitingOn())
			return
		}
		x.fail(fmt.Errorf("hookflow: run %s: unknown event type %q at position %d", x.runID, ev.Type, ev.Seq))
	}
}

// waitingOn describes what the workflow does where the history holds a call it no longer
// makes: it waits for a step the history does not have (one added before this point), or it
// waits on something else or has returned.
func (x *executor) waitingOn() string {
	recorded := map[string]bool{}
	for _, ev := range x.history[x.cursor:] {
		recorded[ev.CorrelationID] = true
	}
	for _, st := range x.steps {
		if !recorded[st.id] {
			return fmt.Sprintf("step %s %q, which the history does not have", st.id, st.name)
		}
	}
	return "no durable call (the workflow is waiting or returned)"
}

// currentCall describes what the workflow did with a command ID, for error messages.
func currentCall(v any) string {
	switch c := v.(type) {
	case *stepState:
		return fmt.Sprintf("step %s %q", c.id, c.name)
	case *timerState:
		return fmt.Sprintf("timer %s %q", c.id, c.name)
	case nil:
		return "no such durable call"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// replayHandler drops log records while the executor replays history, so that workflow logs
// appear once, when the code first runs.
type replayHandler struct {
	x *executor
	h slog.Handler
}

func (r *replayHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return !r.x.replaying() && r.h.Enabled(ctx, l)
}

func (r *replayHandler) Handle(ctx context.Context, rec slog.Record) error {
	if r.x.replaying() {
		return nil
	}
	return r.h.Handle(ctx, rec)
}

func (r *replayHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &replayHandler{x: r.x, h: r.h.WithAttrs(as)}
}

func (r *replayHandler) WithGroup(name string) slog.Handler {
	return &replayHandler{x: r.x, h: r.h.WithGroup(name)}
}
