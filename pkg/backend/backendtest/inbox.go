package backendtest

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// inboxTests cover PutInbox (without idempotency), ListInbox and Commit.DeleteInbox.
func inboxTests() []subtest {
	return []subtest{
		{"PutHook", testInboxPutHook},
		{"Cancel", testInboxCancel},
		{"AssignsIncreasingIDs", testInboxAssignsIncreasingIDs},
		{"ExplicitIDsSorted", testInboxExplicitIDsSorted},
		{"HookRequiresToken", testInboxHookRequiresToken},
		{"HookAfterRelease", testInboxHookAfterRelease},
		{"Delete", testInboxDelete},
		{"DeleteOtherRun", testInboxDeleteOtherRun},
		{"ListUnknownRun", testInboxListUnknownRun},
		{"ListLimit", testInboxListLimit},
	}
}

// A hook item for a live token with the same run and hook is stored with every field.
func testInboxPutHook(t *testing.T, b backend.Backend) {
	run, tok := setupHook(t, b)
	item := hookItem(tok, now(), `{"approved":true,"by":{"name":"Zoë"}}`)
	item.DeliveryID = uid(t, "dlv")
	require.Zero(t, getToken(t, b, tok.Token).Deliveries, "a fresh token has no deliveries")
	got := putInbox(t, b, item)
	requireItems(t, []backend.InboxItem{got}, listInbox(t, b, run.ID), "ListInbox")
	require.Equal(t, run.Version, getRun(t, b, run.ID).Version, "PutInbox does not touch the run's version")
	require.EqualValues(t, 1, getToken(t, b, tok.Token).Deliveries, "PutInbox counts the delivery on the token")
	putInbox(t, b, hookItem(tok, now(), `2`))
	require.EqualValues(t, 2, getToken(t, b, tok.Token).Deliveries, "every delivery is counted")
}

// A cancel item needs a run that exists (ErrRunNotFound) and has not ended (ErrRunEnded).
func testInboxCancel(t *testing.T, b backend.Backend) {
	ctx := t.Context()

	unknown := uid(t, "run")
	_, _, err := b.PutInbox(ctx, cancelItem(unknown, now()), nil)
	require.ErrorIs(t, err, backend.ErrRunNotFound, "cancel of an unknown run")
	require.Empty(t, listInbox(t, b, unknown), "inbox of an unknown run after a refused cancel")

	for _, status := range allStatuses {
		run := newRun(t, now())
		run.Status = status
		createRun(t, b, run, nil)
		item := cancelItem(run.ID, now())
		if status.Terminal() {
			_, _, err := b.PutInbox(ctx, item, nil)
			require.ErrorIs(t, err, backend.ErrRunEnded, "cancel of a %s run", status)
			require.Empty(t, listInbox(t, b, run.ID), "inbox of a %s run after a refused cancel", status)
			continue
		}
		got := putInbox(t, b, item)
		requireItems(t, []backend.InboxItem{got}, listInbox(t, b, run.ID), "inbox of a "+string(status)+" run")
	}

	// A run that ends by a commit refuses cancels from then on.
	run := setupRun(t, b)
	putInbox(t, b, cancelItem(run.ID, now()))
	c, _ := nextCommit(t, b, run.ID)
	c.Status = backend.StatusCompleted
	mustCommit(t, b, c)
	_, _, err = b.PutInbox(ctx, cancelItem(run.ID, now()), nil)
	require.ErrorIs(t, err, backend.ErrRunEnded, "cancel after the run completed")
	require.Len(t, listInbox(t, b, run.ID), 1)
}

// PutInbox assigns IDs that grow with every call, across runs, even within one millisecond;
// ListInbox returns each run's items in that order.
func testInboxAssignsIncreasingIDs(t *testing.T, b backend.Backend) {
	ra, ta := setupHook(t, b)
	rb, tb := setupHook(t, b)
	var all, ofA, ofB []backend.InboxItem
	at := now()
	for i := range 8 {
		var got backend.InboxItem
		switch i % 4 {
		case 0, 1:
			got = putInbox(t, b, hookItem(ta, at, `{"i":`+strconv.Itoa(i)+`}`))
			ofA = append(ofA, got)
		case 2:
			got = putInbox(t, b, hookItem(tb, at, `{"i":`+strconv.Itoa(i)+`}`))
			ofB = append(ofB, got)
		case 3:
			got = putInbox(t, b, cancelItem(ra.ID, at))
			ofA = append(ofA, got)
		}
		if len(all) > 0 {
			prev := all[len(all)-1].ID
			require.Greater(t, got.ID, prev, "assigned ID %q must be greater than the one assigned before it", got.ID)
		}
		all = append(all, got)
	}
	requireItems(t, ofA, listInbox(t, b, ra.ID), "inbox of the first run")
	requireItems(t, ofB, listInbox(t, b, rb.ID), "inbox of the second run")
}

// Given IDs are kept, and ListInbox sorts by ID rather than by insertion.
func testInboxExplicitIDsSorted(t *testing.T, b backend.Backend) {
	run, tok := setupHook(t, b)
	prefix := uid(t, "item")
	var stored []backend.InboxItem
	for _, suffix := range []string{"0003", "0001", "0010", "0002"} {
		item := hookItem(tok, now(), `{"s":"`+suffix+`"}`)
		item.ID = prefix + "-" + suffix
		stored = append(stored, putInbox(t, b, item))
	}
	want := []backend.InboxItem{stored[1], stored[3], stored[0], stored[2]}
	requireItems(t, want, listInbox(t, b, run.ID), "ListInbox")
}

// A hook item needs a token record with the item's run and hook; otherwise PutInbox fails with
// ErrTokenNotFound and stores nothing.
func testInboxHookRequiresToken(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	ra, tok := setupHook(t, b)
	rb := setupRun(t, b)

	noRecord := hookItem(tok, now(), `{"n":1}`)
	noRecord.Token = uid(t, "tok")
	wrongHook := hookItem(tok, now(), `{"n":2}`)
	wrongHook.HookID = "another-hook"
	wrongRun := hookItem(tok, now(), `{"n":3}`)
	wrongRun.RunID = rb.ID
	unknownRun := hookItem(tok, now(), `{"n":4}`)
	unknownRun.RunID = uid(t, "run")
	noToken := hookItem(tok, now(), `{"n":5}`)
	noToken.Token = ""

	for name, item := range map[string]backend.InboxItem{
		"no token record":           noRecord,
		"token of another hook":     wrongHook,
		"token of another run":      wrongRun,
		"token of a run that isn't": unknownRun,
		"empty token":               noToken,
	} {
		_, _, err := b.PutInbox(ctx, item, nil)
		require.ErrorIs(t, err, backend.ErrTokenNotFound, name)
	}
	require.Empty(t, listInbox(t, b, ra.ID), "inbox of the token's run")
	require.Empty(t, listInbox(t, b, rb.ID), "inbox of the other run")
	require.Empty(t, listInbox(t, b, unknownRun.RunID), "inbox of the unknown run")
}

// Once the token is released, hook items for it are refused.
func testInboxHookAfterRelease(t *testing.T, b backend.Backend) {
	run, tok := setupHook(t, b)
	first := putInbox(t, b, hookItem(tok, now(), `{"n":1}`))
	release(t, b, run.ID, tok.Token)
	_, _, err := b.PutInbox(t.Context(), hookItem(tok, now(), `{"n":2}`), nil)
	require.ErrorIs(t, err, backend.ErrTokenNotFound)
	requireItems(t, []backend.InboxItem{first}, listInbox(t, b, run.ID), "ListInbox")
}

// Commit.DeleteInbox removes the named items; naming one that does not exist is fine.
func testInboxDelete(t *testing.T, b backend.Backend) {
	run, tok := setupHook(t, b)
	i1 := putInbox(t, b, hookItem(tok, now(), `{"n":1}`))
	i2 := putInbox(t, b, hookItem(tok, now(), `{"n":2}`))
	i3 := putInbox(t, b, cancelItem(run.ID, now()))

	c, cur := nextCommit(t, b, run.ID)
	c.Events = []backend.Event{{Seq: cur.LastSeq + 1, Type: "hook.received", Data: json.RawMessage(`{"n":1}`), CreatedAt: now()}}
	c.DeleteInbox = []string{i1.ID, i3.ID, uid(t, "item")}
	mustCommit(t, b, c)
	requireItems(t, []backend.InboxItem{i2}, listInbox(t, b, run.ID), "inbox after the delete")
	require.Equal(t, cur.Version+1, getRun(t, b, run.ID).Version)

	// Deleting items that are already gone is fine too.
	c, cur = nextCommit(t, b, run.ID)
	c.DeleteInbox = []string{i1.ID, i2.ID}
	mustCommit(t, b, c)
	require.Empty(t, listInbox(t, b, run.ID), "inbox after deleting the rest")
	require.Equal(t, cur.Version+1, getRun(t, b, run.ID).Version)
}

// DeleteInbox names items of the committing run: an item of another run survives.
func testInboxDeleteOtherRun(t *testing.T, b backend.Backend) {
	ra, _ := setupHook(t, b)
	rb, tb := setupHook(t, b)
	theirs := putInbox(t, b, hookItem(tb, now(), `{"n":1}`))

	c, _ := nextCommit(t, b, ra.ID)
	c.DeleteInbox = []string{theirs.ID}
	mustCommit(t, b, c)
	requireItems(t, []backend.InboxItem{theirs}, listInbox(t, b, rb.ID), "inbox of the other run")
}

// An unknown run, or a run without items, has an empty inbox (not an error).
func testInboxListUnknownRun(t *testing.T, b backend.Backend) {
	run := setupRun(t, b)
	for _, id := range []string{run.ID, uid(t, "run")} {
		items, err := b.ListInbox(t.Context(), id, 0)
		require.NoError(t, err)
		require.Empty(t, items, "ListInbox(%q)", id)
	}
}

// ListInbox returns the first limit items in ID order (limit <= 0: all of them); items a
// commit deleted no longer count.
func testInboxListLimit(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	run, tok := setupHook(t, b)
	var items []backend.InboxItem
	for i := range 5 {
		items = append(items, putInbox(t, b, hookItem(tok, now(), `{"i":`+strconv.Itoa(i)+`}`)))
	}
	for _, tc := range []struct{ limit, want int }{{0, 5}, {-1, 5}, {1, 1}, {3, 3}, {5, 5}, {6, 5}, {1000, 5}} {
		got, err := b.ListInbox(ctx, run.ID, tc.limit)
		require.NoError(t, err)
		requireItems(t, items[:tc.want], got, "ListInbox(limit "+strconv.Itoa(tc.limit)+")")
	}

	c, _ := nextCommit(t, b, run.ID)
	c.DeleteInbox = []string{items[0].ID, items[2].ID}
	mustCommit(t, b, c)
	got, err := b.ListInbox(ctx, run.ID, 2)
	require.NoError(t, err)
	requireItems(t, []backend.InboxItem{items[1], items[3]}, got, "ListInbox(limit 2) after deletes")
	requireItems(t, []backend.InboxItem{items[1], items[3], items[4]}, listInbox(t, b, run.ID), "ListInbox after deletes")

	got, err = b.ListInbox(ctx, uid(t, "run"), 3)
	require.NoError(t, err)
	require.Empty(t, got, "ListInbox(limit 3) of an unknown run")
}
