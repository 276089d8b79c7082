package awstest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// Meter counts the AWS API calls made by the clients built with its APIOption, and computes
// the DynamoDB capacity units they consume. Emulators do not report real ConsumedCapacity,
// so the units are computed from item sizes (ItemSize) by the rules of the DynamoDB
// developer guide:
//
//   - Writes (read-write-operations.html): one write unit per started KB of the larger of the
//     item before and after a PutItem or UpdateItem, of the deleted item for a DeleteItem, at
//     least 1; BatchWriteItem counts each put or delete (not the UnprocessedItems) alike. A
//     write whose condition fails still consumes the larger of the existing item and the
//     item it would write (the Put's item; for Update and Delete the existing item), at least 1.
//   - Transactions (transaction-apis.html#transaction-capacity-handling): every item of a
//     TransactWriteItems is written twice, prepare and commit, so 2 units per started KB;
//     a ConditionCheck counts as an item, 2 per started KB of the checked item (measured as
//     write units on DynamoDB). What a cancelled transaction consumes is not documented:
//     the Meter charges the prepare phase, 1 unit per started KB of each item.
//   - Global secondary indexes (GSI.html#GSI.ThroughputConsiderations.Writes), in
//     IndexWriteUnits: an item entering or leaving an index costs one index write, a change
//     of the index key two (delete and put), a change of projected attributes alone one, any
//     other write none. An index write costs one unit per started KB of the index entry:
//     the table keys, the index keys and the projected attributes (the whole item for ALL).
//     Index writes are counted once even in a transaction.
//   - Reads: one unit per started 4 KB (at least 1) of the item (GetItem; the whole item even
//     if projected), of each item (BatchGetItem; a missing item counts 1), of the page's
//     items together (Query, Scan; a GSI query's are index entries); half for eventually
//     consistent reads, twice for TransactGetItems. Query and Scan are charged for what they
//     return: items dropped by a filter, and COUNT queries, are undercounted. The response's
//     ConsumedCapacity is taken instead when the request asked for it and it is not zero
//     (moto's is made up, so don't ask there).
//
// To know the sizes, the middleware reads the items a write touches with raw, strongly
// consistent GetItem calls that are not counted, before the call and (for UpdateItem) after
// it. The figures are exact when no one else writes the same items meanwhile, approximate
// otherwise: append APIOption after SerializeDynamoDB so that the reads happen under its
// lock, and never give raw that lock. Only the table given to NewMeter is metered for units;
// calls are counted for every table and service. Retries are counted once per call.
//
// The guide: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ (pages
// CapacityUnitCalculations.html, read-write-operations.html, transaction-apis.html, GSI.html).
//
// A Meter is safe for concurrent use.
type Meter struct {
	raw   *dynamodb.Client
	table string
	keys  []string // the table's key attributes
	gsis  []index

	mu  sync.Mutex
	u   Usage
	err error
}

// item is a DynamoDB item or key.
type item = map[string]types.AttributeValue

// index is a global secondary index: its key attributes and what it projects.
type index struct {
	keys    []string
	all     bool     // projection ALL
	include []string // projected non-key attributes (INCLUDE)
}

// unmetered marks the context of the Meter's own reads.
type unmetered struct{}

// NewMeter returns a Meter of the table, whose key schema and indexes it reads with raw, an
// unmetered client that it also uses to read items before and after writes.
func NewMeter(ctx context.Context, raw *dynamodb.Client, table string) (*Meter, error) {
	out, err := raw.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		return nil, fmt.Errorf("awstest: meter: describe table %s: %w", table, err)
	}
	m := &Meter{raw: raw, table: table, u: Usage{Calls: map[string]int{}}}
	m.keys = keyNames(out.Table.KeySchema)
	for _, g := range out.Table.GlobalSecondaryIndexes {
		x := index{keys: keyNames(g.KeySchema)}
		if g.Projection != nil {
			x.all = g.Projection.ProjectionType == types.ProjectionTypeAll
			x.include = g.Projection.NonKeyAttributes
		}
		m.gsis = append(m.gsis, x)
	}
	return m, nil
}

func keyNames(schema []types.KeySchemaElement) []string {
	var names []string
	for _, k := range schema {
		names = append(names, aws.ToString(k.AttributeName))
	}
	return names
}

// APIOption returns an SDK API option, for aws.Config.APIOptions, that meters the calls of
// the clients built with it: every service's calls, DynamoDB's units.
func (m *Meter) APIOption() func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("hookflowTestMeter", m.handle), middleware.After)
	}
}

func (m *Meter) handle(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	service := awsmiddleware.GetServiceID(ctx)
	if ctx.Value(unmetered{}) != nil {
		return next.HandleInitialize(ctx, in)
	}
	m.add(Usage{Calls: map[string]int{service + "." + awsmiddleware.GetOperationName(ctx): 1}})
	if service != dynamodb.ServiceID {
		return next.HandleInitialize(ctx, in)
	}
	rctx := context.WithValue(context.WithoutCancel(ctx), unmetered{}, true)
	writes := m.plan(rctx, in.Parameters) // nil: not a write
	out, md, err := next.HandleInitialize(ctx, in)
	if writes != nil {
		m.add(m.settle(rctx, in.Parameters, writes, out.Result, err))
	} else if err == nil {
		m.add(Usage{ReadUnits: m.reads(rctx, in.Parameters, out.Result)})
	}
	return out, md, err
}

// write is an item a write call touches: kind 'P' (put), 'U' (update), 'D' (delete) or 'C'
// (condition check).
type write struct {
	kind        byte
	key, put    item // put: the item a Put writes
	before      item
	unprocessed bool
}

// plan returns the items a write call touches in the metered table, read as they are before
// it, or nil for a call that is not a write.
func (m *Meter) plan(ctx context.Context, params any) []*write {
	ws := []*write{}
	add := func(table *string, kind byte, key, put item) {
		if m.mine(table) {
			if put != nil {
				key = pick(put, m.keys)
			}
			ws = append(ws, &write{kind: kind, key: key, put: put, before: m.get(ctx, key)})
		}
	}
	switch p := params.(type) {
	case *dynamodb.PutItemInput:
		add(p.TableName, 'P', nil, p.Item)
	case *dynamodb.UpdateItemInput:
		add(p.TableName, 'U', p.Key, nil)
	case *dynamodb.DeleteItemInput:
		add(p.TableName, 'D', p.Key, nil)
	case *dynamodb.BatchWriteItemInput:
		for _, r := range p.RequestItems[m.table] {
			if r.PutRequest != nil {
				add(&m.table, 'P', nil, r.PutRequest.Item)
			} else if r.DeleteRequest != nil {
				add(&m.table, 'D', r.DeleteRequest.Key, nil)
			}
		}
	case *dynamodb.TransactWriteItemsInput:
		for _, t := range p.TransactItems {
			switch {
			case t.Put != nil:
				add(t.Put.TableName, 'P', nil, t.Put.Item)
			case t.Update != nil:
				add(t.Update.TableName, 'U', t.Update.Key, nil)
			case t.Delete != nil:
				add(t.Delete.TableName, 'D', t.Delete.Key, nil)
			case t.ConditionCheck != nil:
				add(t.ConditionCheck.TableName, 'C', t.ConditionCheck.Key, nil)
			}
		}
	default:
		return nil
	}
	return ws
}

// settle returns the units of a write call that returned result and err.
func (m *Meter) settle(ctx context.Context, params any, ws []*write, result any, err error) Usage {
	var u Usage
	if o, _ := result.(*dynamodb.BatchWriteItemOutput); o != nil {
		for _, r := range o.UnprocessedItems[m.table] {
			for _, w := range ws {
				if r.PutRequest != nil && reflect.DeepEqual(w.key, pick(r.PutRequest.Item, m.keys)) ||
					r.DeleteRequest != nil && reflect.DeepEqual(w.key, r.DeleteRequest.Key) {
					w.unprocessed = true
				}
			}
		}
	}
	factor := 1.0
	if _, txn := params.(*dynamodb.TransactWriteItemsInput); txn {
		factor = 2
	}
	var failed *types.ConditionalCheckFailedException
	var cancelled *types.TransactionCanceledException
	for _, w := range ws {
		switch {
		case err == nil && !w.unprocessed:
			after := map[byte]item{'P': w.put, 'D': nil, 'C': w.before}[w.kind]
			if w.kind == 'U' {
				after = m.get(ctx, w.key)
			}
			u.WriteUnits += factor * writeUnits(max(ItemSize(w.before), ItemSize(after)))
			if w.kind != 'C' {
				u.IndexWriteUnits += m.indexUnits(w.before, after)
			}
		case errors.As(err, &failed), errors.As(err, &cancelled):
			u.WriteUnits += writeUnits(max(ItemSize(w.before), ItemSize(w.put)))
		}
	}
	return u
}

// indexUnits returns the index write units of a write that changed before into after (nil:
// no item).
func (m *Meter) indexUnits(before, after item) float64 {
	var units float64
	for _, x := range m.gsis {
		b, a := m.entry(x, before), m.entry(x, after)
		switch {
		case b == nil && a == nil:
		case b == nil:
			units += writeUnits(ItemSize(a))
		case a == nil:
			units += writeUnits(ItemSize(b))
		case !reflect.DeepEqual(pick(b, x.keys), pick(a, x.keys)):
			units += writeUnits(ItemSize(b)) + writeUnits(ItemSize(a))
		case !reflect.DeepEqual(b, a):
			units += writeUnits(max(ItemSize(b), ItemSize(a)))
		}
	}
	return units
}

// entry returns the entry of item in the index, or nil if it has not the index's keys.
func (m *Meter) entry(x index, it item) item {
	for _, k := range x.keys {
		if _, ok := it[k]; !ok {
			return nil
		}
	}
	if x.all {
		return it
	}
	return pick(it, slices.Concat(m.keys, x.keys, x.include))
}

// reads returns the read units of a successful read call of the metered table.
func (m *Meter) reads(ctx context.Context, params, result any) float64 {
	switch p := params.(type) {
	case *dynamodb.GetItemInput:
		if o, _ := result.(*dynamodb.GetItemOutput); o != nil && m.mine(p.TableName) {
			if c := m.reported(p.ReturnConsumedCapacity, one(o.ConsumedCapacity)); c > 0 {
				return c
			}
			it := o.Item
			if it != nil && (p.ProjectionExpression != nil || len(p.AttributesToGet) > 0) {
				it = m.get(ctx, p.Key) // a projection does not make the read cheaper
			}
			return consistency(p.ConsistentRead) * readUnits(ItemSize(it))
		}
	case *dynamodb.QueryInput:
		if o, _ := result.(*dynamodb.QueryOutput); o != nil && m.mine(p.TableName) {
			return m.page(o.Items, p.ConsistentRead, m.reported(p.ReturnConsumedCapacity, one(o.ConsumedCapacity)))
		}
	case *dynamodb.ScanInput:
		if o, _ := result.(*dynamodb.ScanOutput); o != nil && m.mine(p.TableName) {
			return m.page(o.Items, p.ConsistentRead, m.reported(p.ReturnConsumedCapacity, one(o.ConsumedCapacity)))
		}
	case *dynamodb.BatchGetItemInput:
		req := p.RequestItems[m.table]
		if o, _ := result.(*dynamodb.BatchGetItemOutput); o != nil && req.Keys != nil {
			if c := m.reported(p.ReturnConsumedCapacity, o.ConsumedCapacity); c > 0 {
				return c
			}
			missing := len(req.Keys) - len(o.Responses[m.table]) - len(o.UnprocessedKeys[m.table].Keys)
			units := float64(max(missing, 0))
			for _, it := range o.Responses[m.table] {
				units += readUnits(ItemSize(it))
			}
			return consistency(req.ConsistentRead) * units
		}
	case *dynamodb.TransactGetItemsInput:
		if o, _ := result.(*dynamodb.TransactGetItemsOutput); o != nil {
			if c := m.reported(p.ReturnConsumedCapacity, o.ConsumedCapacity); c > 0 {
				return c
			}
			var units float64
			for i, t := range p.TransactItems {
				if t.Get != nil && m.mine(t.Get.TableName) && i < len(o.Responses) {
					units += 2 * readUnits(ItemSize(o.Responses[i].Item))
				}
			}
			return units
		}
	}
	return 0
}

// page returns the read units of a page of Query or Scan: reported, or computed.
func (m *Meter) page(items []item, consistent *bool, reported float64) float64 {
	if reported > 0 {
		return reported
	}
	size := 0
	for _, it := range items {
		size += ItemSize(it)
	}
	return consistency(consistent) * readUnits(size)
}

// reported returns the capacity units the response reports for the metered table, if the
// request asked for them: moto makes figures up, even unasked.
func (m *Meter) reported(asked types.ReturnConsumedCapacity, ccs []types.ConsumedCapacity) float64 {
	if asked != types.ReturnConsumedCapacityTotal && asked != types.ReturnConsumedCapacityIndexes {
		return 0
	}
	var units float64
	for _, cc := range ccs {
		if cc.TableName == nil || m.mine(cc.TableName) {
			units += aws.ToFloat64(cc.CapacityUnits)
		}
	}
	return units
}

func one(cc *types.ConsumedCapacity) []types.ConsumedCapacity {
	if cc == nil {
		return nil
	}
	return []types.ConsumedCapacity{*cc}
}

// get reads the item with the key strongly consistently, unmetered; nil if there is none.
func (m *Meter) get(ctx context.Context, key item) item {
	out, err := m.raw.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(m.table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		m.mu.Lock()
		if m.err == nil {
			m.err = fmt.Errorf("awstest: meter: read item: %w", err)
		}
		m.mu.Unlock()
		return nil
	}
	return out.Item
}

func (m *Meter) mine(table *string) bool { return aws.ToString(table) == m.table }

// pick returns the attributes of item named in names.
func pick(it item, names []string) item {
	out := item{}
	for _, n := range names {
		if v, ok := it[n]; ok {
			out[n] = v
		}
	}
	return out
}

func (m *Meter) add(v Usage) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for op, n := range v.Calls {
		m.u.Calls[op] += n
	}
	m.u.WriteUnits += v.WriteUnits
	m.u.IndexWriteUnits += v.IndexWriteUnits
	m.u.ReadUnits += v.ReadUnits
}

// Usage returns the totals since NewMeter or the last Reset.
func (m *Meter) Usage() Usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.u.Sub(Usage{})
}

// Reset sets the totals to zero.
func (m *Meter) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.u = Usage{Calls: map[string]int{}}
}

// Err returns the first error of the Meter's own reads, which make its units approximate
// (an item it could not read counts as missing), or nil.
func (m *Meter) Err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// Usage is what metered clients consumed.
type Usage struct {
	Calls           map[string]int // by "Service.Operation": "DynamoDB.TransactWriteItems", "SQS.SendMessage", ...
	WriteUnits      float64        // base table write request units
	IndexWriteUnits float64        // global secondary index write request units
	ReadUnits       float64        // read request units
}

// TotalCalls returns the number of calls.
func (u Usage) TotalCalls() int {
	n := 0
	for _, c := range u.Calls {
		n += c
	}
	return n
}

// Sub returns u - v, for the usage between two readings; operations with no calls left are
// dropped.
func (u Usage) Sub(v Usage) Usage {
	d := Usage{
		Calls:           maps.Clone(u.Calls),
		WriteUnits:      u.WriteUnits - v.WriteUnits,
		IndexWriteUnits: u.IndexWriteUnits - v.IndexWriteUnits,
		ReadUnits:       u.ReadUnits - v.ReadUnits,
	}
	if d.Calls == nil {
		d.Calls = map[string]int{}
	}
	for op, n := range v.Calls {
		if d.Calls[op] -= n; d.Calls[op] == 0 {
			delete(d.Calls, op)
		}
	}
	return d
}

// String returns the calls by operation (sorted by service, then operation) and the units,
// e.g. "TransactWriteItems 1, SendMessage 1; 4 WRU (+2 index), 1 RRU".
func (u Usage) String() string {
	var calls []string
	for _, op := range slices.Sorted(maps.Keys(u.Calls)) {
		_, name, _ := strings.Cut(op, ".")
		calls = append(calls, fmt.Sprintf("%s %d", name, u.Calls[op]))
	}
	s := strings.Join(calls, ", ")
	if s == "" {
		s = "no calls"
	}
	s += fmt.Sprintf("; %g WRU", u.WriteUnits)
	if u.IndexWriteUnits != 0 {
		s += fmt.Sprintf(" (+%g index)", u.IndexWriteUnits)
	}
	if u.ReadUnits != 0 {
		s += fmt.Sprintf(", %g RRU", u.ReadUnits)
	}
	return s
}

// writeUnits returns the write units of an item of size bytes: one per started KB, at least 1.
func writeUnits(size int) float64 { return math.Max(1, math.Ceil(float64(size)/1024)) }

// readUnits returns the strongly consistent read units of size bytes: one per started 4 KB,
// at least 1.
func readUnits(size int) float64 { return math.Max(1, math.Ceil(float64(size)/4096)) }

func consistency(consistent *bool) float64 {
	if aws.ToBool(consistent) {
		return 1
	}
	return 0.5
}

// ItemSize returns the size of a DynamoDB item in bytes by the developer guide's rules
// (CapacityUnitCalculations.html): each attribute's UTF-8 name plus its value; a string's
// UTF-8 bytes; a binary's raw bytes; a number 1 byte per two significant digits (leading and
// trailing zeros trimmed, rounded up) plus 1; a Boolean or null 1; a list or map 3 plus 1 per
// element plus the elements (a map's with their names); a set the sum of its elements (the
// guide gives no set overhead). The guide calls the number rule approximate.
func ItemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	n := 0
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		n = len(v.Value)
	case *types.AttributeValueMemberN:
		n = numberSize(v.Value)
	case *types.AttributeValueMemberB:
		n = len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		n = 1
	case *types.AttributeValueMemberSS:
		for _, s := range v.Value {
			n += len(s)
		}
	case *types.AttributeValueMemberNS:
		for _, s := range v.Value {
			n += numberSize(s)
		}
	case *types.AttributeValueMemberBS:
		for _, b := range v.Value {
			n += len(b)
		}
	case *types.AttributeValueMemberL:
		n = 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
	case *types.AttributeValueMemberM:
		n = 3 + ItemSize(v.Value) + len(v.Value)
	}
	return n
}

// numberSize returns the size of a number value: (significant digits + 1) / 2 + 1.
func numberSize(s string) int {
	s = strings.TrimLeft(s, "+-")
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s = s[:i]
	}
	digits := strings.Trim(strings.Replace(s, ".", "", 1), "0")
	return (len(digits)+1)/2 + 1
}
