package aws

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// at is a time with nanoseconds in a location other than UTC: the codec keeps the instant.
var at = time.Date(2031, 2, 3, 4, 5, 6, 789_012_345, time.FixedZone("X", 5*3600+1800))

func TestRunRoundTrip(t *testing.T) {
	t.Parallel()
	run := backend.Run{
		ID:        "run-1#x",
		Workflow:  "order",
		Status:    backend.StatusWaiting,
		Input:     json.RawMessage(`{"note":"h\u00e9llo \"quoted\"","n":[1,2.5,null]}`),
		Output:    json.RawMessage(`"done"`),
		Error:     json.RawMessage(`{"message":"boom"}`),
		Version:   7,
		LastSeq:   41,
		CreatedAt: at,
		UpdatedAt: at.Add(time.Nanosecond),
		DueAt:     at.Add(time.Hour),
	}
	m, err := encodeRun(run)
	require.NoError(t, err)
	require.Equal(t, dueShard(run.ID), getStr(m, AttrDuePK))
	require.Equal(t, dueSK(run.DueAt, run.ID), getStr(m, AttrDueSK))
	got, err := decodeRun(m)
	require.NoError(t, err)
	requireSameRun(t, run, got.Run)

	// Absent values stay absent; a zero DueAt keeps the run out of the index.
	bare := backend.Run{ID: "r", Output: json.RawMessage(`null`), Error: json.RawMessage(" ")}
	m, err = encodeRun(bare)
	require.NoError(t, err)
	for _, name := range []string{attrInput, attrOutput, attrError, attrDueAt, AttrDuePK, AttrDueSK, attrCreatedAt, attrStatus} {
		require.NotContains(t, m, name)
	}
	got, err = decodeRun(m)
	require.NoError(t, err)
	require.True(t, got.DueAt.IsZero())
	require.Nil(t, got.Input)
	require.Nil(t, got.Output)
}

// The run lease is kept as an owner and a number of ms: the expiry comes back truncated to the
// millisecond, in UTC; a run without a lease has neither attribute.
func TestRunLeaseRoundTrip(t *testing.T) {
	t.Parallel()
	run := backend.Run{ID: "r", Version: 2, LeaseOwner: "worker-1", LeaseUntil: at}
	m, err := encodeRun(run)
	require.NoError(t, err)
	require.Equal(t, "worker-1", getStr(m, attrLeaseOwner))
	require.Equal(t, &types.AttributeValueMemberN{Value: strconv.FormatInt(at.UnixMilli(), 10)}, m[attrLeaseUntil])
	got, err := decodeRun(m)
	require.NoError(t, err)
	require.Equal(t, "worker-1", got.LeaseOwner)
	require.Equal(t, at.Truncate(time.Millisecond).UTC(), got.LeaseUntil)
	require.Empty(t, got.lease, "the run lease is not the commit lease")

	m, err = encodeRun(backend.Run{ID: "r"})
	require.NoError(t, err)
	require.NotContains(t, m, attrLeaseOwner)
	require.NotContains(t, m, attrLeaseUntil)
	got, err = decodeRun(m)
	require.NoError(t, err)
	require.Empty(t, got.LeaseOwner)
	require.True(t, got.LeaseUntil.IsZero())
}

func requireSameRun(t *testing.T, want, got backend.Run) {
	t.Helper()
	require.Equal(t, want.ID, got.ID)
	require.Equal(t, want.Workflow, got.Workflow)
	require.Equal(t, want.Status, got.Status)
	require.Equal(t, string(want.Input), string(got.Input), "JSON is kept byte for byte")
	require.Equal(t, string(want.Output), string(got.Output))
	require.Equal(t, string(want.Error), string(got.Error))
	require.Equal(t, want.Version, got.Version)
	require.Equal(t, want.LastSeq, got.LastSeq)
	require.True(t, want.CreatedAt.Equal(got.CreatedAt), "CreatedAt %v != %v", want.CreatedAt, got.CreatedAt)
	require.True(t, want.UpdatedAt.Equal(got.UpdatedAt), "times keep their nanoseconds")
	require.True(t, want.DueAt.Equal(got.DueAt))
}

func TestEventRoundTrip(t *testing.T) {
	t.Parallel()
	e := backend.Event{Seq: 12, Type: "step.completed", CorrelationID: "step-é/1", Data: json.RawMessage(`[]`), CreatedAt: at}
	m, err := encodeEvent("run", e)
	require.NoError(t, err)
	require.Equal(t, runPK("run"), getStr(m, AttrPK))
	require.Equal(t, eventSK(12), getStr(m, AttrSK))
	got, err := decodeEvent(m)
	require.NoError(t, err)
	require.Equal(t, e.Seq, got.Seq)
	require.Equal(t, e.Type, got.Type)
	require.Equal(t, e.CorrelationID, got.CorrelationID)
	require.Equal(t, string(e.Data), string(got.Data))
	require.True(t, e.CreatedAt.Equal(got.CreatedAt))
}

func TestInboxRoundTrip(t *testing.T) {
	t.Parallel()
	it := backend.InboxItem{ID: "01J", RunID: "run", Kind: backend.InboxHook, Token: "tok", HookID: "h",
		DeliveryID: "d", Payload: json.RawMessage(`{"a":1}`), CreatedAt: at}
	m, err := encodeInbox(it)
	require.NoError(t, err)
	require.Equal(t, inboxSK("01J"), getStr(m, AttrSK))
	require.Equal(t, dueSK(at, "run"), getStr(m, AttrDueSK), "inbox items are in the due index from their CreatedAt")
	got, err := decodeInbox(m)
	require.NoError(t, err)
	require.True(t, it.CreatedAt.Equal(got.CreatedAt))
	got.CreatedAt = it.CreatedAt
	require.Equal(t, it, got)
}

func TestTokenRoundTrip(t *testing.T) {
	t.Parallel()
	tok := backend.Token{Token: "slack:C1#2", RunID: "run", HookID: "h", Kind: backend.TokenWebhook,
		Data: json.RawMessage(`{"respond":"manual"}`), CreatedAt: at, Deliveries: 3}
	m, err := encodeToken(tok)
	require.NoError(t, err)
	got, err := decodeToken(m)
	require.NoError(t, err)
	require.True(t, tok.CreatedAt.Equal(got.CreatedAt))
	got.CreatedAt = tok.CreatedAt
	require.Equal(t, tok, got)
}

func TestResponseAndIdempotencyRoundTrip(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_900_000_000, 0)
	r := backend.Response{DeliveryID: "d", Data: json.RawMessage(`{"status":200}`), CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	m, err := encodeResponse(r, ttlSeconds(r.ExpiresAt, now, time.Minute))
	require.NoError(t, err)
	ttl, err := getNum(m, AttrTTL)
	require.NoError(t, err)
	require.Equal(t, r.ExpiresAt.Unix(), ttl, "the TTL is ExpiresAt in epoch seconds")
	gotR, err := decodeResponse(m)
	require.NoError(t, err)
	require.True(t, r.ExpiresAt.Equal(gotR.ExpiresAt))

	rec := backend.Idempotency{Key: "k", Data: json.RawMessage(`1`), CreatedAt: at}
	m, err = encodeIdem(rec, ttlSeconds(rec.ExpiresAt, now, 24*time.Hour))
	require.NoError(t, err)
	ttl, err = getNum(m, AttrTTL)
	require.NoError(t, err)
	require.Equal(t, now.Add(24*time.Hour).Unix(), ttl, "without ExpiresAt the default TTL applies")
	gotI, err := decodeIdem(m)
	require.NoError(t, err)
	require.True(t, gotI.ExpiresAt.IsZero(), "a zero ExpiresAt stays zero")
	require.Equal(t, rec.Key, gotI.Key)
}

// JSON fields are stored as strings; bytes that are not text (a payload codec's frames) as
// binary, and both come back unchanged.
func TestJSONFieldsKeepOpaqueBytes(t *testing.T) {
	t.Parallel()
	for _, data := range []json.RawMessage{
		json.RawMessage(`{"a":"é"}`), json.RawMessage("\"\xff\""), json.RawMessage("\x00hfc\x01\x03\xfe\x00"),
	} {
		m, err := encodeEvent("run", backend.Event{Seq: 1, Data: data})
		require.NoError(t, err)
		_, binary := m[attrData].(*types.AttributeValueMemberB)
		require.Equal(t, data[0] == 0 || !utf8.Valid(data), binary, "%q stored as binary", data)
		got, err := decodeEvent(m)
		require.NoError(t, err)
		require.Equal(t, data, got.Data)
	}
}

func TestDecodeBadAttributes(t *testing.T) {
	t.Parallel()
	m, err := encodeRun(backend.Run{ID: "r", CreatedAt: at})
	require.NoError(t, err)
	m[attrCreatedAt] = str("yesterday")
	_, err = decodeRun(m)
	require.ErrorContains(t, err, attrCreatedAt)
	m, err = encodeRun(backend.Run{ID: "r"})
	require.NoError(t, err)
	m[attrVersion] = &types.AttributeValueMemberN{Value: "1.5"}
	_, err = decodeRun(m)
	require.ErrorContains(t, err, attrVersion)
	m, err = encodeRun(backend.Run{ID: "r"})
	require.NoError(t, err)
	m[attrLeaseUntil] = &types.AttributeValueMemberN{Value: "soon"}
	_, err = decodeRun(m)
	require.ErrorContains(t, err, attrLeaseUntil)
}
