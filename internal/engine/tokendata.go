package engine

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
)

// WebhookPath is the route webhooks are served on; a webhook's URL is the base URL followed
// by WebhookPath and its token. pkg/workflow re-exports it.
const WebhookPath = "/.well-known/workflow/v1/webhook/"

// TokenData is what a token record holds for the delivery paths: everything they need to
// validate a payload and answer its caller without the workflow's code. CreateHook and
// CreateWebhook write it; delivery reads it.
type TokenData struct {
	Metadata json.RawMessage `json:"metadata,omitempty"` // HookOptions.Metadata
	Schema   json.RawMessage `json:"schema,omitempty"`   // DefineHook's JSON Schema
	Webhook  *WebhookConfig  `json:"webhook,omitempty"`  // webhooks only
	// Verify says how a webhook's requests are signed; they are checked before anything is
	// stored (webhooks only; it names secrets, never holds them).
	Verify *verify.Spec `json:"verify,omitempty"`
	// Handshake is a sender's verification request that the route answers itself (webhooks
	// only).
	Handshake *verify.Handshake `json:"handshake,omitempty"`
}

// WebhookConfig is how a webhook answers its callers.
type WebhookConfig struct {
	Static          *Response     `json:"static,omitempty"` // the same response for every request
	Manual          bool          `json:"manual,omitempty"` // the workflow answers each request
	ResponseTimeout time.Duration `json:"responseTimeout,omitempty"`
	Fallback        *Response     `json:"fallback,omitempty"` // manual mode, when no answer comes
	// Where the sender puts the id of a delivery, which stands in for an Idempotency-Key
	// header the sender does not send: a header, or a JSON pointer into the body (see
	// deliverykey.go).
	DeliveryIDHeader  string `json:"deliveryIdHeader,omitempty"`
	DeliveryIDPointer string `json:"deliveryIdPointer,omitempty"`
	// KeepHeaders names the credential and signature headers this webhook stores anyway
	// (see redact.go); the others are dropped before the request is stored.
	KeepHeaders []string `json:"keepHeaders,omitempty"`
}

// Response is an answer for a webhook's caller, as stored in token records (static and
// fallback responses) and response records (a manual webhook's answers). It has the fields
// and the JSON of workflow.Response.
type Response struct {
	Status int         `json:"status"`
	Header http.Header `json:"header,omitempty"`
	Body   []byte      `json:"body,omitempty"`
}

// accepted is the answer of a webhook without a static or manual response.
var accepted = Response{Status: http.StatusAccepted}

// DefaultFallback returns the answer a manual webhook's caller gets when the workflow has
// not answered in time, unless the webhook names its own: 504, empty body.
func DefaultFallback() Response { return Response{Status: http.StatusGatewayTimeout} }

// RequestRecord is a webhook request as stored in an inbox item and a hook_received event:
// everything but the body, which travels beside it as bytes (inside the JSON, base64 would
// make it a third larger, and a body within the limit might no longer fit one record). It
// has the JSON of workflow.Request.
type RequestRecord struct {
	ID         string      `json:"id"` // the delivery ID
	Method     string      `json:"method"`
	URL        string      `json:"url"` // the full URL, with the query
	Header     http.Header `json:"header,omitempty"`
	ReceivedAt time.Time   `json:"receivedAt"`
}

// DecodeTokenData reads the data of a token record; a record without data gives the zero
// TokenData.
func DecodeTokenData(tok backend.Token) (TokenData, error) {
	var data TokenData
	if len(tok.Data) == 0 {
		return data, nil
	}
	if err := json.Unmarshal(tok.Data, &data); err != nil {
		return data, fmt.Errorf("hookflow: token %q has corrupt data: %w", tok.Token, err)
	}
	return data, nil
}
