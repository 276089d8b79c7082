package verify_test

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/webhook/verify"
)

// preset is a sender preset with a request it signs, for the checks every preset passes.
type preset struct {
	kind      string
	right     []byte // the secret the requests are signed with
	wrong     []byte // another well-formed secret
	base      func() verify.Request
	sign      func(secret []byte, r *verify.Request, ts time.Time)
	required  []string // the headers the sender always sends
	malformed map[string]map[string]string
}

func twilioFormBody() []byte {
	return []byte(url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"From":    {"+14158675309"},
		"To":      {"+18005551212"},
		"Body":    {"Hello & welcome"},
	}.Encode())
}

var presets = []preset{
	{
		kind: verify.KindGitHub, right: []byte("gh-secret"), wrong: []byte("gh-other"),
		base: func() verify.Request {
			return verify.Request{Method: http.MethodPost, URL: "https://hooks.example.com/w/tok",
				Header: http.Header{"Content-Type": {"application/json"}, "X-Github-Delivery": {"d-1"}},
				Body:   []byte(`{"action":"opened","number":1}`)}
		},
		sign:     signGitHub,
		required: []string{"X-Hub-Signature-256"},
		malformed: map[string]map[string]string{
			"no prefix":      {"X-Hub-Signature-256": strings.Repeat("ab", 32)},
			"sha1 prefix":    {"X-Hub-Signature-256": "sha1=" + strings.Repeat("ab", 20)},
			"not hex":        {"X-Hub-Signature-256": "sha256=" + strings.Repeat("zz", 32)},
			"short":          {"X-Hub-Signature-256": "sha256=abcd"},
			"prefix only":    {"X-Hub-Signature-256": "sha256="},
			"upper prefix":   {"X-Hub-Signature-256": "SHA256=" + strings.Repeat("ab", 32)},
			"base64 instead": {"X-Hub-Signature-256": "sha256=" + base64.StdEncoding.EncodeToString(make([]byte, 32))},
		},
	},
	{
		kind: verify.KindStripe, right: []byte("whsec_stripe_right"), wrong: []byte("whsec_stripe_wrong"),
		base: func() verify.Request {
			return verify.Request{Method: http.MethodPost, URL: "https://hooks.example.com/w/tok",
				Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}},
				Body:   []byte(`{"id":"evt_1","object":"event","type":"invoice.paid"}`)}
		},
		sign:     signStripe,
		required: []string{"Stripe-Signature"},
		malformed: map[string]map[string]string{
			"no timestamp":      {"Stripe-Signature": "v1=" + strings.Repeat("ab", 32)},
			"no v1":             {"Stripe-Signature": "t=1700000000,v0=" + strings.Repeat("ab", 32)},
			"v1 not hex":        {"Stripe-Signature": "t=1700000000,v1=xyz"},
			"timestamp not int": {"Stripe-Signature": "t=soon,v1=" + strings.Repeat("ab", 32)},
			"negative time":     {"Stripe-Signature": "t=-5,v1=" + strings.Repeat("ab", 32)},
			"two timestamps":    {"Stripe-Signature": "t=1700000000,t=1700000001,v1=" + strings.Repeat("ab", 32)},
			"not key=value":     {"Stripe-Signature": "t=1700000000,garbage"},
			"empty timestamp":   {"Stripe-Signature": "t=,v1=" + strings.Repeat("ab", 32)},
		},
	},
	{
		kind: verify.KindSlack, right: []byte("slack-right"), wrong: []byte("slack-wrong"),
		base: func() verify.Request {
			return verify.Request{Method: http.MethodPost, URL: "https://hooks.example.com/w/tok",
				Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
				Body:   []byte("token=x&team_id=T1&command=%2Fdeploy&text=prod")}
		},
		sign:     signSlack,
		required: []string{"X-Slack-Signature", "X-Slack-Request-Timestamp"},
		malformed: map[string]map[string]string{
			"no v0 prefix":      {"X-Slack-Signature": strings.Repeat("ab", 32)},
			"v1 prefix":         {"X-Slack-Signature": "v1=" + strings.Repeat("ab", 32)},
			"not hex":           {"X-Slack-Signature": "v0=" + strings.Repeat("zz", 32)},
			"short":             {"X-Slack-Signature": "v0=abcd"},
			"timestamp not int": {"X-Slack-Request-Timestamp": "1700000000.5"},
			"timestamp words":   {"X-Slack-Request-Timestamp": "now"},
		},
	},
	{
		kind: verify.KindShopify, right: []byte("shpss_right"), wrong: []byte("shpss_wrong"),
		base: func() verify.Request {
			return verify.Request{Method: http.MethodPost, URL: "https://hooks.example.com/w/tok",
				Header: http.Header{"Content-Type": {"application/json"}, "X-Shopify-Topic": {"orders/create"}},
				Body:   []byte(`{"id":820982911946154508,"email":"jon@example.com"}`)}
		},
		sign:     signShopify,
		required: []string{"X-Shopify-Hmac-Sha256"},
		malformed: map[string]map[string]string{
			"hex instead": {"X-Shopify-Hmac-Sha256": strings.Repeat("ab", 32)},
			"not base64":  {"X-Shopify-Hmac-Sha256": "!!!"},
			"short":       {"X-Shopify-Hmac-Sha256": base64.StdEncoding.EncodeToString([]byte("short"))},
		},
	},
	{
		kind: verify.KindTwilio, right: []byte("twilio-auth-token-right"), wrong: []byte("twilio-auth-token-wrong"),
		base: func() verify.Request {
			return verify.Request{Method: http.MethodPost, URL: "https://hooks.example.com/w/tok?foo=1&bar=2",
				Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}},
				Body:   twilioFormBody()}
		},
		sign:     signTwilio,
		required: []string{"X-Twilio-Signature"},
		malformed: map[string]map[string]string{
			"not base64":   {"X-Twilio-Signature": "!!!"},
			"hex instead":  {"X-Twilio-Signature": strings.Repeat("ab", 20)},
			"sha256 sized": {"X-Twilio-Signature": base64.StdEncoding.EncodeToString(make([]byte, 32))},
		},
	},
	{
		kind: verify.KindStandard, right: whsec("standard-key-right-24bytes"), wrong: whsec("standard-key-wrong-24bytes"),
		base: func() verify.Request {
			return verify.Request{Method: http.MethodPost, URL: "https://hooks.example.com/w/tok",
				Header: http.Header{"Content-Type": {"application/json"}, "Webhook-Id": {"msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"}},
				Body:   []byte(`{"type":"contact.created","timestamp":"2022-11-03T20:26:10.344522Z","data":{"id":"1"}}`)}
		},
		sign:     signStandard,
		required: []string{"webhook-id", "webhook-timestamp", "webhook-signature"},
		malformed: map[string]map[string]string{
			"no version":        {"webhook-signature": base64.StdEncoding.EncodeToString(make([]byte, 32))},
			"only v1a":          {"webhook-signature": "v1a," + base64.StdEncoding.EncodeToString(make([]byte, 64))},
			"v1 not base64":     {"webhook-signature": "v1,!!!"},
			"v1 short":          {"webhook-signature": "v1,AAAA"},
			"timestamp not int": {"webhook-timestamp": "2023-11-14T22:13:20Z"},
		},
	},
}

// Every preset accepts what its sender signs and refuses a wrong secret, an altered body, a
// missing or malformed header, and takes any one secret of a rotation.
func TestPresets(t *testing.T) {
	t.Parallel()
	for _, p := range presets {
		t.Run(p.kind, func(t *testing.T) {
			t.Parallel()
			signed := func(secret []byte) verify.Request {
				r := p.base()
				p.sign(secret, &r, t0)
				return r
			}
			one := specOf(p.kind, 1)
			two := specOf(p.kind, 2)

			t.Run("valid", func(t *testing.T) {
				require.NoError(t, verify.Verify(one, [][]byte{p.right}, signed(p.right), t0))
			})
			t.Run("wrong secret", func(t *testing.T) {
				requireRefused(t, verify.Verify(one, [][]byte{p.wrong}, signed(p.right), t0), verify.ErrNoMatch)
			})
			t.Run("altered body", func(t *testing.T) {
				r := signed(p.right)
				r.Body = append(r.Body, 'x')
				requireRefused(t, verify.Verify(one, [][]byte{p.right}, r, t0), verify.ErrNoMatch)
				r = signed(p.right)
				r.Body[len(r.Body)/2] ^= 0x01
				requireRefused(t, verify.Verify(one, [][]byte{p.right}, r, t0), verify.ErrNoMatch)
			})
			t.Run("empty body", func(t *testing.T) {
				r := signed(p.right)
				r.Body = nil
				require.Error(t, verify.Verify(one, [][]byte{p.right}, r, t0))
			})
			t.Run("missing header", func(t *testing.T) {
				for _, h := range p.required {
					r := signed(p.right)
					r.Header.Del(h)
					requireRefused(t, verify.Verify(one, [][]byte{p.right}, r, t0), verify.ErrMissingHeader)
					r.Header.Set(h, "  ")
					requireRefused(t, verify.Verify(one, [][]byte{p.right}, r, t0), verify.ErrMissingHeader)
				}
				requireRefused(t, verify.Verify(one, [][]byte{p.right}, verify.Request{Body: []byte("{}")}, t0), verify.ErrMissingHeader)
			})
			t.Run("malformed header", func(t *testing.T) {
				for name, set := range p.malformed {
					r := signed(p.right)
					for h, v := range set {
						r.Header.Set(h, v)
					}
					err := verify.Verify(one, [][]byte{p.right}, r, t0)
					require.ErrorIs(t, err, verify.ErrMalformedHeader, name)
					requireRefused(t, err, verify.ErrMalformedHeader)
				}
			})
			t.Run("rotation", func(t *testing.T) {
				require.NoError(t, verify.Verify(two, [][]byte{p.wrong, p.right}, signed(p.right), t0), "the second secret matches")
				require.NoError(t, verify.Verify(two, [][]byte{p.right, p.wrong}, signed(p.right), t0), "the first secret matches")
				requireRefused(t, verify.Verify(two, [][]byte{p.wrong, p.wrong}, signed(p.right), t0), verify.ErrNoMatch)
			})
			t.Run("header names in any case", func(t *testing.T) {
				r := signed(p.right)
				lower := http.Header{}
				for k, vs := range r.Header {
					lower[strings.ToLower(k)] = vs // as a map built from a Lambda event would hold them
				}
				r.Header = lower
				require.NoError(t, verify.Verify(one, [][]byte{p.right}, r, t0))
			})
			t.Run("errors carry no secret or signature", func(t *testing.T) {
				r := signed(p.right)
				err := verify.Verify(one, [][]byte{p.wrong}, r, t0)
				require.Error(t, err)
				require.NotContains(t, err.Error(), string(p.right))
				require.NotContains(t, err.Error(), string(p.wrong))
				for _, vs := range r.Header {
					for _, v := range vs {
						if len(v) > 12 && !strings.Contains(v, "/") { // signature values, not content types
							require.NotContains(t, err.Error(), v)
						}
					}
				}
			})
			if p.kind == verify.KindStripe || p.kind == verify.KindSlack || p.kind == verify.KindStandard {
				t.Run("replay window", func(t *testing.T) {
					r := signed(p.right)
					tol := verify.DefaultTolerance
					require.NoError(t, verify.Verify(one, [][]byte{p.right}, r, t0.Add(tol-time.Second)), "within the tolerance")
					require.NoError(t, verify.Verify(one, [][]byte{p.right}, r, t0.Add(tol)), "at the tolerance")
					require.NoError(t, verify.Verify(one, [][]byte{p.right}, r, t0.Add(-tol)), "a clock behind the sender's")
					requireRefused(t, verify.Verify(one, [][]byte{p.right}, r, t0.Add(tol+time.Second)), verify.ErrStaleTimestamp)
					requireRefused(t, verify.Verify(one, [][]byte{p.right}, r, t0.Add(-tol-time.Second)), verify.ErrStaleTimestamp)
					requireRefused(t, verify.Verify(one, [][]byte{p.right}, r, t0.Add(24*time.Hour)), verify.ErrStaleTimestamp)

					short := one
					short.Tolerance = time.Minute
					require.NoError(t, verify.Verify(short, [][]byte{p.right}, r, t0.Add(30*time.Second)))
					requireRefused(t, verify.Verify(short, [][]byte{p.right}, r, t0.Add(2*time.Minute)), verify.ErrStaleTimestamp)
					long := one
					long.Tolerance = time.Hour
					require.NoError(t, verify.Verify(long, [][]byte{p.right}, r, t0.Add(30*time.Minute)))
				})
				t.Run("stale and forged is refused", func(t *testing.T) {
					r := signed(p.wrong)
					require.Error(t, verify.Verify(one, [][]byte{p.right}, r, t0.Add(time.Hour)))
				})
			} else {
				t.Run("no replay window", func(t *testing.T) {
					// The sender signs no timestamp: an old delivery is as valid as a new one, and
					// only deduplication on the delivery id stops a replay.
					require.NoError(t, verify.Verify(one, [][]byte{p.right}, signed(p.right), t0.Add(365*24*time.Hour)))
				})
			}
		})
	}
}

func TestGitHubLegacySHA1HeaderAloneIsRefused(t *testing.T) {
	t.Parallel()
	r := presets[0].base()
	r.Header.Set("X-Hub-Signature", "sha1="+hex.EncodeToString(mac(sha1.New, []byte("s"), string(r.Body))))
	requireRefused(t, verify.Verify(specOf(verify.KindGitHub, 1), [][]byte{[]byte("s")}, r, t0), verify.ErrMissingHeader)
}

func TestStripeHeader(t *testing.T) {
	t.Parallel()
	secret := []byte("whsec_abc")
	body := []byte(`{"id":"evt_1"}`)
	good := hex.EncodeToString(mac(sha256.New, secret, unix(t0), ".", string(body)))
	bad := hex.EncodeToString(mac(sha256.New, []byte("whsec_old"), unix(t0), ".", string(body)))
	spec := specOf(verify.KindStripe, 1)
	check := func(header string) error {
		return verify.Verify(spec, [][]byte{secret}, verify.Request{Header: http.Header{"Stripe-Signature": {header}}, Body: body}, t0)
	}
	require.NoError(t, check("t="+unix(t0)+",v1="+good))
	require.NoError(t, check("t="+unix(t0)+",v1="+bad+",v1="+good), "any v1 may match (Stripe rolls secrets so)")
	require.NoError(t, check("t="+unix(t0)+",v1="+good+",v0="+bad), "v0 (test mode) is ignored")
	require.NoError(t, check("v1="+good+",t="+unix(t0)), "order does not matter")
	require.NoError(t, check("t="+unix(t0)+", v1="+good), "space after a comma")
	require.NoError(t, check("t="+unix(t0)+",v1=nothex,v1="+good), "a v1 that is not hex is skipped")
	require.NoError(t, check("t="+unix(t0)+",v1="+strings.ToUpper(good)), "hex in upper case")
	require.NoError(t, check("t="+unix(t0)+",x=y,v1="+good), "unknown keys are ignored")
	requireRefused(t, check("t="+unix(t0)+",v1="+bad), verify.ErrNoMatch)
	requireRefused(t, check("t="+unix(t0.Add(time.Second))+",v1="+good), verify.ErrNoMatch) // the timestamp is signed
	requireRefused(t, check("t="+unix(t0)+",v0="+good), verify.ErrMalformedHeader)          // v0 is not verified
}

func TestSlackTimestampIsSigned(t *testing.T) {
	t.Parallel()
	r := presets[2].base()
	signSlack([]byte("s"), &r, t0)
	r.Header.Set("X-Slack-Request-Timestamp", unix(t0.Add(time.Second)))
	requireRefused(t, verify.Verify(specOf(verify.KindSlack, 1), [][]byte{[]byte("s")}, r, t0), verify.ErrNoMatch)
}

func TestStandardWebhooks(t *testing.T) {
	t.Parallel()
	secret := whsec("a-standard-webhooks-key!")
	spec := specOf(verify.KindStandard, 1)
	signed := func() verify.Request {
		r := presets[5].base()
		signStandard(secret, &r, t0)
		return r
	}
	other := base64.StdEncoding.EncodeToString(make([]byte, 32))

	t.Run("one valid signature among several", func(t *testing.T) {
		t.Parallel()
		r := signed()
		valid := r.Header.Get("webhook-signature")
		r.Header.Set("webhook-signature", "v1,"+other+" v2,"+other+" "+valid+" v1a,"+base64.StdEncoding.EncodeToString(make([]byte, 64)))
		require.NoError(t, verify.Verify(spec, [][]byte{secret}, r, t0))
		r.Header.Set("webhook-signature", "v1,"+other+" v1,"+other)
		requireRefused(t, verify.Verify(spec, [][]byte{secret}, r, t0), verify.ErrNoMatch)
	})
	t.Run("the secret without its whsec_ prefix", func(t *testing.T) {
		t.Parallel()
		bare := []byte(strings.TrimPrefix(string(secret), "whsec_"))
		require.NoError(t, verify.Verify(spec, [][]byte{bare}, signed(), t0))
	})
	t.Run("the id and timestamp are signed", func(t *testing.T) {
		t.Parallel()
		r := signed()
		r.Header.Set("webhook-id", "msg_other")
		requireRefused(t, verify.Verify(spec, [][]byte{secret}, r, t0), verify.ErrNoMatch)
		r = signed()
		r.Header.Set("webhook-timestamp", unix(t0.Add(time.Second)))
		requireRefused(t, verify.Verify(spec, [][]byte{secret}, r, t0), verify.ErrNoMatch)
	})
	t.Run("a secret that is not base64 is the caller's misconfiguration", func(t *testing.T) {
		t.Parallel()
		err := verify.Verify(spec, [][]byte{[]byte("whsec_not base64!")}, signed(), t0)
		require.ErrorIs(t, err, verify.ErrInvalidSpec)
		require.NotErrorIs(t, err, verify.ErrInvalidSignature)
		require.NotContains(t, err.Error(), "not base64!")
	})
}

func TestTwilio(t *testing.T) {
	t.Parallel()
	token := []byte("twilio-token")
	spec := specOf(verify.KindTwilio, 1)
	form := func() verify.Request {
		r := presets[4].base()
		signTwilio(token, &r, t0)
		return r
	}
	check := func(r verify.Request) error { return verify.Verify(spec, [][]byte{token}, r, t0) }

	t.Run("altered URL or query", func(t *testing.T) {
		t.Parallel()
		for _, u := range []string{
			"https://hooks.example.com/w/tok?foo=1&bar=3",
			"https://hooks.example.com/w/tok?foo=1",
			"https://hooks.example.com/w/tok?foo=1&bar=2&baz=3",
			"https://hooks.example.com/w/tok?bar=2&foo=1",
			"https://hooks.example.com/w/tok",
			"https://hooks.example.com/w/other?foo=1&bar=2",
			"https://evil.example.com/w/tok?foo=1&bar=2",
			"http://hooks.example.com/w/tok?foo=1&bar=2",
			"https://hooks.example.com/w/tok/?foo=1&bar=2",
		} {
			r := form()
			r.URL = u
			requireRefused(t, check(r), verify.ErrNoMatch)
		}
	})
	t.Run("altered form parameter", func(t *testing.T) {
		t.Parallel()
		for _, mutate := range []func(url.Values){
			func(v url.Values) { v.Set("To", "+18005551213") },
			func(v url.Values) { v.Set("Extra", "1") },
			func(v url.Values) { v.Del("Body") },
			func(v url.Values) { v.Add("To", "+1") },
			func(v url.Values) { v.Set("To", "") },
		} {
			r := form()
			v, err := url.ParseQuery(string(r.Body))
			require.NoError(t, err)
			mutate(v)
			r.Body = []byte(v.Encode())
			requireRefused(t, check(r), verify.ErrNoMatch)
		}
	})
	t.Run("parameter order in the body does not matter", func(t *testing.T) {
		t.Parallel()
		r := form()
		r.Body = []byte("To=%2B18005551212&Body=Hello+%26+welcome&From=%2B14158675309&CallSid=CA1234567890ABCDE")
		require.NoError(t, check(r))
	})
	t.Run("a form body of another method or content type is not signed as parameters", func(t *testing.T) {
		t.Parallel()
		r := form()
		r.Header.Set("Content-Type", "application/json")
		requireRefused(t, check(r), verify.ErrNoMatch)
		r = form()
		r.Method = http.MethodPut
		requireRefused(t, check(r), verify.ErrNoMatch)
	})
	t.Run("GET: the URL alone", func(t *testing.T) {
		t.Parallel()
		r := verify.Request{Method: http.MethodGet, URL: "https://hooks.example.com/w/tok?CallSid=CA1&From=%2B1415", Header: http.Header{}}
		signTwilio(token, &r, t0)
		require.NoError(t, check(r))
		r.URL = "https://hooks.example.com/w/tok?CallSid=CA2&From=%2B1415"
		requireRefused(t, check(r), verify.ErrNoMatch)
	})
	t.Run("JSON body: bodySHA256", func(t *testing.T) {
		t.Parallel()
		body := []byte(`{"event":"call.completed","sid":"CA1"}`)
		sum := sha256.Sum256(body)
		r := verify.Request{
			Method: http.MethodPost,
			URL:    "https://hooks.example.com/w/tok?bodySHA256=" + hex.EncodeToString(sum[:]),
			Header: http.Header{"Content-Type": {"application/json"}},
			Body:   body,
		}
		signTwilio(token, &r, t0)
		require.NoError(t, check(r))

		altered := clone(r)
		altered.Body = []byte(`{"event":"call.completed","sid":"CA2"}`)
		requireRefused(t, check(altered), verify.ErrNoMatch)

		other := sha256.Sum256(altered.Body)
		rehashed := clone(altered)
		rehashed.URL = "https://hooks.example.com/w/tok?bodySHA256=" + hex.EncodeToString(other[:])
		requireRefused(t, check(rehashed), verify.ErrNoMatch) // the URL, and so its hash, is signed

		notHex := clone(r)
		notHex.URL = "https://hooks.example.com/w/tok?bodySHA256=zz"
		signTwilio(token, &notHex, t0)
		requireRefused(t, check(notHex), verify.ErrNoMatch)
	})
	t.Run("a body the signature does not cover", func(t *testing.T) {
		t.Parallel()
		r := verify.Request{Method: http.MethodPost, URL: "https://hooks.example.com/w/tok",
			Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"a":1}`)}
		signTwilio(token, &r, t0) // signs the URL alone
		requireRefused(t, check(r), verify.ErrNoMatch)
	})
	t.Run("with and without the port", func(t *testing.T) {
		t.Parallel()
		r := form()
		r.URL = "https://hooks.example.com:443/w/tok?foo=1&bar=2"
		require.NoError(t, check(r), "the port added by a proxy")

		r = verify.Request{Method: http.MethodGet, URL: "https://[2001:db8::1]:8443/w/tok", Header: http.Header{}}
		signTwilio(token, &r, t0)
		require.NoError(t, check(r))
		r.URL = "https://[2001:db8::1]/w/tok"
		requireRefused(t, check(r), verify.ErrNoMatch)
	})
}

func TestGenericHMAC(t *testing.T) {
	t.Parallel()
	secret := []byte("generic-secret")
	body := []byte(`{"ok":true}`)
	for _, tc := range []struct {
		algorithm string
		newHash   func() hash.Hash
	}{{"", sha256.New}, {"sha256", sha256.New}, {"sha1", sha1.New}, {"sha512", sha512.New}} {
		for _, encoding := range []string{"", "hex", "base64"} {
			for _, prefix := range []string{"", "sha256=", "v1:"} {
				spec := verify.Spec{Kind: verify.KindHMAC, Secrets: []string{"env:S"}, Header: "X-Signature",
					Algorithm: tc.algorithm, Encoding: encoding, Prefix: prefix}
				sum := mac(tc.newHash, secret, string(body))
				enc := hex.EncodeToString(sum)
				if encoding == "base64" {
					enc = base64.StdEncoding.EncodeToString(sum)
				}
				r := verify.Request{Method: http.MethodPost, Header: http.Header{"X-Signature": {prefix + enc}}, Body: body}
				name := tc.algorithm + "/" + encoding + "/" + prefix
				require.NoError(t, verify.Verify(spec, [][]byte{secret}, r, t0), name)
				requireRefused(t, verify.Verify(spec, [][]byte{[]byte("other")}, r, t0), verify.ErrNoMatch)

				altered := clone(r)
				altered.Body = []byte(`{"ok":false}`)
				requireRefused(t, verify.Verify(spec, [][]byte{secret}, altered, t0), verify.ErrNoMatch)

				missing := clone(r)
				missing.Header.Del("X-Signature")
				requireRefused(t, verify.Verify(spec, [][]byte{secret}, missing, t0), verify.ErrMissingHeader)

				if prefix != "" {
					bare := clone(r)
					bare.Header.Set("X-Signature", enc)
					requireRefused(t, verify.Verify(spec, [][]byte{secret}, bare, t0), verify.ErrMalformedHeader)
				}
				truncated := clone(r)
				truncated.Header.Set("X-Signature", prefix+enc[:len(enc)-4])
				requireRefused(t, verify.Verify(spec, [][]byte{secret}, truncated, t0), verify.ErrMalformedHeader)
			}
		}
	}
}

// What makes Verify unable to verify is the caller's misconfiguration, told apart from a refusal.
func TestVerifyMisconfiguration(t *testing.T) {
	t.Parallel()
	r := presets[0].base()
	signGitHub([]byte("s"), &r, t0)
	for name, tc := range map[string]struct {
		spec    verify.Spec
		secrets [][]byte
	}{
		"invalid spec":         {verify.Spec{Kind: "gitlab", Secrets: []string{"env:S"}}, [][]byte{[]byte("s")}},
		"no secret values":     {specOf(verify.KindGitHub, 1), nil},
		"fewer values":         {specOf(verify.KindGitHub, 2), [][]byte{[]byte("s")}},
		"more values":          {specOf(verify.KindGitHub, 1), [][]byte{[]byte("s"), []byte("t")}},
		"an empty value":       {specOf(verify.KindGitHub, 2), [][]byte{[]byte("s"), {}}},
		"a secret in the spec": {verify.Spec{Kind: verify.KindGitHub, Secrets: []string{"s"}}, [][]byte{[]byte("s")}},
	} {
		err := verify.Verify(tc.spec, tc.secrets, r, t0)
		require.ErrorIs(t, err, verify.ErrInvalidSpec, name)
		require.NotErrorIs(t, err, verify.ErrInvalidSignature, name)
	}
}

func TestErrorsName(t *testing.T) {
	t.Parallel()
	err := verify.Verify(specOf(verify.KindGitHub, 1), [][]byte{[]byte("s")}, verify.Request{}, t0)
	require.EqualError(t, err, "verify: invalid webhook signature: missing header: X-Hub-Signature-256")
	r := verify.Request{Header: http.Header{"Stripe-Signature": {"t=1,v1=" + strings.Repeat("00", 32)}}}
	err = verify.Verify(specOf(verify.KindStripe, 1), [][]byte{[]byte("s")}, r, t0)
	require.EqualError(t, err, "verify: invalid webhook signature: timestamp outside the tolerance: Stripe-Signature timestamp is more than 5m0s from now")
}

func TestDeliveryIDHeader(t *testing.T) {
	t.Parallel()
	for kind, want := range map[string]string{
		verify.KindGitHub:   "X-GitHub-Delivery",
		verify.KindStandard: "webhook-id",
		verify.KindShopify:  "X-Shopify-Webhook-Id",
		verify.KindStripe:   "",
		verify.KindSlack:    "",
		verify.KindTwilio:   "I-Twilio-Idempotency-Token",
		verify.KindHMAC:     "",
		"gitlab":            "",
	} {
		require.Equal(t, want, verify.DeliveryIDHeader(kind), kind)
	}
}
