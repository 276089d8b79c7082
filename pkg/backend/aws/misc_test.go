package aws

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/oklog/ulid/v2"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

func TestNewValidatesOptions(t *testing.T) {
	t.Parallel()
	_, err := New(aws.Config{}, Options{VisibilityTimeout: -time.Second, ResponseTTL: -1})
	require.Error(t, err)
	for _, want := range []string{"Options.Table", "Options.QueueURL", "Options.VisibilityTimeout", "Options.ResponseTTL"} {
		require.ErrorContains(t, err, want)
	}
	b, err := New(aws.Config{Region: "us-east-1"}, Options{Table: "t", QueueURL: "http://q"})
	require.NoError(t, err)
	require.Equal(t, DefaultResponseTTL, b.opts.ResponseTTL)
	require.Equal(t, DefaultIdempotencyTTL, b.opts.IdempotencyTTL)
	require.NotNil(t, b.Clock())
	require.NoError(t, b.Close())
	require.ErrorIs(t, b.check(t.Context()), ErrClosed)
}

// stepClock returns the times it is given, one per call, then the last one.
type stepClock struct {
	mu    sync.Mutex
	times []time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.times[0]
	if len(c.times) > 1 {
		c.times = c.times[1:]
	}
	return t
}

// Inbox IDs grow with every call, within one millisecond and when the clock goes back.
func TestIDsIncrease(t *testing.T) {
	t.Parallel()
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	g := newIDGen(&stepClock{times: []time.Time{base, base, base.Add(-time.Hour), base.Add(time.Millisecond), base}})
	var ids []string
	for range 50 {
		ids = append(ids, g.next())
	}
	for i := 1; i < len(ids); i++ {
		require.Greater(t, ids[i], ids[i-1])
	}
	id, err := ulid.Parse(ids[0])
	require.NoError(t, err)
	require.Equal(t, base, ulid.Time(id.Time()).UTC(), "the time part comes from the clock")

	var max ulid.ULID
	for i := range max {
		max[i] = 0xff
	}
	max[len(max)-1] = 0xfe
	require.Equal(t, "7ZZZZZZZZZZZZZZZZZZZZZZZZZ", increment(max).String())
}

func TestRetryable(t *testing.T) {
	t.Parallel()
	tce := func(codes ...string) error {
		e := &types.TransactionCanceledException{}
		for _, c := range codes {
			e.CancellationReasons = append(e.CancellationReasons, types.CancellationReason{Code: aws.String(c)})
		}
		return e
	}
	require.True(t, retryable(tce("None", "TransactionConflict")))
	require.False(t, retryable(tce("ConditionalCheckFailed", "TransactionConflict")), "a failed condition is an answer")
	require.False(t, retryable(tce("None", "None")))
	require.False(t, retryable(tce("ValidationError")))
	require.True(t, retryable(errRetryable))
	require.False(t, retryable(errors.New("x")))
	reasons, ok := canceled(tce("None", "ConditionalCheckFailed"))
	require.True(t, ok)
	require.False(t, conditionFailed(reasons, 0))
	require.True(t, conditionFailed(reasons, 1))
	require.False(t, conditionFailed(reasons, 7), "out of range")
}

func TestQueueHelpers(t *testing.T) {
	t.Parallel()
	require.Equal(t, int32(0), wholeSeconds(-time.Second))
	require.Equal(t, int32(0), wholeSeconds(0))
	require.Equal(t, int32(1), wholeSeconds(time.Millisecond))
	require.Equal(t, int32(1), wholeSeconds(time.Second))
	require.Equal(t, int32(2), wholeSeconds(1001*time.Millisecond))
	require.True(t, staleReceipt(sqstypes.BatchResultErrorEntry{Code: aws.String("ReceiptHandleIsInvalid")}))
	require.True(t, staleReceipt(sqstypes.BatchResultErrorEntry{Code: aws.String("InvalidParameterValue"),
		Message: aws.String("Value x for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.")}))
	require.False(t, staleReceipt(sqstypes.BatchResultErrorEntry{Code: aws.String("InternalError")}))
}

func TestUpdateExpression(t *testing.T) {
	t.Parallel()
	var e expr
	u := update{e: &e}
	u.Set("status", str("done"))
	u.SetOrRemove("output", "")
	u.Remove("lease")
	u.Add("deliveries", num(1))
	require.Equal(t, "SET #status = :v1 REMOVE #output, #lease ADD #deliveries :v2", u.String())
	require.Equal(t, map[string]string{"#status": "status", "#output": "output", "#lease": "lease", "#deliveries": "deliveries"}, e.Names())
	var empty expr
	require.Nil(t, empty.Names(), "no names: no map (DynamoDB refuses an empty one)")
	require.Nil(t, empty.Values())
}

func TestDecodeWakeReadsEncodeWake(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	w, err := DecodeWake(backend.EncodeWake(backend.Wake{RunID: "r2", NotBefore: at}))
	require.NoError(t, err)
	require.Equal(t, "r2", w.RunID)
	require.True(t, w.NotBefore.Equal(at))
	_, err = DecodeWake(`{"runId":""}`)
	require.ErrorIs(t, err, backend.ErrBadWake)
}
