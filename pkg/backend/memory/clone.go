package memory

import (
	"bytes"
	"encoding/json"

	"github.com/hookflow/hookflow/pkg/backend"
)

// The clone helpers copy the byte slices of records, so that callers never share memory with
// stored state. Stored byte slices are never changed in place, so a record may be copied by
// value under the lock and cloned deeply after it is released.

func cloneRaw(m json.RawMessage) json.RawMessage {
	if m == nil {
		return nil
	}
	return json.RawMessage(bytes.Clone(m))
}

func cloneRun(r backend.Run) backend.Run {
	r.Input = cloneRaw(r.Input)
	r.Output = cloneRaw(r.Output)
	r.Error = cloneRaw(r.Error)
	return r
}

func cloneEvents(events []backend.Event) []backend.Event {
	out := make([]backend.Event, len(events))
	for i, e := range events {
		e.Data = cloneRaw(e.Data)
		e.Body = bytes.Clone(e.Body)
		out[i] = e
	}
	return out
}

func cloneItem(it backend.InboxItem) backend.InboxItem {
	it.Payload = cloneRaw(it.Payload)
	it.Body = bytes.Clone(it.Body)
	return it
}

func cloneItems(items []backend.InboxItem) []backend.InboxItem {
	out := make([]backend.InboxItem, len(items))
	for i, it := range items {
		out[i] = cloneItem(it)
	}
	return out
}

func cloneToken(t backend.Token) backend.Token {
	t.Data = cloneRaw(t.Data)
	return t
}

func cloneResponse(r backend.Response) backend.Response {
	r.Data = cloneRaw(r.Data)
	return r
}

func cloneIdem(i backend.Idempotency) backend.Idempotency {
	i.Data = cloneRaw(i.Data)
	return i
}
