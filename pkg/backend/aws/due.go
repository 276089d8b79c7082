package aws

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hookflow/hookflow/pkg/backend"
)

// ListDue returns the IDs of runs whose DueAt is not after q.DueBefore, and of runs with an
// inbox item whose CreatedAt is not after q.InboxBefore, stuck runs excepted, ordered by the
// earliest such time (in whole milliseconds), then by ID. Each run appears once; at most
// q.Limit are returned (q.Limit <= 0 means all: every page of the index is read).
//
// It queries the DueShards partitions of the sparse index IndexDue in parallel, reading each
// up to the later cut-off until it has q.Limit runs that are not stuck. A stuck run's record
// is not in the index, but its inbox items are: runs found through an inbox item are looked up
// (one BatchGetItem per page and 100 runs) and skipped when stuck, so that stuck runs never
// take the places of due ones. Index reads are eventually consistent on DynamoDB: a run due a
// moment ago may be missing and a run just cleared may still appear, which the sweeper that
// calls ListDue tolerates (a missed run is found by the next sweep, an extra one gets a turn
// with nothing to do).
func (b *Backend) ListDue(ctx context.Context, q backend.DueQuery) ([]string, error) {
	if err := b.check(ctx); err != nil {
		return nil, err
	}
	later := q.DueBefore
	if q.InboxBefore.After(later) {
		later = q.InboxBefore
	}
	dueUpper, inboxUpper := dueUpperBound(q.DueBefore), dueUpperBound(q.InboxBefore)
	upper := dueUpperBound(later)
	shards := make([][]dueEntry, DueShards)
	errs := make([]error, DueShards)
	var wg sync.WaitGroup
	for s := range DueShards {
		wg.Go(func() {
			shards[s], errs[s] = b.dueInShard(ctx, DuePrefix+strconv.Itoa(s), upper, q.Limit, func(e dueEntry) bool {
				if e.inbox {
					return e.sk < inboxUpper
				}
				return e.sk < dueUpper
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("aws: list due runs: %w", err)
	}

	// A run's entries all go to one shard, so each run appears in one shard's list, once.
	all := slices.Concat(shards...)
	slices.SortFunc(all, func(x, y dueEntry) int {
		return cmp.Or(cmp.Compare(x.at, y.at), cmp.Compare(x.runID, y.runID))
	})
	if q.Limit > 0 && len(all) > q.Limit {
		all = all[:q.Limit]
	}
	ids := make([]string, len(all))
	for i, e := range all {
		ids[i] = e.runID
	}
	return ids, nil
}

// stuckRuns returns which of the runs are stuck.
func (b *Backend) stuckRuns(ctx context.Context, runIDs []string) (map[string]bool, error) {
	stuck := map[string]bool{}
	keys := make([]item, 0, len(runIDs))
	for _, id := range runIDs {
		keys = append(keys, key(runPK(id), skMeta))
	}
	err := b.batchGet(ctx, keys, func(m item) error {
		if backend.RunStatus(getStr(m, attrStatus)) == backend.StatusStuck {
			stuck[getStr(m, attrRunID)] = true
		}
		return nil
	})
	return stuck, err
}

// dueEntry is a run found in the index with the time (the padded prefix of the index sort
// key) of its earliest entry.
type dueEntry struct {
	at    string
	sk    string // the whole index sort key
	runID string
	inbox bool // the entry is an inbox item, not the run record
}

// dueInShard returns the distinct runs of one index partition with an entry below upper that
// keep accepts, stuck runs excepted, in index order, at most limit of them (limit <= 0: all).
// A run whose first accepted entry is its record is not stuck (a stuck run's record is not in
// the index); one whose first is an inbox item is looked up.
func (b *Backend) dueInShard(ctx context.Context, shard, upper string, limit int, keep func(dueEntry) bool) ([]dueEntry, error) {
	var e expr
	keyCond := e.n(AttrDuePK) + " = " + e.v(str(shard)) + " AND " + e.n(AttrDueSK) + " < " + e.v(str(upper))
	in := &dynamodb.QueryInput{
		TableName:                 &b.opts.Table,
		IndexName:                 aws.String(IndexDue),
		KeyConditionExpression:    &keyCond,
		ExpressionAttributeNames:  e.Names(),
		ExpressionAttributeValues: e.Values(),
		ProjectionExpression:      aws.String(e.projection(AttrPK, AttrSK, AttrDueSK)),
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
		var found []dueEntry
		var viaInbox []string
		for _, m := range page.Items {
			runID, ok := runIDFromPK(getStr(m, AttrPK))
			if !ok || seen[runID] {
				continue
			}
			sk := getStr(m, AttrDueSK)
			e := dueEntry{at: sk[:min(dueDigits, len(sk))], sk: sk, runID: runID, inbox: getStr(m, AttrSK) != skMeta}
			if !keep(e) {
				continue
			}
			seen[runID] = true
			found = append(found, e)
			if e.inbox {
				viaInbox = append(viaInbox, runID)
			}
		}
		stuck, err := b.stuckRuns(ctx, viaInbox)
		if err != nil {
			return nil, err
		}
		for _, e := range found {
			if stuck[e.runID] {
				continue
			}
			out = append(out, e)
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	return out, nil
}
