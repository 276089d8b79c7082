package codec_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/codec"
	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// pushEvent is a 1 KB JSON webhook body of the usual kind: repeated field names, URLs, IDs.
func pushEvent() string {
	var commits []string
	for i := range 4 {
		commits = append(commits, fmt.Sprintf(`{"id":"c0ffee%034d","message":"Fix the build on main (#%d)","url":"https://github.com/acme/widgets/commit/c0ffee%034d","author":{"name":"Ada","email":"ada@example.com"}}`, i, 100+i, i))
	}
	body := `{"ref":"refs/heads/main","repository":{"full_name":"acme/widgets","url":"https://github.com/acme/widgets"},"commits":[` + strings.Join(commits, ",") + `]}`
	return body[:min(len(body), 1024)]
}

// receiveTwo receives two webhook requests: after the first it waits again, as a run that
// takes a stream of deliveries does.
var receiveTwo = workflow.Define("receive-two", func(ctx workflow.Context, _ struct{}) (int, error) {
	wh, err := workflow.CreateWebhook(ctx, workflow.WebhookOptions{})
	if err != nil {
		return 0, err
	}
	n := 0
	for range 2 {
		req, err := wh.Receive(ctx)
		if err != nil {
			return 0, err
		}
		n += len(req.Body)
	}
	return n, nil
})

// deliveryUnits returns the DynamoDB usage of one 1 KB JSON webhook delivery, ingest and the
// turn that receives it, with payloads stored through c (nil: none).
func deliveryUnits(t *testing.T, env *awstest.Env, c codec.Codec) awstest.Usage {
	t.Helper()
	ctx := t.Context()
	name := awstest.UniqueName(t)
	env.NewTable(t, name)
	meter, err := awstest.NewMeter(ctx, env.DynamoDB, name)
	require.NoError(t, err)
	cfg := env.Config.Copy()
	if env.Moto() {
		cfg.APIOptions = append(cfg.APIOptions, awstest.SerializeDynamoDB(&sync.RWMutex{}))
	}
	cfg.APIOptions = append(cfg.APIOptions, meter.APIOption())
	a, err := awsbackend.New(cfg, awsbackend.Options{Table: name, QueueURL: env.NewQueue(t, name, nil)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	var b backend.Backend = a
	if c != nil {
		b = codec.Wrap(a, c)
	}
	quiet := slog.New(slog.DiscardHandler)
	client := workflow.NewClient(b, workflow.ClientOptions{})
	worker := workflow.NewWorker(b, workflow.NewRegistry(receiveTwo), workflow.WorkerOptions{Logger: quiet, Retention: workflow.KeepForever})
	t.Cleanup(worker.Close)
	run, err := workflow.Start(ctx, client, receiveTwo, struct{}{})
	require.NoError(t, err)
	require.NoError(t, worker.RunTurn(ctx, run.ID()))
	hooks, err := client.ListHooks(ctx, workflow.HookFilter{RunID: run.ID()})
	require.NoError(t, err)
	require.Len(t, hooks, 1)

	meter.Reset()
	r := httptest.NewRequest(http.MethodPost, workflow.WebhookPath+hooks[0].Token, strings.NewReader(pushEvent()))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "GitHub-Hookshot/abc123")
	r.Header.Set("X-GitHub-Event", "push")
	rec := httptest.NewRecorder()
	webhook.NewHandler(client, webhook.Options{Logger: quiet}).ServeHTTP(rec, r)
	require.Equal(t, http.StatusAccepted, rec.Code)
	require.NoError(t, worker.RunTurn(ctx, run.ID()))
	u := meter.Usage()
	require.NoError(t, meter.Err())
	evs, err := client.ListEvents(ctx, run.ID())
	require.NoError(t, err)
	last := evs[len(evs)-1]
	require.Equal(t, "hook_received", last.Type, "the run received the request and waits for the next")
	require.Equal(t, pushEvent(), string(last.Body))
	return u
}

// A compressing codec stores a 1 KB JSON webhook request in fewer DynamoDB write units than
// the plain request takes; encryption adds its frame, and with KMS each value also carries its
// data key's ciphertext, which gives back part of the saving. The figures are logged for
// docs/data-lifecycle.md.
func TestCodecWriteUnits(t *testing.T) {
	t.Parallel()
	env := awstest.Setup(t)
	plain := deliveryUnits(t, env, nil)
	zip, err := codec.New(codec.Options{Compress: true})
	require.NoError(t, err)
	compressed := deliveryUnits(t, env, zip)
	encrypted := deliveryUnits(t, env, keyring(t, "k1"))
	kc := kms.NewFromConfig(env.Config)
	key, err := kc.CreateKey(t.Context(), &kms.CreateKeyInput{Description: new("hookflow codec units test")})
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = kc.ScheduleKeyDeletion(context.WithoutCancel(t.Context()), &kms.ScheduleKeyDeletionInput{KeyId: key.KeyMetadata.KeyId, PendingWindowInDays: new(int32(7))})
	})
	withKMS, err := codec.NewKMS(kc, *key.KeyMetadata.Arn)
	require.NoError(t, err)
	enveloped := deliveryUnits(t, env, withKMS)
	t.Logf("1 KB JSON webhook delivery, ingest and turn (body %d bytes):\n  plain:                 %s\n  compressed:            %s\n  compressed, local key: %s\n  compressed, KMS key:   %s",
		len(pushEvent()), plain, compressed, encrypted, enveloped)
	require.Less(t, compressed.WriteUnits, plain.WriteUnits, "compression saves write units")
	require.LessOrEqual(t, encrypted.WriteUnits, plain.WriteUnits, "encryption keeps within the plain cost")
	require.LessOrEqual(t, enveloped.WriteUnits, plain.WriteUnits, "so does a KMS data key's reference in every value")
}
