package engine

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// Senders retry a delivery they think failed (a timeout, a 5xx), and most put an id on each
// delivery that their retries repeat: GitHub's X-GitHub-Delivery, Standard Webhooks'
// webhook-id, Shopify's X-Shopify-Webhook-Id, the "id" of a Stripe event. A webhook that
// names where its sender puts that id uses it as the idempotency key of a request that
// carries no Idempotency-Key header, so a retried delivery reaches the workflow once, and its
// caller gets the first delivery's answer. The key is scoped to the webhook like any other.

// deliveryKeyPrefix keeps a sender's delivery ids apart from Idempotency-Key values.
const deliveryKeyPrefix = "delivery:"

// deliveryKey returns the idempotency key that the webhook's sender's delivery id gives for a
// request, or "" when the webhook names none or the request does not carry it.
func (c *WebhookConfig) deliveryKey(header http.Header, body []byte) string {
	if c == nil {
		return ""
	}
	var id string
	switch {
	case c.DeliveryIDHeader != "":
		id = strings.TrimSpace(header.Get(c.DeliveryIDHeader))
	case c.DeliveryIDPointer != "":
		id = jsonPointerString(body, c.DeliveryIDPointer)
	}
	if id == "" {
		return ""
	}
	return deliveryKeyPrefix + id
}

// jsonPointerString returns the string or number at pointer (RFC 6901) in the JSON document
// doc, or "" when doc is not JSON or holds no such scalar.
func jsonPointerString(doc []byte, pointer string) string {
	if !strings.HasPrefix(pointer, "/") {
		return ""
	}
	dec := json.NewDecoder(strings.NewReader(string(doc)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return ""
	}
	for _, token := range strings.Split(pointer[1:], "/") {
		token = strings.NewReplacer("~1", "/", "~0", "~").Replace(token)
		switch node := v.(type) {
		case map[string]any:
			v = node[token]
		case []any:
			i, err := strconv.Atoi(token)
			if err != nil || i < 0 || i >= len(node) {
				return ""
			}
			v = node[i]
		default:
			return ""
		}
	}
	switch s := v.(type) {
	case string:
		return s
	case json.Number:
		return s.String()
	default:
		return ""
	}
}
