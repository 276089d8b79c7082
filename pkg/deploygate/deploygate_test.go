package deploygate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/stretchr/testify/require"

	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/backend/memory"
	"github.com/hookflow/hookflow/pkg/codec"
	"github.com/hookflow/hookflow/pkg/deploygate"
	"github.com/hookflow/hookflow/pkg/workflow"
)

func awaitHook(ctx workflow.Context, token string) error {
	hook, err := workflow.CreateHook[int](ctx, workflow.HookOptions{Token: token})
	if err != nil {
		return err
	}
	_, err = hook.Receive(ctx)
	return err
}

func step(ctx workflow.Context, name string) error {
	_, err := workflow.Step(ctx, name, func(context.Context) (string, error) { return name, nil })
	return err
}

// v1 waits on a hook; v2 adds a step before it, unpatched; v2patched adds it behind a patch.
var (
	v1 = workflow.Define("pay", func(ctx workflow.Context, token string) (string, error) {
		return "", awaitHook(ctx, token)
	})
	v2 = workflow.Define("pay", func(ctx workflow.Context, token string) (string, error) {
		if err := step(ctx, "audit"); err != nil {
			return "", err
		}
		return "", awaitHook(ctx, token)
	})
	v2patched = workflow.Define("pay", func(ctx workflow.Context, token string) (string, error) {
		if workflow.Patched(ctx, "audit") {
			if err := step(ctx, "audit"); err != nil {
				return "", err
			}
		}
		return "", awaitHook(ctx, token)
	})
)

// startWaiting starts a v1 run on b and turns it until it waits on its hook.
func startWaiting(t *testing.T, b workflow.Backend, runID string) {
	t.Helper()
	ctx := t.Context()
	c := workflow.NewClient(b, workflow.ClientOptions{})
	_, err := workflow.Start(ctx, c, v1, "token:"+runID, workflow.WithRunID(runID))
	require.NoError(t, err)
	w := workflow.NewWorker(b, workflow.NewRegistry(v1), workflow.WorkerOptions{})
	defer w.Close()
	require.NoError(t, w.RunTurn(ctx, runID))
	info, err := c.GetRun(ctx, runID)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusWaiting, info.Status)
}

// run executes `gate <args>` with the code of w and returns its output and error.
func run(t *testing.T, w workflow.Registrable, opts deploygate.Options, args ...string) (string, error) {
	t.Helper()
	cmd := deploygate.Command(workflow.NewRegistry(w), opts)
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	cmd.SilenceUsage = true
	err := cmd.ExecuteContext(t.Context())
	return out.String(), err
}

// storeFile returns a bbolt file holding one v1 run waiting on its hook.
func storeFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dev.db")
	b, err := memory.Open(path)
	require.NoError(t, err)
	startWaiting(t, b, "waiting-1")
	require.NoError(t, b.Close())
	return path
}

func TestGateOnTheEmbeddedStore(t *testing.T) {
	t.Parallel()
	db := storeFile(t)

	out, err := run(t, v2, deploygate.Options{}, "check", "--db", db)
	require.ErrorIs(t, err, deploygate.ErrRefused)
	require.Contains(t, out, "run waiting-1 (pay): hookflow: non-deterministic workflow")
	require.Contains(t, out, `current code step s1 "audit", which the history does not have`, "the first call that differs")
	require.Contains(t, out, "gate: refused: 1 of 1 runs in flight would fail on this code")

	out, err = run(t, v2patched, deploygate.Options{}, "check", "--db", db)
	require.NoError(t, err, out)
	require.Contains(t, out, "run waiting-1 (pay): replays")
	require.Contains(t, out, "gate: all 1 runs in flight replay on this code")

	out, err = run(t, v2, deploygate.Options{}, "check", "--db", db, "--allow-incompatible")
	require.NoError(t, err)
	require.Contains(t, out, "allowed by --allow-incompatible")

	out, err = run(t, v2, deploygate.Options{}, "check", "--db", db, "--json")
	require.ErrorIs(t, err, deploygate.ErrRefused)
	var verdict struct {
		Runs []struct {
			RunID, Workflow, Error string
		}
		Failing int
	}
	require.NoError(t, json.Unmarshal([]byte(out[:bytes.LastIndexByte([]byte(out), '}')+1]), &verdict), out)
	require.Equal(t, 1, verdict.Failing)
	require.Equal(t, "waiting-1", verdict.Runs[0].RunID)
	require.Contains(t, verdict.Runs[0].Error, "non-deterministic")
}

// Exported histories are checked the same way, without the store.
func TestGateOnExportedHistories(t *testing.T) {
	t.Parallel()
	db := storeFile(t)
	dir := filepath.Join(t.TempDir(), "histories")
	out, err := run(t, v1, deploygate.Options{}, "export", "--db", db, "--dir", dir)
	require.NoError(t, err)
	require.Contains(t, out, "exported 1 run histories")
	_, err = os.Stat(filepath.Join(dir, "waiting-1.json"))
	require.NoError(t, err)

	_, err = run(t, v2, deploygate.Options{}, "check", "--histories", dir)
	require.ErrorIs(t, err, deploygate.ErrRefused)
	out, err = run(t, v2patched, deploygate.Options{}, "check", "--histories", dir)
	require.NoError(t, err, out)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "junk.json"), []byte(`{"x":1}`), 0o644))
	_, err = run(t, v2patched, deploygate.Options{}, "check", "--histories", dir)
	require.ErrorContains(t, err, "junk.json: not a run history")
}

func TestGateOnDynamoDB(t *testing.T) {
	t.Parallel()
	ae, b, table, queueURL := newDynamoDB(t)
	startWaiting(t, b, "waiting-aws")
	opts := deploygate.Options{AWSConfig: func(context.Context) (aws.Config, error) { return ae.Config.Copy(), nil }}

	out, err := run(t, v2, opts, "check", "--backend", "aws", "--table", table, "--queue-url", queueURL)
	require.ErrorIs(t, err, deploygate.ErrRefused)
	require.Contains(t, out, "run waiting-aws (pay): hookflow: non-deterministic workflow")

	outputs := filepath.Join(t.TempDir(), "cdk-outputs.json")
	raw, err := json.Marshal(map[string]map[string]string{"Hookflow": {"TableName": table, "QueueURL": queueURL, "WebhookBaseURL": "https://x"}})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(outputs, raw, 0o644))
	out, err = run(t, v2patched, opts, "check", "--backend", "aws", "--outputs", outputs)
	require.NoError(t, err, out)
	require.Contains(t, out, "run waiting-aws (pay): replays")
}

// Bad flags are clear errors, and a stack not deployed yet has nothing to check.
func TestGateFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		err  string
		out  string
	}{
		{"unknown backend", []string{"check", "--backend", "postgres"}, `--backend "postgres": must be memory or aws`, ""},
		{"memory without a file", []string{"check"}, "--db is required", ""},
		{"a file that is not there", []string{"check", "--db", "/nonexistent/dev.db"}, "no such file", ""},
		{"aws without a table", []string{"check", "--backend", "aws"}, "--backend aws needs --table and --queue-url", ""},
		{"outputs not written yet", []string{"check", "--backend", "aws", "--outputs", "/nonexistent/cdk-outputs.json"}, "", "nothing deployed yet"},
		{"export without a directory", []string{"export", "--db", "x"}, "--dir is required", ""},
		{"histories not there", []string{"check", "--histories", "/nonexistent/histories"}, "no such file", ""},
		{"arguments", []string{"check", "extra"}, "unknown command", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := run(t, v1, deploygate.Options{}, tc.args...)
			if tc.err == "" {
				require.NoError(t, err)
			} else {
				require.ErrorContains(t, err, tc.err)
			}
			require.Contains(t, out, tc.out)
		})
	}
}

// newDynamoDB returns the endpoint and a backend on a table and queue of the test's own, and
// their names.
func newDynamoDB(t *testing.T) (*awstest.Env, *awsbackend.Backend, string, string) {
	t.Helper()
	ae := awstest.Setup(t)
	table := awstest.UniqueName(t)
	ae.NewTable(t, table)
	queueURL := ae.NewQueue(t, table, nil)
	b, err := awsbackend.New(ae.Config.Copy(), awsbackend.Options{Table: table, QueueURL: queueURL})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return ae, b, table, queueURL
}

// A store whose payloads are encrypted is checked with its keys (--local-keys, or
// HOOKFLOW_LOCAL_KEYS as the dev server takes them).
func TestGateOnAnEncryptedStore(t *testing.T) {
	t.Parallel()
	const keys = "gate1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	lk, err := codec.ParseLocalKeys(keys)
	require.NoError(t, err)
	c, err := codec.New(codec.Options{Compress: true, Keys: lk})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "dev.db")
	m, err := memory.Open(path)
	require.NoError(t, err)
	startWaiting(t, codec.Wrap(m, c), "waiting-enc")
	require.NoError(t, m.Close())

	out, err := run(t, v2patched, deploygate.Options{}, "check", "--db", path, "--local-keys", keys)
	require.NoError(t, err, out)
	require.Contains(t, out, "run waiting-enc (pay): replays")
	out, err = run(t, v2, deploygate.Options{}, "check", "--db", path, "--local-keys", keys)
	require.ErrorIs(t, err, deploygate.ErrRefused, out)

	out, err = run(t, v2patched, deploygate.Options{}, "check", "--db", path)
	t.Logf("without the keys: %v\n%s", err, out)
	require.ErrorIs(t, err, codec.ErrDecode, "without its keys the encrypted store does not pass the gate")
	require.ErrorContains(t, err, "pass the keys they are encrypted with")
	_, err = run(t, v2patched, deploygate.Options{}, "check", "--db", path, "--local-keys", "gate1:short")
	require.ErrorContains(t, err, "--local-keys")
}

// A deployment that encrypts payloads with KMS is checked with its key, which the gate takes
// from the stack outputs' PayloadKeyArn (or --kms-key-id); without it the gate says so.
func TestGateOnAnEncryptedDynamoDB(t *testing.T) {
	t.Parallel()
	ae, b, table, queueURL := newDynamoDB(t)
	kc := kms.NewFromConfig(ae.Config)
	key, err := kc.CreateKey(t.Context(), &kms.CreateKeyInput{Description: new("hookflow gate test")})
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = kc.ScheduleKeyDeletion(context.WithoutCancel(t.Context()), &kms.ScheduleKeyDeletionInput{KeyId: key.KeyMetadata.KeyId, PendingWindowInDays: new(int32(7))})
	})
	c, err := codec.NewKMS(kc, *key.KeyMetadata.Arn)
	require.NoError(t, err)
	startWaiting(t, codec.Wrap(b, c), "waiting-kms")
	opts := deploygate.Options{AWSConfig: func(context.Context) (aws.Config, error) { return ae.Config.Copy(), nil }}

	outputs := filepath.Join(t.TempDir(), "cdk-outputs.json")
	raw, err := json.Marshal(map[string]map[string]string{"Hookflow": {
		"TableName": table, "QueueURL": queueURL, "PayloadKeyArn": *key.KeyMetadata.Arn,
	}})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(outputs, raw, 0o644))
	out, err := run(t, v2patched, opts, "check", "--backend", "aws", "--outputs", outputs)
	require.NoError(t, err, out)
	require.Contains(t, out, "run waiting-kms (pay): replays")

	_, err = run(t, v2patched, opts, "check", "--backend", "aws", "--table", table, "--queue-url", queueURL)
	require.ErrorIs(t, err, codec.ErrDecode)
	require.ErrorContains(t, err, "pass the keys they are encrypted with")
	out, err = run(t, v2patched, opts, "check", "--backend", "aws", "--table", table, "--queue-url", queueURL,
		"--kms-key-id", *key.KeyMetadata.Arn)
	require.NoError(t, err, out)
}
