package backendtest

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// live holds every ID made by uid for a subtest that has not finished yet, across all the
// suites running in this process. The queue tests use it to leave alone the messages of other
// running subtests when a driver shares one queue between backends.
var live sync.Map

// uid returns an ID that is unique to this subtest (prefix, a dash and 16 hex digits), so that
// a driver that shares one table or queue between subtests still passes.
func uid(t *testing.T, prefix string) string {
	t.Helper()
	var buf [8]byte
	_, err := rand.Read(buf[:])
	require.NoError(t, err)
	id := prefix + "-" + hex.EncodeToString(buf[:])
	live.Store(id, struct{}{})
	t.Cleanup(func() { live.Delete(id) })
	return id
}

// isLive reports whether id belongs to a subtest that is still running.
func isLive(id string) bool {
	_, ok := live.Load(id)
	return ok
}

// now returns the current time in UTC truncated to the millisecond, the precision that every
// driver must keep.
func now() time.Time {
	return time.Now().UTC().Truncate(time.Millisecond)
}

// set makes a set of strings.
func set(ids ...string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// own filters ids (the raw answer of a driver that may share a table) to those in mine.
func own(ids []string, mine map[string]bool) []string {
	var out []string
	for _, id := range ids {
		if mine[id] {
			out = append(out, id)
		}
	}
	return out
}

// requireNoDuplicates fails if ids has an ID more than once.
func requireNoDuplicates(t *testing.T, ids []string, what string) {
	t.Helper()
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		require.Falsef(t, seen[id], "%s: %q appears more than once in %v", what, id, ids)
		seen[id] = true
	}
}

// ---- comparisons ----

// jsonEmpty reports whether m holds no value: nil, empty, blank or JSON null.
func jsonEmpty(m json.RawMessage) bool {
	s := bytes.TrimSpace(m)
	return len(s) == 0 || string(s) == "null"
}

// requireJSON compares JSON semantically, so that a driver may re-encode it. An absent value
// (nil, empty or null) matches only another absent value.
func requireJSON(t *testing.T, want, got json.RawMessage, what string) {
	t.Helper()
	if jsonEmpty(want) {
		require.Truef(t, jsonEmpty(got), "%s: want no JSON value, got %s", what, got)
		return
	}
	require.Falsef(t, jsonEmpty(got), "%s: want %s, got no JSON value", what, want)
	require.JSONEqf(t, string(want), string(got), "%s", what)
}

// requireBytes compares binary attachments byte for byte; nil and empty are the same (no
// attachment). A mismatch is reported by length and first differing offset, not by dumping
// the bytes, which may be hundreds of kilobytes.
func requireBytes(t *testing.T, want, got []byte, what string) {
	t.Helper()
	if bytes.Equal(want, got) {
		return
	}
	at := 0
	for at < min(len(want), len(got)) && want[at] == got[at] {
		at++
	}
	require.Failf(t, "binary attachments differ", "%s: want %d bytes, got %d; they differ from offset %d", what, len(want), len(got), at)
}

// requireTime compares times at millisecond precision. A zero time matches only a zero time.
func requireTime(t *testing.T, want, got time.Time, what string) {
	t.Helper()
	if want.IsZero() {
		require.Truef(t, got.IsZero(), "%s: want the zero time, got %v", what, got)
		return
	}
	require.Falsef(t, got.IsZero(), "%s: want %v, got the zero time", what, want)
	require.Truef(t, want.Truncate(time.Millisecond).Equal(got.Truncate(time.Millisecond)),
		"%s: want %v, got %v", what, want.UTC(), got.UTC())
}

func requireRun(t *testing.T, want, got backend.Run, what string) {
	t.Helper()
	require.Equalf(t, want.ID, got.ID, "%s: ID", what)
	require.Equalf(t, want.Workflow, got.Workflow, "%s: Workflow", what)
	require.Equalf(t, want.Status, got.Status, "%s: Status", what)
	requireJSON(t, want.Input, got.Input, what+": Input")
	requireJSON(t, want.Output, got.Output, what+": Output")
	requireJSON(t, want.Error, got.Error, what+": Error")
	require.Equalf(t, want.Version, got.Version, "%s: Version", what)
	require.Equalf(t, want.LastSeq, got.LastSeq, "%s: LastSeq", what)
	requireTime(t, want.CreatedAt, got.CreatedAt, what+": CreatedAt")
	requireTime(t, want.UpdatedAt, got.UpdatedAt, what+": UpdatedAt")
	requireTime(t, want.DueAt, got.DueAt, what+": DueAt")
	require.Equalf(t, want.Failures, got.Failures, "%s: Failures", what)
	require.Equalf(t, want.LastError, got.LastError, "%s: LastError", what)
	require.Equalf(t, want.LeaseOwner, got.LeaseOwner, "%s: LeaseOwner", what)
	requireTime(t, want.LeaseUntil, got.LeaseUntil, what+": LeaseUntil")
	require.Equalf(t, want.CodeVersion, got.CodeVersion, "%s: CodeVersion", what)
}

func requireEvents(t *testing.T, want, got []backend.Event, what string) {
	t.Helper()
	require.Equalf(t, seqs(want), seqs(got), "%s: Seqs", what)
	for i := range want {
		w, g := want[i], got[i]
		at := fmt.Sprintf("%s: event Seq %d", what, w.Seq)
		require.Equalf(t, w.Type, g.Type, "%s: Type", at)
		require.Equalf(t, w.CorrelationID, g.CorrelationID, "%s: CorrelationID", at)
		requireJSON(t, w.Data, g.Data, at+": Data")
		requireBytes(t, w.Body, g.Body, at+": Body")
		requireTime(t, w.CreatedAt, g.CreatedAt, at+": CreatedAt")
	}
}

func seqs(events []backend.Event) []int64 {
	out := make([]int64, len(events))
	for i, e := range events {
		out[i] = e.Seq
	}
	return out
}

func requireItem(t *testing.T, want, got backend.InboxItem, what string) {
	t.Helper()
	require.Equalf(t, want.ID, got.ID, "%s: ID", what)
	require.Equalf(t, want.RunID, got.RunID, "%s: RunID", what)
	require.Equalf(t, want.Kind, got.Kind, "%s: Kind", what)
	require.Equalf(t, want.Token, got.Token, "%s: Token", what)
	require.Equalf(t, want.HookID, got.HookID, "%s: HookID", what)
	require.Equalf(t, want.DeliveryID, got.DeliveryID, "%s: DeliveryID", what)
	require.Equalf(t, want.TraceParent, got.TraceParent, "%s: TraceParent", what)
	requireJSON(t, want.Payload, got.Payload, what+": Payload")
	requireBytes(t, want.Body, got.Body, what+": Body")
	requireTime(t, want.CreatedAt, got.CreatedAt, what+": CreatedAt")
}

func requireItems(t *testing.T, want, got []backend.InboxItem, what string) {
	t.Helper()
	require.Equalf(t, itemIDs(want), itemIDs(got), "%s: item IDs", what)
	for i := range want {
		requireItem(t, want[i], got[i], fmt.Sprintf("%s: item %d", what, i))
	}
}

func itemIDs(items []backend.InboxItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func requireToken(t *testing.T, want, got backend.Token, what string) {
	t.Helper()
	require.Equalf(t, want.Token, got.Token, "%s: Token", what)
	require.Equalf(t, want.RunID, got.RunID, "%s: RunID", what)
	require.Equalf(t, want.HookID, got.HookID, "%s: HookID", what)
	require.Equalf(t, want.Kind, got.Kind, "%s: Kind", what)
	requireJSON(t, want.Data, got.Data, what+": Data")
	requireTime(t, want.CreatedAt, got.CreatedAt, what+": CreatedAt")
	require.Equalf(t, want.Deliveries, got.Deliveries, "%s: Deliveries", what)
	require.Equalf(t, want.Rejections, got.Rejections, "%s: Rejections", what)
	requireTime(t, want.RejectedAt, got.RejectedAt, what+": RejectedAt")
}

func getToken(t *testing.T, b backend.Backend, token string) backend.Token {
	t.Helper()
	got, err := b.GetToken(t.Context(), token)
	require.NoError(t, err, "GetToken(%q)", token)
	return got
}

func requireTokens(t *testing.T, want, got []backend.Token, what string) {
	t.Helper()
	require.Equalf(t, tokenNames(want), tokenNames(got), "%s: tokens", what)
	for i := range want {
		requireToken(t, want[i], got[i], fmt.Sprintf("%s: token %d", what, i))
	}
}

func tokenNames(tokens []backend.Token) []string {
	out := make([]string, len(tokens))
	for i, tk := range tokens {
		out[i] = tk.Token
	}
	return out
}

// compareTokens orders tokens as ListTokens must: by CreatedAt, then Token.
func compareTokens(a, b backend.Token) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return cmp.Compare(a.Token, b.Token)
}

func requireResponse(t *testing.T, want, got backend.Response, what string) {
	t.Helper()
	require.Equalf(t, want.DeliveryID, got.DeliveryID, "%s: DeliveryID", what)
	requireJSON(t, want.Data, got.Data, what+": Data")
	requireTime(t, want.CreatedAt, got.CreatedAt, what+": CreatedAt")
	requireTime(t, want.ExpiresAt, got.ExpiresAt, what+": ExpiresAt")
}

func requireIdem(t *testing.T, want, got backend.Idempotency, what string) {
	t.Helper()
	require.Equalf(t, want.Key, got.Key, "%s: Key", what)
	requireJSON(t, want.Data, got.Data, what+": Data")
	requireTime(t, want.CreatedAt, got.CreatedAt, what+": CreatedAt")
	requireTime(t, want.ExpiresAt, got.ExpiresAt, what+": ExpiresAt")
}

// ---- builders ----

// newRun returns a pending run record with a fresh ID. Version and LastSeq are left zero:
// CreateRun sets them.
func newRun(t *testing.T, at time.Time) backend.Run {
	t.Helper()
	return backend.Run{
		ID:        uid(t, "run"),
		Workflow:  "order-fulfilment",
		Status:    backend.StatusPending,
		Input:     json.RawMessage(`{"order":42,"items":["a","b"],"note":"h\u00e9llo"}`),
		CreatedAt: at,
		UpdatedAt: at,
	}
}

// mkEvents returns n events with Seq from, from+1, ...
func mkEvents(from int64, n int, at time.Time) []backend.Event {
	out := make([]backend.Event, n)
	for i := range n {
		seq := from + int64(i)
		out[i] = backend.Event{
			Seq:           seq,
			Type:          "step.completed",
			CorrelationID: fmt.Sprintf("step-%d", seq),
			Data:          json.RawMessage(fmt.Sprintf(`{"seq":%d,"result":{"ok":true}}`, seq)),
			CreatedAt:     at.Add(time.Duration(i) * time.Millisecond),
		}
	}
	return out
}

// expectedRun is what GetRun must return right after CreateRun(run, first).
func expectedRun(run backend.Run, first []backend.Event) backend.Run {
	run.Version = 1
	run.LastSeq = int64(len(first))
	return run
}

// createRun creates run with first events, checks the stored record and returns it.
func createRun(t *testing.T, b backend.Backend, run backend.Run, first []backend.Event) backend.Run {
	t.Helper()
	_, err := b.CreateRun(t.Context(), run, first)
	require.NoError(t, err, "CreateRun")
	got := getRun(t, b, run.ID)
	requireRun(t, expectedRun(run, first), got, "run after CreateRun")
	return got
}

// setupRun creates a fresh pending run without events.
func setupRun(t *testing.T, b backend.Backend) backend.Run {
	t.Helper()
	return createRun(t, b, newRun(t, now()), nil)
}

func getRun(t *testing.T, b backend.Backend, runID string) backend.Run {
	t.Helper()
	run, err := b.GetRun(t.Context(), runID)
	require.NoError(t, err, "GetRun")
	return run
}

func listEvents(t *testing.T, b backend.Backend, runID string, after int64) []backend.Event {
	t.Helper()
	events, err := b.ListEvents(t.Context(), runID, after)
	require.NoError(t, err, "ListEvents")
	return events
}

func listInbox(t *testing.T, b backend.Backend, runID string) []backend.InboxItem {
	t.Helper()
	items, err := b.ListInbox(t.Context(), runID, 0)
	require.NoError(t, err, "ListInbox")
	return items
}

func listTokens(t *testing.T, b backend.Backend, runID string) []backend.Token {
	t.Helper()
	tokens, err := b.ListTokens(t.Context(), runID)
	require.NoError(t, err, "ListTokens")
	return tokens
}

// nextCommit returns a commit on the run's current version that changes nothing but the
// version (it carries the run's Status, Output, Error, DueAt, Failures and LastError over),
// and the run it read.
func nextCommit(t *testing.T, b backend.Backend, runID string) (backend.Commit, backend.Run) {
	t.Helper()
	run := getRun(t, b, runID)
	return backend.Commit{
		RunID:     run.ID,
		Version:   run.Version,
		Status:    run.Status,
		Output:    run.Output,
		Error:     run.Error,
		DueAt:     run.DueAt,
		Now:       now(),
		Failures:  run.Failures,
		LastError: run.LastError,
	}, run
}

func mustCommit(t *testing.T, b backend.Backend, c backend.Commit) {
	t.Helper()
	require.NoError(t, b.Commit(t.Context(), c), "Commit")
}

// appendEvents commits n events to the run and returns them.
func appendEvents(t *testing.T, b backend.Backend, runID string, n int) []backend.Event {
	t.Helper()
	c, run := nextCommit(t, b, runID)
	c.Events = mkEvents(run.LastSeq+1, n, now())
	mustCommit(t, b, c)
	return c.Events
}

// mkToken returns a hook token record with a fresh token for the run.
func mkToken(t *testing.T, runID, hookID string, at time.Time) backend.Token {
	t.Helper()
	return backend.Token{
		Token:     uid(t, "tok"),
		RunID:     runID,
		HookID:    hookID,
		Kind:      backend.TokenHook,
		Data:      json.RawMessage(fmt.Sprintf(`{"hook":%q,"schema":{"type":"object"},"respond":"auto"}`, hookID)),
		CreatedAt: at,
	}
}

// claim commits claims of tokens on the run.
func claim(t *testing.T, b backend.Backend, runID string, tokens ...backend.Token) {
	t.Helper()
	c, _ := nextCommit(t, b, runID)
	c.ClaimTokens = tokens
	mustCommit(t, b, c)
}

// release commits releases of tokens on the run.
func release(t *testing.T, b backend.Backend, runID string, tokens ...string) {
	t.Helper()
	c, _ := nextCommit(t, b, runID)
	c.ReleaseTokens = tokens
	mustCommit(t, b, c)
}

// setupHook creates a run holding one live hook token.
func setupHook(t *testing.T, b backend.Backend) (backend.Run, backend.Token) {
	t.Helper()
	run := setupRun(t, b)
	tok := mkToken(t, run.ID, "hook-1", now())
	claim(t, b, run.ID, tok)
	return getRun(t, b, run.ID), tok
}

// hookItem returns an inbox item for a payload sent to tok (ID left for PutInbox to assign).
func hookItem(tok backend.Token, at time.Time, payload string) backend.InboxItem {
	return backend.InboxItem{
		RunID:  tok.RunID,
		Kind:   backend.InboxHook,
		Token:  tok.Token,
		HookID: tok.HookID,
		// Drivers store the trace context as it is given: it need not be a valid one.
		TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		Payload:     json.RawMessage(payload),
		CreatedAt:   at,
	}
}

// cancelItem returns a cancel request for the run.
func cancelItem(runID string, at time.Time) backend.InboxItem {
	return backend.InboxItem{
		RunID:     runID,
		Kind:      backend.InboxCancel,
		Payload:   json.RawMessage(`{"reason":"user asked"}`),
		CreatedAt: at,
	}
}

// putInbox stores item without an idempotency record, checks the returned item and returns it.
func putInbox(t *testing.T, b backend.Backend, item backend.InboxItem) backend.InboxItem {
	t.Helper()
	got, _, err := b.PutInbox(t.Context(), item, nil)
	require.NoError(t, err, "PutInbox")
	require.NotEmpty(t, got.ID, "PutInbox must assign an ID")
	if item.ID != "" {
		require.Equal(t, item.ID, got.ID, "PutInbox must keep a given ID")
	}
	want := item
	want.ID = got.ID
	requireItem(t, want, got, "item returned by PutInbox")
	return got
}

// mkIdem returns an idempotency record with a fresh key. ExpiresAt is whole seconds, since a
// driver may keep it as a TTL in epoch seconds.
func mkIdem(t *testing.T, data string) *backend.Idempotency {
	t.Helper()
	at := now()
	return &backend.Idempotency{
		Key:       uid(t, "idem"),
		Data:      json.RawMessage(data),
		CreatedAt: at,
		ExpiresAt: at.Add(24 * time.Hour).Truncate(time.Second),
	}
}

// mkResponse returns a response for a fresh delivery ID.
func mkResponse(t *testing.T, data string) backend.Response {
	t.Helper()
	at := now()
	return backend.Response{
		DeliveryID: uid(t, "dlv"),
		Data:       json.RawMessage(data),
		CreatedAt:  at,
		ExpiresAt:  at.Add(24 * time.Hour).Truncate(time.Second),
	}
}

// ---- snapshots: proof that a failed call changed nothing ----

type runState struct {
	run    backend.Run
	events []backend.Event
	inbox  []backend.InboxItem
	tokens []backend.Token
}

type snapshot struct {
	runs       map[string]runState
	tokens     map[string]*backend.Token    // nil: no record
	responses  map[string]*backend.Response // nil: no record
	idemKeys   map[string]*backend.Idempotency
	runIDs     []string
	tokenIDs   []string
	deliveries []string
	keys       []string
}

// probe lists what takeSnapshot reads: runs (record, history, inbox, tokens) and single
// tokens, responses and idempotency records, each of which may or may not exist.
type probe struct {
	runs, tokens, deliveries, keys []string
}

func takeSnapshot(t *testing.T, b backend.Backend, p probe) snapshot {
	t.Helper()
	ctx := t.Context()
	s := snapshot{
		runs:       map[string]runState{},
		tokens:     map[string]*backend.Token{},
		responses:  map[string]*backend.Response{},
		idemKeys:   map[string]*backend.Idempotency{},
		runIDs:     p.runs,
		tokenIDs:   p.tokens,
		deliveries: p.deliveries,
		keys:       p.keys,
	}
	for _, id := range p.runs {
		s.runs[id] = runState{
			run:    getRun(t, b, id),
			events: listEvents(t, b, id, 0),
			inbox:  listInbox(t, b, id),
			tokens: listTokens(t, b, id),
		}
	}
	for _, tok := range p.tokens {
		got, err := b.GetToken(ctx, tok)
		if errors.Is(err, backend.ErrTokenNotFound) {
			s.tokens[tok] = nil
			continue
		}
		require.NoError(t, err, "GetToken(%q)", tok)
		s.tokens[tok] = &got
	}
	for _, id := range p.deliveries {
		got, err := b.GetResponse(ctx, id)
		if errors.Is(err, backend.ErrResponseNotFound) {
			s.responses[id] = nil
			continue
		}
		require.NoError(t, err, "GetResponse(%q)", id)
		s.responses[id] = &got
	}
	for _, key := range p.keys {
		got, err := b.GetIdempotency(ctx, key)
		if errors.Is(err, backend.ErrIdempotencyNotFound) {
			s.idemKeys[key] = nil
			continue
		}
		require.NoError(t, err, "GetIdempotency(%q)", key)
		s.idemKeys[key] = &got
	}
	return s
}

// requireUnchanged reads again what before read and fails on any difference.
func requireUnchanged(t *testing.T, b backend.Backend, before snapshot, what string) {
	t.Helper()
	after := takeSnapshot(t, b, probe{runs: before.runIDs, tokens: before.tokenIDs, deliveries: before.deliveries, keys: before.keys})
	for _, id := range before.runIDs {
		w, g := before.runs[id], after.runs[id]
		requireRun(t, w.run, g.run, what+": run "+id)
		requireEvents(t, w.events, g.events, what+": events of "+id)
		requireItems(t, w.inbox, g.inbox, what+": inbox of "+id)
		requireTokens(t, w.tokens, g.tokens, what+": tokens of "+id)
	}
	for _, tok := range before.tokenIDs {
		w, g := before.tokens[tok], after.tokens[tok]
		if w == nil {
			require.Nilf(t, g, "%s: token %s was created", what, tok)
			continue
		}
		require.NotNilf(t, g, "%s: token %s was deleted", what, tok)
		requireToken(t, *w, *g, what+": token "+tok)
	}
	for _, id := range before.deliveries {
		w, g := before.responses[id], after.responses[id]
		if w == nil {
			require.Nilf(t, g, "%s: response %s was stored", what, id)
			continue
		}
		require.NotNilf(t, g, "%s: response %s was deleted", what, id)
		requireResponse(t, *w, *g, what+": response "+id)
	}
	for _, key := range before.keys {
		w, g := before.idemKeys[key], after.idemKeys[key]
		if w == nil {
			require.Nilf(t, g, "%s: idempotency record %s was stored", what, key)
			continue
		}
		require.NotNilf(t, g, "%s: idempotency record %s was deleted", what, key)
		requireIdem(t, *w, *g, what+": idempotency record "+key)
	}
}

// sortedTokens returns a copy of tokens in ListTokens order.
func sortedTokens(tokens ...backend.Token) []backend.Token {
	out := slices.Clone(tokens)
	slices.SortFunc(out, compareTokens)
	return out
}
