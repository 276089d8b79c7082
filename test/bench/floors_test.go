package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
)

// The floors: what the least a delivery can cost on each backend takes, measured in the same
// run and at the same sizes as the figures they are compared with.
//
//   - memory: the webhook route's HTTP round trip, to a handler that only reads the body
//     (ingest); a handoff to another goroutine and back (resume);
//   - bbolt: the same HTTP round trip to a handler that also puts the body in a bbolt file,
//     one Update with its fsync (ingest); that Update alone (resume);
//   - dynamodb: one TransactWriteItems of a ConditionCheck (the webhook's token record
//     exists) and a Put of an item the size of a stored 1 KiB request, then one SQS
//     SendMessage (ingest and resume): the store and the wake a delivery needs.
type floors struct {
	kind string
	// op is one floor operation of each kind: "ingest" (through HTTP on the embedded
	// backends) and "resume".
	ingest, resume func(ctx context.Context) error
	names          map[string]string // "ingest", "resume" → the floor's name in the table

	mu    sync.Mutex
	lats  map[string]latency
	rates map[string]float64 // by op and concurrency
	usage *perOp             // DynamoDB: the calls and units of one floor operation
	notes []string
}

// newFloors prepares the floors of kind; ae is the AWS endpoint (DynamoDB only).
func newFloors(t *testing.T, kind string, ae *awstest.Env, sz sizes) *floors {
	t.Helper()
	f := &floors{kind: kind, lats: map[string]latency{}, rates: map[string]float64{}}
	switch kind {
	case kindMemory:
		srv := floorServer(t, func([]byte) error { return nil })
		send := httpSender(srv.URL, "")
		f.ingest = func(ctx context.Context) error { return post202(ctx, send) }
		f.resume = handoff(t)
		f.names = map[string]string{"ingest": "HTTP echo", "resume": "goroutine handoff"}
	case kindBbolt:
		put := boltPut(t)
		srv := floorServer(t, put)
		send := httpSender(srv.URL, "")
		f.ingest = func(ctx context.Context) error { return post202(ctx, send) }
		f.resume = func(context.Context) error { return put(body(0)) }
		f.names = map[string]string{"ingest": "HTTP + bbolt Update", "resume": "bbolt Update"}
	case kindDynamoDB:
		op := dynamoFloor(t, f, ae, sz)
		f.ingest, f.resume = op, op
		if ae.Moto() && sz.mode == "full" {
			f.notes = append(f.notes, motoProbe(t, ae))
		}
		f.names = map[string]string{"ingest": "TransactWriteItems + SendMessage", "resume": "TransactWriteItems + SendMessage"}
	}
	return f
}

// post202 posts a 1 KiB body to a floor server.
func post202(ctx context.Context, send sender) error {
	status, _, err := send(ctx, "floor", body(0))
	if err == nil && status != http.StatusAccepted {
		err = fmt.Errorf("floor: status %d", status)
	}
	return err
}

// floorServer serves the webhook path with a handler that reads the body, gives it to store
// and answers 202.
func floorServer(t *testing.T, store func([]byte) error) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err == nil {
			err = store(b)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// handoff returns an operation that hands a value to a goroutine and waits for its answer.
func handoff(t *testing.T) func(context.Context) error {
	in := make(chan chan struct{})
	done := make(chan struct{})
	go func() {
		for {
			select {
			case reply := <-in:
				close(reply)
			case <-done:
				return
			}
		}
	}()
	t.Cleanup(func() { close(done) })
	return func(ctx context.Context) error {
		reply := make(chan struct{})
		in <- reply
		<-reply
		return nil
	}
}

// boltPut opens a bbolt file of its own and returns a function that puts a value in it, in one
// Update (one fsync).
func boltPut(t *testing.T) func([]byte) error {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "floor.db"), 0o600, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	var seq atomic.Uint64
	return func(v []byte) error {
		var k [8]byte
		binary.BigEndian.PutUint64(k[:], seq.Add(1))
		return db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("floor"))
			if err != nil {
				return err
			}
			return b.Put(k[:], v)
		})
	}
}

// dynamoFloor returns the DynamoDB floor operation, on a table and queue of its own. The Put's
// item is as large as the inbox item of a real 1 KiB webhook delivery, and the ConditionCheck
// checks that delivery's token record, as the engine's guard does. It meters a few floor
// operations for the report.
func dynamoFloor(t *testing.T, f *floors, ae *awstest.Env, sz sizes) func(context.Context) error {
	t.Helper()
	e := newEnv(t, kindDynamoDB, ae)
	sk := newSink()
	defer sk.close()
	runID := start(t, e, webhookFlow, flowInput{Sink: sk.id, Mode: mode202}, true)
	token := awaitToken(t, sk, runID)
	send, _ := e.sender(nil)
	status, _, err := send(t.Context(), token, body(0))
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, status)

	out, err := ae.DynamoDB.Query(t.Context(), &dynamodb.QueryInput{
		TableName:                 aws.String(e.aws.table),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :inb)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s("RUN#" + runID), ":inb": s("INB#")},
		ConsistentRead:            aws.Bool(true),
	})
	require.NoError(t, err)
	require.Len(t, out.Items, 1, "the stored request")
	size := awstest.ItemSize(out.Items[0])
	f.notes = append(f.notes, fmt.Sprintf("the stored 1 KiB webhook request is a %d-byte item", size))

	// The Puts rotate over 64 items: as many as there are senders at most, and a table that
	// stays small (moto copies the whole table for every item of a transaction).
	check := map[string]types.AttributeValue{"pk": s("TOKEN#" + token), "sk": s("META")}
	var seq atomic.Int64
	item := func() map[string]types.AttributeValue {
		it := map[string]types.AttributeValue{"pk": s("FLOOR#" + runID), "sk": s(fmt.Sprintf("%02d", seq.Add(1)%64)), "b": &types.AttributeValueMemberB{}}
		it["b"] = &types.AttributeValueMemberB{Value: make([]byte, max(size-awstest.ItemSize(it), 0))}
		return it
	}
	op := func(db *dynamodb.Client, q *sqs.Client) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{ConditionCheck: &types.ConditionCheck{TableName: aws.String(e.aws.table), Key: check, ConditionExpression: aws.String("attribute_exists(pk)")}},
				{Put: &types.Put{TableName: aws.String(e.aws.table), Item: item()}},
			}})
			if err != nil {
				return err
			}
			_, err = q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(e.aws.queueURL), MessageBody: aws.String(`{"runId":"` + runID + `"}`)})
			return err
		}
	}
	metered := op(dynamodb.NewFromConfig(e.aws.mcfg), sqs.NewFromConfig(e.aws.mcfg))
	e.aws.meter.Reset()
	for range sz.metered {
		require.NoError(t, metered(t.Context()))
	}
	f.usage = divide(e.aws.meter.Usage(), sz.metered)
	return op(dynamodb.NewFromConfig(e.aws.cfg), sqs.NewFromConfig(e.aws.cfg))
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// latency returns the floor of op ("ingest" or "resume"), timed n times in a row (once per
// run of the report).
func (f *floors) latency(t *testing.T, op string, n, warmup int) *floorFig {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.lats[op]
	if !ok {
		fn := f.fn(op)
		for range warmup {
			require.NoError(t, fn(t.Context()))
		}
		ds := make([]time.Duration, 0, n)
		for range n {
			t0 := time.Now()
			require.NoError(t, fn(t.Context()))
			ds = append(ds, time.Since(t0))
		}
		l = summarize(ds)
		f.lats[op] = l
	}
	return &floorFig{name: f.names[op], lat: l}
}

// rate returns the floor of op at concurrency c: n operations by c goroutines, per second.
func (f *floors) rate(t *testing.T, op string, c, n int) *floorFig {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	key := fmt.Sprintf("%s/%d", op, c)
	r, ok := f.rates[key]
	if !ok {
		fn := f.fn(op)
		took, err := parallel(t.Context(), c, n, func(ctx context.Context, _ int) error { return fn(ctx) })
		require.NoError(t, err)
		r = float64(n) / took.Seconds()
		f.rates[key] = r
	}
	return &floorFig{name: fmt.Sprintf("%s × %d", f.names[op], c), rate: r}
}

func (f *floors) fn(op string) func(context.Context) error {
	if op == "resume" {
		return f.resume
	}
	return f.ingest
}

// parallel runs fn(i) for i in [0, n) on c goroutines and returns how long they took.
func parallel(ctx context.Context, c, n int, fn func(ctx context.Context, i int) error) (time.Duration, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, c)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	t0 := time.Now()
	for range c {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					errs <- fmt.Errorf("operation %d: %w", i, err)
					cancel()
					return
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(t0)
	select {
	case err := <-errs:
		return took, err
	default:
		return took, nil
	}
}

// motoProbe measures, on a table of its own, the floor's TransactWriteItems on an empty table
// and on one of 1,000 items of the same size: moto copies the whole table for every item of a
// transaction, so its writes slow down as a table grows. The report's DynamoDB scenarios each
// run on a fresh table to keep it small; this says how much that matters.
func motoProbe(t *testing.T, ae *awstest.Env) string {
	t.Helper()
	const fill, runs = 1000, 10
	name := awstest.UniqueName(t)
	ae.NewTable(t, name)
	db := ae.DynamoDB
	pad := make([]byte, 1500)
	key := map[string]types.AttributeValue{"pk": s("PROBE"), "sk": s("CHECK")}
	_, err := db.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(name), Item: key})
	require.NoError(t, err)
	twi := func() time.Duration {
		var total time.Duration
		for i := range runs {
			t0 := time.Now()
			_, err := db.TransactWriteItems(t.Context(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{ConditionCheck: &types.ConditionCheck{TableName: aws.String(name), Key: key, ConditionExpression: aws.String("attribute_exists(pk)")}},
				{Put: &types.Put{TableName: aws.String(name), Item: map[string]types.AttributeValue{
					"pk": s("PROBE"), "sk": s(fmt.Sprint(i)), "b": &types.AttributeValueMemberB{Value: pad}}}},
			}})
			require.NoError(t, err)
			total += time.Since(t0)
		}
		return total / runs
	}
	small := twi()
	for i := 0; i < fill; i += 25 {
		var reqs []types.WriteRequest
		for j := i; j < i+25; j++ {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
				"pk": s(fmt.Sprintf("FILL#%d", j)), "sk": s("META"), "b": &types.AttributeValueMemberB{Value: pad}}}})
		}
		_, err := db.BatchWriteItem(t.Context(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{name: reqs}})
		require.NoError(t, err)
	}
	large := twi()
	return fmt.Sprintf("moto: the floor's TransactWriteItems (2 items) takes %s on a near-empty table and %s on a table of %s items: "+
		"moto copies the whole table for each item of a transaction (and its memory grows with every copy), so a DynamoDB figure "+
		"here depends on how large the scenario's table has grown; each scenario runs on a fresh table",
		fmtDur(small), fmtDur(large), thousands(fill))
}
