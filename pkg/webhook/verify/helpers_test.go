package verify_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/webhook/verify"
)

// The signers below are the tests' own spelling of each sender's documented algorithm, kept
// apart from the package's code; the vendor vectors in vectors_test.go hold them to the senders.

// t0 is the time the fixtures are signed at.
var t0 = time.Unix(1_700_000_000, 0)

func mac(newHash func() hash.Hash, key []byte, parts ...string) []byte {
	m := hmac.New(newHash, key)
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func signGitHub(secret []byte, r *verify.Request, _ time.Time) {
	r.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac(sha256.New, secret, string(r.Body))))
}

func signStripe(secret []byte, r *verify.Request, ts time.Time) {
	sig := mac(sha256.New, secret, unix(ts), ".", string(r.Body))
	r.Header.Set("Stripe-Signature", "t="+unix(ts)+",v1="+hex.EncodeToString(sig))
}

func signSlack(secret []byte, r *verify.Request, ts time.Time) {
	r.Header.Set("X-Slack-Request-Timestamp", unix(ts))
	r.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac(sha256.New, secret, "v0:", unix(ts), ":", string(r.Body))))
}

func signShopify(secret []byte, r *verify.Request, _ time.Time) {
	r.Header.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(mac(sha256.New, secret, string(r.Body))))
}

// signTwilio signs r.URL plus, for a form POST, the body's parameters sorted by name.
func signTwilio(secret []byte, r *verify.Request, _ time.Time) {
	s := r.URL
	if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form, err := url.ParseQuery(string(r.Body))
		if err != nil {
			panic(err)
		}
		names := make([]string, 0, len(form))
		for k := range form {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			vs := append([]string(nil), form[k]...)
			sort.Strings(vs)
			for _, v := range vs {
				s += k + v
			}
		}
	}
	r.Header.Set("X-Twilio-Signature", base64.StdEncoding.EncodeToString(mac(sha1.New, secret, s)))
}

// signStandard signs as Standard Webhooks does; secret is the "whsec_…" serialization.
func signStandard(secret []byte, r *verify.Request, ts time.Time) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(string(secret), "whsec_"))
	if err != nil {
		panic(err)
	}
	id := r.Header.Get("webhook-id")
	r.Header.Set("webhook-timestamp", unix(ts))
	r.Header.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(mac(sha256.New, key, id, ".", unix(ts), ".", string(r.Body))))
}

// whsec is a Standard Webhooks secret serialization of key.
func whsec(key string) []byte {
	return []byte("whsec_" + base64.StdEncoding.EncodeToString([]byte(key)))
}

// requireRefused asserts err is a refusal for reason.
func requireRefused(t *testing.T, err error, reason error) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, verify.ErrInvalidSignature)
	require.ErrorIs(t, err, reason)
	require.NotErrorIs(t, err, verify.ErrInvalidSpec)
}

// clone copies r, so that a case can alter its copy.
func clone(r verify.Request) verify.Request {
	r.Header = r.Header.Clone()
	r.Body = append([]byte(nil), r.Body...)
	return r
}

// specOf is a Spec of kind with n secret references.
func specOf(kind string, n int) verify.Spec {
	s := verify.Spec{Kind: kind}
	for i := range n {
		s.Secrets = append(s.Secrets, "env:SECRET_"+strconv.Itoa(i))
	}
	return s
}
