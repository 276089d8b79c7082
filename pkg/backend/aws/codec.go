package aws

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hookflow/hookflow/pkg/backend"
)

// Attribute names of the records. Several are DynamoDB reserved words (status, data, token,
// ...): expressions always refer to attributes through placeholders.
const (
	attrRecord        = "record" // the record type: one of the rec* values
	attrRunID         = "runId"
	attrWorkflow      = "workflow"
	attrStatus        = "status"
	attrInput         = "input"
	attrOutput        = "output"
	attrError         = "error"
	attrVersion       = "version"
	attrLastSeq       = "lastSeq"
	attrCreatedAt     = "createdAt"
	attrUpdatedAt     = "updatedAt"
	attrDueAt         = "dueAt"
	attrTokens        = "tokens"    // run: the live tokens it holds (SS)
	attrInboxDone     = "inboxDone" // run: consumed inbox items not yet deleted (SS)
	attrLease         = "lease"     // run: the commit lease, of a large commit pre-writing events (S)
	attrSeq           = "seq"
	attrEventType     = "eventType"
	attrCorrelationID = "correlationId"
	attrData          = "data"
	attrID            = "id"
	attrKind          = "kind"
	attrToken         = "token"
	attrHookID        = "hookId"
	attrDeliveryID    = "deliveryId"
	attrPayload       = "payload"
	attrDeliveries    = "deliveries"
	attrTraceParent   = "traceparent" // inbox: the delivery's W3C trace context (S)
	attrRejections    = "rejections"  // token: deliveries refused before storage (N)
	attrRejectedAt    = "rejectedAt"  // token: when the last refusal was counted (S)
	attrExpiresAt     = "expiresAt"
	attrKey           = "key"
	attrBody          = "body"        // event, inbox: the binary attachment (B)
	attrFailures      = "failures"    // run: failed turns in a row (N)
	attrLastError     = "lastError"   // run: the latest failed turn's error (S)
	attrCodeVersion   = "codeVersion" // run: the code version it is pinned to (S)
	attrLeaseOwner    = "leaseOwner"  // run: who holds the run lease (not the commit lease) (S)
	attrLeaseUntil    = "leaseUntil"  // run: when the run lease lapses, ms since the epoch (N)
)

// Values of attrRecord.
const (
	recRun      = "run"
	recEvent    = "event"
	recInbox    = "inbox"
	recToken    = "token"
	recResponse = "response"
	recIdem     = "idempotency"
)

// item is one DynamoDB item.
type item = map[string]types.AttributeValue

// ---- encoding ----

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

// putStr sets a string attribute, leaving an empty one out.
func putStr(m item, name, v string) {
	if v != "" {
		m[name] = str(v)
	}
}

// putTime stores t as an RFC 3339 string with nanoseconds in UTC, which keeps every bit of a
// time.Time but its location and monotonic reading. A zero time is left out.
func putTime(m item, name string, t time.Time) {
	if !t.IsZero() {
		m[name] = str(t.UTC().Format(time.RFC3339Nano))
	}
}

// jsonAbsent reports whether raw holds no JSON value: nil, blank or null.
func jsonAbsent(raw json.RawMessage) bool {
	s := bytes.TrimSpace(raw)
	return len(s) == 0 || string(s) == "null"
}

// putJSON stores a JSON value as a string attribute, byte for byte. An absent value is left
// out. A value that is not UTF-8 text, or starts with a NUL byte, is not JSON but opaque
// bytes (a payload codec's frame, see pkg/codec) and is stored as a binary attribute, which
// DynamoDB counts by its raw length; getJSON reads either back unchanged.
func putJSON(m item, name string, raw json.RawMessage) error {
	if jsonAbsent(raw) {
		return nil
	}
	if raw[0] == 0 || !utf8.Valid(raw) {
		m[name] = &types.AttributeValueMemberB{Value: raw}
		return nil
	}
	m[name] = str(string(raw))
	return nil
}

// ---- decoding ----

func getStr(m item, name string) string {
	if v, ok := m[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func getNum(m item, name string) (int64, error) {
	v, ok := m[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, nil
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("attribute %s: %w", name, err)
	}
	return n, nil
}

func getTime(m item, name string) (time.Time, error) {
	s := getStr(m, name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("attribute %s: %w", name, err)
	}
	return t, nil
}

func getJSON(m item, name string) json.RawMessage {
	if s := getStr(m, name); s != "" {
		return json.RawMessage(s)
	}
	if b := getBytes(m, name); len(b) > 0 {
		return json.RawMessage(b)
	}
	return nil
}

// putBytes stores bytes as a binary attribute, which DynamoDB counts by its raw length; empty
// bytes are left out.
func putBytes(m item, name string, b []byte) {
	if len(b) > 0 {
		m[name] = &types.AttributeValueMemberB{Value: b}
	}
}

func getBytes(m item, name string) []byte {
	if v, ok := m[name].(*types.AttributeValueMemberB); ok {
		return v.Value
	}
	return nil
}

func getSet(m item, name string) []string {
	if v, ok := m[name].(*types.AttributeValueMemberSS); ok {
		return v.Value
	}
	return nil
}

// decoder collects the first error of a sequence of attribute reads.
type decoder struct {
	m   item
	err error
}

func (d *decoder) num(name string) int64 {
	n, err := getNum(d.m, name)
	if d.err == nil {
		d.err = err
	}
	return n
}

func (d *decoder) time(name string) time.Time {
	t, err := getTime(d.m, name)
	if d.err == nil {
		d.err = err
	}
	return t
}

// millis reads a time stored as a number of ms since the epoch, in UTC; an absent
// attribute gives the zero time.
func (d *decoder) millis(name string) time.Time {
	if _, ok := d.m[name]; !ok {
		return time.Time{}
	}
	return time.UnixMilli(d.num(name)).UTC()
}

// ---- runs ----

// runRecord is a run item: the run and the driver's bookkeeping on it.
type runRecord struct {
	backend.Run
	tokens    []string // live tokens held by the run
	inboxDone []string // inbox items consumed by a commit and not yet deleted
	lease     string   // the commit lease: the large commit allowed to pre-write events, if any
}

// encodeRun returns the item of a run as CreateRun stores it (CreateRun clears the run
// lease first; a commit encodes the lease it read only to count its size).
func encodeRun(r backend.Run) (item, error) {
	m := item{
		AttrPK:      str(runPK(r.ID)),
		AttrSK:      str(skMeta),
		attrRecord:  str(recRun),
		attrRunID:   str(r.ID),
		attrVersion: num(r.Version),
		attrLastSeq: num(r.LastSeq),
	}
	putStr(m, attrWorkflow, r.Workflow)
	putStr(m, attrStatus, string(r.Status))
	for _, f := range []struct {
		name string
		raw  json.RawMessage
	}{{attrInput, r.Input}, {attrOutput, r.Output}, {attrError, r.Error}} {
		if err := putJSON(m, f.name, f.raw); err != nil {
			return nil, fmt.Errorf("run %q: %w", r.ID, err)
		}
	}
	putTime(m, attrCreatedAt, r.CreatedAt)
	putTime(m, attrUpdatedAt, r.UpdatedAt)
	putTime(m, attrDueAt, r.DueAt)
	m[AttrRunsPK] = str(runsShard(r.ID))
	m[AttrRunsSK] = str(runsSK(r.CreatedAt, r.ID))
	if inDueIndex(r) {
		m[AttrDuePK] = str(dueShard(r.ID))
		m[AttrDueSK] = str(dueSK(r.DueAt, r.ID))
	}
	if r.Failures != 0 {
		m[attrFailures] = num(int64(r.Failures))
	}
	putStr(m, attrLastError, r.LastError)
	putStr(m, attrLeaseOwner, r.LeaseOwner)
	putStr(m, attrCodeVersion, r.CodeVersion)
	if !r.LeaseUntil.IsZero() {
		m[attrLeaseUntil] = num(r.LeaseUntil.UnixMilli())
	}
	return m, nil
}

// inDueIndex reports whether a run record belongs in IndexDue: it has a due time and is not
// stuck (ListDue never lists stuck runs).
func inDueIndex(r backend.Run) bool {
	return !r.DueAt.IsZero() && r.Status != backend.StatusStuck
}

func decodeRun(m item) (runRecord, error) {
	d := decoder{m: m}
	r := runRecord{
		Run: backend.Run{
			ID:          getStr(m, attrRunID),
			Workflow:    getStr(m, attrWorkflow),
			Status:      backend.RunStatus(getStr(m, attrStatus)),
			Input:       getJSON(m, attrInput),
			Output:      getJSON(m, attrOutput),
			Error:       getJSON(m, attrError),
			Version:     d.num(attrVersion),
			LastSeq:     d.num(attrLastSeq),
			CreatedAt:   d.time(attrCreatedAt),
			UpdatedAt:   d.time(attrUpdatedAt),
			DueAt:       d.time(attrDueAt),
			Failures:    int(d.num(attrFailures)),
			LastError:   getStr(m, attrLastError),
			LeaseOwner:  getStr(m, attrLeaseOwner),
			LeaseUntil:  d.millis(attrLeaseUntil),
			CodeVersion: getStr(m, attrCodeVersion),
		},
		tokens:    getSet(m, attrTokens),
		inboxDone: getSet(m, attrInboxDone),
		lease:     getStr(m, attrLease),
	}
	if d.err != nil {
		return runRecord{}, fmt.Errorf("run item %s: %w", getStr(m, AttrPK), d.err)
	}
	return r, nil
}

// ---- events ----

func encodeEvent(runID string, e backend.Event) (item, error) {
	m := item{
		AttrPK:     str(runPK(runID)),
		AttrSK:     str(eventSK(e.Seq)),
		attrRecord: str(recEvent),
		attrSeq:    num(e.Seq),
	}
	putStr(m, attrEventType, e.Type)
	putStr(m, attrCorrelationID, e.CorrelationID)
	if err := putJSON(m, attrData, e.Data); err != nil {
		return nil, fmt.Errorf("event Seq %d: %w", e.Seq, err)
	}
	putBytes(m, attrBody, e.Body)
	putTime(m, attrCreatedAt, e.CreatedAt)
	return m, nil
}

func decodeEvent(m item) (backend.Event, error) {
	d := decoder{m: m}
	e := backend.Event{
		Seq:           d.num(attrSeq),
		Type:          getStr(m, attrEventType),
		CorrelationID: getStr(m, attrCorrelationID),
		Data:          getJSON(m, attrData),
		Body:          getBytes(m, attrBody),
		CreatedAt:     d.time(attrCreatedAt),
	}
	if d.err != nil {
		return backend.Event{}, fmt.Errorf("event item %s %s: %w", getStr(m, AttrPK), getStr(m, AttrSK), d.err)
	}
	return e, nil
}

// ---- inbox items ----

// encodeInbox returns an inbox item; it is in IndexDue from its CreatedAt, so that ListDue
// finds runs with waiting input.
func encodeInbox(it backend.InboxItem) (item, error) {
	m := item{
		AttrPK:     str(runPK(it.RunID)),
		AttrSK:     str(inboxSK(it.ID)),
		attrRecord: str(recInbox),
		attrID:     str(it.ID),
		attrRunID:  str(it.RunID),
		AttrDuePK:  str(dueShard(it.RunID)),
		AttrDueSK:  str(dueSK(it.CreatedAt, it.RunID)),
	}
	putStr(m, attrKind, it.Kind)
	putStr(m, attrToken, it.Token)
	putStr(m, attrHookID, it.HookID)
	putStr(m, attrDeliveryID, it.DeliveryID)
	putStr(m, attrTraceParent, it.TraceParent)
	if err := putJSON(m, attrPayload, it.Payload); err != nil {
		return nil, fmt.Errorf("inbox item: %w", err)
	}
	putBytes(m, attrBody, it.Body)
	putTime(m, attrCreatedAt, it.CreatedAt)
	return m, nil
}

func decodeInbox(m item) (backend.InboxItem, error) {
	d := decoder{m: m}
	it := backend.InboxItem{
		ID:          getStr(m, attrID),
		RunID:       getStr(m, attrRunID),
		Kind:        getStr(m, attrKind),
		Token:       getStr(m, attrToken),
		HookID:      getStr(m, attrHookID),
		DeliveryID:  getStr(m, attrDeliveryID),
		TraceParent: getStr(m, attrTraceParent),
		Payload:     getJSON(m, attrPayload),
		Body:        getBytes(m, attrBody),
		CreatedAt:   d.time(attrCreatedAt),
	}
	if d.err != nil {
		return backend.InboxItem{}, fmt.Errorf("inbox item %s %s: %w", getStr(m, AttrPK), getStr(m, AttrSK), d.err)
	}
	return it, nil
}

// ---- tokens ----

func encodeToken(t backend.Token) (item, error) {
	m := item{
		AttrPK:         str(tokenPK(t.Token)),
		AttrSK:         str(skMeta),
		attrRecord:     str(recToken),
		attrToken:      str(t.Token),
		attrRunID:      str(t.RunID),
		attrDeliveries: num(t.Deliveries),
	}
	putStr(m, attrHookID, t.HookID)
	putStr(m, attrKind, t.Kind)
	if err := putJSON(m, attrData, t.Data); err != nil {
		return nil, fmt.Errorf("token %q: %w", t.Token, err)
	}
	putTime(m, attrCreatedAt, t.CreatedAt)
	if t.Rejections != 0 {
		m[attrRejections] = num(t.Rejections)
	}
	putTime(m, attrRejectedAt, t.RejectedAt)
	return m, nil
}

func decodeToken(m item) (backend.Token, error) {
	d := decoder{m: m}
	t := backend.Token{
		Token:      getStr(m, attrToken),
		RunID:      getStr(m, attrRunID),
		HookID:     getStr(m, attrHookID),
		Kind:       getStr(m, attrKind),
		Data:       getJSON(m, attrData),
		CreatedAt:  d.time(attrCreatedAt),
		Deliveries: d.num(attrDeliveries),
		Rejections: d.num(attrRejections),
		RejectedAt: d.time(attrRejectedAt),
	}
	if d.err != nil {
		return backend.Token{}, fmt.Errorf("token item %s: %w", getStr(m, AttrPK), d.err)
	}
	return t, nil
}

// ---- responses and idempotency records ----

// ttlSeconds is the AttrTTL value for a record that expires at expires, or, when that is
// zero, fallback after now.
func ttlSeconds(expires, now time.Time, fallback time.Duration) int64 {
	if !expires.IsZero() {
		return expires.Unix()
	}
	return now.Add(fallback).Unix()
}

func encodeResponse(r backend.Response, ttl int64) (item, error) {
	m := item{
		AttrPK:         str(respPK(r.DeliveryID)),
		AttrSK:         str(skMeta),
		attrRecord:     str(recResponse),
		attrDeliveryID: str(r.DeliveryID),
		AttrTTL:        num(ttl),
	}
	if err := putJSON(m, attrData, r.Data); err != nil {
		return nil, fmt.Errorf("response %q: %w", r.DeliveryID, err)
	}
	putTime(m, attrCreatedAt, r.CreatedAt)
	putTime(m, attrExpiresAt, r.ExpiresAt)
	return m, nil
}

func decodeResponse(m item) (backend.Response, error) {
	d := decoder{m: m}
	r := backend.Response{
		DeliveryID: getStr(m, attrDeliveryID),
		Data:       getJSON(m, attrData),
		CreatedAt:  d.time(attrCreatedAt),
		ExpiresAt:  d.time(attrExpiresAt),
	}
	if d.err != nil {
		return backend.Response{}, fmt.Errorf("response item %s: %w", getStr(m, AttrPK), d.err)
	}
	return r, nil
}

func encodeIdem(rec backend.Idempotency, ttl int64) (item, error) {
	m := item{
		AttrPK:     str(idemPK(rec.Key)),
		AttrSK:     str(skMeta),
		attrRecord: str(recIdem),
		attrKey:    str(rec.Key),
		AttrTTL:    num(ttl),
	}
	if err := putJSON(m, attrData, rec.Data); err != nil {
		return nil, fmt.Errorf("idempotency record %q: %w", rec.Key, err)
	}
	putTime(m, attrCreatedAt, rec.CreatedAt)
	putTime(m, attrExpiresAt, rec.ExpiresAt)
	return m, nil
}

func decodeIdem(m item) (backend.Idempotency, error) {
	d := decoder{m: m}
	rec := backend.Idempotency{
		Key:       getStr(m, attrKey),
		Data:      getJSON(m, attrData),
		CreatedAt: d.time(attrCreatedAt),
		ExpiresAt: d.time(attrExpiresAt),
	}
	if d.err != nil {
		return backend.Idempotency{}, fmt.Errorf("idempotency item %s: %w", getStr(m, AttrPK), d.err)
	}
	return rec, nil
}

// key returns the primary key of an item with partition key pk and sort key sk.
func key(pk, sk string) item { return item{AttrPK: str(pk), AttrSK: str(sk)} }
