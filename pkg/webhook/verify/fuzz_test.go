package verify_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/hookflow/hookflow/pkg/webhook/verify"
)

// fuzzSpecs are valid Specs of every kind, with secrets that fit them.
var fuzzSpecs = []struct {
	spec    verify.Spec
	secrets [][]byte
}{
	{specOf(verify.KindGitHub, 1), [][]byte{[]byte("s")}},
	{specOf(verify.KindStripe, 2), [][]byte{[]byte("whsec_a"), []byte("whsec_b")}},
	{specOf(verify.KindSlack, 1), [][]byte{[]byte("s")}},
	{specOf(verify.KindShopify, 1), [][]byte{[]byte("s")}},
	{specOf(verify.KindTwilio, 1), [][]byte{[]byte("12345")}},
	{specOf(verify.KindStandard, 1), [][]byte{whsec("fuzz-key-24-bytes-long!!")}},
	{verify.Spec{Kind: verify.KindHMAC, Secrets: []string{"env:S"}, Header: "X-Sig", Algorithm: "sha1", Encoding: "base64", Prefix: "sha1="}, [][]byte{[]byte("s")}},
	{verify.Spec{Kind: verify.KindHMAC, Secrets: []string{"env:S"}, Header: "X-Sig", Algorithm: "sha512"}, [][]byte{[]byte("s")}},
}

// Verify never panics on any headers, URL or body, and with a valid Spec it either accepts or
// refuses with ErrInvalidSignature: nothing a sender sends is taken for a misconfiguration.
func FuzzVerify(f *testing.F) {
	f.Add("POST", "https://h/w?bodySHA256=00", "application/x-www-form-urlencoded", "sha256=00", "t=1700000000,v1=00", "v0=00", "1700000000", "AAAA", "msg_1", "v1,AAAA v1a,BBBB", "sha1=AAAA", []byte("a=1&b=%zz"), int64(1_700_000_000))
	f.Add("GET", "http://[::1]:80/x", "text/plain; charset=\"", "", "t=,v1=,", "v0=", "-1", "", "", "v1, ,v1", "", []byte{}, int64(0))
	f.Add("", "%%%", "application/json", "sha256=zz", "t=99999999999999999999,v1=ab", "v0=zz", "99999999999999999999", "!!!", "a.b", "v1,"+string(make([]byte, 44)), "sha1=", []byte("\x00\xff"), int64(-1))
	f.Fuzz(func(t *testing.T, method, rawURL, contentType, github, stripe, slackSig, ts, b64, id, standard, generic string, body []byte, now int64) {
		r := verify.Request{Method: method, URL: rawURL, Body: body, Header: http.Header{
			"Content-Type":              {contentType},
			"X-Hub-Signature-256":       {github},
			"Stripe-Signature":          {stripe},
			"X-Slack-Signature":         {slackSig},
			"X-Slack-Request-Timestamp": {ts},
			"X-Shopify-Hmac-Sha256":     {b64},
			"X-Twilio-Signature":        {b64},
			"Webhook-Id":                {id},
			"Webhook-Timestamp":         {ts},
			"Webhook-Signature":         {standard},
			"X-Sig":                     {generic},
		}}
		for _, tc := range fuzzSpecs {
			err := verify.Verify(tc.spec, tc.secrets, r, time.Unix(now, 0))
			if err != nil && (!errors.Is(err, verify.ErrInvalidSignature) || errors.Is(err, verify.ErrInvalidSpec)) {
				t.Fatalf("%s: %v is not a refusal", tc.spec.Kind, err)
			}
		}
	})
}
