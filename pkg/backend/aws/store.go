package aws

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hookflow/hookflow/pkg/backend"
)

// checkSeq reports an error matching backend.ErrInvalidCommit unless the events' Seq run on
// from last without gaps.
func checkSeq(events []backend.Event, last int64) error {
	for i, e := range events {
		if want := last + int64(i) + 1; e.Seq != want {
			return fmt.Errorf("event %d has Seq %d, want %d: %w", i, e.Seq, want, backend.ErrInvalidCommit)
		}
	}
	return nil
}

// checkRunID refuses run IDs that cannot be stored.
func checkRunID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("empty run ID: %w", backend.ErrInvalidCommit)
	case len(id) > MaxRunIDLen:
		return fmt.Errorf("run ID of %d bytes, over %d: %w", len(id), MaxRunIDLen, backend.ErrInvalidCommit)
	}
	return nil
}

// CreateRun stores run with Version 1 and LastSeq taken from first, whose Seq must be 1, 2,
// and so on, in one transaction; an empty or over-long run ID, misnumbered events, or more
// first events than one transaction holds (about 99) give an error matching
// backend.ErrInvalidCommit. If the run exists it returns the stored run and an error matching
// backend.ErrRunExists. The run is stored without a lease, whatever run says.
func (b *Backend) CreateRun(ctx context.Context, run backend.Run, first []backend.Event) (backend.Run, error) {
	if err := b.check(ctx); err != nil {
		return backend.Run{}, err
	}
	if err := checkRunID(run.ID); err != nil {
		return backend.Run{}, fmt.Errorf("aws: create run: %w", err)
	}
	if err := checkSeq(first, 0); err != nil {
		return backend.Run{}, fmt.Errorf("aws: create run %q: %w", run.ID, err)
	}
	stored := run
	stored.Version = 1
	stored.LastSeq = int64(len(first))
	stored.LeaseOwner, stored.LeaseUntil = "", time.Time{} // only TakeLease sets the lease

	runItem, err := encodeRun(stored)
	if err == nil {
		err = checkItemSize(runItem, "the run record")
	}
	if err != nil {
		return backend.Run{}, fmt.Errorf("aws: create run %q: %w: %w", run.ID, err, backend.ErrInvalidCommit)
	}
	actions := []types.TransactWriteItem{{Put: b.putNew(runItem)}}
	size := itemSize(runItem)
	for _, e := range first {
		m, err := encodeEvent(run.ID, e)
		if err == nil {
			err = checkItemSize(m, fmt.Sprintf("event Seq %d", e.Seq))
		}
		if err != nil {
			return backend.Run{}, fmt.Errorf("aws: create run %q: %w: %w", run.ID, err, backend.ErrInvalidCommit)
		}
		size += itemSize(m)
		actions = append(actions, types.TransactWriteItem{Put: &types.Put{TableName: &b.opts.Table, Item: m}})
	}
	if len(actions) > maxTxItems || size > maxTxBytes {
		return backend.Run{}, fmt.Errorf("aws: create run %q: %d first events of about %d bytes do not fit in one transaction: %w: %w",
			run.ID, len(first), size, ErrTooLarge, backend.ErrInvalidCommit)
	}

	err = withRetries(ctx, func() error {
		_, err := b.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: actions})
		return err
	})
	if reasons, ok := canceled(err); ok && conditionFailed(reasons, 0) {
		existing, getErr := b.existingRun(ctx, run.ID, reasons[0].Item)
		if getErr != nil {
			return backend.Run{}, fmt.Errorf("aws: create run %q: it exists, and reading it failed: %w", run.ID, getErr)
		}
		return existing, fmt.Errorf("aws: create run %q: %w", run.ID, backend.ErrRunExists)
	}
	if err != nil {
		return backend.Run{}, fmt.Errorf("aws: create run %q: %w", run.ID, err)
	}
	return stored, nil
}

// existingRun decodes the run returned with a failed condition, or reads it when the
// endpoint returned no item.
func (b *Backend) existingRun(ctx context.Context, runID string, old item) (backend.Run, error) {
	if old != nil {
		r, err := decodeRun(old)
		return r.Run, err
	}
	return b.GetRun(ctx, runID)
}

// GetRun returns the run, or an error matching backend.ErrRunNotFound. It reads strongly
// consistently.
func (b *Backend) GetRun(ctx context.Context, runID string) (backend.Run, error) {
	if err := b.check(ctx); err != nil {
		return backend.Run{}, err
	}
	r, err := b.readRun(ctx, runID)
	if err != nil {
		return backend.Run{}, err
	}
	return r.Run, nil
}

// readRun reads the run record (the attributes named in projection, or all), or returns an
// error matching backend.ErrRunNotFound.
func (b *Backend) readRun(ctx context.Context, runID string, projection ...string) (runRecord, error) {
	if runID == "" || len(runID) > MaxRunIDLen {
		return runRecord{}, fmt.Errorf("aws: run %q: %w", runID, backend.ErrRunNotFound)
	}
	in := &dynamodb.GetItemInput{
		TableName:      &b.opts.Table,
		Key:            key(runPK(runID), skMeta),
		ConsistentRead: aws.Bool(true),
	}
	if len(projection) > 0 {
		var e expr
		in.ProjectionExpression = aws.String(e.projection(projection...))
		in.ExpressionAttributeNames = e.Names()
	}
	out, err := b.db.GetItem(ctx, in)
	if err != nil {
		return runRecord{}, fmt.Errorf("aws: get run %q: %w", runID, err)
	}
	if out.Item == nil {
		return runRecord{}, fmt.Errorf("aws: run %q: %w", runID, backend.ErrRunNotFound)
	}
	return decodeRun(out.Item)
}

// ListEvents returns the run's events with Seq > afterSeq in Seq order, or an error matching
// backend.ErrRunNotFound. It reads the run's LastSeq first and returns only events up to it:
// a large commit writes events before the transaction that makes them part of the history
// (see commit.go), and those stay invisible until then.
func (b *Backend) ListEvents(ctx context.Context, runID string, afterSeq int64) ([]backend.Event, error) {
	if err := b.check(ctx); err != nil {
		return nil, err
	}
	r, err := b.readRun(ctx, runID, attrRunID, attrLastSeq)
	if err != nil {
		return nil, err
	}
	afterSeq = max(afterSeq, 0)
	if afterSeq >= r.LastSeq {
		return []backend.Event{}, nil
	}
	var e expr
	keyCond := fmt.Sprintf("%s = %s AND %s BETWEEN %s AND %s", e.n(AttrPK), e.v(str(runPK(runID))),
		e.n(AttrSK), e.v(str(eventSK(afterSeq+1))), e.v(str(eventSK(r.LastSeq))))
	events := make([]backend.Event, 0, r.LastSeq-afterSeq)
	err = b.queryAll(ctx, &dynamodb.QueryInput{
		TableName:                 &b.opts.Table,
		KeyConditionExpression:    &keyCond,
		ExpressionAttributeNames:  e.Names(),
		ExpressionAttributeValues: e.Values(),
		ConsistentRead:            aws.Bool(true),
	}, func(m item) error {
		e, err := decodeEvent(m)
		events = append(events, e)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("aws: list events of run %q: %w", runID, err)
	}
	return events, nil
}

// queryAll runs a query page by page (DynamoDB returns at most 1 MB a page) and hands every
// item to fn.
func (b *Backend) queryAll(ctx context.Context, in *dynamodb.QueryInput, fn func(item) error) error {
	p := dynamodb.NewQueryPaginator(b.db, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, m := range out.Items {
			if err := fn(m); err != nil {
				return err
			}
		}
	}
	return nil
}

// GetToken returns the live token record, or an error matching backend.ErrTokenNotFound.
func (b *Backend) GetToken(ctx context.Context, token string) (backend.Token, error) {
	if err := b.check(ctx); err != nil {
		return backend.Token{}, err
	}
	if token == "" {
		return backend.Token{}, fmt.Errorf("aws: token %q: %w", token, backend.ErrTokenNotFound)
	}
	out, err := b.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &b.opts.Table,
		Key:            key(tokenPK(token), skMeta),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return backend.Token{}, fmt.Errorf("aws: get token %q: %w", token, err)
	}
	if out.Item == nil {
		return backend.Token{}, fmt.Errorf("aws: token %q: %w", token, backend.ErrTokenNotFound)
	}
	return decodeToken(out.Item)
}

// ListTokens returns the live tokens of runID, sorted by CreatedAt then Token: it reads the
// run's token set and then the token records, strongly consistently. With an empty runID it
// lists the tokens of all runs with a consistent Scan of the whole table, which costs in
// proportion to the table: it is meant for the CLI, not for a request path.
func (b *Backend) ListTokens(ctx context.Context, runID string) ([]backend.Token, error) {
	if err := b.check(ctx); err != nil {
		return nil, err
	}
	var (
		tokens []backend.Token
		err    error
	)
	if runID == "" {
		tokens, err = b.scanTokens(ctx)
	} else {
		tokens, err = b.runTokens(ctx, runID)
	}
	if err != nil {
		return nil, fmt.Errorf("aws: list tokens: %w", err)
	}
	slices.SortFunc(tokens, func(x, y backend.Token) int {
		if c := x.CreatedAt.Compare(y.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(x.Token, y.Token)
	})
	return tokens, nil
}

// runTokens reads the token records named by the run's token set.
func (b *Backend) runTokens(ctx context.Context, runID string) ([]backend.Token, error) {
	tokens := []backend.Token{}
	r, err := b.readRun(ctx, runID, attrRunID, attrTokens)
	if err != nil {
		if isNotFound(err) {
			return tokens, nil
		}
		return nil, err
	}
	keys := make([]item, len(r.tokens))
	for i, t := range r.tokens {
		keys[i] = key(tokenPK(t), skMeta)
	}
	err = b.batchGet(ctx, keys, func(m item) error {
		t, err := decodeToken(m)
		if err == nil && t.RunID == runID {
			tokens = append(tokens, t)
		}
		return err
	})
	return tokens, err
}

func (b *Backend) scanTokens(ctx context.Context) ([]backend.Token, error) {
	var e expr
	filter := e.n(attrRecord) + " = " + e.v(str(recToken))
	tokens := []backend.Token{}
	p := dynamodb.NewScanPaginator(b.db, &dynamodb.ScanInput{
		TableName:                 &b.opts.Table,
		FilterExpression:          &filter,
		ExpressionAttributeNames:  e.Names(),
		ExpressionAttributeValues: e.Values(),
		ConsistentRead:            aws.Bool(true),
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range out.Items {
			t, err := decodeToken(m)
			if err != nil {
				return nil, err
			}
			tokens = append(tokens, t)
		}
	}
	return tokens, nil
}

// batchGet reads items by key, strongly consistently, 100 keys a request, retrying the keys
// DynamoDB leaves unprocessed; fn gets the items that exist, in no particular order.
func (b *Backend) batchGet(ctx context.Context, keys []item, fn func(item) error) error {
	for chunk := range slices.Chunk(keys, 100) {
		pending := chunk
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt > 0 {
				if err := sleep(ctx, backoff(attempt)); err != nil {
					return err
				}
			}
			out, err := b.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
				RequestItems: map[string]types.KeysAndAttributes{
					b.opts.Table: {Keys: pending, ConsistentRead: aws.Bool(true)},
				},
			})
			if err != nil {
				return err
			}
			for _, m := range out.Responses[b.opts.Table] {
				if err := fn(m); err != nil {
					return err
				}
			}
			pending = out.UnprocessedKeys[b.opts.Table].Keys
		}
	}
	return nil
}

// GetResponse returns the response stored for a delivery, or an error matching
// backend.ErrResponseNotFound. ExpiresAt is not enforced (DynamoDB's TTL deletes expired
// records within a few days).
func (b *Backend) GetResponse(ctx context.Context, deliveryID string) (backend.Response, error) {
	if err := b.check(ctx); err != nil {
		return backend.Response{}, err
	}
	m, err := b.getMeta(ctx, deliveryID, respPK)
	if err != nil {
		return backend.Response{}, fmt.Errorf("aws: get response %q: %w", deliveryID, err)
	}
	if m == nil {
		return backend.Response{}, fmt.Errorf("aws: response %q: %w", deliveryID, backend.ErrResponseNotFound)
	}
	return decodeResponse(m)
}

// GetIdempotency returns the record stored under key, or an error matching
// backend.ErrIdempotencyNotFound. ExpiresAt is not enforced.
func (b *Backend) GetIdempotency(ctx context.Context, key string) (backend.Idempotency, error) {
	if err := b.check(ctx); err != nil {
		return backend.Idempotency{}, err
	}
	m, err := b.getMeta(ctx, key, idemPK)
	if err != nil {
		return backend.Idempotency{}, fmt.Errorf("aws: get idempotency record %q: %w", key, err)
	}
	if m == nil {
		return backend.Idempotency{}, fmt.Errorf("aws: idempotency key %q: %w", key, backend.ErrIdempotencyNotFound)
	}
	return decodeIdem(m)
}

// getMeta reads the META item of the partition pkOf(id), strongly consistently; nil when it
// does not exist or id is empty.
func (b *Backend) getMeta(ctx context.Context, id string, pkOf func(string) string) (item, error) {
	if id == "" {
		return nil, nil
	}
	out, err := b.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &b.opts.Table,
		Key:            key(pkOf(id), skMeta),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	return out.Item, nil
}

// backoff is the wait before retry attempt n (from 1) of unprocessed batch items.
func backoff(n int) time.Duration {
	return min(time.Duration(10<<min(n, 6))*time.Millisecond, time.Second)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// notExists is the condition that no item has the key of the item written.
const notExists = "attribute_not_exists(#pk)"

// putNew returns a put of m on the condition that no item has its key; on failure the
// cancellation reason carries the existing item.
func (b *Backend) putNew(m item) *types.Put {
	return &types.Put{
		TableName:                           &b.opts.Table,
		Item:                                m,
		ConditionExpression:                 aws.String(notExists),
		ExpressionAttributeNames:            map[string]string{"#pk": AttrPK},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
}
