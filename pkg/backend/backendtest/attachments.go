package backendtest

import (
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// attachmentTests cover the binary Body of events and inbox items: any bytes, stored beside
// the JSON and read back exactly.
func attachmentTests() []subtest {
	return []subtest{
		{"EventBody", testAttachmentsEventBody},
		{"InboxBody", testAttachmentsInboxBody},
	}
}

// oddBytes are not UTF-8: a lone continuation byte, a NUL, a truncated sequence, an encoded
// surrogate, bytes that never occur in UTF-8. A driver that stores Body as text mangles them.
var oddBytes = []byte{0xff, 0xfe, 'a', 0x00, 0x80, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xc0, 0xaf, '\n'}

// bigBody is the size of a large attachment, well within a record.
const bigBody = 300 << 10

// Event bodies round-trip through CreateRun and Commit: odd bytes, a large body, a body
// without Data, and no body at all; changing the caller's slice afterwards changes nothing.
func testAttachmentsEventBody(t *testing.T, b backend.Backend) {
	require.False(t, utf8.Valid(oddBytes))
	at := now()
	run := newRun(t, at)
	first := mkEvents(1, 2, at)
	first[0].Body = slices.Clone(oddBytes)
	createRun(t, b, run, first)

	c, _ := nextCommit(t, b, run.ID)
	c.Events = mkEvents(3, 3, at)
	c.Events[0].Body = binaryOfSize(t, bigBody)
	c.Events[1].Data = nil
	c.Events[1].Body = []byte{0}
	mustCommit(t, b, c)

	want := slices.Concat(first, c.Events)
	for i := range want {
		want[i].Body = slices.Clone(want[i].Body)
	}
	first[0].Body[0] ^= 0xff
	c.Events[0].Body[0] ^= 0xff
	requireEvents(t, want, listEvents(t, b, run.ID, 0), "history")
	requireEvents(t, want[3:], listEvents(t, b, run.ID, 3), "history after Seq 3")
}

// Inbox item bodies round-trip through PutInbox and ListInbox, with and without a limit:
// odd bytes, a large body without a Payload, a cancel item's body.
func testAttachmentsInboxBody(t *testing.T, b backend.Backend) {
	run, tok := setupHook(t, b)
	odd := hookItem(tok, now(), `{"n":1}`)
	odd.Body = slices.Clone(oddBytes)
	big := hookItem(tok, now(), "")
	big.Body = binaryOfSize(t, bigBody)
	cancel := cancelItem(run.ID, now())
	cancel.Body = []byte{0}

	var stored []backend.InboxItem
	for _, it := range []backend.InboxItem{odd, big, cancel} {
		stored = append(stored, putInbox(t, b, it))
	}
	for i := range stored {
		stored[i].Body = slices.Clone(stored[i].Body)
	}
	odd.Body[0] ^= 0xff
	big.Body[0] ^= 0xff
	requireItems(t, stored, listInbox(t, b, run.ID), "inbox")
	got, err := b.ListInbox(t.Context(), run.ID, 2)
	require.NoError(t, err)
	requireItems(t, stored[:2], got, "inbox, limit 2")
}
