package webhook_test

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/require"
	stripewebhook "github.com/stripe/stripe-go/v82/webhook"

	"github.com/hookflow/hookflow/pkg/backend"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// The signature presets end to end: each sender's request, signed as the sender documents it,
// goes through the route (webhook.Handler) to a run, on memory and on DynamoDB.

// publicHost is the host senders post to. The server sits behind a proxy that terminates TLS:
// requests reach it with that Host and X-Forwarded-Proto: https, and the route rebuilds the
// URL the sender used from them (internal/httpedge.FullURL), which is what Twilio signs.
const publicHost = "hooks.example.test"

// message is what a sender signs and sends.
type message struct {
	id    string    // the delivery id (webhook-id), which Standard Webhooks signs
	host  string    // the host of the URL posted to
	query string    // the URL's query, without "?"
	body  string    // the raw body
	at    time.Time // when it is signed
}

// signer returns the headers a sender sends with m, signed with secret, posted to the full URL u.
type signer func(secret, u string, m message) http.Header

// preset is a sender: the Verify spec of its webhooks and how it signs.
type preset struct {
	name        string
	spec        verify.Spec // Secrets are set by each test
	secret      string      // the signing secret the sender holds
	old         string      // a secret being rotated out
	wrong       string      // a secret the webhook does not know
	contentType string
	// body holds "100": a forged body has its first one changed, and the rotation's second
	// request every one, so that its delivery id differs where the body carries one (Stripe's
	// /id, Slack's /event_id).
	body       string
	query      string // the query of the URL the sender posts to
	bodySHA256 bool   // the URL's query also carries the body's hex SHA-256 (Twilio, non-form bodies)
	sign       signer
	headers    []string // the headers the preset needs: a request without one is refused
	tsHeader   string   // the header of the signed timestamp, when it stands alone
}

// env names the environment variable of p's current secret; its old secret's is env+"_OLD".
func (p preset) env() string {
	return strings.ToUpper(strings.ReplaceAll(p.name, "-", "_")) + "_SECRET"
}

// withSecrets is p's spec naming the secrets of the given environment variables.
func (p preset) withSecrets(envs ...string) verify.Spec {
	spec := p.spec
	spec.Secrets = nil
	for _, e := range envs {
		spec.Secrets = append(spec.Secrets, "env:"+e)
	}
	return spec
}

// message is the request p's sender makes with body, signed at at.
func (p preset) message(id, body string, at time.Time) message {
	query := p.query
	if p.bodySHA256 {
		sum := sha256.Sum256([]byte(body))
		query += "&bodySHA256=" + hex.EncodeToString(sum[:])
	}
	return message{id: id, host: publicHost, query: query, body: body, at: at}
}

// forgery is a request a preset must refuse: what is sent, with which headers.
type forgery struct {
	name   string
	sent   message
	header http.Header
}

// forgeries are the requests p must refuse, made from m, a request p accepts, for the URL
// urlOf gives: signed with a wrong secret, with an altered body, without each header it needs,
// and, for the senders that sign a timestamp, stale, from the future, or re-dated; for Twilio,
// sent to another query or host than the one signed.
func (p preset) forgeries(urlOf func(message) string, m message) []forgery {
	sign := func(secret string, m message) http.Header { return p.sign(secret, urlOf(m), m) }
	altered := m
	altered.body = strings.Replace(m.body, "100", "999", 1)
	fs := []forgery{
		{"wrong secret", m, sign(p.wrong, m)},
		{"altered body", altered, sign(p.secret, m)},
	}
	for _, name := range p.headers {
		h := sign(p.secret, m)
		h.Del(name)
		fs = append(fs, forgery{"missing " + name, m, h})
	}
	if k := p.spec.Kind; k == verify.KindStripe || k == verify.KindSlack || k == verify.KindStandard {
		tol := cmp.Or(p.spec.Tolerance, verify.DefaultTolerance)
		stale, ahead := m, m
		stale.at, ahead.at = m.at.Add(-2*tol), m.at.Add(2*tol)
		fs = append(fs, forgery{"stale timestamp", stale, sign(p.secret, stale)}, forgery{"future timestamp", ahead, sign(p.secret, ahead)})
	}
	if p.tsHeader != "" {
		earlier := m
		earlier.at = m.at.Add(-time.Second)
		h := sign(p.secret, earlier)
		h.Set(p.tsHeader, sign(p.secret, m).Get(p.tsHeader))
		fs = append(fs, forgery{"re-dated timestamp", m, h})
	}
	if p.spec.Kind == verify.KindTwilio {
		query, host := m, m
		query.query = strings.Replace(m.query, "account=acme", "account=evil", 1)
		host.host = "evil.example.test"
		fs = append(fs, forgery{"altered query", query, sign(p.secret, m)}, forgery{"other host", host, sign(p.secret, m)})
	}
	return fs
}

// presets is the table: every preset (Twilio with a form body and with a JSON body), and the
// generic HMAC with other options than its defaults and with its defaults.
func presets() []preset {
	standardKey := func(key string) string { return "whsec_" + base64.StdEncoding.EncodeToString([]byte(key)) }
	twilioForm := url.Values{"CallSid": {"CA1234567890ABCDE"}, "From": {"+14158675309"}, "To": {"+18005551212"}, "Body": {"pay 100"}}
	acmeHMAC := verify.Spec{Kind: verify.KindHMAC, Header: "X-Acme-Signature", Algorithm: "sha512", Encoding: "base64", Prefix: "sha512="}
	plainHMAC := verify.Spec{Kind: verify.KindHMAC, Header: "X-Signature"}
	return []preset{
		{
			name: "github", spec: verify.Spec{Kind: verify.KindGitHub},
			secret: githubSecret, old: "the old github secret", wrong: "guess",
			contentType: "application/json", body: `{"action":"opened","number":100}`, query: "account=acme",
			sign: func(secret, _ string, m message) http.Header {
				return http.Header{"X-Hub-Signature-256": {githubSignature(secret, m.body)}}
			},
			headers: []string{"X-Hub-Signature-256"},
		},
		{
			name: "stripe", spec: verify.Spec{Kind: verify.KindStripe},
			secret: "whsec_stripe_current", old: "whsec_stripe_old", wrong: "whsec_guess",
			contentType: "application/json", body: `{"id":"evt_100","type":"invoice.paid","amount":100}`, query: "account=acme",
			sign:    signStripe,
			headers: []string{"Stripe-Signature"},
		},
		{
			name: "slack", spec: verify.Spec{Kind: verify.KindSlack, Tolerance: 2 * time.Minute},
			secret: "8f742231b10e8888abcd99yyyzzz85a5", old: "slack-old-signing-secret", wrong: "guess",
			contentType: "application/json", body: `{"type":"event_callback","event_id":"Ev100","event":{"type":"app_mention"}}`, query: "account=acme",
			sign:     signSlack,
			headers:  []string{"X-Slack-Signature", "X-Slack-Request-Timestamp"},
			tsHeader: "X-Slack-Request-Timestamp",
		},
		{
			name: "shopify", spec: verify.Spec{Kind: verify.KindShopify},
			secret: "shopify-client-secret", old: "shopify-old-secret", wrong: "guess",
			contentType: "application/json", body: `{"id":820982911946154508,"total_price":"100.00"}`, query: "account=acme",
			sign:    signShopify,
			headers: []string{"X-Shopify-Hmac-Sha256"},
		},
		{
			name: "twilio", spec: verify.Spec{Kind: verify.KindTwilio},
			secret: "twilio-auth-token", old: "twilio-old-auth-token", wrong: "guess",
			contentType: "application/x-www-form-urlencoded", body: twilioForm.Encode(), query: "account=acme&step=2",
			sign:    signTwilioForm,
			headers: []string{"X-Twilio-Signature"},
		},
		{
			name: "twilio-json", spec: verify.Spec{Kind: verify.KindTwilio},
			secret: "twilio-auth-token", old: "twilio-old-auth-token", wrong: "guess",
			contentType: "application/json", body: `{"event":"message.sent","price":100}`, query: "account=acme", bodySHA256: true,
			sign:    signTwilioJSON,
			headers: []string{"X-Twilio-Signature"},
		},
		{
			name: "standard", spec: verify.Spec{Kind: verify.KindStandard},
			secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", old: standardKey("the old key"), wrong: standardKey("guess"),
			contentType: "application/json", body: `{"type":"invoice.paid","amount":100}`, query: "account=acme",
			sign:     signStandard,
			headers:  []string{"webhook-id", "webhook-timestamp", "webhook-signature"},
			tsHeader: "webhook-timestamp",
		},
		{
			name: "hmac", spec: acmeHMAC,
			secret: "acme-secret", old: "acme-old-secret", wrong: "guess",
			contentType: "application/json", body: `{"order":100}`, query: "account=acme",
			sign:    hmacSigner(acmeHMAC),
			headers: []string{"X-Acme-Signature"},
		},
		{
			name: "hmac-defaults", spec: plainHMAC,
			secret: "plain-secret", old: "plain-old-secret", wrong: "guess",
			contentType: "application/json", body: `{"order":100}`, query: "account=acme",
			sign:    hmacSigner(plainHMAC),
			headers: []string{"X-Signature"},
		},
	}
}

// presetSecrets resolves every preset's current and old secret without touching the
// environment.
var presetSecrets = func() verify.EnvResolver {
	env := map[string]string{}
	for _, p := range presets() {
		env[p.env()], env[p.env()+"_OLD"] = p.secret, p.old
	}
	return verify.EnvResolver{Getenv: func(name string) string { return env[name] }}
}()

// macOf is the HMAC of the concatenated parts under key.
func macOf(newHash func() hash.Hash, key []byte, parts ...string) []byte {
	m := hmac.New(newHash, key)
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

// signStripe signs as Stripe does, with stripe-go's own test signer.
func signStripe(secret, _ string, m message) http.Header {
	signed := stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{
		Payload: []byte(m.body), Secret: secret, Timestamp: m.at,
	})
	return http.Header{"Stripe-Signature": {signed.Header}}
}

// signSlack signs as Slack documents (slack-go only verifies): "v0=" + hex HMAC-SHA256 of
// "v0:{timestamp}:{body}".
func signSlack(secret, _ string, m message) http.Header {
	ts := strconv.FormatInt(m.at.Unix(), 10)
	return http.Header{
		"X-Slack-Request-Timestamp": {ts},
		"X-Slack-Signature":         {"v0=" + hex.EncodeToString(macOf(sha256.New, []byte(secret), "v0:", ts, ":", m.body))},
	}
}

// signShopify signs as Shopify documents: base64 HMAC-SHA256 of the raw body.
func signShopify(secret, _ string, m message) http.Header {
	return http.Header{"X-Shopify-Hmac-Sha256": {base64.StdEncoding.EncodeToString(macOf(sha256.New, []byte(secret), m.body))}}
}

// signTwilioForm signs a form POST as Twilio documents: base64 HMAC-SHA1 of the full URL
// followed by each body parameter's name and value, sorted by name (a repeated name's values
// sorted too).
func signTwilioForm(secret, u string, m message) http.Header {
	form, err := url.ParseQuery(m.body)
	if err != nil {
		panic(err) // the table's form bodies parse
	}
	return http.Header{"X-Twilio-Signature": {twilioSignature(secret, u, form)}}
}

// signTwilioJSON signs a JSON POST as Twilio documents: base64 HMAC-SHA1 of the full URL alone,
// whose bodySHA256 query parameter covers the body.
func signTwilioJSON(secret, u string, _ message) http.Header {
	return http.Header{"X-Twilio-Signature": {twilioSignature(secret, u, nil)}}
}

// twilioSignature is Twilio's signature of the URL u and the form parameters params.
func twilioSignature(secret, u string, params url.Values) string {
	s := u
	for _, name := range slices.Sorted(maps.Keys(params)) {
		for _, v := range slices.Sorted(slices.Values(params[name])) {
			s += name + v
		}
	}
	return base64.StdEncoding.EncodeToString(macOf(sha1.New, []byte(secret), s))
}

// signStandard signs as Standard Webhooks does: "v1," + base64 HMAC-SHA256 of
// "{webhook-id}.{webhook-timestamp}.{body}" under the base64-decoded part of "whsec_…".
func signStandard(secret, _ string, m message) http.Header {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		panic(err) // the table's secrets are all base64
	}
	ts := strconv.FormatInt(m.at.Unix(), 10)
	return http.Header{
		"Webhook-Id":        {m.id},
		"Webhook-Timestamp": {ts},
		"Webhook-Signature": {"v1," + base64.StdEncoding.EncodeToString(macOf(sha256.New, key, m.id, ".", ts, ".", m.body))},
	}
}

// hmacSigner signs as spec describes a generic HMAC: its header holds its prefix and its
// encoding of its algorithm's HMAC of the body (sha256 and hex by default).
func hmacSigner(spec verify.Spec) signer {
	newHash := map[string]func() hash.Hash{"": sha256.New, "sha256": sha256.New, "sha1": sha1.New, "sha512": sha512.New}[spec.Algorithm]
	return func(secret, _ string, m message) http.Header {
		sum := macOf(newHash, []byte(secret), m.body)
		enc := hex.EncodeToString(sum)
		if spec.Encoding == "base64" {
			enc = base64.StdEncoding.EncodeToString(sum)
		}
		return http.Header{spec.Header: {spec.Prefix + enc}}
	}
}

// presetFlow creates one webhook verified by spec and returns the bodies of the first n
// requests delivered to it, one a line.
func presetFlow(name string, spec verify.Spec, n int) *workflow.Workflow[struct{}, string] {
	return workflow.Define("preset-"+name, func(ctx workflow.Context, _ struct{}) (string, error) {
		wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{Verify: &spec})
		if err != nil {
			return "", err
		}
		var bodies []string
		for range n {
			req, err := wh.Receive(ctx)
			if err != nil {
				return "", err
			}
			bodies = append(bodies, string(req.Body))
		}
		return strings.Join(bodies, "\n"), nil
	})
}

// publicURL returns, for the webhook of token, the full URL a sender posts m to.
func publicURL(token string) func(m message) string {
	return func(m message) string {
		return "https://" + m.host + workflow.WebhookPath + token + "?" + m.query
	}
}

// sendTo returns a function that serves, with s's handler, the request a sender makes to the
// webhook of token with m and the headers h, as it arrives from the TLS-terminating proxy.
func sendTo(s started, token, contentType string) func(m message, h http.Header) *httptest.ResponseRecorder {
	return func(m message, h http.Header) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, workflow.WebhookPath+token+"?"+m.query, strings.NewReader(m.body))
		r.Host = m.host
		r.Header.Set("X-Forwarded-Proto", "https")
		r.Header.Set("Content-Type", contentType)
		for k, vs := range h {
			for _, v := range vs {
				r.Header.Add(k, v)
			}
		}
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, r)
		return rec
	}
}

// requireCompleted asserts that s's run has completed, so that its Result does not wait.
func requireCompleted(t *testing.T, s started) {
	t.Helper()
	info, err := s.c.GetRun(t.Context(), s.run.ID())
	require.NoError(t, err)
	require.Equal(t, workflow.StatusCompleted, info.Status, "the run has its requests: %s", info.LastError)
}

// Every preset, through the route on memory and DynamoDB: a request signed as its sender signs
// is answered 202 and delivered; a forged one (wrong secret, altered body, a missing header, a
// stale, future or re-dated timestamp, Twilio's URL altered) is answered 401 with an empty body,
// stores, commits and wakes nothing, and is counted once, on the backend and on the hook.
func TestPresetRoute(t *testing.T) {
	t.Parallel()
	for _, p := range presets() {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			onBackends(t, func(t *testing.T, bk backend.Backend) {
				s := start(t, bk, presetSecrets, presetFlow(p.name, p.withSecrets(p.env()), 1))
				require.Len(t, s.hooks, 1)
				b, token, ctx := s.b, s.hooks[0].Token, t.Context()
				send, urlOf := sendTo(s, token, p.contentType), publicURL(token)

				puts, wakes, commits, rejects := b.puts.Load(), b.enqueues.Load(), b.commits.Load(), b.rejects.Load()
				forged := p.forgeries(urlOf, p.message("msg_1", p.body, time.Now()))
				for i, f := range forged {
					rec := send(f.sent, f.header)
					require.Equal(t, http.StatusUnauthorized, rec.Code, f.name)
					require.Empty(t, rec.Body.String(), f.name)
					require.Equal(t, rejects+int64(i+1), b.rejects.Load(), "%s is counted, once", f.name)
				}
				require.Equal(t, puts, b.puts.Load(), "a forged request stores nothing")
				require.Equal(t, commits, b.commits.Load(), "and commits nothing")
				require.Equal(t, wakes, b.enqueues.Load(), "and wakes nothing")
				items, err := b.ListInbox(ctx, s.run.ID(), 0)
				require.NoError(t, err)
				require.Empty(t, items)
				info, err := s.c.GetHookByToken(ctx, token)
				require.NoError(t, err)
				require.Equal(t, len(forged), info.Rejections, "the rejections show on the hook")
				require.Zero(t, info.Deliveries)

				m := p.message("msg_1", p.body, time.Now())
				rec := send(m, p.sign(p.secret, urlOf(m), m))
				require.Equal(t, http.StatusAccepted, rec.Code)
				require.NoError(t, s.w.RunTurn(ctx, s.run.ID()))
				requireCompleted(t, s)
				out, err := s.run.Result(ctx)
				require.NoError(t, err)
				require.Equal(t, p.body, out, "the signed request was delivered")
				require.Equal(t, rejects+int64(len(forged)), b.rejects.Load(), "a signed request is not a rejection")
			})
		})
	}
}

// A Spec naming two secrets is a rotation, for every preset: a request signed with the secret
// being rotated out and one signed with the new secret are both delivered (the webhook takes
// two requests), while one signed with neither is still refused.
func TestPresetRouteRotation(t *testing.T) {
	t.Parallel()
	for _, p := range presets() {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			onBackends(t, func(t *testing.T, bk backend.Backend) {
				s := start(t, bk, presetSecrets, presetFlow(p.name, p.withSecrets(p.env(), p.env()+"_OLD"), 2))
				require.Len(t, s.hooks, 1)
				token, ctx := s.hooks[0].Token, t.Context()
				send, urlOf := sendTo(s, token, p.contentType), publicURL(token)
				signed := func(secret string, m message) *httptest.ResponseRecorder {
					return send(m, p.sign(secret, urlOf(m), m))
				}

				rec := signed(p.wrong, p.message("msg_0", p.body, time.Now()))
				require.Equal(t, http.StatusUnauthorized, rec.Code, "signed with neither secret")
				require.Empty(t, rec.Body.String())

				byOld := p.message("msg_old", p.body, time.Now())
				require.Equal(t, http.StatusAccepted, signed(p.old, byOld).Code, "signed with the old secret")
				byNew := p.message("msg_new", strings.ReplaceAll(p.body, "100", "200"), time.Now())
				require.Equal(t, http.StatusAccepted, signed(p.secret, byNew).Code, "signed with the new secret")
				items, err := s.b.ListInbox(ctx, s.run.ID(), 0)
				require.NoError(t, err)
				require.Len(t, items, 2, "two deliveries")

				require.NoError(t, s.w.RunTurn(ctx, s.run.ID()))
				requireCompleted(t, s)
				out, err := s.run.Result(ctx)
				require.NoError(t, err)
				require.Equal(t, byOld.body+"\n"+byNew.body, out, "both were delivered, in order")
				require.Equal(t, int64(1), s.b.rejects.Load())
			})
		})
	}
}

// The tests' own signers agree with the senders: their published vectors (GitHub's docs,
// Twilio's libraries, the Standard Webhooks reference library, Shopify's algorithm computed
// with openssl) and slack-go's verifier, so that the route tests hold the presets to the
// senders and not to themselves. (Stripe's requests are signed by stripe-go itself.)
func TestPresetSigners(t *testing.T) {
	t.Parallel()
	require.Equal(t, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", githubSignature("It's a Secret to Everybody", "Hello, World!"))

	docURL := "https://mycompany.com/myapp.php?foo=1&bar=2"
	form := url.Values{"Digits": {"1234"}, "CallSid": {"CA1234567890ABCDE"}, "To": {"+18005551212"}, "Caller": {"+14158675309"}, "From": {"+14158675309"}}
	require.Equal(t, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", signTwilioForm("12345", docURL, message{body: form.Encode()}).Get("X-Twilio-Signature"))
	const bodyHash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620" // of {"property": "value", "boolean": true}
	require.Equal(t, "a9nBmqA0ju/hNViExpshrM61xv4=",
		signTwilioJSON("12345", docURL+"&bodySHA256="+bodyHash, message{}).Get("X-Twilio-Signature"))

	std := signStandard("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "", message{id: "msg_p5jXN8AQM9LWM0D4loKWxJek", body: `{"test": 2432232314}`, at: time.Unix(1614265330, 0)})
	require.Equal(t, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", std.Get("webhook-signature"))

	require.Equal(t, "plW8VGqq0nDMIEhDqaNNW99asdUCy7EIqLZVcQwtAZ0=", signShopify("shop-secret", "", message{body: `{"id":1}`}).Get("X-Shopify-Hmac-Sha256"))

	const slackSecret = "slack-signing-secret"
	slackReq := message{body: `{"type":"event_callback"}`, at: time.Now()} // slack-go reads the clock itself
	sv, err := slack.NewSecretsVerifier(signSlack(slackSecret, "", slackReq), slackSecret)
	require.NoError(t, err)
	_, err = sv.Write([]byte(slackReq.body))
	require.NoError(t, err)
	require.NoError(t, sv.Ensure(), "slack-go accepts the tests' Slack signature")
}
