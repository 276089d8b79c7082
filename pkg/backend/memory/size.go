package memory

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/hookflow/hookflow/pkg/backend"
)

// The driver refuses what DynamoDB refuses (backend.MaxItemBytes and the transaction limits),
// so it sizes each record as the AWS driver lays it out as an item (pkg/backend/aws, codec.go
// and keys.go): attribute names plus values, strings and JSON by their bytes, numbers by their
// digits plus one, binary by its raw length, with the keys, the due index attributes and the
// bookkeeping of that driver. The estimate is never smaller than the AWS driver's for the same
// record: it counts long keys whole where that driver hashes them, a JSON null where it leaves
// one out, and the commit lease a large commit sets on the run for a moment (the run lease of
// TakeLease is another thing, counted as the run carries it). (The run's set of consumed inbox
// items that a very large commit keeps for a moment is not counted.)

// Attribute names and key parts of the AWS driver's items.
const (
	keyAttrs = len("pk") + len("sk") + len("record")
	dueAttrs = len("gsi1pk") + len("DUE#0") + len("gsi1sk") + 15 + len("#") // + the run ID
	// runsAttrs is the run record's entry in the runs index (every run has one).
	runsAttrs = len("gsi2pk") + len("RUNS#0") + len("gsi2sk") + 15 + len("#") // + the run ID
	// leaseAttr is the commit lease: a random ID of 32 hex digits.
	leaseAttr = len("lease") + 32
)

// size accumulates the estimate of one item.
type size int

func (s *size) str(name, v string) {
	if v != "" {
		*s += size(len(name) + len(v))
	}
}

func (s *size) bytes(name string, v []byte) {
	if len(v) > 0 {
		*s += size(len(name) + len(v))
	}
}

func (s *size) json(name string, v json.RawMessage) { s.bytes(name, v) }

func (s *size) num(name string, v int64) {
	*s += size(len(name) + len(strconv.FormatInt(v, 10)) + 1)
}

func (s *size) time(name string, t time.Time) {
	if !t.IsZero() {
		*s += size(len(name) + len(t.UTC().Format(time.RFC3339Nano)))
	}
}

// ttl counts the expiry attribute of a record that expires at expires, or, when that is zero,
// after a default period from now (epoch seconds of 11 digits reach the year 5138).
func (s *size) ttl(expires time.Time) {
	if expires.IsZero() {
		*s += size(len("ttl") + 11 + 1)
		return
	}
	s.num("ttl", expires.Unix())
}

// runSize is the size of the run record holding tokens (the bytes of the live tokens' names).
func runSize(r backend.Run, tokens int) int {
	s := size(keyAttrs + len("RUN#") + len(r.ID) + len("META") + len("run") + leaseAttr + runsAttrs + len(r.ID))
	s.str("runId", r.ID)
	s.num("version", r.Version)
	s.num("lastSeq", r.LastSeq)
	s.str("workflow", r.Workflow)
	s.str("status", string(r.Status))
	s.json("input", r.Input)
	s.json("output", r.Output)
	s.json("error", r.Error)
	s.time("createdAt", r.CreatedAt)
	s.time("updatedAt", r.UpdatedAt)
	s.time("dueAt", r.DueAt)
	if !r.DueAt.IsZero() {
		s += size(dueAttrs + len(r.ID))
	}
	if r.Failures != 0 {
		s.num("failures", int64(r.Failures))
	}
	s.str("lastError", r.LastError)
	s.str("leaseOwner", r.LeaseOwner)
	s.str("codeVersion", r.CodeVersion)
	if !r.LeaseUntil.IsZero() {
		s.num("leaseUntil", r.LeaseUntil.UnixMilli())
	}
	if tokens > 0 {
		s += size(len("tokens") + tokens)
	}
	return int(s)
}

func eventSize(runID string, e backend.Event) int {
	s := size(keyAttrs + len("RUN#") + len(runID) + len("EVT#") + 20 + len("event"))
	s.num("seq", e.Seq)
	s.str("eventType", e.Type)
	s.str("correlationId", e.CorrelationID)
	s.json("data", e.Data)
	s.bytes("body", e.Body)
	s.time("createdAt", e.CreatedAt)
	return int(s)
}

// itemSize is the size of an inbox item; an empty ID counts as the ULID PutInbox assigns.
func itemSize(it backend.InboxItem) int {
	id := max(len(it.ID), ulid.EncodedSize)
	s := size(keyAttrs + len("RUN#") + len(it.RunID) + len("INB#") + id + len("inbox") + dueAttrs + len(it.RunID))
	s += size(len("id") + id)
	s.str("runId", it.RunID)
	s.str("kind", it.Kind)
	s.str("token", it.Token)
	s.str("hookId", it.HookID)
	s.str("deliveryId", it.DeliveryID)
	s.str("traceparent", it.TraceParent)
	s.json("payload", it.Payload)
	s.bytes("body", it.Body)
	s.time("createdAt", it.CreatedAt)
	return int(s)
}

func tokenSize(t backend.Token) int {
	s := size(keyAttrs + len("TOKEN#") + len(t.Token) + len("META") + len("token"))
	s.str("token", t.Token)
	s.str("runId", t.RunID)
	s.num("deliveries", t.Deliveries)
	s.str("hookId", t.HookID)
	s.str("kind", t.Kind)
	s.json("data", t.Data)
	s.time("createdAt", t.CreatedAt)
	if t.Rejections != 0 {
		s.num("rejections", t.Rejections)
	}
	s.time("rejectedAt", t.RejectedAt)
	return int(s)
}

// releaseSize is what the release of a token adds to a transaction: its key.
func releaseSize(token string) int {
	return len("pk") + len("TOKEN#") + len(token) + len("sk") + len("META")
}

func responseSize(r backend.Response) int {
	s := size(keyAttrs + len("RESP#") + len(r.DeliveryID) + len("META") + len("response"))
	s.ttl(r.ExpiresAt)
	s.str("deliveryId", r.DeliveryID)
	s.json("data", r.Data)
	s.time("createdAt", r.CreatedAt)
	s.time("expiresAt", r.ExpiresAt)
	return int(s)
}

func idemSize(i backend.Idempotency) int {
	s := size(keyAttrs + len("IDEM#") + len(i.Key) + len("META") + len("idempotency"))
	s.ttl(i.ExpiresAt)
	s.str("key", i.Key)
	s.json("data", i.Data)
	s.time("createdAt", i.CreatedAt)
	s.time("expiresAt", i.ExpiresAt)
	return int(s)
}
