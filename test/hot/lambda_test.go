package hot

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/lambdafn"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// Lambda's side of the SQS event source mapping, as the tests play it.
const (
	batchSize         = 10
	runnerTimeout     = 2 * time.Minute // the runner function's timeout (infra default)
	visibilityTimeout = 10              // seconds: a failed wake comes back after this
)

// lambdas is a DynamoDB table and an SQS queue, with the webhook function in front and K
// runner functions behind, each fed by a poller as Lambda feeds one execution environment.
type lambdas struct {
	env      *awstest.Env
	b        *awsbackend.Backend
	c        *workflow.Client
	queueURL string
	webhook  *lambdafn.WebhookHandler
}

func newLambdas(t *testing.T) *lambdas {
	t.Helper()
	env := awstest.Setup(t)
	name := awstest.UniqueName(t)
	env.NewTable(t, name)
	queueURL := env.NewQueue(t, name, map[string]string{"VisibilityTimeout": fmt.Sprint(visibilityTimeout)})
	cfg := env.Config.Copy()
	if env.Moto() {
		// One process plays every function, so one lock stands for DynamoDB's isolation
		// (see awstest.SerializeDynamoDB); the calls still interleave.
		cfg.APIOptions = append(cfg.APIOptions, awstest.SerializeDynamoDB(&sync.RWMutex{}))
	}
	b, err := awsbackend.New(cfg, awsbackend.Options{Table: name, QueueURL: queueURL})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	c := workflow.NewClient(b, workflow.ClientOptions{BaseURL: baseURL})
	return &lambdas{env: env, b: b, c: c, queueURL: queueURL, webhook: lambdafn.NewWebhookHandler(c, discard)}
}

func (l *lambdas) client() *workflow.Client { return l.c }

func (l *lambdas) send(ctx context.Context, token string, body []byte) error {
	path := "/.well-known/workflow/v1/webhook/" + token
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RawPath: path, Body: string(body),
		Headers: map[string]string{"content-type": "application/json"},
	}
	ev.RequestContext.DomainName = "hooks.test"
	ev.RequestContext.HTTP.Method = http.MethodPost
	ev.RequestContext.HTTP.Path = path
	resp, err := l.webhook.Handle(ctx, ev)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("status %d: %s", resp.StatusCode, resp.Body)
	}
	return nil
}

// startRunners starts k runner functions, each with its own poller.
func (l *lambdas) startRunners(t *testing.T, k int) func() workflow.WorkerStats {
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	var wg sync.WaitGroup
	runners := make([]*lambdafn.Runner, k)
	for i := range runners {
		runners[i] = lambdafn.NewRunner(l.b, registry,
			lambdafn.Config{BaseURL: baseURL, SweepGrace: 30 * time.Second}, discard)
		wg.Go(func() { l.poll(ctx, t, runners[i]) })
	}
	return func() workflow.WorkerStats {
		cancel()
		wg.Wait()
		var sum workflow.WorkerStats
		for _, r := range runners {
			sum = add(sum, r.Stats())
			r.Close()
		}
		return sum
	}
}

// poll feeds r as Lambda's poller feeds one execution environment: a batch of up to 10
// messages per invocation, with the function's timeout, and the messages that the runner did
// not report as failed deleted afterwards.
func (l *lambdas) poll(ctx context.Context, t *testing.T, r *lambdafn.Runner) {
	for ctx.Err() == nil {
		out, err := l.env.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: &l.queueURL, MaxNumberOfMessages: batchSize, WaitTimeSeconds: 1,
		})
		if err != nil {
			if ctx.Err() == nil {
				t.Logf("poller: receive: %v", err)
				time.Sleep(100 * time.Millisecond)
			}
			continue
		}
		if len(out.Messages) == 0 {
			continue
		}
		ev := events.SQSEvent{}
		for _, m := range out.Messages {
			ev.Records = append(ev.Records, events.SQSMessage{
				MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body),
			})
		}
		ictx, icancel := context.WithTimeout(context.WithoutCancel(ctx), runnerTimeout)
		resp := r.HandleSQS(ictx, ev)
		icancel()
		failed := map[string]bool{}
		for _, f := range resp.BatchItemFailures {
			failed[f.ItemIdentifier] = true
		}
		var del []sqstypes.DeleteMessageBatchRequestEntry
		for _, m := range out.Messages {
			if !failed[aws.ToString(m.MessageId)] {
				del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: m.MessageId, ReceiptHandle: m.ReceiptHandle})
			}
		}
		if len(del) > 0 {
			dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			if _, err := l.env.SQS.DeleteMessageBatch(dctx, &sqs.DeleteMessageBatchInput{QueueUrl: &l.queueURL, Entries: del}); err != nil {
				t.Logf("poller: delete: %v", err)
			}
			dcancel()
		}
	}
}
