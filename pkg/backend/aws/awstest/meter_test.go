package awstest

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

// TestMeterItemSize checks ItemSize against the rules of
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
func TestMeterItemSize(t *testing.T) {
	for _, c := range []struct {
		name string
		item item
		want int
	}{
		{"string: UTF-8 bytes of name and value", item{"caféName": s("Mocca")}, 9 + 5},
		{"number: 5 significant digits", item{"n": n("123.4500")}, 1 + 3 + 1},
		{"number: leading and trailing zeros trimmed", item{"n": n("-0.00120")}, 1 + 1 + 1},
		{"number: 1000 is one digit", item{"n": n("1000")}, 1 + 1 + 1},
		{"number: zero", item{"n": n("0")}, 1 + 0 + 1},
		{"number: exponent not counted", item{"n": n("1.25E+10")}, 1 + 2 + 1},
		{"binary: raw bytes", item{"b": &types.AttributeValueMemberB{Value: []byte{1, 2, 3}}}, 1 + 3},
		{"boolean", item{"ok": &types.AttributeValueMemberBOOL{Value: true}}, 2 + 1},
		{"null", item{"nil": &types.AttributeValueMemberNULL{Value: true}}, 3 + 1},
		{"empty list: 3 bytes", item{"l": &types.AttributeValueMemberL{}}, 1 + 3},
		{"list: 3 + 1 per element", item{"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{s("ab"), n("7")}}}, 1 + 3 + (1 + 2) + (1 + 2)},
		{"map: 3 + 1 per element + names", item{"m": &types.AttributeValueMemberM{Value: item{"k": s("v")}}}, 1 + 3 + (1 + 1 + 1)},
		{"string set: sum", item{"ss": &types.AttributeValueMemberSS{Value: []string{"a", "bc"}}}, 2 + 3},
		{"number set: sum", item{"ns": &types.AttributeValueMemberNS{Value: []string{"1", "234"}}}, 2 + 2 + 3},
		// The example of the ddbitemsizer README, which applies the guide's rules.
		{"whole item", item{
			"itemType": s("SLOT"), "id": s("abc1231"), "hostName": s("Harry Mason"),
			"timeSlot": s("February 23, 1999"), "slotStatus": s("OPEN"), "createdAt": s("February 1, 1999"),
			"updatedAt": s("February 1, 1999"), "expiresAt": n("2099"),
		}, 141},
	} {
		require.Equal(t, c.want, ItemSize(c.item), c.name)
	}
}

// TestMeterUnitRounding checks the rounding examples of
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
func TestMeterUnitRounding(t *testing.T) {
	const kb = 1024
	require.Equal(t, 2.0, writeUnits(1639), "put or delete of 1.6 KB")
	require.Equal(t, 5.0, writeUnits(500)+writeUnits(3584), "BatchWriteItem of 500 bytes and 3.5 KB")
	require.Equal(t, 1.0, writeUnits(0), "minimum")
	require.Equal(t, 6.0, 3*2*writeUnits(500), "transaction of three 500-byte items")
	require.Equal(t, 1.0, readUnits(3500), "3,500-byte item")
	require.Equal(t, 3.0, readUnits(10*kb), "10 KB rounds to 12 KB")
	require.Equal(t, 3.0, readUnits(1536)+readUnits(6656), "BatchGetItem of 1.5 and 6.5 KB")
	require.Equal(t, 11.0, readUnits(41779), "Query of 40.8 KB")
	require.Equal(t, 0.5, consistency(nil)*readUnits(0), "eventually consistent read of nothing")
}

func TestMeterUsage(t *testing.T) {
	u := Usage{Calls: map[string]int{"SQS.SendMessage": 1, "DynamoDB.TransactWriteItems": 1}, WriteUnits: 4, IndexWriteUnits: 2}
	require.Equal(t, "TransactWriteItems 1, SendMessage 1; 4 WRU (+2 index)", u.String())
	require.Equal(t, 2, u.TotalCalls())
	v := Usage{Calls: map[string]int{"SQS.SendMessage": 3, "DynamoDB.TransactWriteItems": 1, "DynamoDB.GetItem": 2}, WriteUnits: 6, IndexWriteUnits: 2, ReadUnits: 1.5}
	d := v.Sub(u)
	require.Equal(t, Usage{Calls: map[string]int{"SQS.SendMessage": 2, "DynamoDB.GetItem": 2}, WriteUnits: 2, ReadUnits: 1.5}, d)
	require.Equal(t, "GetItem 2, SendMessage 2; 2 WRU, 1.5 RRU", d.String())
	require.Equal(t, "no calls; 0 WRU", Usage{}.String())
}

// meterEnv is a table, a Meter of it and clients metered by it.
type meterEnv struct {
	*Env
	t     *testing.T
	table string
	m     *Meter
	db    *dynamodb.Client
	sqs   *sqs.Client
}

func newMeterEnv(t *testing.T) *meterEnv {
	e := Setup(t)
	table := UniqueName(t)
	e.NewTable(t, table)
	m, err := NewMeter(t.Context(), e.DynamoDB, table)
	require.NoError(t, err)
	cfg := e.Config.Copy()
	cfg.APIOptions = append(cfg.APIOptions, m.APIOption())
	t.Cleanup(func() { require.NoError(t, m.Err()) })
	return &meterEnv{Env: e, t: t, table: table, m: m, db: dynamodb.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg)}
}

// step runs f and returns what it consumed.
func (e *meterEnv) step(f func() error) Usage {
	e.t.Helper()
	before := e.m.Usage()
	require.NoError(e.t, f())
	return e.m.Usage().Sub(before)
}

// sized returns an item with the key pk, sk and the attributes attrs (name, value, ...),
// padded in attribute "data" to size bytes.
func sized(t *testing.T, pk, sk string, size int, attrs ...string) item {
	it := item{"pk": s(pk), "sk": s(sk)}
	for i := 0; i+1 < len(attrs); i += 2 {
		it[attrs[i]] = s(attrs[i+1])
	}
	pad := size - ItemSize(it) - len("data")
	require.GreaterOrEqual(t, pad, 0)
	it["data"] = s(strings.Repeat("x", pad))
	require.Equal(t, size, ItemSize(it))
	return it
}

func key(pk, sk string) item { return item{"pk": s(pk), "sk": s(sk)} }

func (e *meterEnv) put(it item, cond string) func() error {
	return func() error {
		in := &dynamodb.PutItemInput{TableName: &e.table, Item: it}
		if cond != "" {
			in.ConditionExpression = aws.String(cond)
		}
		_, err := e.db.PutItem(e.t.Context(), in)
		return err
	}
}

// update updates the item with expr, where "#d" stands for the attribute "data" and "#s"
// for the first of IndexRunsProjected.
func (e *meterEnv) update(k item, expr string, values item) func() error {
	return func() error {
		names := map[string]string{}
		for alias, name := range map[string]string{"#d": "data", "#s": awsbackend.IndexRunsProjected[0]} {
			if strings.Contains(expr, alias) {
				names[alias] = name
			}
		}
		if len(names) == 0 {
			names = nil
		}
		_, err := e.db.UpdateItem(e.t.Context(), &dynamodb.UpdateItemInput{
			TableName: &e.table, Key: k, UpdateExpression: aws.String(expr),
			ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		})
		return err
	}
}

// failing returns f whose ConditionalCheckFailedException or TransactionCanceledException is
// expected.
func failing(t *testing.T, f func() error) func() error {
	return func() error {
		err := f()
		var failed *types.ConditionalCheckFailedException
		var cancelled *types.TransactionCanceledException
		require.True(t, err != nil && (errors.As(err, &failed) || errors.As(err, &cancelled)), "want a failed condition, got %v", err)
		return nil
	}
}

func want(t *testing.T, u Usage, calls map[string]int, wru, index float64) {
	t.Helper()
	require.Equal(t, calls, u.Calls, u.String())
	require.Equal(t, wru, u.WriteUnits, u.String())
	require.Equal(t, index, u.IndexWriteUnits, u.String())
}

func TestMeterWrites(t *testing.T) {
	e := newMeterEnv(t)
	ctx := t.Context()
	put := map[string]int{"DynamoDB.PutItem": 1}
	upd := map[string]int{"DynamoDB.UpdateItem": 1}

	want(t, e.step(e.put(sized(t, "a", "1", 1500), "")), put, 2, 0)
	want(t, e.step(e.put(sized(t, "a", "1", 3200), "")), put, 4, 0)
	small := sized(t, "a", "1", 500)
	want(t, e.step(e.update(key("a", "1"), "SET #d = :d", item{":d": small["data"]})), upd, 4, 0)
	want(t, e.step(func() error {
		_, err := e.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &e.table, Key: key("a", "1")})
		return err
	}), map[string]int{"DynamoDB.DeleteItem": 1}, 1, 0)

	// A failed condition: the larger of the existing item and the new one; 1 with neither.
	require.NoError(t, e.put(sized(t, "b", "1", 2000), "")())
	want(t, e.step(failing(t, e.put(sized(t, "b", "1", 500), "attribute_not_exists(pk)"))), put, 2, 0)
	want(t, e.step(failing(t, func() error {
		_, err := e.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &e.table, Key: key("b", "missing"), UpdateExpression: aws.String("SET x = :x"),
			ConditionExpression: aws.String("attribute_exists(pk)"), ExpressionAttributeValues: item{":x": s("x")},
		})
		return err
	})), upd, 1, 0)

	// A transaction: 2 per KB of each item, the ConditionCheck's included.
	require.NoError(t, e.put(sized(t, "c", "1", 300), "")())
	txn := func(cond string, pk string) func() error {
		return func() error {
			_, err := e.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Put: &types.Put{TableName: &e.table, Item: sized(t, pk, "1", 1500)}},
				{ConditionCheck: &types.ConditionCheck{TableName: &e.table, Key: key("c", "1"), ConditionExpression: aws.String(cond)}},
			}})
			return err
		}
	}
	tw := map[string]int{"DynamoDB.TransactWriteItems": 1}
	want(t, e.step(txn("attribute_exists(pk)", "d")), tw, 2*2+2*1, 0)
	// Cancelled: the prepare phase only, 1 per KB of each item (not documented by AWS).
	want(t, e.step(failing(t, txn("attribute_not_exists(pk)", "e"))), tw, 2+1, 0)

	// A batch: each item rounded up on its own (the guide's example: 500 bytes + 3.5 KB = 5).
	batch := func(reqs ...types.WriteRequest) func() error {
		return func() error {
			_, err := e.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{e.table: reqs}})
			return err
		}
	}
	bw := map[string]int{"DynamoDB.BatchWriteItem": 1}
	want(t, e.step(batch(
		types.WriteRequest{PutRequest: &types.PutRequest{Item: sized(t, "f", "1", 500)}},
		types.WriteRequest{PutRequest: &types.PutRequest{Item: sized(t, "f", "2", 3584)}},
	)), bw, 5, 0)
	want(t, e.step(batch(
		types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key("f", "1")}},
		types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key("f", "2")}},
	)), bw, 5, 0)

	// Other services: counted as calls.
	url := e.NewQueue(t, UniqueName(t), nil)
	u := e.step(func() error {
		_, err := e.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("hi")})
		return err
	})
	want(t, u, map[string]int{"SQS.SendMessage": 1}, 0, 0)
	require.Equal(t, "SendMessage 1; 0 WRU", u.String())

	e.m.Reset()
	require.Equal(t, 0, e.m.Usage().TotalCalls())
}

// TestMeterIndexes checks the index write units on the driver's two indexes: IndexDue (keys
// only) and IndexRuns (keys and IndexRunsProjected).
func TestMeterIndexes(t *testing.T) {
	e := newMeterEnv(t)
	put := map[string]int{"DynamoDB.PutItem": 1}
	upd := map[string]int{"DynamoDB.UpdateItem": 1}
	k := key("g", "1")
	due := func(sk string) item { return item{":sk": s(sk)} }
	dueKeys := func(sk string) item { return item{":pk": s("DUE#1"), ":sk": s(sk)} }

	want(t, e.step(e.put(sized(t, "g", "1", 1500, awsbackend.AttrDuePK, "DUE#1", awsbackend.AttrDueSK, "001#g"), "")), put, 2, 1)
	want(t, e.step(e.update(k, "SET x = :x", item{":x": s("y")})), upd, 2, 0)
	want(t, e.step(e.update(k, "SET "+awsbackend.AttrDueSK+" = :sk", due("002#g"))), upd, 2, 2)
	want(t, e.step(e.update(k, "SET "+awsbackend.AttrDuePK+" = :pk, "+awsbackend.AttrDueSK+" = :sk", dueKeys("002#g"))), upd, 2, 0)
	want(t, e.step(e.update(k, "REMOVE "+awsbackend.AttrDuePK+", "+awsbackend.AttrDueSK, nil)), upd, 2, 1)
	want(t, e.step(e.update(k, "SET "+awsbackend.AttrDuePK+" = :pk, "+awsbackend.AttrDueSK+" = :sk", dueKeys("003#g"))), upd, 2, 1)

	status := awsbackend.IndexRunsProjected[0]
	r := key("h", "1")
	want(t, e.step(e.put(sized(t, "h", "1", 900, awsbackend.AttrRunsPK, "RUNS#1", awsbackend.AttrRunsSK, "001#h", status, "running"), "")), put, 1, 1)
	want(t, e.step(e.update(r, "SET #s = :s", item{":s": s("done")})), upd, 1, 1)
	want(t, e.step(e.update(r, "SET x = :x", item{":x": s("y")})), upd, 1, 0)
	want(t, e.step(func() error {
		_, err := e.db.DeleteItem(t.Context(), &dynamodb.DeleteItemInput{TableName: &e.table, Key: r})
		return err
	}), map[string]int{"DynamoDB.DeleteItem": 1}, 1, 1)
}

func TestMeterReads(t *testing.T) {
	e := newMeterEnv(t)
	ctx := t.Context()
	for _, it := range []item{sized(t, "r", "1", 1500), sized(t, "r", "2", 5000)} {
		_, err := e.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &e.table, Item: it})
		require.NoError(t, err)
	}
	get := func(sk string, consistent bool) func() error {
		return func() error {
			_, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &e.table, Key: key("r", sk), ConsistentRead: aws.Bool(consistent)})
			return err
		}
	}
	reads := func(u Usage) float64 { require.Zero(t, u.WriteUnits); return u.ReadUnits }
	require.Equal(t, 2.0, reads(e.step(get("2", true))))
	require.Equal(t, 1.0, reads(e.step(get("2", false))))
	require.Equal(t, 0.5, reads(e.step(get("missing", false))))
	u := e.step(func() error {
		_, err := e.db.Query(ctx, &dynamodb.QueryInput{
			TableName: &e.table, KeyConditionExpression: aws.String("pk = :pk"),
			ExpressionAttributeValues: item{":pk": s("r")}, ConsistentRead: aws.Bool(true),
		})
		return err
	})
	require.Equal(t, map[string]int{"DynamoDB.Query": 1}, u.Calls)
	require.Equal(t, 2.0, u.ReadUnits, "6500 bytes in one page")
	require.Equal(t, 1.0+2.0+1.0, reads(e.step(func() error {
		_, err := e.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			e.table: {Keys: []item{key("r", "1"), key("r", "2"), key("r", "missing")}, ConsistentRead: aws.Bool(true)},
		}})
		return err
	})))
	require.Equal(t, 2*(1.0+2.0), reads(e.step(func() error {
		_, err := e.db.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
			{Get: &types.Get{TableName: &e.table, Key: key("r", "1")}},
			{Get: &types.Get{TableName: &e.table, Key: key("r", "2")}},
		}})
		return err
	})))
}

// TestMeterConcurrent meters concurrent writers behind SerializeDynamoDB, as a benchmark of
// the backend would: the Meter's reads happen under the lock, so the units are exact.
func TestMeterConcurrent(t *testing.T) {
	e := newMeterEnv(t)
	cfg := e.Config.Copy()
	cfg.APIOptions = append(cfg.APIOptions, SerializeDynamoDB(&sync.RWMutex{}), e.m.APIOption())
	db := dynamodb.NewFromConfig(cfg)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		it := sized(t, "p", strconv.Itoa(i), 1500)
		wg.Go(func() {
			_, errs[i] = db.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: &e.table, Item: it})
		})
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	want(t, e.m.Usage(), map[string]int{"DynamoDB.PutItem": 8}, 8*2, 0)
}
