package aws

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hookflow/hookflow/pkg/backend"
)

// ListRuns returns one page of the runs q selects, as the contract of backend.Store.ListRuns
// says. It queries the RunShards partitions of IndexRuns in parallel, newest first, each
// between the cursor (or CreatedBefore) and CreatedAfter, with the status and workflow filters
// applied to the projected attributes; takes the newest page of the merged entries; and reads
// their run records (BatchGetItem, strongly consistent). A page costs RunShards queries that
// read up to Limit+1 matching index entries each (more when a filter skips entries), and one
// BatchGetItem per 100 runs.
//
// The index is eventually consistent: a run created a moment ago may be missing from the
// first page, and a run whose status just changed may be listed under its old one; its record
// is read afterwards and checked against the filters again, so a page never holds a run that
// does not match (it may then hold fewer than Limit runs while Next is set). Runs created by a
// driver version from before the index have no entry and are not listed.
func (b *Backend) ListRuns(ctx context.Context, q backend.RunQuery) (backend.RunPage, error) {
	if err := b.check(ctx); err != nil {
		return backend.RunPage{}, err
	}
	upper := "" // index sort keys below this; "": no bound
	if !q.CreatedBefore.IsZero() {
		upper = padMillis(dueMillis(q.CreatedBefore))
	}
	if q.Cursor != "" {
		c, err := backend.DecodeRunCursor(q.Cursor)
		if err != nil {
			return backend.RunPage{}, fmt.Errorf("aws: list runs: %w", err)
		}
		if sk := padMillis(max(c.CreatedMs, 0)) + "#" + c.RunID; upper == "" || sk < upper {
			upper = sk
		}
	}
	lower := "" // index sort keys at or above this; "": no bound
	if !q.CreatedAfter.IsZero() {
		lower = padMillis(dueMillis(q.CreatedAfter) + 1)
	}
	n := q.PageSize()

	shards := make([][]runEntry, RunShards)
	errs := make([]error, RunShards)
	var wg sync.WaitGroup
	for s := range RunShards {
		wg.Go(func() {
			shards[s], errs[s] = b.runsInShard(ctx, RunsPrefix+strconv.Itoa(s), lower, upper, q, n+1)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return backend.RunPage{}, fmt.Errorf("aws: list runs: %w", err)
	}
	all := slices.Concat(shards...)
	slices.SortFunc(all, func(x, y runEntry) int { return strings.Compare(y.sk, x.sk) })
	var page backend.RunPage
	if len(all) > n {
		all = all[:n]
		last := all[n-1]
		page.Next = backend.RunCursor{CreatedMs: last.ms, RunID: last.runID}.Encode()
	}

	keys := make([]item, len(all))
	for i, e := range all {
		keys[i] = key(runPK(e.runID), skMeta)
	}
	byID := make(map[string]backend.Run, len(all))
	err := b.batchGet(ctx, keys, func(m item) error {
		r, err := decodeRun(m)
		if err != nil {
			return err
		}
		byID[r.ID] = r.Run
		return nil
	})
	if err != nil {
		return backend.RunPage{}, fmt.Errorf("aws: list runs: %w", err)
	}
	for _, e := range all {
		if r, ok := byID[e.runID]; ok && q.Matches(r) {
			page.Runs = append(page.Runs, r)
		}
	}
	return page, nil
}

// runEntry is a run found in IndexRuns.
type runEntry struct {
	sk    string
	ms    int64
	runID string
}

// runsInShard returns up to limit entries of one IndexRuns partition with a sort key in
// [lower, upper) that pass q's status and workflow filters, newest first.
func (b *Backend) runsInShard(ctx context.Context, shard, lower, upper string, q backend.RunQuery, limit int) ([]runEntry, error) {
	var e expr
	keyCond := e.n(AttrRunsPK) + " = " + e.v(str(shard))
	switch {
	case lower != "" && upper != "":
		if lower >= upper {
			return nil, nil
		}
		keyCond += " AND " + e.n(AttrRunsSK) + " BETWEEN " + e.v(str(lower)) + " AND " + e.v(str(upper))
	case lower != "":
		keyCond += " AND " + e.n(AttrRunsSK) + " >= " + e.v(str(lower))
	case upper != "":
		keyCond += " AND " + e.n(AttrRunsSK) + " < " + e.v(str(upper))
	}
	var filters []string
	if q.Status != "" {
		filters = append(filters, e.n(attrStatus)+" = "+e.v(str(string(q.Status))))
	}
	if q.Workflow != "" {
		filters = append(filters, e.n(attrWorkflow)+" = "+e.v(str(q.Workflow)))
	}
	in := &dynamodb.QueryInput{
		TableName:              &b.opts.Table,
		IndexName:              aws.String(IndexRuns),
		KeyConditionExpression: &keyCond,
		ScanIndexForward:       aws.Bool(false),
		Limit:                  aws.Int32(int32(min(limit, 1000))),
	}
	if len(filters) > 0 {
		in.FilterExpression = aws.String(strings.Join(filters, " AND "))
	}
	in.ProjectionExpression = aws.String(e.projection(AttrPK, AttrRunsSK))
	in.ExpressionAttributeNames, in.ExpressionAttributeValues = e.Names(), e.Values()

	var out []runEntry
	p := dynamodb.NewQueryPaginator(b.db, in)
	for p.HasMorePages() && len(out) < limit {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range page.Items {
			sk := getStr(m, AttrRunsSK)
			// BETWEEN includes upper: the bound itself is the cursor's run, or a CreatedBefore
			// millisecond with nothing after it in the key; either way it is excluded.
			if upper != "" && sk >= upper {
				continue
			}
			runID, ok := runIDFromPK(getStr(m, AttrPK))
			ms, err := strconv.ParseInt(sk[:min(dueDigits, len(sk))], 10, 64)
			if !ok || err != nil {
				continue
			}
			out = append(out, runEntry{sk: sk, ms: ms, runID: runID})
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}
