package memory

import (
	"encoding/json"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
)

// The record types are the JSON forms of the backend records in the bbolt file. They hold
// byte fields as []byte rather than json.RawMessage so that any bytes round-trip unchanged.

type runRecord struct {
	ID        string            `json:"id"`
	Workflow  string            `json:"workflow,omitempty"`
	Status    backend.RunStatus `json:"status,omitempty"`
	Input     []byte            `json:"input"`
	Output    []byte            `json:"output"`
	Error     []byte            `json:"error"`
	Version   int64             `json:"version"`
	LastSeq   int64             `json:"lastSeq"`
	CreatedAt time.Time         `json:"createdAt"`
	UpdatedAt time.Time         `json:"updatedAt"`
	DueAt     time.Time         `json:"dueAt"`
	Failures  int               `json:"failures,omitempty"`
	LastError string            `json:"lastError,omitempty"`
	// The run lease is not kept in the file (see lease.go); files written while it was
	// load with none.
	// The code version the run is pinned to; files written before it existed load with none.
	CodeVersion string `json:"codeVersion,omitempty"`
}

func newRunRecord(r backend.Run) runRecord {
	return runRecord{
		ID: r.ID, Workflow: r.Workflow, Status: r.Status,
		Input: r.Input, Output: r.Output, Error: r.Error,
		Version: r.Version, LastSeq: r.LastSeq,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, DueAt: r.DueAt,
		Failures: r.Failures, LastError: r.LastError,
		CodeVersion: r.CodeVersion,
	}
}

func (r runRecord) run() backend.Run {
	return backend.Run{
		ID: r.ID, Workflow: r.Workflow, Status: r.Status,
		Input: raw(r.Input), Output: raw(r.Output), Error: raw(r.Error),
		Version: r.Version, LastSeq: r.LastSeq,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, DueAt: r.DueAt,
		Failures: r.Failures, LastError: r.LastError,
		CodeVersion: r.CodeVersion,
	}
}

type eventRecord struct {
	Seq           int64     `json:"seq"`
	Type          string    `json:"type,omitempty"`
	CorrelationID string    `json:"correlationId,omitempty"`
	Data          []byte    `json:"data"`
	Body          []byte    `json:"body,omitempty"`
	CreatedAt     time.Time `json:"createdAt"`
}

func newEventRecord(e backend.Event) eventRecord {
	return eventRecord{Seq: e.Seq, Type: e.Type, CorrelationID: e.CorrelationID, Data: e.Data, Body: e.Body, CreatedAt: e.CreatedAt}
}

func (e eventRecord) event() backend.Event {
	return backend.Event{Seq: e.Seq, Type: e.Type, CorrelationID: e.CorrelationID, Data: raw(e.Data), Body: e.Body, CreatedAt: e.CreatedAt}
}

type itemRecord struct {
	ID         string    `json:"id"`
	RunID      string    `json:"runId"`
	Kind       string    `json:"kind,omitempty"`
	Token      string    `json:"token,omitempty"`
	HookID     string    `json:"hookId,omitempty"`
	DeliveryID string    `json:"deliveryId,omitempty"`
	Trace      string    `json:"traceparent,omitempty"`
	Payload    []byte    `json:"payload"`
	Body       []byte    `json:"body,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
}

func newItemRecord(it backend.InboxItem) itemRecord {
	return itemRecord{
		ID: it.ID, RunID: it.RunID, Kind: it.Kind, Token: it.Token, HookID: it.HookID,
		DeliveryID: it.DeliveryID, Trace: it.TraceParent, Payload: it.Payload, Body: it.Body, CreatedAt: it.CreatedAt,
	}
}

func (it itemRecord) item() backend.InboxItem {
	return backend.InboxItem{
		ID: it.ID, RunID: it.RunID, Kind: it.Kind, Token: it.Token, HookID: it.HookID,
		DeliveryID: it.DeliveryID, TraceParent: it.Trace, Payload: raw(it.Payload), Body: it.Body, CreatedAt: it.CreatedAt,
	}
}

type tokenRecord struct {
	Token      string    `json:"token"`
	RunID      string    `json:"runId"`
	HookID     string    `json:"hookId,omitempty"`
	Kind       string    `json:"kind,omitempty"`
	Data       []byte    `json:"data"`
	CreatedAt  time.Time `json:"createdAt"`
	Deliveries int64     `json:"deliveries,omitempty"`
	Rejections int64     `json:"rejections,omitempty"`
	RejectedAt time.Time `json:"rejectedAt,omitzero"`
}

func newTokenRecord(t backend.Token) tokenRecord {
	return tokenRecord{Token: t.Token, RunID: t.RunID, HookID: t.HookID, Kind: t.Kind, Data: t.Data, CreatedAt: t.CreatedAt, Deliveries: t.Deliveries,
		Rejections: t.Rejections, RejectedAt: t.RejectedAt}
}

func (t tokenRecord) token() backend.Token {
	return backend.Token{Token: t.Token, RunID: t.RunID, HookID: t.HookID, Kind: t.Kind, Data: raw(t.Data), CreatedAt: t.CreatedAt, Deliveries: t.Deliveries,
		Rejections: t.Rejections, RejectedAt: t.RejectedAt}
}

type responseRecord struct {
	DeliveryID string    `json:"deliveryId"`
	Data       []byte    `json:"data"`
	CreatedAt  time.Time `json:"createdAt"`
	ExpiresAt  time.Time `json:"expiresAt"`
}

func newResponseRecord(r backend.Response) responseRecord {
	return responseRecord{DeliveryID: r.DeliveryID, Data: r.Data, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt}
}

func (r responseRecord) response() backend.Response {
	return backend.Response{DeliveryID: r.DeliveryID, Data: raw(r.Data), CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt}
}

type idemRecord struct {
	Key       string    `json:"key"`
	Data      []byte    `json:"data"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func newIdemRecord(i backend.Idempotency) idemRecord {
	return idemRecord{Key: i.Key, Data: i.Data, CreatedAt: i.CreatedAt, ExpiresAt: i.ExpiresAt}
}

func (i idemRecord) idempotency() backend.Idempotency {
	return backend.Idempotency{Key: i.Key, Data: raw(i.Data), CreatedAt: i.CreatedAt, ExpiresAt: i.ExpiresAt}
}

// raw converts decoded bytes back to a json.RawMessage.
func raw(b []byte) json.RawMessage {
	if b == nil {
		return nil
	}
	return json.RawMessage(b)
}
