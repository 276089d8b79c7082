package memory

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// The estimates of ordinary records, next to what the AWS driver's itemSize gives for the
// items it makes of them (measured with that driver when these were written). The estimate
// may exceed it (the run's commit lease, an 11-digit TTL) but never fall below it.
func TestSizesFollowTheAWSLayout(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	run := backend.Run{ID: "run-1", Workflow: "wf", Status: backend.StatusWaiting, Input: json.RawMessage(`{"a":1}`),
		Version: 3, LastSeq: 12, CreatedAt: at, UpdatedAt: at, DueAt: at, Failures: 2, LastError: "boom"}
	leased := run
	leased.LeaseOwner, leased.LeaseUntil = "worker-1", at.Add(time.Minute)
	event := backend.Event{Seq: 7, Type: "step", CorrelationID: "c", Data: json.RawMessage(`{"x":1}`), Body: []byte{1, 2}, CreatedAt: at}
	item := backend.InboxItem{ID: "01KBH3W7W0TZ3KQ0C3V5QF7Y2M", RunID: "run-1", Kind: "hook", Token: "tok", HookID: "h",
		Payload: json.RawMessage(`{}`), CreatedAt: at}
	token := backend.Token{Token: "tok", RunID: "run-1", HookID: "h", Kind: "hook", Data: json.RawMessage(`{}`), CreatedAt: at, Deliveries: 3}
	resp := backend.Response{DeliveryID: "d", Data: json.RawMessage(`{}`), CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	idem := backend.Idempotency{Key: "k", Data: json.RawMessage(`{}`), CreatedAt: at}

	for _, tc := range []struct {
		what      string
		got, aws  int
		allowance int
	}{
		{"run", runSize(run, 0), 285, leaseAttr},
		{"leased run", runSize(leased, 0), 327, leaseAttr},
		{"event", eventSize("run-1", event), 130, 0},
		{"inbox item", itemSize(item), 195, 0},
		{"inbox item without an ID", itemSize(backend.InboxItem{RunID: "run-1", Kind: "hook", Token: "tok", HookID: "h",
			Payload: json.RawMessage(`{}`), CreatedAt: at}), 195, 0},
		{"token", tokenSize(token), 112, 0},
		{"response", responseSize(resp), 125, 0},
		{"idempotency record", idemSize(idem), 88, 1},
	} {
		require.Equal(t, tc.aws+tc.allowance, tc.got, tc.what)
	}
}

// What the AWS driver leaves out of an item is not counted; JSON null is (the estimate may be
// larger, never smaller).
func TestSizesOfAbsentValues(t *testing.T) {
	t.Parallel()
	bare := backend.Event{Seq: 1}
	require.Equal(t, eventSize("r", bare), eventSize("r", backend.Event{Seq: 1, Data: json.RawMessage{}, Body: []byte{}}))
	require.Equal(t, eventSize("r", bare)+len("data")+len("null"), eventSize("r", backend.Event{Seq: 1, Data: json.RawMessage("null")}))
	require.Equal(t, eventSize("r", bare)+len("body")+3, eventSize("r", backend.Event{Seq: 1, Body: []byte{0, 0xff, 1}}))
	run := backend.Run{ID: "r"}
	require.Equal(t, runSize(run, 0)+len("tokens")+10, runSize(run, 10), "the run's token set")
	due := run
	due.DueAt = time.Unix(1, 0)
	require.Equal(t, runSize(run, 0)+len("dueAt")+len("1970-01-01T00:00:01Z")+dueAttrs+len("r"), runSize(due, 0),
		"a due time and the due index entry")
}

// The run record carries the names of the tokens the run holds, so claims can take it over
// the limit and releases bring it back; the count survives a restart from the bbolt file.
func TestRunRecordCountsItsTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	b, err := Open(path)
	require.NoError(t, err)
	defer func() { require.NoError(t, b.Close()) }()

	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	run := backend.Run{ID: "r", Workflow: "wf", Status: backend.StatusWaiting, Input: json.RawMessage(`""`), CreatedAt: at, UpdatedAt: at}
	// Fill the record up to 60 bytes below the limit, as it will be after one commit: one
	// token of 40 bytes adds 46 ("tokens" and the name), two add 86.
	after := run
	after.Version, after.UpdatedAt = 2, at
	pad := backend.MaxItemBytes - 60 - runSize(after, 0)
	run.Input = json.RawMessage(`"` + strings.Repeat("x", pad) + `"`)
	_, err = b.CreateRun(ctx, run, nil)
	require.NoError(t, err)

	name := func(c byte) string { return strings.Repeat(string(c), 40) }
	commit := func(b *Backend, version int64, claim, release string) error {
		c := backend.Commit{RunID: "r", Version: version, Status: backend.StatusWaiting, Now: at}
		if claim != "" {
			c.ClaimTokens = []backend.Token{{Token: claim, HookID: "h"}}
		}
		if release != "" {
			c.ReleaseTokens = []string{release}
		}
		return b.Commit(ctx, c)
	}
	require.NoError(t, commit(b, 1, name('a'), ""), "one token fits")
	err = commit(b, 2, name('b'), "")
	require.ErrorIs(t, err, backend.ErrTooLarge, "a second one does not")
	require.ErrorIs(t, err, backend.ErrInvalidCommit)

	require.NoError(t, b.Close())
	b, err = Open(path)
	require.NoError(t, err)
	err = commit(b, 2, name('b'), "")
	require.ErrorIs(t, err, backend.ErrTooLarge, "after a restart, the held token still counts")
	require.NoError(t, commit(b, 2, name('b'), name('a')), "a release makes room for a claim")
	require.NoError(t, commit(b, 3, "", name('b')))
	require.NoError(t, commit(b, 4, name('c'), "never-held"), "a release of a token the run does not hold is fine")
}

// The run lease counts in the run record, as on DynamoDB: a lease that would take the record
// over the limit is refused and stores nothing, and a commit counts the lease it keeps.
func TestRunRecordCountsItsLease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := New()
	defer func() { require.NoError(t, b.Close()) }()

	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	run := backend.Run{ID: "r", Workflow: "wf", Status: backend.StatusWaiting, Input: json.RawMessage(`""`), CreatedAt: at, UpdatedAt: at}
	after := run
	after.Version = 1
	pad := backend.MaxItemBytes - 100 - runSize(after, 0)
	run.Input = json.RawMessage(`"` + strings.Repeat("x", pad) + `"`)
	_, err := b.CreateRun(ctx, run, nil)
	require.NoError(t, err)

	err = b.TakeLease(ctx, "r", strings.Repeat("w", 100), at, at.Add(time.Minute))
	require.ErrorIs(t, err, backend.ErrTooLarge, "a lease of 100 bytes and more does not fit")
	got, err := b.GetRun(ctx, "r")
	require.NoError(t, err)
	require.Empty(t, got.LeaseOwner)

	require.NoError(t, b.TakeLease(ctx, "r", "worker-1", at, at.Add(time.Minute)), "a short one does")
	err = b.Commit(ctx, backend.Commit{RunID: "r", Version: 1, Status: backend.StatusWaiting, Now: at, LastError: strings.Repeat("e", 60)})
	require.ErrorIs(t, err, backend.ErrTooLarge, "the commit counts the lease the run keeps")
	require.NoError(t, b.ReleaseLease(ctx, "r", "worker-1"))
	require.NoError(t, b.Commit(ctx, backend.Commit{RunID: "r", Version: 1, Status: backend.StatusWaiting, Now: at, LastError: strings.Repeat("e", 60)}),
		"without the lease it fits")
}
