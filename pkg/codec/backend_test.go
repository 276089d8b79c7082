package codec_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/backend/backendtest"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/codec"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// keyring returns a codec that compresses and encrypts with a fresh key named id.
func keyring(t *testing.T, id string) codec.Codec { return keyringWith(t, id, true) }

// keyringWith is keyring, compressing or not.
func keyringWith(t *testing.T, id string, compress bool) codec.Codec {
	t.Helper()
	key := bytes.Repeat([]byte{byte(len(id))}, 32)
	copy(key, id)
	keys, err := codec.NewLocalKeys(id, map[string][]byte{id: key})
	require.NoError(t, err)
	c, err := codec.New(codec.Options{Compress: compress, Keys: keys})
	require.NoError(t, err)
	return c
}

// The conformance suite passes on every driver with the codec on: the wrapper is invisible
// to the engine.
func TestConformanceWithCodec(t *testing.T) {
	t.Parallel()
	c := keyringWith(t, "k1", false)
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		backendtest.Run(t, func(t *testing.T) backend.Backend {
			b := memory.New(memory.WithVisibilityTimeout(time.Second))
			t.Cleanup(func() { _ = b.Close() })
			return codec.Wrap(b, c)
		})
	})
	t.Run("bbolt", func(t *testing.T) {
		t.Parallel()
		backendtest.Run(t, func(t *testing.T) backend.Backend {
			b, err := memory.Open(filepath.Join(t.TempDir(), "db"), memory.WithVisibilityTimeout(time.Second))
			require.NoError(t, err)
			t.Cleanup(func() { _ = b.Close() })
			return codec.Wrap(b, c)
		})
	})
	t.Run("dynamodb", func(t *testing.T) {
		t.Parallel()
		env := awstest.Setup(t)
		backendtest.Run(t, func(t *testing.T) backend.Backend {
			return codec.Wrap(env.NewBackend(t, awsbackend.Options{VisibilityTimeout: 2 * time.Second}), c)
		})
	})
}

// Secrets a run handles: its input, a webhook request's header and body, a hook payload.
const (
	secretInput   = "input-sekret-7c1e9a4b52d0f3"
	secretHeader  = "header-sekret-19ab77e03c5d2f"
	secretBody    = "body-sekret-c3f0a9e2b4d61785"
	secretPayload = "payload-sekret-5e2b8d0a91c4f7"
)

var secrets = []string{secretInput, secretHeader, secretBody, secretPayload}

// confidential touches every kind of payload: it takes its input through a step, receives a
// webhook request and a hook payload, and returns them all.
var confidential = workflow.Define("confidential", func(ctx workflow.Context, in string) (string, error) {
	echoed, err := workflow.Step(ctx, "echo", func(context.Context) (string, error) { return in + "/stepped", nil })
	if err != nil {
		return "", err
	}
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{})
	if err != nil {
		return "", err
	}
	req, err := wh.Receive(ctx)
	if err != nil {
		return "", err
	}
	h, err := workflow.CreateHook[string](ctx, workflow.HookOptions{Token: "confidential:" + workflow.RunID(ctx)})
	if err != nil {
		return "", err
	}
	p, err := h.Receive(ctx)
	if err != nil {
		return "", err
	}
	return strings.Join([]string{echoed, req.Header.Get("X-Secret"), string(req.Body), p}, "|"), nil
})

// runConfidential runs confidential to its end on b, through the webhook route, and checks
// that the workflow saw every secret.
func runConfidential(t *testing.T, b backend.Backend) {
	t.Helper()
	ctx := t.Context()
	quiet := slog.New(slog.DiscardHandler)
	client := workflow.NewClient(b, workflow.ClientOptions{BaseURL: "http://hookflow.test"})
	// No warm runs: every turn replays the history it reads back through the codec.
	worker := workflow.NewWorker(b, workflow.NewRegistry(confidential),
		workflow.WorkerOptions{Logger: quiet, BaseURL: "http://hookflow.test", CacheSize: -1})
	t.Cleanup(worker.Close)
	run, err := workflow.Start(ctx, client, confidential, secretInput)
	require.NoError(t, err)
	require.NoError(t, worker.RunTurn(ctx, run.ID()))
	hooks, err := client.ListHooks(ctx, workflow.HookFilter{RunID: run.ID()})
	require.NoError(t, err)
	require.Len(t, hooks, 1)

	r := httptest.NewRequest(http.MethodPost, workflow.WebhookPath+hooks[0].Token, strings.NewReader(`{"note":"`+secretBody+`"}`))
	r.Header.Set("X-Secret", secretHeader)
	rec := httptest.NewRecorder()
	webhook.NewHandler(client, webhook.Options{Logger: quiet}).ServeHTTP(rec, r)
	require.Equal(t, http.StatusAccepted, rec.Code)
	require.NoError(t, worker.RunTurn(ctx, run.ID()))
	_, err = client.ResumeHook(ctx, "confidential:"+run.ID(), secretPayload)
	require.NoError(t, err)
	require.NoError(t, worker.RunTurn(ctx, run.ID()))
	out, err := run.Result(ctx)
	require.NoError(t, err)
	for _, s := range secrets {
		require.Contains(t, out, s, "the workflow saw every secret")
	}
}

// leaks returns the secrets found in raw, as they are or base64-encoded (the bbolt file
// keeps byte fields as base64 in JSON) at any alignment.
func leaks(raw []byte) []string {
	var found []string
	for _, s := range secrets {
		forms := [][]byte{[]byte(s)}
		for pad := range 3 {
			enc := base64.StdEncoding.EncodeToString(append(make([]byte, pad), s...))
			// Drop the characters that mix in the padding or the bytes around the secret.
			forms = append(forms, []byte(enc[4:len(enc)-4]))
		}
		for _, f := range forms {
			if bytes.Contains(raw, f) {
				found = append(found, s)
				break
			}
		}
	}
	return found
}

// With encryption on, no byte stored, in the bbolt file or any DynamoDB item, holds a
// payload's plaintext; with the codec off the same scan finds all of them, so the scan
// itself works.
func TestPayloadsEncryptedAtRest(t *testing.T) {
	t.Parallel()
	t.Run("bbolt", func(t *testing.T) {
		t.Parallel()
		for _, encrypted := range []bool{true, false} {
			path := filepath.Join(t.TempDir(), "db")
			m, err := memory.Open(path)
			require.NoError(t, err)
			var b backend.Backend = m
			if encrypted {
				b = codec.Wrap(m, keyring(t, "k1"))
			}
			runConfidential(t, b)
			require.NoError(t, m.Close())
			raw, err := os.ReadFile(path)
			require.NoError(t, err)
			if encrypted {
				require.Empty(t, leaks(raw), "the encrypted file holds no plaintext")
			} else {
				require.ElementsMatch(t, secrets, leaks(raw), "the scan finds what is not encrypted")
			}
		}
	})
	t.Run("dynamodb", func(t *testing.T) {
		t.Parallel()
		env := awstest.Setup(t)
		for _, encrypted := range []bool{true, false} {
			name := awstest.UniqueName(t)
			env.NewTable(t, name)
			cfg := env.Config.Copy()
			if env.Moto() {
				cfg.APIOptions = append(cfg.APIOptions, awstest.SerializeDynamoDB(&sync.RWMutex{}))
			}
			a, err := awsbackend.New(cfg, awsbackend.Options{Table: name, QueueURL: env.NewQueue(t, name, nil)})
			require.NoError(t, err)
			t.Cleanup(func() { _ = a.Close() })
			var b backend.Backend = a
			if encrypted {
				b = codec.Wrap(a, keyring(t, "k1"))
			}
			runConfidential(t, b)
			raw := scanTable(t, env.DynamoDB, name)
			if encrypted {
				require.Empty(t, leaks(raw), "the encrypted table holds no plaintext")
			} else {
				require.ElementsMatch(t, secrets, leaks(raw), "the scan finds what is not encrypted")
			}
		}
	})
}

// scanTable returns every attribute value of every item of the table, concatenated.
func scanTable(t *testing.T, db *dynamodb.Client, table string) []byte {
	t.Helper()
	var out bytes.Buffer
	var write func(v types.AttributeValue)
	write = func(v types.AttributeValue) {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			out.WriteString(v.Value)
		case *types.AttributeValueMemberB:
			out.Write(v.Value)
		case *types.AttributeValueMemberSS:
			out.WriteString(strings.Join(v.Value, "\n"))
		case *types.AttributeValueMemberM:
			for k, x := range v.Value {
				out.WriteString(k)
				write(x)
			}
		case *types.AttributeValueMemberL:
			for _, x := range v.Value {
				write(x)
			}
		}
		out.WriteByte('\n')
	}
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: &table, ConsistentRead: new(true)})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		require.NoError(t, err)
		for _, it := range page.Items {
			n++
			for _, v := range it {
				write(v)
			}
		}
	}
	require.Positive(t, n, "the table has items")
	return out.Bytes()
}

// A run whose stored payloads no longer decode (its key is gone) fails its turns with an
// error that names the cause, and is parked as stuck with it; nothing panics, and reading it
// says why.
func TestUndecodableRunIsParkedWithTheReason(t *testing.T) {
	t.Parallel()
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		m := memory.New()
		t.Cleanup(func() { _ = m.Close() })
		undecodable(t, m)
	})
	t.Run("dynamodb", func(t *testing.T) {
		t.Parallel()
		undecodable(t, awstest.Setup(t).NewBackend(t, awsbackend.Options{}))
	})
}

func undecodable(t *testing.T, m backend.Backend) {
	ctx := t.Context()
	quiet := slog.New(slog.DiscardHandler)

	before := codec.Wrap(m, keyring(t, "k1"))
	client := workflow.NewClient(before, workflow.ClientOptions{})
	worker := workflow.NewWorker(before, workflow.NewRegistry(confidential), workflow.WorkerOptions{Logger: quiet})
	t.Cleanup(worker.Close)
	run, err := workflow.Start(ctx, client, confidential, secretInput)
	require.NoError(t, err)
	require.NoError(t, worker.RunTurn(ctx, run.ID()))

	// The deployment loses key k1: a new codec has only k2.
	after := codec.Wrap(m, keyring(t, "k2"))
	client2 := workflow.NewClient(after, workflow.ClientOptions{})
	worker2 := workflow.NewWorker(after, workflow.NewRegistry(confidential),
		workflow.WorkerOptions{Logger: quiet, StuckAfter: 2, RetryBase: time.Millisecond})
	t.Cleanup(worker2.Close)
	hooks, err := client2.ListHooks(ctx, workflow.HookFilter{RunID: run.ID()})
	require.NoError(t, err)
	require.Len(t, hooks, 1)
	rec := httptest.NewRecorder()
	webhook.NewHandler(client2, webhook.Options{Logger: quiet}).ServeHTTP(rec,
		httptest.NewRequest(http.MethodPost, workflow.WebhookPath+hooks[0].Token, strings.NewReader("{}")))
	require.Equal(t, http.StatusAccepted, rec.Code, "a delivery is still accepted: the token record is not encrypted")
	for range 2 {
		time.Sleep(5 * time.Millisecond) // past the retry delay
		require.NoError(t, worker2.RunTurn(ctx, run.ID()), "a failed turn is recorded, not returned")
	}
	raw, err := m.GetRun(ctx, run.ID())
	require.NoError(t, err)
	require.Equal(t, backend.StatusStuck, raw.Status, "the run is parked")
	require.Contains(t, raw.LastError, "cannot decode a stored value")
	require.Contains(t, raw.LastError, `"k1"`, "the error names the missing key")

	_, err = client2.GetRun(ctx, run.ID())
	require.ErrorIs(t, err, codec.ErrDecode)
	require.ErrorIs(t, err, codec.ErrUnknownKey)
	_, err = client2.ListEvents(ctx, run.ID())
	require.ErrorIs(t, err, codec.ErrDecode)
	page, err := client2.ListRuns(ctx, workflow.RunFilter{})
	require.NoError(t, err, "one unreadable run does not hide the others")
	require.Len(t, page.Runs, 1)
	require.Equal(t, workflow.StatusStuck, page.Runs[0].Status)
}

// ring returns a codec whose keyring encrypts with the first of ids and decrypts with all.
func ring(t *testing.T, ids ...string) codec.Codec {
	t.Helper()
	keys := map[string][]byte{}
	for _, id := range ids {
		key := bytes.Repeat([]byte{byte(len(id))}, 32)
		copy(key, id)
		keys[id] = key
	}
	lk, err := codec.NewLocalKeys(ids[0], keys)
	require.NoError(t, err)
	c, err := codec.New(codec.Options{Compress: true, Keys: lk})
	require.NoError(t, err)
	return c
}

// A run started under key k1 goes on after the keyring rotates to k2 (k1 kept to decrypt):
// its old events replay, and what it stores from then on is encrypted with k2 only.
func TestKeyRotationKeepsRunsReadable(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m := memory.New()
	t.Cleanup(func() { _ = m.Close() })
	quiet := slog.New(slog.DiscardHandler)
	old := codec.Wrap(m, ring(t, "k1"))
	client := workflow.NewClient(old, workflow.ClientOptions{})
	w1 := workflow.NewWorker(old, workflow.NewRegistry(keepOne), workflow.WorkerOptions{Logger: quiet, CacheSize: -1})
	t.Cleanup(w1.Close)
	run, err := workflow.Start(ctx, client, keepOne, "rotate:1")
	require.NoError(t, err)
	require.NoError(t, w1.RunTurn(ctx, run.ID()))
	before, err := m.ListEvents(ctx, run.ID(), 0)
	require.NoError(t, err)

	rotated := codec.Wrap(m, ring(t, "k2", "k1"))
	client2 := workflow.NewClient(rotated, workflow.ClientOptions{})
	w2 := workflow.NewWorker(rotated, workflow.NewRegistry(keepOne), workflow.WorkerOptions{Logger: quiet, CacheSize: -1})
	t.Cleanup(w2.Close)
	_, err = client2.ResumeHook(ctx, "rotate:1", secretPayload)
	require.NoError(t, err)
	require.NoError(t, w2.RunTurn(ctx, run.ID()))
	out, err := workflow.Start(ctx, client2, keepOne, "rotate:1", workflow.WithRunID(run.ID()))
	require.NoError(t, err)
	got, err := out.Result(ctx)
	require.NoError(t, err)
	require.Equal(t, secretPayload, got)

	after, err := m.ListEvents(ctx, run.ID(), int64(len(before)))
	require.NoError(t, err)
	require.NotEmpty(t, after)
	onlyNew := codec.Wrap(m, ring(t, "k2"))
	_, err = onlyNew.ListEvents(ctx, run.ID(), int64(len(before)))
	require.NoError(t, err, "what the rotated ring stored needs only k2")
	_, err = onlyNew.ListEvents(ctx, run.ID(), 0)
	require.ErrorIs(t, err, codec.ErrUnknownKey, "what k1 stored still needs k1")
}

// keepOne receives one string on the hook named by its input.
var keepOne = workflow.Define("keep-one", func(ctx workflow.Context, token string) (string, error) {
	h, err := workflow.CreateHook[string](ctx, workflow.HookOptions{Token: token})
	if err != nil {
		return "", err
	}
	return h.Receive(ctx)
})
