package lambdafn

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	hfaws "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/webhook/verify"
	"github.com/hookflow/hookflow/pkg/workflow"
)

const shopifySecret = "hush"

var shopifyOrders = workflow.Define("shopify-orders", func(ctx workflow.Context, _ struct{}) (string, error) {
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{Verify: &verify.Spec{
		Kind: verify.KindShopify, Secrets: []string{"env:SHOPIFY_SECRET"},
	}})
	if err != nil {
		return "", err
	}
	req, err := wh.Receive(ctx)
	if err != nil {
		return "", err
	}
	return string(req.Body), nil
})

func shopifySignature(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// The webhook function checks a Verify spec's signature from the API Gateway event (whose
// header names arrive in lower case) before anything is stored: forged or altered requests
// get 401 and cost no write and no queue message, on memory and on DynamoDB and SQS; a signed
// one is delivered, and the sender's retry of it (same X-Shopify-Webhook-Id) is not delivered
// again.
func TestWebhookFunctionVerifiesSignatures(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"memory", "dynamodb"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			var b backend.Backend
			if kind == "memory" {
				m := memory.New()
				t.Cleanup(func() { _ = m.Close() })
				b = m
			} else {
				ae := awstest.Setup(t)
				name := awstest.UniqueName(t)
				ae.NewTable(t, name)
				a, err := hfaws.New(ae.Config.Copy(), hfaws.Options{Table: name, QueueURL: ae.NewQueue(t, name, nil)})
				require.NoError(t, err)
				t.Cleanup(func() { _ = a.Close() })
				b = a
			}
			sp := &spy{Backend: b}
			ctx := t.Context()
			secrets := verify.EnvResolver{Getenv: func(name string) string {
				if name == "SHOPIFY_SECRET" {
					return shopifySecret
				}
				return ""
			}}
			c := workflow.NewClient(sp, workflow.ClientOptions{Secrets: secrets})
			run, err := workflow.Start(ctx, c, shopifyOrders, struct{}{})
			require.NoError(t, err)
			r := NewRunner(sp, workflow.NewRegistry(shopifyOrders), Config{Secrets: secrets}, quiet)
			t.Cleanup(r.Close)
			require.NoError(t, r.w.RunTurn(ctx, run.ID()))
			hooks, err := c.ListHooks(ctx, workflow.HookFilter{RunID: run.ID()})
			require.NoError(t, err)
			require.Len(t, hooks, 1)
			fn := NewWebhookHandler(c, quiet)
			send := func(body, signature string) events.APIGatewayV2HTTPResponse {
				headers := map[string]string{"content-type": "application/json", "x-shopify-webhook-id": "b54557e4-bdd9"}
				if signature != "" {
					headers["x-shopify-hmac-sha256"] = signature
				}
				resp, err := fn.Handle(ctx, apiEvent("POST", workflow.WebhookPath+hooks[0].Token, "", body, false, headers))
				require.NoError(t, err)
				return resp
			}
			const body = `{"id":820982911946154508,"email":"jon@example.com"}`
			before := sp.Writes()
			forged := map[string]events.APIGatewayV2HTTPResponse{
				"unsigned":     send(body, ""),
				"wrong secret": send(body, shopifySignature("guess", body)),
				"altered body": send(`{"id":1}`, shopifySignature(shopifySecret, body)),
				"not base64":   send(body, "%%%"),
			}
			for name, resp := range forged {
				require.Equal(t, http.StatusUnauthorized, resp.StatusCode, name)
				require.Empty(t, resp.Body, name)
			}
			// A forged request stores nothing and sends no queue message: its one write is
			// the count of rejections on the token record.
			require.Equal(t, slices.Repeat([]string{"RejectDelivery " + run.ID()}, len(forged)), sp.Writes()[len(before):])
			info, err := c.GetHookByToken(ctx, hooks[0].Token)
			require.NoError(t, err)
			require.Equal(t, len(forged), info.Rejections)
			before = sp.Writes()

			resp := send(body, shopifySignature(shopifySecret, body))
			require.Equal(t, http.StatusAccepted, resp.StatusCode)
			writes := sp.Writes()[len(before):]
			require.True(t, slices.Contains(writes, "PutInbox "+run.ID()), "%v", writes)
			// Shopify retries with the same X-Shopify-Webhook-Id: delivered once, answered alike.
			retry := send(body, shopifySignature(shopifySecret, body))
			require.Equal(t, resp.StatusCode, retry.StatusCode)
			items, err := sp.ListInbox(ctx, run.ID(), 0)
			require.NoError(t, err)
			require.Len(t, items, 1, "the retry is not delivered again")
			require.NoError(t, r.w.RunTurn(ctx, run.ID()))
			out, err := run.Result(ctx)
			require.NoError(t, err)
			require.Equal(t, body, out)
		})
	}
}
