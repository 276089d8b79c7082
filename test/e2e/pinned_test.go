package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	hfaws "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/lambdafn"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// buildPinned builds test/e2e/pinnedrunner twice, linking code v1 and v2: the runner as two
// deploys would build it.
var buildPinned = sync.OnceValues(func() (map[string]string, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, code := range []string{"v1", "v2"} {
		bootstrap := filepath.Join(binDir, "pinned-"+code, "bootstrap")
		cmd := exec.Command(goCmd, "build", "-tags", "lambda.norpc", "-ldflags", "-X main.code="+code,
			"-o", bootstrap, "./test/e2e/pinnedrunner")
		cmd.Dir = root
		cmd.SysProcAttr = procAttr()
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building the %s runner: %w\n%s", code, err, b)
		}
		out[code] = bootstrap
	}
	return out, nil
})

// lambdaRouter stands in for the Lambda service where the runners invoke each other: it
// serves the Invoke API and runs an invocation of "<function>:<version>" on the emulator of
// that version, asynchronously when the invocation type is Event, as Lambda does.
type lambdaRouter struct {
	srv       *httptest.Server
	mu        sync.Mutex
	versions  map[string]*function
	wg        sync.WaitGroup
	forwarded atomic.Int64
	t         *testing.T
}

func newLambdaRouter(t *testing.T) *lambdaRouter {
	r := &lambdaRouter{versions: map[string]*function{}, t: t}
	r.srv = httptest.NewServer(r)
	t.Cleanup(func() {
		r.srv.Close()
		r.wg.Wait()
	})
	return r
}

func (r *lambdaRouter) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	// POST /2015-03-31/functions/{name}/invocations?Qualifier={version}
	if !strings.HasPrefix(req.URL.Path, "/2015-03-31/functions/") || req.Method != http.MethodPost {
		http.Error(w, "not an Invoke", http.StatusNotFound)
		return
	}
	r.mu.Lock()
	fn := r.versions[req.URL.Query().Get("Qualifier")]
	r.mu.Unlock()
	if fn == nil {
		w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException")
		http.Error(w, `{"message":"no such version"}`, http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.forwarded.Add(1)
	if req.Header.Get("X-Amz-Invocation-Type") != "Event" {
		out, err := fn.invoke(req.Context(), json.RawMessage(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = w.Write(out)
		return
	}
	r.wg.Go(func() {
		if _, err := fn.invoke(context.Background(), json.RawMessage(body)); err != nil {
			r.t.Logf("lambda router: the forwarded invocation failed: %v", err)
		}
	})
	w.WriteHeader(http.StatusAccepted)
}

// A run waiting on a hook under runner version 1 completes on version 1's code after
// version 2 ships a change that would break it, while a run started on version 2 takes the
// new code: the wake queue feeds version 2 only (the live alias), which pins its new runs and
// forwards the old run's wake to version 1, each in its own emulator, on the DynamoDB and SQS
// endpoint.
func TestPinnedRunsOnTwoRunnerVersions(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped under -short")
	}
	if runtime.GOOS != "linux" {
		t.Skipf("end-to-end test: the Lambda Runtime Interface Emulator runs only on Linux, not %s", runtime.GOOS)
	}
	t.Parallel()
	env := awstest.Setup(t)
	bins, err := build()
	require.NoError(t, err)
	pinned, err := buildPinned()
	require.NoError(t, err)
	runners := binaries{rie: bins.rie, bootstrap: map[string]string{"v1": pinned["v1"], "v2": pinned["v2"]}}

	table := awstest.UniqueName(t)
	env.NewTable(t, table)
	queueURL := env.NewQueue(t, table, map[string]string{"VisibilityTimeout": queueVisibility})
	dynamoEndpoint := env.Endpoint
	if env.Moto() {
		dynamoEndpoint = awstest.SerializingProxy(t, env.Endpoint)
	}
	router := newLambdaRouter(t)
	creds, err := env.Config.Credentials.Retrieve(t.Context())
	require.NoError(t, err)
	fnEnv := func(version string) map[string]string {
		e := map[string]string{
			lambdafn.EnvTable: table, lambdafn.EnvQueueURL: queueURL, lambdafn.EnvSweepGrace: "0s",
			"AWS_LAMBDA_FUNCTION_NAME":    "hookflow-runner",
			"AWS_LAMBDA_FUNCTION_VERSION": version,
			"AWS_ENDPOINT_URL":            env.Endpoint,
			"AWS_ENDPOINT_URL_DYNAMODB":   dynamoEndpoint,
			"AWS_ENDPOINT_URL_LAMBDA":     router.srv.URL,
			"AWS_REGION":                  env.Region,
			"AWS_DEFAULT_REGION":          env.Region,
			"AWS_ACCESS_KEY_ID":           creds.AccessKeyID,
			"AWS_SECRET_ACCESS_KEY":       creds.SecretAccessKey,
			"HOME":                        t.TempDir(),
		}
		if creds.SessionToken != "" {
			e["AWS_SESSION_TOKEN"] = creds.SessionToken
		}
		return e
	}
	backend, err := hfaws.New(env.Config.Copy(), hfaws.Options{
		Table: table, QueueURL: queueURL,
		DynamoDBOptions: []func(*dynamodb.Options){func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(dynamoEndpoint) }},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = backend.Close() })
	client := workflow.NewClient(backend, workflow.ClientOptions{})
	ctx := t.Context()
	// The client starts runs by name: the input and output types are the workflow's.
	checkout := workflow.Define("pinned-checkout", func(workflow.Context, string) (string, error) { return "", nil })

	// Version 1 is live.
	v1 := startFunction(t, runners, "v1", "runner v1", runnerTimeout, fnEnv("1"))
	router.mu.Lock()
	router.versions["1"] = v1
	router.mu.Unlock()
	oldID := awstest.UniqueName(t) + "-old"
	_, err = workflow.Start(ctx, client, checkout, "pin:old", workflow.WithRunID(oldID))
	require.NoError(t, err)
	pump(t, env.SQS, queueURL, v1)
	requireWaiting(t, client, oldID, "1")

	// Version 2 ships and takes over the queue; version 1 is kept.
	v2 := startFunction(t, runners, "v2", "runner v2", runnerTimeout, fnEnv("2"))
	router.mu.Lock()
	router.versions["2"] = v2
	router.mu.Unlock()
	newID := awstest.UniqueName(t) + "-new"
	_, err = workflow.Start(ctx, client, checkout, "pin:new", workflow.WithRunID(newID))
	require.NoError(t, err)
	pump(t, env.SQS, queueURL, v2)
	requireWaiting(t, client, newID, "2")

	for _, token := range []string{"pin:old", "pin:new"} {
		_, err := client.ResumeHook(ctx, token, 100)
		require.NoError(t, err)
	}
	pump(t, env.SQS, queueURL, v2)

	for id, want := range map[string]string{oldID: "v1 charged", newID: "v2 charged"} {
		run, err := workflow.Start(ctx, client, checkout, "", workflow.WithRunID(id))
		require.NoError(t, err)
		waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		out, err := run.Result(waitCtx)
		cancel()
		require.NoError(t, err, id)
		require.Equal(t, want, out, id)
	}
	require.Positive(t, router.forwarded.Load(), "version 2 forwarded the old run's wake")
	evs, err := client.ListEvents(ctx, oldID)
	require.NoError(t, err)
	for _, e := range evs {
		require.NotContains(t, string(e.Data), `"audit"`, "the old run never ran version 2's step")
	}
}

func requireWaiting(t *testing.T, c *workflow.Client, runID, version string) {
	t.Helper()
	info, err := c.GetRun(t.Context(), runID)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusWaiting, info.Status, info.LastError)
	require.Equal(t, version, info.CodeVersion)
}

// pump hands the wake queue's messages to runner, in batches as the event source mapping
// does, until the queue has stayed empty for two polls.
func pump(t *testing.T, client *sqs.Client, queueURL string, runner *function) {
	t.Helper()
	es := &eventSource{t: t, sqs: client, queueURL: queueURL, runner: runner}
	ctx := t.Context()
	deadline := time.Now().Add(60 * time.Second)
	for empty := 0; empty < 2; {
		require.True(t, time.Now().Before(deadline), "the queue did not drain")
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: &queueURL, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		})
		require.NoError(t, err)
		if len(out.Messages) == 0 {
			empty++
			continue
		}
		empty = 0
		es.deliver(ctx, out.Messages)
	}
}
