package e2e

import (
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/require"

	hfaws "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/lambdafn"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// Function timeouts, as the CDK app sets them: API Gateway gives up after 30 s; the runner
// may run longer turns.
const (
	webhookTimeout = 30 * time.Second
	resumeTimeout  = 30 * time.Second
	runnerTimeout  = 60 * time.Second
)

// queueVisibility is the wake queue's visibility timeout. The real stack sets it above the
// runner's timeout, as the event source mapping requires; here it is short so that a
// message whose turn failed comes back within the test.
const queueVisibility = "10"

// stack is the deployed application: a table and a queue of its own, the three functions
// in emulators behind a stand-in API Gateway and SQS event source, and a client on the aws
// backend as an application would make one.
type stack struct {
	env      *awstest.Env
	table    string
	queueURL string
	gateway  *apiGateway
	webhook  *function
	resume   *function
	runner   *function
	// runner2 is a second execution environment of the runner, for the scenarios where SQS
	// delivers one message to two of them at once. The event source uses only runner.
	runner2 *function
	events  *eventSource
	backend *hfaws.Backend
	client  *workflow.Client
	http    *http.Client
}

// setup deploys the stack for one top-level test; its subtests share it.
func setup(t *testing.T) *stack {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped under -short (it builds the Lambda functions and runs them in the Lambda Runtime Interface Emulator)")
	}
	if runtime.GOOS != "linux" {
		t.Skipf("end-to-end test: the Lambda Runtime Interface Emulator runs only on Linux, not %s", runtime.GOOS)
	}
	env := awstest.Setup(t)
	start := time.Now()
	bins, err := build()
	require.NoError(t, err)
	t.Logf("functions and emulator built in %v (waited %v)", bins.took.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	s := &stack{env: env, table: awstest.UniqueName(t)}
	env.NewTable(t, s.table)
	s.queueURL = env.NewQueue(t, s.table, map[string]string{"VisibilityTimeout": queueVisibility})
	// On moto, every process's DynamoDB calls go through one proxy that isolates writes.
	dynamoEndpoint := env.Endpoint
	if env.Moto() {
		dynamoEndpoint = awstest.SerializingProxy(t, env.Endpoint)
	}
	s.gateway = newAPIGateway(t)

	creds, err := env.Config.Credentials.Retrieve(t.Context())
	require.NoError(t, err)
	home := t.TempDir() // no ~/.aws of the machine's
	fnEnv := map[string]string{
		lambdafn.EnvTable:           s.table,
		lambdafn.EnvQueueURL:        s.queueURL,
		lambdafn.EnvBaseURL:         s.gateway.URL(),
		lambdafn.EnvSweepGrace:      "0s", // sweeps take inbox items at once, not after 30 s
		lambdafn.EnvLogLevel:        "info",
		"AWS_ENDPOINT_URL":          env.Endpoint,
		"AWS_ENDPOINT_URL_DYNAMODB": dynamoEndpoint,
		"AWS_REGION":                env.Region,
		"AWS_DEFAULT_REGION":        env.Region,
		"AWS_ACCESS_KEY_ID":         creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":     creds.SecretAccessKey,
		"HOME":                      home,
	}
	if creds.SessionToken != "" {
		fnEnv["AWS_SESSION_TOKEN"] = creds.SessionToken
	}
	s.webhook = startFunction(t, bins, fnWebhook, "webhook", webhookTimeout, fnEnv)
	s.resume = startFunction(t, bins, fnResume, "resume", resumeTimeout, fnEnv)
	s.runner = startFunction(t, bins, fnRunner, "runner", runnerTimeout, fnEnv)
	s.runner2 = startFunction(t, bins, fnRunner, "runner-2", runnerTimeout, fnEnv)
	s.gateway.start(s.webhook)
	s.events = startEventSource(t, env.SQS, s.queueURL, env.Region, s.runner)

	s.backend, err = hfaws.New(env.Config.Copy(), hfaws.Options{
		Table: s.table, QueueURL: s.queueURL,
		DynamoDBOptions: []func(*dynamodb.Options){func(o *dynamodb.Options) {
			o.BaseEndpoint = aws.String(dynamoEndpoint)
		}},
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.backend.Close()) })
	s.client = workflow.NewClient(s.backend, workflow.ClientOptions{BaseURL: s.gateway.URL()})
	s.http = &http.Client{Transport: &http.Transport{}, Timeout: webhookTimeout + 10*time.Second}
	t.Cleanup(s.http.CloseIdleConnections)
	deployed := time.Now()
	t.Logf("stack deployed in %v", deployed.Sub(start).Round(time.Millisecond))
	t.Cleanup(func() { t.Logf("scenarios ran for %v", time.Since(deployed).Round(time.Millisecond)) })
	return s
}
