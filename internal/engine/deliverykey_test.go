package engine

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestJSONPointerString(t *testing.T) {
	t.Parallel()
	doc := []byte(`{"id":"evt_1","n":42,"data":{"object":{"id":"pi_9"}},"list":["a",{"b":"c"}],"a/b":"slash","m~n":"tilde","null":null}`)
	for pointer, want := range map[string]string{
		"/id":                  "evt_1",
		"/n":                   "42",
		"/data/object/id":      "pi_9",
		"/list/0":              "a",
		"/list/1/b":            "c",
		"/a~1b":                "slash",
		"/m~0n":                "tilde",
		"/null":                "",
		"/data":                "", // not a scalar
		"/missing":             "",
		"/list/7":              "",
		"/list/-1":             "",
		"/list/x":              "",
		"id":                   "", // not a pointer
		"/data/object/id/deep": "",
	} {
		require.Equal(t, want, jsonPointerString(doc, pointer), pointer)
	}
	require.Empty(t, jsonPointerString([]byte("not json"), "/id"))
	require.Empty(t, jsonPointerString(nil, "/id"))
}

func TestDeliveryKey(t *testing.T) {
	t.Parallel()
	h := http.Header{"X-Github-Delivery": {" 72d3162e-cc78 "}}
	require.Equal(t, "delivery:72d3162e-cc78", (&WebhookConfig{DeliveryIDHeader: "X-GitHub-Delivery"}).deliveryKey(h, nil))
	require.Empty(t, (&WebhookConfig{DeliveryIDHeader: "Webhook-Id"}).deliveryKey(h, nil), "a request without the header")
	require.Equal(t, "delivery:evt_1", (&WebhookConfig{DeliveryIDPointer: "/id"}).deliveryKey(nil, []byte(`{"id":"evt_1"}`)))
	require.Empty(t, (&WebhookConfig{}).deliveryKey(h, []byte(`{"id":"evt_1"}`)), "a webhook that names none")
	var none *WebhookConfig
	require.Empty(t, none.deliveryKey(h, nil))
}
