package engine

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/workflow/werr"
)

// MaxTokenLength bounds custom hook tokens (in bytes).
const MaxTokenLength = 512

// HookSpec describes a hook to create. The engine stores Data in the token record untouched,
// so the resume paths can read the hook's settings without workflow code.
type HookSpec struct {
	Token   string          // custom token; empty: a fresh random one
	Kind    string          // backend.TokenHook or backend.TokenWebhook
	Data    json.RawMessage // the token record's data
	Timeout time.Duration   // each Receive waits at most this long; 0: no limit
	URL     string          // the public URL, for webhooks
	// Manual marks a webhook whose requests the workflow answers; Fallback is the response
	// data stored for requests left unanswered when the hook is disposed or the run ends.
	Manual   bool
	Fallback json.RawMessage
	// Secrets are references (a webhook's signing secrets, its handshake's verify token) that
	// must resolve when the hook is created; see checkSecrets.
	Secrets []string
}

// Hook is the workflow's handle on a hook or webhook.
type Hook struct {
	x  *executor
	st *hookState
}

type hookState struct {
	id       string
	token    string
	kind     string
	url      string
	timeout  time.Duration
	manual   bool
	fallback json.RawMessage
	buffer   []delivery
	disposed bool
	// unanswered lists the deliveries of a manual webhook that have no response yet.
	unanswered map[string]bool
}

type delivery struct {
	id      string
	payload json.RawMessage
	body    []byte // the binary attachment (a webhook request's body), kept beside the payload
	seq     int64
}

type hookCreatedData struct {
	Name     string          `json:"name"` // the kind
	Token    string          `json:"token"`
	URL      string          `json:"url,omitempty"`
	Timeout  time.Duration   `json:"timeout,omitempty"`
	Manual   bool            `json:"manual,omitempty"`
	Fallback json.RawMessage `json:"fallback,omitempty"`
	Holder   string          `json:"holderRunId,omitempty"` // hook_conflict: the run holding the token
}

type hookReceivedData struct {
	DeliveryID string          `json:"deliveryId"`
	Payload    json.RawMessage `json:"payload"`
	Dropped    bool            `json:"dropped,omitempty"` // arrived after the hook was disposed
}

type hookEventData struct {
	Name       string          `json:"name"`
	DeliveryID string          `json:"deliveryId,omitempty"`
	Response   json.RawMessage `json:"response,omitempty"`
}

// NewToken returns a fresh random hook token: 130 bits from crypto/rand, URL-safe.
func NewToken() string { return rand.Text() }

// ValidateToken checks a custom token: 1 to MaxTokenLength bytes of printable UTF-8.
func ValidateToken(token string) error {
	switch {
	case token == "":
		return invalidf("hook token is empty")
	case len(token) > MaxTokenLength:
		return invalidf("hook token is %d bytes, more than %d", len(token), MaxTokenLength)
	case !utf8.ValidString(token):
		return invalidf("hook token is not valid UTF-8")
	}
	for _, r := range token {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return invalidf("hook token %q contains a space or a control character", token)
		}
	}
	return nil
}

// CreateHook registers a hook and claims its token, in one commit with hook_created, before
// it returns: a token held by another live run gives a *HookConflictError at once (and
// records hook_conflict). On replay the token is read back from history.
func CreateHook(c *Ctx, spec HookSpec) (*Hook, error) {
	if err := c.enter(); err != nil {
		return nil, err
	}
	if spec.Token != "" {
		if err := ValidateToken(spec.Token); err != nil {
			return nil, err
		}
	}
	x := c.x
	id := x.nextCommandID("h")
	ev, replayed := x.command(id, spec.Kind, fmt.Sprintf("%s %s", spec.Kind, id), EventHookCreated, EventHookConflict)
	var d hookCreatedData
	if replayed {
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			x.fail(fmt.Errorf("hookflow: run %s: corrupt %s event %d: %w", x.runID, ev.Type, ev.Seq, err))
		}
		if spec.Token != "" && d.Token != spec.Token {
			x.nonDeterminism(ev, fmt.Sprintf("%s %s with token %q", spec.Kind, id, spec.Token))
		}
		if ev.Type == EventHookConflict {
			return nil, &werr.HookConflictError{Token: d.Token, RunID: d.Holder}
		}
	} else {
		d = hookCreatedData{Name: spec.Kind, Token: spec.Token, URL: spec.URL, Timeout: spec.Timeout, Manual: spec.Manual, Fallback: spec.Fallback}
		if d.Token == "" {
			d.Token = NewToken()
		}
		if spec.Kind == backend.TokenWebhook && spec.URL != "" {
			d.URL = spec.URL + d.Token
		}
		if err := x.checkSecrets(id, spec.Secrets); err != nil {
			x.fail(err)
			return nil, err
		}
		if err := x.claimToken(id, spec, d); err != nil {
			return nil, err
		}
	}
	st := &hookState{
		id: id, token: d.Token, kind: d.Name, url: d.URL, timeout: d.Timeout,
		manual: d.Manual, fallback: d.Fallback, unanswered: map[string]bool{},
	}
	x.byID[id] = st
	x.hooks = append(x.hooks, st)
	return &Hook{x: x, st: st}, nil
}

// checkSecrets resolves each of a new hook's secret references with the engine's resolver, so
// that a webhook whose secret is missing is a configuration error where it is created, not a
// route that refuses every request (or worse). It is not a workflow error: the turn fails, the
// run is retried with backoff and shows the error (RunInfo's LastError), and once the secret
// is there the next turn creates the webhook. Replay never checks again: the hook exists.
func (x *executor) checkSecrets(id string, refs []string) error {
	for _, ref := range refs {
		v, err := x.eng.opts.Secrets.Resolve(x.turnCtx, ref)
		if err == nil && len(v) == 0 {
			err = errors.New("it is empty")
		}
		if err != nil {
			return fmt.Errorf("hookflow: run %s: webhook %s: secret %q cannot be used: %w", x.runID, id, ref, err)
		}
	}
	return nil
}

// claimToken records hook_created and commits it with the token claim at once. If the token
// is held, it records hook_conflict instead and returns the conflict.
func (x *executor) claimToken(id string, spec HookSpec, d hookCreatedData) error {
	if slices.Contains(x.releases, d.Token) {
		// The run disposed a hook with this token and now claims it again: the release must
		// land first, since a commit judges its claims against the state before it.
		if err := x.commitNow(); err != nil {
			x.fail(err)
			return nil
		}
	}
	ev := x.record(EventHookCreated, id, d)
	claim := backend.Token{Token: d.Token, RunID: x.runID, HookID: id, Kind: spec.Kind, Data: spec.Data, CreatedAt: ev.CreatedAt}
	x.claims = append(x.claims, claim)
	err := x.commitNow()
	var held *backend.TokenConflictError
	if !errors.As(err, &held) {
		if err != nil {
			x.fail(err)
		}
		return nil
	}
	// The commit failed as a whole: take the claim and its event back, record the conflict.
	x.claims = x.claims[:len(x.claims)-1]
	x.pending = x.pending[:len(x.pending)-1]
	x.lastSeq--
	x.record(EventHookConflict, id, hookCreatedData{Name: spec.Kind, Token: d.Token, Holder: held.RunID})
	return &werr.HookConflictError{Token: d.Token, RunID: held.RunID}
}

// commitNow commits what is pending from inside workflow code (a token claim, a webhook
// response), so that the outside world sees it before the workflow goes on. Offline replays
// (Replay) have no backend and skip it.
func (x *executor) commitNow() error {
	if x.eng.b == nil {
		x.pending, x.claims, x.releases, x.responses, x.deleteInbox = nil, nil, nil, nil, nil
		return nil
	}
	return x.commit(backend.StatusRunning, x.eng.clock.Now().UTC(), nil, nil)
}

// Token returns the hook's token.
func (h *Hook) Token() string { return h.st.token }

// URL returns the webhook's public URL, as recorded when it was created.
func (h *Hook) URL() string { return h.st.url }

// ID returns the hook's ID within its run.
func (h *Hook) ID() string { return h.st.id }

// Receive waits for the hook's next payload (first in, first out). It returns
// ErrHookDisposed after Dispose and ErrTimeout when the hook has a timeout and nothing arrived
// in time (recording hook_timed_out).
func (h *Hook) Receive(c *Ctx) (Received, error) {
	if err := c.enter(); err != nil {
		return Received{}, err
	}
	if h == nil || h.st == nil {
		return Received{}, invalidf("nil hook")
	}
	x, st := c.x, h.st
	if len(st.buffer) == 0 && !st.disposed && st.timeout > 0 {
		timer := newTimer(c, "receive "+st.id, func(now time.Time) time.Time { return now.Add(st.timeout) })
		x.sched.block(func() bool { return len(st.buffer) > 0 || st.disposed || timer.fired })
		if len(st.buffer) == 0 && !st.disposed {
			if _, replayed := x.command(st.id, "timeout", fmt.Sprintf("hook_timed_out %s", st.id), EventHookTimedOut); !replayed {
				x.record(EventHookTimedOut, st.id, hookEventData{Name: "timeout"})
			}
			return Received{}, fmt.Errorf("%w: hook %s received nothing within %s", werr.ErrTimeout, st.token, st.timeout)
		}
		x.cancelTimer(timer)
	}
	x.sched.block(func() bool { return len(st.buffer) > 0 || st.disposed })
	return st.take()
}

func (st *hookState) take() (Received, error) {
	if len(st.buffer) == 0 {
		return Received{}, fmt.Errorf("%w: %s", werr.ErrHookDisposed, st.token)
	}
	d := st.buffer[0]
	st.buffer[0] = delivery{}
	st.buffer = st.buffer[1:]
	return Received{Payload: d.payload, DeliveryID: d.id, Body: d.body}, nil
}

// Received is a payload with its delivery ID, what Receive returns and a Next future holds.
type Received struct {
	Payload    json.RawMessage
	DeliveryID string
	// Body is the payload's binary attachment (a webhook request's body), stored beside the
	// payload rather than inside its JSON; nil when there is none.
	Body []byte
}

// Next returns a future that is ready when a payload is waiting (or the hook is disposed). Its
// Get takes the payload; a future that loses a Select takes nothing, so the payload stays for
// the next receive.
func (h *Hook) Next(c *Ctx) *Future {
	if err := c.enter(); err != nil {
		return failed(c, err)
	}
	if h == nil || h.st == nil {
		return failed(c, invalidf("nil hook"))
	}
	st := h.st
	f := c.x.newFuture()
	f.poll = func() (bool, int64) {
		if len(st.buffer) > 0 {
			return true, st.buffer[0].seq
		}
		return st.disposed, 0
	}
	f.take = func() (any, error) {
		r, err := st.take()
		if err != nil {
			return nil, err
		}
		return r, nil
	}
	return f
}

// Dispose releases the hook's token now (for other runs to claim) while the run goes on.
// Payloads not yet received are dropped; a manual webhook's waiting callers get the fallback
// response. Disposing twice does nothing.
func (h *Hook) Dispose(c *Ctx) error {
	if err := c.enter(); err != nil {
		return err
	}
	if h == nil || h.st == nil {
		return invalidf("nil hook")
	}
	x, st := c.x, h.st
	if st.disposed {
		return nil
	}
	if _, replayed := x.command(st.id, "dispose", fmt.Sprintf("hook_disposed %s", st.id), EventHookDisposed); !replayed {
		x.record(EventHookDisposed, st.id, hookEventData{Name: "dispose"})
		x.releases = append(x.releases, st.token)
		for _, d := range st.buffer {
			x.answerWithFallback(st, d.id)
		}
	}
	st.disposed = true
	st.buffer = nil
	return nil
}

// RespondWith answers one request of a manual webhook, durably and at most once: the response
// is committed before RespondWith returns, so the waiting caller gets it at once.
func (h *Hook) RespondWith(c *Ctx, deliveryID string, response json.RawMessage) error {
	if err := c.enter(); err != nil {
		return err
	}
	if h == nil || h.st == nil {
		return invalidf("nil webhook")
	}
	x, st := c.x, h.st
	if !st.manual {
		return invalidf("RespondWith: webhook %s does not answer manually (create it with Manual: true)", st.id)
	}
	if !st.unanswered[deliveryID] {
		return invalidf("RespondWith: request %s of webhook %s has been answered already", deliveryID, st.id)
	}
	id := x.nextCommandID("r")
	ev, replayed := x.command(id, "respond", fmt.Sprintf("response_sent %s for %s", id, deliveryID), EventResponseSent)
	if replayed {
		var d hookEventData
		if json.Unmarshal(ev.Data, &d) != nil || d.DeliveryID != deliveryID {
			x.nonDeterminism(ev, fmt.Sprintf("response_sent %s for %s", id, deliveryID))
		}
	} else {
		x.record(EventResponseSent, id, hookEventData{Name: "respond", DeliveryID: deliveryID, Response: response})
		x.putResponse(deliveryID, response)
		if err := x.commitNow(); err != nil {
			x.fail(err)
		}
	}
	delete(st.unanswered, deliveryID)
	return nil
}

// ResponseTTL is how long response records are kept (a hint for drivers with TTL).
const ResponseTTL = backend.ResponseTTL

func (x *executor) putResponse(deliveryID string, data json.RawMessage) {
	now := x.eng.clock.Now().UTC()
	x.responses = append(x.responses, backend.Response{DeliveryID: deliveryID, Data: data, CreatedAt: now, ExpiresAt: now.Add(ResponseTTL)})
}

// answerWithFallback stores the fallback response for a manual webhook request that the
// workflow will never answer (live only: replays do not write).
func (x *executor) answerWithFallback(st *hookState, deliveryID string) {
	if !st.manual || !st.unanswered[deliveryID] {
		return
	}
	delete(st.unanswered, deliveryID)
	if !x.replaying() && !x.replayingEvent {
		x.putResponse(deliveryID, st.fallback)
	}
}

// applyHookReceived feeds a hook_received event (live or replayed) to its hook.
func (x *executor) applyHookReceived(ev backend.Event) {
	st, ok := x.byID[ev.CorrelationID].(*hookState)
	if !ok {
		x.nonDeterminism(ev, currentCall(x.byID[ev.CorrelationID]))
		return
	}
	var d hookReceivedData
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		x.fail(fmt.Errorf("hookflow: run %s: corrupt hook_received event %d: %w", x.runID, ev.Seq, err))
		return
	}
	if st.manual {
		st.unanswered[d.DeliveryID] = true
	}
	if d.Dropped || st.disposed {
		x.answerWithFallback(st, d.DeliveryID)
		return
	}
	x.resolved++
	st.buffer = append(st.buffer, delivery{id: d.DeliveryID, payload: d.Payload, body: ev.Body, seq: x.resolved})
}

// receive moves a hook inbox item into history.
func (x *executor) receive(item backend.InboxItem) { x.recordReceived(item, false) }

// drop records a hook inbox item that the run will never receive, because it is ending, as a
// dropped hook_received: the history accounts for every accepted delivery, and a manual
// webhook's caller gets the fallback.
func (x *executor) drop(item backend.InboxItem) { x.recordReceived(item, true) }

// recordReceived records a hook_received event for item, with its body beside the data, and
// feeds it to its hook. The item is dropped when drop is set or its hook is disposed.
func (x *executor) recordReceived(item backend.InboxItem, drop bool) {
	st, ok := x.byID[item.HookID].(*hookState)
	if !ok {
		// The token record named this run and hook, so the hook exists unless history was
		// rewritten; keep the payload in history rather than lose it.
		x.eng.logger.Warn("inbox item for an unknown hook", "run_id", x.runID, "hook_id", item.HookID)
		return
	}
	ev := x.record(EventHookReceived, st.id, hookReceivedData{
		DeliveryID: item.DeliveryID, Payload: item.Payload, Dropped: drop || st.disposed,
	})
	ev.Body = item.Body
	x.pending[len(x.pending)-1].Body = item.Body
	x.apply(ev)
}

// cancelTimer forgets a timer that is no longer needed (a receive that got its payload), so it
// never fires; replays forget it at the same point.
func (x *executor) cancelTimer(t *timerState) {
	if t.fired {
		return
	}
	t.fired = true
	for i, o := range x.timers {
		if o == t {
			x.timers = append(x.timers[:i], x.timers[i+1:]...)
			return
		}
	}
}

// closeHooks answers every unanswered manual webhook request with its fallback when the run
// ends.
func (x *executor) closeHooks() {
	for _, st := range x.hooks {
		for id := range st.unanswered {
			x.answerWithFallback(st, id)
		}
	}
}
