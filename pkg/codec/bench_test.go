package codec_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// webhookJSON is a 1 KB (1,010-byte) JSON value shaped like a payment provider's webhook event.
var webhookJSON = []byte(`{"id":"evt_1PqR7sLkdIwHu7ix0aB3cD4e","object":"event","api_version":"2024-06-20",` +
	`"created":1767225600,"type":"payment_intent.succeeded","livemode":false,"pending_webhooks":2,` +
	`"request":{"id":"req_9xYzAbCdEf1234","idempotency_key":"8f14e45f-ceea-467f-a0e6-2c1b3d5e7f90"},` +
	`"data":{"object":{"id":"pi_3PqR7sLkdIwHu7ix1Xy2Zw3V","object":"payment_intent","amount":4999,` +
	`"amount_received":4999,"capture_method":"automatic",` +
	`"currency":"eur","customer":"cus_QhT5uVw6XyZ7aB","description":"Order #10482 (2 items)",` +
	`"latest_charge":"ch_3PqR7sLkdIwHu7ix1Ab9Cd8E","metadata":{"order_id":"ord_10482","cart":"c_77f3a1",` +
	`"customer_note":"secret-payload-1234"},"payment_method":"pm_1PqR7rLkdIwHu7ixQ2w3E4r5",` +
	`"payment_method_types":["card","sepa_debit"],"receipt_email":"jane.doe@example.com",` +
	`"shipping":{"name":"Jane Doe","phone":"+33 1 23 45 67 89","address":{"line1":"12 rue de la Paix",` +
	`"line2":null,"city":"Paris","postal_code":"75002","state":null,"country":"FR"}},` +
	`"statement_descriptor":"HOOKFLOW SHOP","status":"succeeded"}}}`)

// BenchmarkEncodeDecode encodes and decodes a 1 KB JSON value (webhookJSON) with
// compression and encryption under local keys. It reports the bytes stored for the value and
// their ratio to its size.
func BenchmarkEncodeDecode(b *testing.B) {
	value := webhookJSON
	c := setup(b).both
	ctx := b.Context()
	var stored []byte
	b.SetBytes(int64(len(value)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		stored, err = c.Encode(ctx, value)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Decode(ctx, stored); err != nil {
			b.Fatal(err)
		}
	}
	got, err := c.Decode(ctx, stored)
	require.NoError(b, err)
	require.Equal(b, value, got)
	b.ReportMetric(float64(len(stored)), "stored-bytes")
	b.ReportMetric(float64(len(stored))/float64(len(value)), "stored/plain")
}
