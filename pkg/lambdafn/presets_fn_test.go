package lambdafn

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"
	stripewebhook "github.com/stripe/stripe-go/v82/webhook"

	"github.com/hookflow/hookflow/pkg/backend"
	hfaws "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// fnSigner returns the headers a sender sends with body, signed with secret at at, posted to
// the full URL u.
type fnSigner func(secret, u, body string, at time.Time) http.Header

// fnPreset is a sender as the webhook function sees it: the Verify spec of its webhooks and
// how it signs.
type fnPreset struct {
	name        string
	spec        verify.Spec // its one secret is env:PRESET_SECRET
	secret      string      // the signing secret the sender holds
	wrong       string      // a secret the webhook does not know
	contentType string
	body        string
	query       string // the query of the URL the sender posts to
	header      string // the signature header: a request without it is refused
	sign        fnSigner
}

// fnPresets is the table: every preset and a generic HMAC.
func fnPresets() []fnPreset {
	form := url.Values{"CallSid": {"CA1234567890ABCDE"}, "From": {"+14158675309"}, "Body": {"hello"}}
	standardGuess := "whsec_" + base64.StdEncoding.EncodeToString([]byte("guess"))
	acme := verify.Spec{Kind: verify.KindHMAC, Header: "X-Acme-Signature", Algorithm: "sha512", Encoding: "base64", Prefix: "sha512="}
	return []fnPreset{
		{
			name: "github", spec: verify.Spec{Kind: verify.KindGitHub}, secret: "It's a Secret to Everybody", wrong: "guess",
			contentType: "application/json", body: `{"action":"opened"}`, query: "account=acme", header: "X-Hub-Signature-256",
			sign: func(secret, _, body string, _ time.Time) http.Header {
				return http.Header{"X-Hub-Signature-256": {"sha256=" + hex.EncodeToString(fnMAC(sha256.New, secret, body))}}
			},
		},
		{
			name: "stripe", spec: verify.Spec{Kind: verify.KindStripe}, secret: "whsec_stripe", wrong: "whsec_guess",
			contentType: "application/json", body: `{"id":"evt_1","type":"invoice.paid"}`, query: "account=acme", header: "Stripe-Signature",
			sign: func(secret, _, body string, at time.Time) http.Header {
				signed := stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: []byte(body), Secret: secret, Timestamp: at})
				return http.Header{"Stripe-Signature": {signed.Header}}
			},
		},
		{
			name: "slack", spec: verify.Spec{Kind: verify.KindSlack}, secret: "8f742231b10e8888abcd99yyyzzz85a5", wrong: "guess",
			contentType: "application/json", body: `{"type":"event_callback","event_id":"Ev1"}`, query: "account=acme", header: "X-Slack-Signature",
			sign: func(secret, _, body string, at time.Time) http.Header {
				ts := strconv.FormatInt(at.Unix(), 10)
				mac := fnMAC(sha256.New, secret, "v0:"+ts+":"+body)
				return http.Header{"X-Slack-Request-Timestamp": {ts}, "X-Slack-Signature": {"v0=" + hex.EncodeToString(mac)}}
			},
		},
		{
			name: "shopify", spec: verify.Spec{Kind: verify.KindShopify}, secret: shopifySecret, wrong: "guess",
			contentType: "application/json", body: `{"id":820982911946154508}`, query: "account=acme", header: "X-Shopify-Hmac-Sha256",
			sign: func(secret, _, body string, _ time.Time) http.Header {
				return http.Header{"X-Shopify-Hmac-Sha256": {shopifySignature(secret, body)}}
			},
		},
		{
			name: "twilio", spec: verify.Spec{Kind: verify.KindTwilio}, secret: "twilio-auth-token", wrong: "guess",
			contentType: "application/x-www-form-urlencoded", body: form.Encode(), query: "account=acme&step=2", header: "X-Twilio-Signature",
			sign: signTwilioForm,
		},
		{
			name: "standard", spec: verify.Spec{Kind: verify.KindStandard}, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", wrong: standardGuess,
			contentType: "application/json", body: `{"type":"invoice.paid"}`, query: "account=acme", header: "webhook-signature",
			sign: signStandardWebhook,
		},
		{
			name: "hmac", spec: acme, secret: "acme-secret", wrong: "guess",
			contentType: "application/json", body: `{"order":1}`, query: "account=acme", header: "X-Acme-Signature",
			sign: func(secret, _, body string, _ time.Time) http.Header {
				return http.Header{"X-Acme-Signature": {"sha512=" + base64.StdEncoding.EncodeToString(fnMAC(sha512.New, secret, body))}}
			},
		},
	}
}

// fnMAC is the HMAC of msg under secret.
func fnMAC(newHash func() hash.Hash, secret, msg string) []byte {
	m := hmac.New(newHash, []byte(secret))
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// signTwilioForm signs a form POST as Twilio documents: base64 HMAC-SHA1 of the full URL
// followed by each body parameter's name and value, sorted by name.
func signTwilioForm(secret, u, body string, _ time.Time) http.Header {
	form, err := url.ParseQuery(body)
	if err != nil {
		panic(err) // the table's form body parses
	}
	s := u
	for _, name := range slices.Sorted(maps.Keys(form)) {
		for _, v := range slices.Sorted(slices.Values(form[name])) {
			s += name + v
		}
	}
	return http.Header{"X-Twilio-Signature": {base64.StdEncoding.EncodeToString(fnMAC(sha1.New, secret, s))}}
}

// signStandardWebhook signs as Standard Webhooks does: "v1," + base64 HMAC-SHA256 of
// "{webhook-id}.{webhook-timestamp}.{body}" under the base64-decoded part of "whsec_…".
func signStandardWebhook(secret, _, body string, at time.Time) http.Header {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		panic(err) // the table's secrets are base64
	}
	id, ts := "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "." + body))
	return http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {ts},
		"Webhook-Signature": {"v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))}}
}

// fnPresetFlow creates one webhook verified by spec and returns the body delivered to it.
func fnPresetFlow(name string, spec verify.Spec) *workflow.Workflow[struct{}, string] {
	return workflow.Define("fn-preset-"+name, func(ctx workflow.Context, _ struct{}) (string, error) {
		wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{Verify: &spec})
		if err != nil {
			return "", err
		}
		req, err := wh.Receive(ctx)
		if err != nil {
			return "", err
		}
		return string(req.Body), nil
	})
}

// presetBackend is a backend of the kind: memory, or DynamoDB and SQS on the test's own
// table and queue (skipped without an AWS endpoint, see awstest).
func presetBackend(t *testing.T, kind string) backend.Backend {
	t.Helper()
	if kind == "memory" {
		m := memory.New()
		t.Cleanup(func() { _ = m.Close() })
		return m
	}
	return awstest.Setup(t).NewBackend(t, hfaws.Options{})
}

// Every preset through the webhook function, from API Gateway events, on memory and on
// DynamoDB and SQS: a request signed over the URL the function rebuilds (the event's domain
// name, raw path and raw query string, https) is answered 202 and delivered; one signed with a
// wrong secret, one without its signature header and, for Twilio, one sent to another query
// than the one signed get 401 with an empty body, and their only write is the rejection count.
func TestPresetFunction(t *testing.T) {
	t.Parallel()
	for _, p := range fnPresets() {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			for _, kind := range []string{"memory", "dynamodb"} {
				t.Run(kind, func(t *testing.T) {
					t.Parallel()
					sp := &spy{Backend: presetBackend(t, kind)}
					ctx := t.Context()
					secrets := verify.EnvResolver{Getenv: func(name string) string {
						return map[string]string{"PRESET_SECRET": p.secret}[name]
					}}
					spec := p.spec
					spec.Secrets = []string{"env:PRESET_SECRET"}
					wf := fnPresetFlow(p.name, spec)
					c := workflow.NewClient(sp, workflow.ClientOptions{Secrets: secrets})
					run, err := workflow.Start(ctx, c, wf, struct{}{})
					require.NoError(t, err)
					r := NewRunner(sp, workflow.NewRegistry(wf), Config{Secrets: secrets}, quiet)
					t.Cleanup(r.Close)
					require.NoError(t, r.w.RunTurn(ctx, run.ID()))
					hooks, err := c.ListHooks(ctx, workflow.HookFilter{RunID: run.ID()})
					require.NoError(t, err)
					require.Len(t, hooks, 1)
					fn := NewWebhookHandler(c, quiet)

					// send signs body for signedQuery with secret, drops the header drop, and
					// sends it to the webhook with the query sentQuery.
					send := func(secret, signedQuery, sentQuery, drop string) events.APIGatewayV2HTTPResponse {
						ev := apiEvent("POST", workflow.WebhookPath+hooks[0].Token, sentQuery, p.body, false, map[string]string{"content-type": p.contentType})
						signedURL := "https://" + ev.RequestContext.DomainName + ev.RawPath + "?" + signedQuery
						h := p.sign(secret, signedURL, p.body, time.Now())
						h.Del(drop)
						for k, vs := range h {
							ev.Headers[strings.ToLower(k)] = vs[0] // API Gateway sends header names in lower case
						}
						resp, err := fn.Handle(ctx, ev)
						require.NoError(t, err)
						return resp
					}

					before := sp.Writes()
					forged := map[string]events.APIGatewayV2HTTPResponse{
						"wrong secret":        send(p.wrong, p.query, p.query, ""),
						"missing " + p.header: send(p.secret, p.query, p.query, p.header),
					}
					if p.spec.Kind == verify.KindTwilio {
						forged["altered query"] = send(p.secret, p.query, strings.Replace(p.query, "acme", "evil", 1), "")
					}
					for name, resp := range forged {
						require.Equal(t, http.StatusUnauthorized, resp.StatusCode, name)
						require.Empty(t, resp.Body, name)
					}
					require.Equal(t, slices.Repeat([]string{"RejectDelivery " + run.ID()}, len(forged)), sp.Writes()[len(before):],
						"a forged request stores, commits and wakes nothing: its one write is the rejection count")
					info, err := c.GetHookByToken(ctx, hooks[0].Token)
					require.NoError(t, err)
					require.Equal(t, len(forged), info.Rejections)
					before = sp.Writes()

					resp := send(p.secret, p.query, p.query, "")
					require.Equal(t, http.StatusAccepted, resp.StatusCode)
					require.Contains(t, sp.Writes()[len(before):], "PutInbox "+run.ID())
					require.NoError(t, r.w.RunTurn(ctx, run.ID()))
					got, err := c.GetRun(ctx, run.ID())
					require.NoError(t, err)
					require.Equal(t, workflow.StatusCompleted, got.Status, "the run has its request: %s", got.LastError)
					out, err := run.Result(ctx)
					require.NoError(t, err)
					require.Equal(t, p.body, out, "the signed request was delivered")
				})
			}
		})
	}
}
