package aws_test

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
)

// manualClock is a backend.Clock moved by the test.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// A wake message due after SQS's longest delay is sent on by Receive until its time comes.
func TestQueueLongDelayIsChained(t *testing.T) {
	t.Parallel()
	clock := &manualClock{now: time.Now()}
	bd := newBundle(t, func(o *awsbackend.Options) { o.Clock = clock })
	ctx := t.Context()

	// What Enqueue sends for a delay over 15 minutes, without the 15 minutes.
	runID := id(t, "run")
	due := clock.Now().Add(2 * time.Second)
	body, err := json.Marshal(map[string]any{"runId": runID, "notBefore": due})
	require.NoError(t, err)
	_, err = bd.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &bd.queueURL, MessageBody: aws.String(string(body))})
	require.NoError(t, err)

	msgs, err := bd.b.Receive(ctx, 10, time.Second)
	require.NoError(t, err)
	require.Empty(t, msgs, "a message before its time is not returned")

	clock.Set(due.Add(time.Minute))
	var got []backend.WakeMessage
	deadline := time.Now().Add(6 * time.Second)
	for len(got) == 0 && time.Now().Before(deadline) {
		got, err = bd.b.Receive(ctx, 10, time.Second)
		require.NoError(t, err)
	}
	require.Len(t, got, 1, "the message sent on arrives once its time has come")
	require.Equal(t, runID, got[0].RunID)
	require.NoError(t, bd.b.Ack(ctx, got...))
}

// Receipts SQS does not know are not an error for Ack; neither are repeats in one call.
func TestQueueAckUnknownReceipts(t *testing.T) {
	t.Parallel()
	b := newBundle(t).b
	ctx := t.Context()
	runID := id(t, "run")
	require.NoError(t, b.Enqueue(ctx, runID, 0))
	var msgs []backend.WakeMessage
	for deadline := time.Now().Add(5 * time.Second); len(msgs) == 0 && time.Now().Before(deadline); {
		got, err := b.Receive(ctx, 10, time.Second)
		require.NoError(t, err)
		msgs = append(msgs, got...)
	}
	require.Len(t, msgs, 1)
	require.NoError(t, b.Ack(ctx, msgs[0], msgs[0], backend.WakeMessage{RunID: runID, Receipt: "not-a-receipt"}))
}

// Receive asks SQS for at most 10 messages, whatever max says.
func TestQueueReceiveMoreThanTen(t *testing.T) {
	t.Parallel()
	b := newBundle(t).b
	ctx := t.Context()
	for range 12 {
		require.NoError(t, b.Enqueue(ctx, id(t, "run"), 0))
	}
	msgs, err := b.Receive(ctx, 50, 2*time.Second)
	require.NoError(t, err)
	require.NotEmpty(t, msgs)
	require.LessOrEqual(t, len(msgs), 10)
	require.NoError(t, b.Ack(ctx, msgs...))
}
