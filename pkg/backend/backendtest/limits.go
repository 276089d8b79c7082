package backendtest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// limitTests cover the Limits of package backend: what a driver refuses for its size, before
// it writes anything, and what it must accept although it is large (a commit's events and
// inbox deletes are not limited in number, and its events not in total size).
func limitTests() []subtest {
	return []subtest{
		{"ManyEventsAndDeletes", testLimitsManyEventsAndDeletes},
		{"LargeEvents", testLimitsLargeEvents},
		{"SideItems", testLimitsSideItems},
		{"SideItemsAsGiven", testLimitsSideItemsAsGiven},
		{"SideBytes", testLimitsSideBytes},
		{"EventSize", testLimitsEventSize},
		{"InboxSize", testLimitsInboxSize},
		{"IdempotencySize", testLimitsIdempotencySize},
		{"ResponseSize", testLimitsResponseSize},
		{"TokenSize", testLimitsTokenSize},
		{"RunSize", testLimitsRunSize},
		{"FirstEvents", testLimitsFirstEvents},
	}
}

// Record sizes the tests use. A driver counts a record as DynamoDB does, attribute names and
// keys included, so the suite cannot know its exact size; it leaves recordSlack for the
// driver's share (names, keys, times, bookkeeping) and relies on the values alone.
const (
	// recordSlack is what the suite leaves to a driver's share of a record. It is generous
	// because the moto emulator refuses items from 405,000 bytes, below DynamoDB's limit.
	recordSlack = 8 << 10
	// fits is the size of values that fit one record of every driver, with short IDs.
	fits = backend.MaxItemBytes - recordSlack
	// overflows is the size of values that no record holds, whatever the driver's share.
	overflows = backend.MaxItemBytes + 1
	// half is half a record: two values of half and half+1 bytes overflow together.
	half = backend.MaxItemBytes / 2
)

// jsonOfSize returns a JSON string value of exactly n bytes (n >= 2), quotes included.
func jsonOfSize(n int) json.RawMessage {
	return json.RawMessage(`"` + strings.Repeat("x", n-2) + `"`)
}

// binaryOfSize returns n random bytes: binary that is not UTF-8, with NULs.
func binaryOfSize(t *testing.T, n int) []byte {
	t.Helper()
	buf := make([]byte, n)
	_, err := rand.Read(buf)
	require.NoError(t, err)
	return buf
}

// requireTooLarge checks that err reports a size over the Limits: ErrTooLarge, and for a
// commit (or CreateRun) ErrInvalidCommit too.
func requireTooLarge(t *testing.T, err error, commit bool, what string) {
	t.Helper()
	require.ErrorIsf(t, err, backend.ErrTooLarge, "%s", what)
	if commit {
		require.ErrorIsf(t, err, backend.ErrInvalidCommit, "%s", what)
	}
}

// A commit's events and inbox deletes are not limited in number: hundreds of each, far more
// than one transaction of the store holds, are applied whole. Most deletes name items that
// do not exist (which is fine, and cheap to set up); their IDs sort before and after the
// stored ones, so that a driver that splits deletes in ID order has stored items in more than
// one part.
func testLimitsManyEventsAndDeletes(t *testing.T, b backend.Backend) {
	const stored, before, after, events = 60, 60, 180, 300
	run, tok := setupHook(t, b)
	ids := make([]string, 0, before+stored+after)
	for range before {
		ids = append(ids, uid(t, "0000")) // before ULIDs and other IDs of digits and capitals
	}
	for i := range stored {
		ids = append(ids, putInbox(t, b, hookItem(tok, now(), fmt.Sprintf(`{"n":%d}`, i))).ID)
	}
	for range after {
		ids = append(ids, uid(t, "~~~~"))
	}
	history := listEvents(t, b, run.ID, 0)

	c, cur := nextCommit(t, b, run.ID)
	c.Events = mkEvents(cur.LastSeq+1, events, now())
	c.DeleteInbox = ids
	mustCommit(t, b, c)

	got := getRun(t, b, run.ID)
	require.Equal(t, cur.Version+1, got.Version)
	require.Equal(t, cur.LastSeq+events, got.LastSeq)
	requireEvents(t, append(history, c.Events...), listEvents(t, b, run.ID, 0), "history after the commit")
	require.Empty(t, listInbox(t, b, run.ID), "inbox after the commit deleted every item")
	require.EqualValues(t, stored, getToken(t, b, tok.Token).Deliveries)
}

// Events are limited one by one, not in total: a commit of events near the record limit that
// come to more than MaxTransactionBytes together is applied whole.
func testLimitsLargeEvents(t *testing.T, b backend.Backend) {
	const n = backend.MaxTransactionBytes/fits + 1
	run := setupRun(t, b)
	c, cur := nextCommit(t, b, run.ID)
	c.Events = mkEvents(cur.LastSeq+1, n, now())
	for i := range c.Events {
		if i%2 == 0 {
			c.Events[i].Data = jsonOfSize(fits)
		} else {
			c.Events[i].Body = binaryOfSize(t, fits)
		}
	}
	mustCommit(t, b, c)
	require.Equal(t, cur.Version+1, getRun(t, b, run.ID).Version)
	requireEvents(t, c.Events, listEvents(t, b, run.ID, 0), "history")
}

// allTokens returns the live tokens of every run that are in mine, in ListTokens order. It
// proves in one call that no token record was created or deleted.
func allTokens(t *testing.T, b backend.Backend, mine map[string]bool) []backend.Token {
	t.Helper()
	var out []backend.Token
	for _, tk := range listTokens(t, b, "") {
		if mine[tk.Token] {
			out = append(out, tk)
		}
	}
	return out
}

// A commit carries at most MaxSideItems token claims, token releases and responses together:
// one more fails with ErrInvalidCommit and ErrTooLarge and writes nothing; MaxSideItems are
// all applied.
func testLimitsSideItems(t *testing.T, b backend.Backend) {
	const held, claims = 49, 49
	run := setupRun(t, b)
	mine := map[string]bool{}
	var old []backend.Token
	for range held {
		tk := mkToken(t, run.ID, "old", now())
		old = append(old, tk)
		mine[tk.Token] = true
	}
	claim(t, b, run.ID, old...)

	c, cur := nextCommit(t, b, run.ID)
	c.Events = mkEvents(cur.LastSeq+1, 3, now())
	for range claims {
		tk := mkToken(t, run.ID, "new", now())
		c.ClaimTokens = append(c.ClaimTokens, tk)
		mine[tk.Token] = true
	}
	for _, tk := range old {
		c.ReleaseTokens = append(c.ReleaseTokens, tk.Token)
	}
	c.PutResponses = []backend.Response{mkResponse(t, `{"status":200}`)}
	require.Equal(t, backend.MaxSideItems, len(c.ClaimTokens)+len(c.ReleaseTokens)+len(c.PutResponses))

	over := c
	over.PutResponses = append(over.PutResponses, mkResponse(t, `{"status":201}`))
	p := probe{runs: []string{run.ID}, deliveries: []string{over.PutResponses[0].DeliveryID, over.PutResponses[1].DeliveryID}}
	before, tokens := takeSnapshot(t, b, p), allTokens(t, b, mine)
	requireTooLarge(t, b.Commit(t.Context(), over), true, "a commit of MaxSideItems+1 side items")
	requireUnchanged(t, b, before, "after a commit of MaxSideItems+1 side items")
	requireTokens(t, tokens, allTokens(t, b, mine), "tokens after a commit of MaxSideItems+1 side items")

	mustCommit(t, b, c)
	got := getRun(t, b, run.ID)
	require.Equal(t, cur.Version+1, got.Version)
	require.Equal(t, cur.LastSeq+3, got.LastSeq)
	requireTokens(t, sortedTokens(c.ClaimTokens...), allTokens(t, b, mine), "tokens after the commit")
	requireTokens(t, sortedTokens(c.ClaimTokens...), listTokens(t, b, run.ID), "tokens of the run after the commit")
	requireResponse(t, c.PutResponses[0], getResponse(t, b, c.PutResponses[0].DeliveryID), "the response of the commit")
}

// Side items are counted as the commit gives them, not as the writes they turn into: releases
// of tokens the run does not hold and responses that replace one another in the same commit
// count too, so that a commit's fate does not hang on the store's state.
func testLimitsSideItemsAsGiven(t *testing.T, b backend.Backend) {
	const releases = 60
	run := setupRun(t, b)
	c, _ := nextCommit(t, b, run.ID)
	for range releases {
		c.ReleaseTokens = append(c.ReleaseTokens, uid(t, "tok"))
	}
	delivery := uid(t, "dlv")
	for i := range backend.MaxSideItems + 1 - releases {
		r := mkResponse(t, fmt.Sprintf(`{"status":200,"n":%d}`, i))
		r.DeliveryID = delivery
		c.PutResponses = append(c.PutResponses, r)
	}
	before := takeSnapshot(t, b, probe{runs: []string{run.ID}, deliveries: []string{delivery}})
	requireTooLarge(t, b.Commit(t.Context(), c), true, "releases of unknown tokens and repeated responses, MaxSideItems+1 in all")
	requireUnchanged(t, b, before, "after a refused commit")

	c.PutResponses = c.PutResponses[:len(c.PutResponses)-1]
	mustCommit(t, b, c)
	last := c.PutResponses[len(c.PutResponses)-1]
	requireResponse(t, last, getResponse(t, b, delivery), "the last response of the commit wins")
}

// The side items and the run record must fit one transaction together: side items over
// MaxTransactionBytes fail with ErrInvalidCommit and ErrTooLarge and write nothing.
func testLimitsSideBytes(t *testing.T, b backend.Backend) {
	const over = backend.MaxTransactionBytes/fits + 1
	run := setupRun(t, b)
	c, cur := nextCommit(t, b, run.ID)
	c.Events = mkEvents(cur.LastSeq+1, 1, now())
	p := probe{runs: []string{run.ID}}
	for range over {
		r := mkResponse(t, "")
		r.Data = jsonOfSize(fits)
		c.PutResponses = append(c.PutResponses, r)
		p.deliveries = append(p.deliveries, r.DeliveryID)
	}
	before := takeSnapshot(t, b, p)
	requireTooLarge(t, b.Commit(t.Context(), c), true, fmt.Sprintf("%d responses near the record limit", over))
	requireUnchanged(t, b, before, "after a commit of side items over MaxTransactionBytes")

	// Half the limit (a driver may keep a margin below it): applied.
	c.PutResponses = c.PutResponses[:backend.MaxTransactionBytes/2/fits]
	mustCommit(t, b, c)
	for _, r := range c.PutResponses {
		requireResponse(t, r, getResponse(t, b, r.DeliveryID), "a large response")
	}
}

// An event just within the record limit is stored and read back intact; one over it (counting
// its Body) fails the commit with ErrInvalidCommit and ErrTooLarge, which writes nothing.
func testLimitsEventSize(t *testing.T, b backend.Backend) {
	run := setupRun(t, b)
	c, cur := nextCommit(t, b, run.ID)
	c.Events = mkEvents(cur.LastSeq+1, 2, now())
	c.Events[0].Data = jsonOfSize(fits)
	c.Events[1].Data = jsonOfSize(half)
	c.Events[1].Body = binaryOfSize(t, half-recordSlack)
	mustCommit(t, b, c)
	requireEvents(t, c.Events, listEvents(t, b, run.ID, 0), "history with events near the limit")

	for _, tc := range []struct {
		name string
		data json.RawMessage
		body []byte
	}{
		{"Data over the limit", jsonOfSize(overflows), nil},
		{"Data and Body over the limit together", jsonOfSize(half), binaryOfSize(t, half+1)},
	} {
		c, cur := nextCommit(t, b, run.ID)
		c.Events = mkEvents(cur.LastSeq+1, 2, now())
		c.Events[1].Data, c.Events[1].Body = tc.data, tc.body
		before := takeSnapshot(t, b, probe{runs: []string{run.ID}})
		requireTooLarge(t, b.Commit(t.Context(), c), true, tc.name)
		requireUnchanged(t, b, before, "after a refused commit: "+tc.name)
	}
}

// An inbox item just within the record limit is stored and read back intact; PutInbox of one
// over it (counting its Body) fails with ErrTooLarge and stores nothing, nor counts a delivery.
func testLimitsInboxSize(t *testing.T, b backend.Backend) {
	run, tok := setupHook(t, b)
	hook := hookItem(tok, now(), "")
	hook.Payload = jsonOfSize(half)
	hook.Body = binaryOfSize(t, half-recordSlack)
	cancel := cancelItem(run.ID, now())
	cancel.Payload = jsonOfSize(fits)
	stored := []backend.InboxItem{putInbox(t, b, hook), putInbox(t, b, cancel)}
	requireItems(t, stored, listInbox(t, b, run.ID), "inbox with items near the limit")

	hugeHook := hookItem(tok, now(), "")
	hugeHook.Payload = jsonOfSize(overflows)
	splitHook := hookItem(tok, now(), "")
	splitHook.Payload, splitHook.Body = jsonOfSize(half), binaryOfSize(t, half+1)
	hugeCancel := cancelItem(run.ID, now())
	hugeCancel.Body = binaryOfSize(t, overflows)
	before := takeSnapshot(t, b, probe{runs: []string{run.ID}, tokens: []string{tok.Token}})
	for name, item := range map[string]backend.InboxItem{
		"hook item with Payload over the limit":          hugeHook,
		"hook item with Payload and Body over the limit": splitHook,
		"cancel item with Body over the limit":           hugeCancel,
	} {
		_, _, err := b.PutInbox(t.Context(), item, nil)
		requireTooLarge(t, err, false, name)
		requireUnchanged(t, b, before, "after a refused PutInbox of a "+name)
	}
}

// An idempotency record just within the record limit is stored with its item; PutInbox with
// one over it fails with ErrTooLarge and stores neither.
func testLimitsIdempotencySize(t *testing.T, b backend.Backend) {
	run, tok := setupHook(t, b)
	ok := mkIdem(t, "")
	ok.Data = jsonOfSize(fits)
	item, rec, err := b.PutInbox(t.Context(), hookItem(tok, now(), `{"n":1}`), ok)
	require.NoError(t, err)
	require.NotNil(t, rec)
	requireIdem(t, *ok, *rec, "record returned by PutInbox")
	got, err := b.GetIdempotency(t.Context(), ok.Key)
	require.NoError(t, err)
	requireIdem(t, *ok, got, "GetIdempotency")
	requireItems(t, []backend.InboxItem{item}, listInbox(t, b, run.ID), "inbox")

	huge := mkIdem(t, "")
	huge.Data = jsonOfSize(overflows)
	before := takeSnapshot(t, b, probe{runs: []string{run.ID}, tokens: []string{tok.Token}, keys: []string{huge.Key}})
	_, _, err = b.PutInbox(t.Context(), hookItem(tok, now(), `{"n":2}`), huge)
	requireTooLarge(t, err, false, "an idempotency record over the limit")
	requireUnchanged(t, b, before, "after a refused PutInbox")
}

// A response just within the record limit is stored and read back intact; one over it fails
// the commit with ErrInvalidCommit and ErrTooLarge, which writes nothing.
func testLimitsResponseSize(t *testing.T, b backend.Backend) {
	run := setupRun(t, b)
	ok := mkResponse(t, "")
	ok.Data = jsonOfSize(fits)
	c, _ := nextCommit(t, b, run.ID)
	c.PutResponses = []backend.Response{ok}
	mustCommit(t, b, c)
	requireResponse(t, ok, getResponse(t, b, ok.DeliveryID), "a response near the limit")

	small := mkResponse(t, `{"status":200}`)
	huge := mkResponse(t, "")
	huge.Data = jsonOfSize(overflows)
	c, cur := nextCommit(t, b, run.ID)
	c.Events = mkEvents(cur.LastSeq+1, 1, now())
	c.PutResponses = []backend.Response{small, huge}
	before := takeSnapshot(t, b, probe{runs: []string{run.ID}, deliveries: []string{ok.DeliveryID, small.DeliveryID, huge.DeliveryID}})
	requireTooLarge(t, b.Commit(t.Context(), c), true, "a response over the limit")
	requireUnchanged(t, b, before, "after a refused commit")
}

// A token just within the record limit is claimed and read back intact; a claim of one over
// it fails the commit with ErrInvalidCommit and ErrTooLarge, which writes nothing.
func testLimitsTokenSize(t *testing.T, b backend.Backend) {
	run := setupRun(t, b)
	ok := mkToken(t, run.ID, "big", now())
	ok.Data = jsonOfSize(fits)
	claim(t, b, run.ID, ok)
	requireToken(t, ok, getToken(t, b, ok.Token), "a token near the limit")

	small := mkToken(t, run.ID, "small", now())
	huge := mkToken(t, run.ID, "huge", now())
	huge.Data = jsonOfSize(overflows)
	c, cur := nextCommit(t, b, run.ID)
	c.Events = mkEvents(cur.LastSeq+1, 1, now())
	c.ClaimTokens = []backend.Token{small, huge}
	c.ReleaseTokens = []string{ok.Token}
	before := takeSnapshot(t, b, probe{runs: []string{run.ID}, tokens: []string{ok.Token, small.Token, huge.Token}})
	requireTooLarge(t, b.Commit(t.Context(), c), true, "a token over the limit")
	requireUnchanged(t, b, before, "after a refused commit")
}

// The run record is limited as a whole, with what it keeps from CreateRun (Input) and what
// commits set (Output, Error, LastError): CreateRun of a run over the limit fails with
// ErrTooLarge and stores nothing, and so does a commit that would take the run over it.
func testLimitsRunSize(t *testing.T, b backend.Backend) {
	huge := newRun(t, now())
	huge.Input = jsonOfSize(overflows)
	_, err := b.CreateRun(t.Context(), huge, nil)
	requireTooLarge(t, err, false, "CreateRun of a run with Input over the limit")
	_, err = b.GetRun(t.Context(), huge.ID)
	require.ErrorIs(t, err, backend.ErrRunNotFound, "a refused CreateRun stored the run")

	run := newRun(t, now())
	run.Input = jsonOfSize(half)
	createRun(t, b, run, nil)
	c, _ := nextCommit(t, b, run.ID)
	c.Output = jsonOfSize(half - recordSlack)
	mustCommit(t, b, c)
	want := getRun(t, b, run.ID)
	requireJSON(t, c.Output, want.Output, "Output near the limit with Input")

	for _, tc := range []struct {
		name   string
		change func(*backend.Commit)
	}{
		{"Output over the limit with Input", func(c *backend.Commit) { c.Output = jsonOfSize(half + 1) }},
		{"Output and Error over the limit with Input", func(c *backend.Commit) {
			c.Output, c.Error = jsonOfSize(half/2), jsonOfSize(half/2+1)
		}},
		{"LastError over the limit with Input", func(c *backend.Commit) {
			c.Failures, c.LastError = 1, strings.Repeat("e", half+1)
		}},
	} {
		c, cur := nextCommit(t, b, run.ID)
		c.Events = mkEvents(cur.LastSeq+1, 1, now())
		tc.change(&c)
		before := takeSnapshot(t, b, probe{runs: []string{run.ID}})
		requireTooLarge(t, b.Commit(t.Context(), c), true, tc.name)
		requireUnchanged(t, b, before, "after a refused commit: "+tc.name)
	}
}

// CreateRun writes the run and its first events in one transaction: MaxSideItems first events
// are stored, one more (or first events over MaxTransactionBytes) fail with ErrInvalidCommit
// and ErrTooLarge and store nothing.
func testLimitsFirstEvents(t *testing.T, b backend.Backend) {
	run := newRun(t, now())
	createRun(t, b, run, mkEvents(1, backend.MaxSideItems, now()))
	require.Len(t, listEvents(t, b, run.ID, 0), backend.MaxSideItems)

	many := newRun(t, now())
	large := newRun(t, now())
	largeEvents := mkEvents(1, backend.MaxTransactionBytes/fits+1, now())
	for i := range largeEvents {
		largeEvents[i].Data = jsonOfSize(fits)
	}
	for _, tc := range []struct {
		name   string
		run    backend.Run
		events []backend.Event
	}{
		{"MaxSideItems+1 first events", many, mkEvents(1, backend.MaxSideItems+1, now())},
		{"first events over MaxTransactionBytes", large, largeEvents},
	} {
		_, err := b.CreateRun(t.Context(), tc.run, tc.events)
		requireTooLarge(t, err, true, "CreateRun with "+tc.name)
		_, err = b.GetRun(t.Context(), tc.run.ID)
		require.ErrorIs(t, err, backend.ErrRunNotFound, "CreateRun with %s stored the run", tc.name)
	}
}
