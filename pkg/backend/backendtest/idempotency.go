package backendtest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// idempotencyTests cover PutInbox with an idempotency record, and GetIdempotency.
func idempotencyTests() []subtest {
	return []subtest{
		{"StoresBoth", testIdemStoresBoth},
		{"Duplicate", testIdemDuplicate},
		{"Unknown", testIdemUnknown},
		{"ConditionFailureStoresNothing", testIdemConditionFailure},
	}
}

// putWithIdem stores item together with idem and returns the stored item.
func putWithIdem(t *testing.T, b backend.Backend, item backend.InboxItem, idem *backend.Idempotency) backend.InboxItem {
	t.Helper()
	got, _, err := b.PutInbox(t.Context(), item, idem)
	require.NoError(t, err, "PutInbox with an idempotency record")
	require.NotEmpty(t, got.ID, "PutInbox must assign an ID")
	want := item
	want.ID = got.ID
	requireItem(t, want, got, "item returned by PutInbox")
	return got
}

func getIdem(t *testing.T, b backend.Backend, key string) backend.Idempotency {
	t.Helper()
	got, err := b.GetIdempotency(t.Context(), key)
	require.NoError(t, err, "GetIdempotency")
	return got
}

// PutInbox with idem stores the item and the idempotency record.
func testIdemStoresBoth(t *testing.T, b backend.Backend) {
	run, tok := setupHook(t, b)
	idem := mkIdem(t, `{"inboxId":"x","status":202}`)
	hook := putWithIdem(t, b, hookItem(tok, now(), `{"n":1}`), idem)
	requireIdem(t, *idem, getIdem(t, b, idem.Key), "GetIdempotency after a hook item")

	cancelIdem := mkIdem(t, `{"cancel":true}`)
	cancel := putWithIdem(t, b, cancelItem(run.ID, now()), cancelIdem)
	requireIdem(t, *cancelIdem, getIdem(t, b, cancelIdem.Key), "GetIdempotency after a cancel item")

	requireItems(t, []backend.InboxItem{hook, cancel}, listInbox(t, b, run.ID), "ListInbox")
}

// A second PutInbox with a key already stored stores nothing and returns the existing record
// with ErrDuplicate, whatever the item (the key is global, not scoped to a run).
func testIdemDuplicate(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	run, tok := setupHook(t, b)
	other := setupRun(t, b)
	idem := mkIdem(t, `{"first":true}`)
	first := putWithIdem(t, b, hookItem(tok, now(), `{"n":1}`), idem)

	again := *idem
	again.Data = json.RawMessage(`{"second":true}`)
	again.CreatedAt = now().Add(time.Second)
	for name, item := range map[string]backend.InboxItem{
		"same hook":            hookItem(tok, now(), `{"n":2}`),
		"a cancel of the run":  cancelItem(run.ID, now()),
		"a cancel of another":  cancelItem(other.ID, now()),
		"an item with an ID":   func() backend.InboxItem { i := hookItem(tok, now(), `{"n":3}`); i.ID = uid(t, "item"); return i }(),
		"same item, same data": hookItem(tok, first.CreatedAt, `{"n":1}`),
	} {
		dup := again
		_, existing, err := b.PutInbox(ctx, item, &dup)
		require.ErrorIs(t, err, backend.ErrDuplicate, name)
		require.NotNil(t, existing, "%s: PutInbox must return the existing record with ErrDuplicate", name)
		requireIdem(t, *idem, *existing, name+": record returned with ErrDuplicate")
	}

	requireItems(t, []backend.InboxItem{first}, listInbox(t, b, run.ID), "inbox after duplicates")
	require.EqualValues(t, 1, getToken(t, b, tok.Token).Deliveries, "duplicates are not counted as deliveries")
	require.Empty(t, listInbox(t, b, other.ID), "inbox of the other run after a duplicate")
	requireIdem(t, *idem, getIdem(t, b, idem.Key), "GetIdempotency after duplicates")
}

// GetIdempotency of a key without a record fails with ErrIdempotencyNotFound.
func testIdemUnknown(t *testing.T, b backend.Backend) {
	for _, key := range []string{uid(t, "idem"), ""} {
		_, err := b.GetIdempotency(t.Context(), key)
		require.ErrorIs(t, err, backend.ErrIdempotencyNotFound, "GetIdempotency(%q)", key)
	}
}

// When the item's condition fails, the idempotency record is not stored either, and the key
// stays free for a later call.
func testIdemConditionFailure(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	run, tok := setupHook(t, b)
	ended := newRun(t, now())
	ended.Status = backend.StatusFailed
	createRun(t, b, ended, nil)

	noToken := hookItem(tok, now(), `{"n":1}`)
	noToken.Token = uid(t, "tok")
	wrongHook := hookItem(tok, now(), `{"n":2}`)
	wrongHook.HookID = "not-this-one"
	cases := []struct {
		name string
		item backend.InboxItem
		err  error
	}{
		{"hook item without a token record", noToken, backend.ErrTokenNotFound},
		{"hook item for another hook", wrongHook, backend.ErrTokenNotFound},
		{"cancel of an unknown run", cancelItem(uid(t, "run"), now()), backend.ErrRunNotFound},
		{"cancel of an ended run", cancelItem(ended.ID, now()), backend.ErrRunEnded},
	}
	idem := mkIdem(t, `{"n":0}`)
	for _, tc := range cases {
		_, _, err := b.PutInbox(ctx, tc.item, idem)
		require.ErrorIs(t, err, tc.err, tc.name)
		_, err = b.GetIdempotency(ctx, idem.Key)
		require.ErrorIs(t, err, backend.ErrIdempotencyNotFound, "%s: the idempotency record must not be stored", tc.name)
		require.Empty(t, listInbox(t, b, tc.item.RunID), "%s: inbox", tc.name)
	}
	require.Empty(t, listInbox(t, b, run.ID), "inbox of the token's run")

	// The key is still free.
	stored := putWithIdem(t, b, hookItem(tok, now(), `{"n":9}`), idem)
	requireIdem(t, *idem, getIdem(t, b, idem.Key), "GetIdempotency after a successful call")
	requireItems(t, []backend.InboxItem{stored}, listInbox(t, b, run.ID), "ListInbox")
}
