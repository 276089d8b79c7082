package aws

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// ListDue returns the IDs of runs whose DueAt is not after before, and of runs with an inbox
// item whose CreatedAt is not after before, ordered by the earliest such time (in whole
// milliseconds), then by ID. Each run appears once; at most limit are returned (limit <= 0
// means no limit).
//
// It queries the DueShards partitions of the sparse index IndexDue in parallel, reading each
// up to before and at most limit runs deep. Index reads are eventually consistent on
// DynamoDB: a run due a moment ago may be missing and a run just cleared may still appear,
// which the sweeper that calls ListDue tolerates (a missed run is found by the next sweep,
// an extra one gets a turn with nothing to do).
func (b *Backend) ListDue(ctx context.Context, before time.Time, limit int) ([]string, error) {
	if err := b.check(ctx); err != nil {
		return nil, err
	}
	upper := dueUpperBound(before)
	shards := make([][]dueEntry, DueShards)
	errs := make([]error, DueShards)
	var wg sync.WaitGroup
	for s := range DueShards {
		wg.Go(func() { shards[s], errs[s] = b.dueInShard(ctx, DuePrefix+strconv.Itoa(s), upper, limit) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("aws: list due runs: %w", err)
	}

	all := slices.Concat(shards...)
	slices.SortFunc(all, func(x, y dueEntry) int {
		return cmp.Or(cmp.Compare(x.at, y.at), cmp.Compare(x.runID, y.runID))
	})
	ids := make([]string, 0, len(all))
	seen := make(map[string]bool, len(all))
	for _, e := range all {
		if seen[e.runID] {
			continue
		}
		if limit > 0 && len(ids) == limit {
			break
		}
		seen[e.runID] = true
		ids = append(ids, e.runID)
	}
	return ids, nil
}

// dueEntry is a run found in the index with the time (the padded prefix of the index sort
// key) of its earliest entry.
type dueEntry struct {
	at    string
	runID string
}

// dueInShard returns the distinct runs of one index partition with an entry below upper, in
// index order, at most limit of them (limit <= 0: all).
func (b *Backend) dueInShard(ctx context.Context, shard, upper string, limit int) ([]dueEntry, error) {
	var e expr
	keyCond := e.n(AttrDuePK) + " = " + e.v(str(shard)) + " AND " + e.n(AttrDueSK) + " < " + e.v(str(upper))
	in := &dynamodb.QueryInput{
		TableName:                 &b.opts.Table,
		IndexName:                 aws.String(IndexDue),
		KeyConditionExpression:    &keyCond,
		ExpressionAttributeNames:  e.Names(),
		ExpressionAttributeValues: e.Values(),
	}
	if limit > 0 {
		// A run may have several entries (its record and its inbox items): read pages of a
		// few times the limit, and more of them if needed.
		in.Limit = aws.Int32(int32(min(4*limit, 1000)))
	}
	var out []dueEntry
	seen := map[string]bool{}
	p := dynamodb.NewQueryPaginator(b.db, in)
	for p.HasMorePages() && (limit <= 0 || len(out) < limit) {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range page.Items {
			runID, ok := runIDFromPK(getStr(m, AttrPK))
			if !ok || seen[runID] {
				continue
			}
			seen[runID] = true
			sk := getStr(m, AttrDueSK)
			out = append(out, dueEntry{at: sk[:min(dueDigits, len(sk))], runID: runID})
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	return out, nil
}
