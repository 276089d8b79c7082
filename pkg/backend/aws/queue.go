package aws

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/hookflow/hookflow/pkg/backend"
)

const (
	// MaxDelay is the longest delay of one SQS message. Enqueue with a longer delay sends a
	// message delayed by MaxDelay that carries the real due time; Receive sends such a
	// message on again instead of returning it, until its time has come. The sweeper
	// (ListDue) wakes the run anyway, so a lost hop only delays it.
	MaxDelay = 15 * time.Minute
	// maxWait is the longest long poll of one ReceiveMessage.
	maxWait = 20 * time.Second
	// maxBatch is the most messages one SQS batch call handles.
	maxBatch = 10
)

// Enqueue sends a wake message for runID, visible after delay (0: at once). SQS delays are
// whole seconds, so the delay is rounded up; delays over MaxDelay are chained (see MaxDelay).
func (b *Backend) Enqueue(ctx context.Context, runID string, delay time.Duration) error {
	if err := b.check(ctx); err != nil {
		return err
	}
	if runID == "" {
		return errors.New("aws: enqueue: empty run ID")
	}
	var notBefore time.Time
	if delay > MaxDelay {
		notBefore = b.opts.Clock.Now().Add(delay)
	}
	w := backend.Wake{RunID: runID, NotBefore: notBefore, TraceParent: backend.TraceParent(ctx)}
	if err := b.send(ctx, backend.EncodeWake(w), delay); err != nil {
		return fmt.Errorf("aws: enqueue run %q: %w", runID, err)
	}
	return nil
}

// send sends body with delay, rounded up to whole seconds and capped at MaxDelay.
func (b *Backend) send(ctx context.Context, body string, delay time.Duration) error {
	_, err := b.sqs.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:     &b.opts.QueueURL,
		MessageBody:  aws.String(body),
		DelaySeconds: wholeSeconds(min(delay, MaxDelay)),
	})
	return err
}

// wholeSeconds rounds d up to whole seconds; not positive gives 0.
func wholeSeconds(d time.Duration) int32 {
	if d <= 0 {
		return 0
	}
	return int32(math.Ceil(d.Seconds()))
}

// Receive returns up to n visible messages (SQS returns at most 10 at a time), waiting up
// to wait, rounded up to whole seconds, for the first one; a wait over 20 s is several long
// polls. It returns early when ctx ends, with ctx.Err() when it has nothing (messages that
// SQS handed to a poll cut short that way come back after the visibility timeout). Messages
// stay invisible for Options.VisibilityTimeout, or the queue's own timeout when that is zero.
//
// A message whose body is not a wake message is left alone: it comes back after the
// visibility timeout, and the queue's redrive policy moves it to the dead-letter queue.
func (b *Backend) Receive(ctx context.Context, n int, wait time.Duration) ([]backend.WakeMessage, error) {
	if err := b.check(ctx); err != nil {
		return nil, err
	}
	n = min(max(n, 1), maxBatch)
	deadline := time.Now().Add(wait)
	for {
		in := &sqs.ReceiveMessageInput{
			QueueUrl:            &b.opts.QueueURL,
			MaxNumberOfMessages: int32(n),
			WaitTimeSeconds:     min(wholeSeconds(time.Until(deadline)), int32(maxWait/time.Second)),
		}
		if b.opts.VisibilityTimeout > 0 {
			in.VisibilityTimeout = wholeSeconds(b.opts.VisibilityTimeout)
		}
		out, err := b.sqs.ReceiveMessage(ctx, in)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, ctxErr
			}
			return nil, fmt.Errorf("aws: receive: %w", err)
		}
		msgs := b.wakeMessages(ctx, out.Messages)
		if len(msgs) > 0 || !time.Now().Before(deadline) {
			return msgs, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// wakeMessages decodes received messages. A message whose time has not come is sent on with
// the rest of its delay (backend.SendOnEarly) and deleted rather than returned; one that
// could not be sent on is returned early rather than lost.
func (b *Backend) wakeMessages(ctx context.Context, in []types.Message) []backend.WakeMessage {
	out := make([]backend.WakeMessage, 0, len(in))
	for _, m := range in {
		if m.Body == nil || m.ReceiptHandle == nil {
			continue
		}
		w, err := backend.DecodeWake(*m.Body)
		if err != nil {
			continue
		}
		msg := backend.WakeMessage{RunID: w.RunID, TraceParent: w.TraceParent, Receipt: *m.ReceiptHandle}
		traced := backend.ContextWithTraceParent(ctx, w.TraceParent)
		if sent, _ := backend.SendOnEarly(traced, b, b.opts.Clock, w.RunID, w.NotBefore); sent {
			_ = b.Ack(ctx, msg)
			continue
		}
		out = append(out, msg)
	}
	return out
}

// Ack deletes received messages, ten a request. A receipt that SQS no longer knows (the
// message was deleted already, or received again since) is not an error.
func (b *Backend) Ack(ctx context.Context, msgs ...backend.WakeMessage) error {
	if err := b.check(ctx); err != nil {
		return err
	}
	var receipts []string
	seen := map[string]bool{}
	for _, m := range msgs {
		if m.Receipt != "" && !seen[m.Receipt] {
			seen[m.Receipt] = true
			receipts = append(receipts, m.Receipt)
		}
	}
	var errs []error
	for start := 0; start < len(receipts); start += maxBatch {
		chunk := receipts[start:min(start+maxBatch, len(receipts))]
		entries := make([]types.DeleteMessageBatchRequestEntry, len(chunk))
		for i, r := range chunk {
			entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(r)}
		}
		out, err := b.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &b.opts.QueueURL, Entries: entries})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, f := range out.Failed {
			if !staleReceipt(f) {
				errs = append(errs, fmt.Errorf("message %s: %s: %s", aws.ToString(f.Id), aws.ToString(f.Code), aws.ToString(f.Message)))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("aws: ack: %w", err)
	}
	return nil
}

// staleReceipt reports a delete that failed only because the receipt is no longer valid.
func staleReceipt(f types.BatchResultErrorEntry) bool {
	code := aws.ToString(f.Code)
	return code == "ReceiptHandleIsInvalid" ||
		(code == "InvalidParameterValue" && strings.Contains(strings.ToLower(aws.ToString(f.Message)), "receipt handle"))
}

// DecodeWake reads the body of a wake message (backend.DecodeWake: the driver writes its
// messages with backend.EncodeWake): the run to wake, and for a delay SQS could not hold (over
// MaxDelay) the time before which the run must not be woken (zero otherwise).
func DecodeWake(body string) (backend.Wake, error) {
	return backend.DecodeWake(body)
}
