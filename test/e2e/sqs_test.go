package e2e

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"
)

// eventSource stands in for the SQS event source mapping of the runner: it long-polls the
// queue for batches of up to ten messages, invokes the runner with each batch as an SQS event,
// and deletes the messages the runner did not list in batchItemFailures (the mapping has
// ReportBatchItemFailures on). A failed invoke leaves the whole batch to come back after the
// queue's visibility timeout.
type eventSource struct {
	t        *testing.T
	sqs      *sqs.Client
	queueURL string
	queueARN string
	region   string
	runner   *function

	batches, messages, failed atomic.Int64
	// busy is set while the runner handles a batch; batches are handed over one at a time.
	busy atomic.Bool
}

// idle reports whether no batch is being handled now.
func (es *eventSource) idle() bool { return !es.busy.Load() }

// startEventSource polls until the test ends.
func startEventSource(t *testing.T, client *sqs.Client, queueURL, region string, runner *function) *eventSource {
	t.Helper()
	attrs, err := client.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl: &queueURL, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	require.NoError(t, err)
	es := &eventSource{
		t: t, sqs: client, queueURL: queueURL, region: region, runner: runner,
		queueARN: attrs.Attributes[string(types.QueueAttributeNameQueueArn)],
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { es.poll(ctx) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		t.Logf("SQS event source: %d batches, %d messages, %d failed", es.batches.Load(), es.messages.Load(), es.failed.Load())
	})
	return es
}

func (es *eventSource) poll(ctx context.Context) {
	for ctx.Err() == nil {
		out, err := es.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    &es.queueURL,
			MaxNumberOfMessages:         10,
			WaitTimeSeconds:             1,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		})
		if err != nil {
			if ctx.Err() == nil {
				es.t.Logf("SQS event source: receive: %v", err)
				sleep(ctx, 200*time.Millisecond)
			}
			continue
		}
		if len(out.Messages) > 0 {
			es.deliver(ctx, out.Messages)
		}
	}
}

// deliver invokes the runner with one batch and deletes what it processed.
func (es *eventSource) deliver(ctx context.Context, msgs []types.Message) {
	es.batches.Add(1)
	es.messages.Add(int64(len(msgs)))
	var resp events.SQSEventResponse
	es.busy.Store(true)
	err := es.runner.invokeInto(ctx, es.event(msgs), &resp)
	es.busy.Store(false)
	if err != nil {
		if ctx.Err() == nil {
			es.t.Logf("SQS event source: the runner failed a batch of %d: %v", len(msgs), err)
		}
		es.failed.Add(int64(len(msgs)))
		return
	}
	retry := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		retry[f.ItemIdentifier] = true
	}
	es.failed.Add(int64(len(retry)))
	var entries []types.DeleteMessageBatchRequestEntry
	for i, m := range msgs {
		if !retry[aws.ToString(m.MessageId)] {
			entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
	}
	if len(entries) == 0 {
		return
	}
	// The messages are processed: delete them even when the test is ending.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	out, err := es.sqs.DeleteMessageBatch(dctx, &sqs.DeleteMessageBatchInput{QueueUrl: &es.queueURL, Entries: entries})
	switch {
	case err != nil:
		es.t.Logf("SQS event source: delete: %v", err)
	case len(out.Failed) > 0:
		es.t.Logf("SQS event source: delete: %d failed, the first: %s", len(out.Failed), aws.ToString(out.Failed[0].Message))
	}
}

// event is the SQS event the mapping builds for a batch.
func (es *eventSource) event(msgs []types.Message) events.SQSEvent {
	var ev events.SQSEvent
	for _, m := range msgs {
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId:         aws.ToString(m.MessageId),
			ReceiptHandle:     aws.ToString(m.ReceiptHandle),
			Body:              aws.ToString(m.Body),
			Md5OfBody:         aws.ToString(m.MD5OfBody),
			Attributes:        m.Attributes,
			MessageAttributes: map[string]events.SQSMessageAttribute{},
			EventSource:       "aws:sqs",
			EventSourceARN:    es.queueARN,
			AWSRegion:         es.region,
		})
	}
	return ev
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
