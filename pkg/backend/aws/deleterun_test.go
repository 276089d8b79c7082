package aws_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
)

// appendEvents commits n more events of about size bytes each to the run, 50 a commit.
func appendEvents(t *testing.T, b backend.Backend, runID string, n, size int) {
	t.Helper()
	for n > 0 {
		k := min(n, 50)
		c := next(t, b, runID)
		c.Status = backend.StatusRunning
		c.Events = events(getRun(t, b, runID).LastSeq+1, k, "step", size)
		require.NoError(t, b.Commit(t.Context(), c))
		n -= k
	}
}

// endRun commits the run's end with status, due at dueAt (when retention deletes it).
func endRun(t *testing.T, b backend.Backend, runID string, status backend.RunStatus, dueAt time.Time) {
	t.Helper()
	c := next(t, b, runID)
	c.Status, c.DueAt, c.Output = status, dueAt, json.RawMessage(`{"ok":true}`)
	require.NoError(t, b.Commit(t.Context(), c))
}

// rawPartition returns every item stored under the run's partition key, the run record
// included, read strongly consistently.
func (bd *bundle) rawPartition(t *testing.T, runID string) []map[string]types.AttributeValue {
	t.Helper()
	p := dynamodb.NewQueryPaginator(bd.db, &dynamodb.QueryInput{
		TableName:                 &bd.table,
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": awsbackend.AttrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "RUN#" + runID}},
		ConsistentRead:            aws.Bool(true),
	})
	var items []map[string]types.AttributeValue
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		require.NoError(t, err)
		items = append(items, page.Items...)
	}
	return items
}

// listed reports whether ListDue and ListRuns list the run.
func listed(t *testing.T, b backend.Backend, runID string) (due, runs bool) {
	t.Helper()
	ctx := t.Context()
	ids, err := b.ListDue(ctx, backend.DueQuery{DueBefore: now(), InboxBefore: now()})
	require.NoError(t, err)
	page, err := b.ListRuns(ctx, backend.RunQuery{Limit: backend.MaxRunPage})
	require.NoError(t, err)
	return slices.Contains(ids, runID), slices.ContainsFunc(page.Runs, func(r backend.Run) bool { return r.ID == runID })
}

// requireGone checks that nothing of the run is left: not the record, its history, its
// inbox, the tokens, any item under its partition key, its index entries.
func (bd *bundle) requireGone(t *testing.T, runID string, tokens ...string) {
	t.Helper()
	ctx := t.Context()
	_, err := bd.b.GetRun(ctx, runID)
	require.ErrorIs(t, err, backend.ErrRunNotFound)
	_, err = bd.b.ListEvents(ctx, runID, 0)
	require.ErrorIs(t, err, backend.ErrRunNotFound)
	inbox, err := bd.b.ListInbox(ctx, runID, 0)
	require.NoError(t, err)
	require.Empty(t, inbox)
	for _, tok := range tokens {
		_, err := bd.b.GetToken(ctx, tok)
		require.ErrorIs(t, err, backend.ErrTokenNotFound)
	}
	require.Empty(t, bd.rawPartition(t, runID))
	due, runs := listed(t, bd.b, runID)
	require.False(t, due, "ListDue lists the deleted run")
	require.False(t, runs, "ListRuns lists the deleted run")
}

// An ended run goes with everything under it: 260 events (several batches and commits),
// inbox items left over, a token it still holds, an event a failed large commit pre-wrote;
// its entries in both indexes go with their items. The calls: a read of the record, a delete
// of the token, a query of each side of the record, a batch per 25 items (the last one after
// both queries), the record last.
func TestDeleteRunDeletesEverything(t *testing.T) {
	t.Parallel()
	bd := newBundle(t)
	ctx := t.Context()
	run := createRun(t, bd.b, 10)
	appendEvents(t, bd.b, run.ID, 250, 200)
	tok := token(t, run.ID, "h")
	claim(t, bd.b, run.ID, tok)
	for i := range 3 {
		putInbox(t, bd.b, hookItem(tok, fmt.Sprintf(`{"n":%d}`, i)))
	}
	endRun(t, bd.b, run.ID, backend.StatusCompleted, now().Add(-time.Minute))
	leftover := events(getRun(t, bd.b, run.ID).LastSeq+1, 1, "pre-written", 50)[0]
	_, err := bd.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &bd.table, Item: map[string]types.AttributeValue{
		awsbackend.AttrPK: &types.AttributeValueMemberS{Value: "RUN#" + run.ID},
		awsbackend.AttrSK: &types.AttributeValueMemberS{Value: fmt.Sprintf("EVT#%020d", leftover.Seq)},
		"record":          &types.AttributeValueMemberS{Value: "event"},
	}})
	require.NoError(t, err)

	require.Len(t, listEvents(t, bd.b, run.ID, 0), 260)
	require.Len(t, bd.rawPartition(t, run.ID), 1+260+3+1)
	due, runs := listed(t, bd.b, run.ID)
	require.True(t, due)
	require.True(t, runs)

	b, ops := bd.operations(t)
	require.NoError(t, b.DeleteRun(ctx, run.ID))
	want := []string{"GetItem", "DeleteItem", "Query"}
	for range (260 + 3 + 1) / 25 {
		want = append(want, "BatchWriteItem")
	}
	want = append(want, "Query", "BatchWriteItem", "DeleteItem") // the last 14 items wait for the second query
	require.Equal(t, want, ops())
	bd.requireGone(t, run.ID, tok.Token)

	err = b.DeleteRun(ctx, run.ID)
	require.ErrorIs(t, err, backend.ErrRunNotFound)
	require.Equal(t, []string{"GetItem"}, ops())
}

// A run that has not ended is left alone, whatever its status, and the refusal costs one
// read.
func TestDeleteRunNotEnded(t *testing.T) {
	t.Parallel()
	for _, status := range []backend.RunStatus{backend.StatusPending, backend.StatusRunning, backend.StatusWaiting, backend.StatusStuck} {
		t.Run(string(status), func(t *testing.T) {
			t.Parallel()
			bd := newBundle(t)
			run := createRun(t, bd.b, 3)
			appendEvents(t, bd.b, run.ID, 30, 100)
			tok := token(t, run.ID, "h")
			claim(t, bd.b, run.ID, tok)
			putInbox(t, bd.b, hookItem(tok, `{"n":1}`))
			if status != backend.StatusRunning {
				c := next(t, bd.b, run.ID)
				c.Status = status
				require.NoError(t, bd.b.Commit(t.Context(), c))
			}
			require.Equal(t, status, getRun(t, bd.b, run.ID).Status)
			before := snapshot(t, bd.b, run.ID)
			raw := bd.rawPartition(t, run.ID)

			b, ops := bd.operations(t)
			err := b.DeleteRun(t.Context(), run.ID)
			require.ErrorIs(t, err, backend.ErrRunNotEnded)
			require.ErrorContains(t, err, string(status))
			require.Equal(t, []string{"GetItem"}, ops())
			requireUnchanged(t, bd.b, before)
			require.ElementsMatch(t, raw, bd.rawPartition(t, run.ID))
			require.Len(t, before.tokens, 1)
			require.Len(t, before.inbox, 1)
		})
	}
}

// Unknown runs, and IDs no run can have, fail with ErrRunNotFound without a write.
func TestDeleteRunUnknown(t *testing.T) {
	t.Parallel()
	bd := newBundle(t)
	b, ops := bd.operations(t)
	for _, runID := range []string{"", "no-such-run", string(make([]byte, awsbackend.MaxRunIDLen+1))} {
		require.ErrorIs(t, b.DeleteRun(t.Context(), runID), backend.ErrRunNotFound)
	}
	require.Equal(t, []string{"GetItem"}, ops(), "only the plausible ID is looked up")
}

// A token that the ended run's set still names but that another run holds now (its record
// was deleted behind the driver's back, then claimed again) is not the ended run's to delete.
func TestDeleteRunLeavesTokenOfAnotherRun(t *testing.T) {
	t.Parallel()
	bd := newBundle(t)
	ctx := t.Context()
	ended, other := createRun(t, bd.b, 1), createRun(t, bd.b, 1)
	moved, own := token(t, ended.ID, "moved"), token(t, ended.ID, "own")
	claim(t, bd.b, ended.ID, moved, own)
	_, err := bd.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &bd.table, Key: rawKey("TOKEN#"+moved.Token, "META")})
	require.NoError(t, err)
	taken := moved
	taken.RunID = other.ID
	claim(t, bd.b, other.ID, taken)
	endRun(t, bd.b, ended.ID, backend.StatusFailed, time.Time{})
	require.Len(t, bd.rawRun(t, ended.ID)["tokens"].(*types.AttributeValueMemberSS).Value, 2)

	require.NoError(t, bd.b.DeleteRun(ctx, ended.ID))
	bd.requireGone(t, ended.ID, own.Token)
	got, err := bd.b.GetToken(ctx, moved.Token)
	require.NoError(t, err)
	require.Equal(t, other.ID, got.RunID)
	tokens, err := bd.b.ListTokens(ctx, other.ID)
	require.NoError(t, err)
	require.Len(t, tokens, 1)
	require.Equal(t, moved.Token, tokens[0].Token)
}

// A DeleteRun whose context ends after its first batch stops there and leaves the run record,
// so the run is still listed and due; another DeleteRun finishes the job.
func TestDeleteRunCutShort(t *testing.T) {
	t.Parallel()
	bd := newBundle(t)
	run := createRun(t, bd.b, 1)
	appendEvents(t, bd.b, run.ID, 99, 100)
	endRun(t, bd.b, run.ID, backend.StatusCancelled, now().Add(-time.Second))

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var batches atomic.Int32
	b := bd.backend(t, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("hookflowTestCancelAfterBatch",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if _, ok := in.Parameters.(*dynamodb.BatchWriteItemInput); ok {
					batches.Add(1)
					cancel()
				}
				return out, md, err
			}), middleware.After)
	})
	err := b.DeleteRun(ctx, run.ID)
	require.ErrorIs(t, err, context.Canceled)
	require.EqualValues(t, 1, batches.Load())
	require.Equal(t, backend.StatusCancelled, getRun(t, bd.b, run.ID).Status)
	require.Len(t, bd.rawPartition(t, run.ID), 1+100-25)
	due, runs := listed(t, bd.b, run.ID)
	require.True(t, due)
	require.True(t, runs)

	require.NoError(t, bd.b.DeleteRun(t.Context(), run.ID))
	bd.requireGone(t, run.ID)
}

// beforeRecordDelete returns a backend on the bundle's table that calls hook before its first
// DeleteItem of a run record, before the call takes its turn on moto.
func (bd *bundle) beforeRecordDelete(t *testing.T, hook func()) *awsbackend.Backend {
	t.Helper()
	var once sync.Once
	return bd.backend(t, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("hookflowTestBeforeRecordDelete",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if d, ok := in.Parameters.(*dynamodb.DeleteItemInput); ok {
					if sk, _ := d.Key[awsbackend.AttrSK].(*types.AttributeValueMemberS); sk != nil && sk.Value == "META" {
						once.Do(hook)
					}
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
}

// The run record goes last, on the condition that the run is still ended: a run that a write
// revived between the first read and the last delete keeps its record (and fails the call with
// ErrRunNotEnded), and a DeleteRun that another one beat to the record fails with
// ErrRunNotFound.
func TestDeleteRunRecordRaces(t *testing.T) {
	t.Parallel()
	t.Run("revived", func(t *testing.T) {
		t.Parallel()
		bd := newBundle(t)
		run := createRun(t, bd.b, 30)
		endRun(t, bd.b, run.ID, backend.StatusFailed, time.Time{})
		racer := bd.beforeRecordDelete(t, func() {
			c := next(t, bd.b, run.ID)
			c.Status = backend.StatusRunning
			require.NoError(t, bd.b.Commit(t.Context(), c))
		})
		err := racer.DeleteRun(t.Context(), run.ID)
		require.ErrorIs(t, err, backend.ErrRunNotEnded)
		require.ErrorContains(t, err, string(backend.StatusRunning))
		require.Equal(t, backend.StatusRunning, getRun(t, bd.b, run.ID).Status)
	})
	t.Run("deleted meanwhile", func(t *testing.T) {
		t.Parallel()
		bd := newBundle(t)
		run := createRun(t, bd.b, 30)
		endRun(t, bd.b, run.ID, backend.StatusCompleted, time.Time{})
		racer := bd.beforeRecordDelete(t, func() { require.NoError(t, bd.b.DeleteRun(t.Context(), run.ID)) })
		require.ErrorIs(t, racer.DeleteRun(t.Context(), run.ID), backend.ErrRunNotFound)
		bd.requireGone(t, run.ID)
	})
}

// The write units of a DeleteRun are DynamoDB's ordinary ones, since nothing is a transaction:
// each deleted item ceil(size/1 KB), and one index unit per index entry that goes with it (the
// run record's two: IndexRuns, and IndexDue while DueAt is set). The figures are logged.
func TestDeleteRunCost(t *testing.T) {
	t.Parallel()
	const n = 50
	for _, c := range []struct {
		name     string
		size     int     // about this many bytes of data per event
		perEvent float64 // write units
	}{
		{"small events", 50, 1},
		{"1.5 KB events", 1500, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			bd := newBundle(t)
			ctx := t.Context()
			run := createRun(t, bd.b, 0)
			appendEvents(t, bd.b, run.ID, n, c.size)
			endRun(t, bd.b, run.ID, backend.StatusCompleted, now().Add(-time.Minute))

			// What DynamoDB's rules give, from the items as stored.
			var wantWRU, recordWRU float64
			var partitionBytes int
			for _, it := range bd.rawPartition(t, run.ID) {
				units := math.Max(1, math.Ceil(float64(awstest.ItemSize(it))/1024))
				wantWRU += units
				if it[awsbackend.AttrSK].(*types.AttributeValueMemberS).Value == "META" {
					recordWRU = units
				} else {
					require.Equal(t, c.perEvent, units, "an event of %d bytes", awstest.ItemSize(it))
					partitionBytes += awstest.ItemSize(it)
				}
			}
			require.Equal(t, n*c.perEvent+recordWRU, wantWRU)

			meter, err := awstest.NewMeter(ctx, bd.db, bd.table)
			require.NoError(t, err)
			cfg := bd.cfg.Copy()
			if bd.moto {
				cfg.APIOptions = append(cfg.APIOptions, awstest.SerializeDynamoDB(bd.mu))
			}
			cfg.APIOptions = append(cfg.APIOptions, meter.APIOption())
			b, err := awsbackend.New(cfg, bd.opts)
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, b.Close()) })

			require.NoError(t, b.DeleteRun(ctx, run.ID))
			require.NoError(t, meter.Err())
			u := meter.Usage()
			require.Equal(t, map[string]int{
				"DynamoDB.GetItem":        1,
				"DynamoDB.Query":          2,
				"DynamoDB.BatchWriteItem": (n + 24) / 25,
				"DynamoDB.DeleteItem":     1,
			}, u.Calls, u.String())
			require.Equal(t, wantWRU, u.WriteUnits, u.String())
			require.Equal(t, 2.0, u.IndexWriteUnits, "the run record's entries in IndexRuns and IndexDue: %s", u)
			bd.requireGone(t, run.ID)

			// The Meter charges a Query for the projected keys it returns; DynamoDB charges the
			// items read: one unit per started 4 KB of the page, at least one per query.
			reads := 1 + math.Ceil(float64(partitionBytes)/4096) + 1
			t.Logf("DeleteRun of a run with %d events of %d bytes and a run record of %g WRU: %s", n,
				partitionBytes/n, recordWRU, u)
			t.Logf("write units: %g per event, %g for the run record (+%g index), %g in all; about %g read units (GetItem 1, Query %g + 1)",
				(u.WriteUnits-recordWRU)/n, recordWRU, u.IndexWriteUnits, u.WriteUnits+u.IndexWriteUnits,
				reads, reads-2)
		})
	}
}
