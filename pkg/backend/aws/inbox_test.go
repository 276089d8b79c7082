package aws_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// Inbox items listed in the run's inboxDone set (a commit died before deleting them) are
// hidden by ListInbox, which deletes them and clears the set.
func TestListInboxFinishesDeferredDeletes(t *testing.T) {
	t.Parallel()
	bd := newBundle(t)
	ctx := t.Context()
	run := createRun(t, bd.b, 0)
	tok := token(t, run.ID, "h")
	claim(t, bd.b, run.ID, tok)
	consumed := putInbox(t, bd.b, hookItem(tok, `1`))
	waiting := putInbox(t, bd.b, hookItem(tok, `2`))
	_, err := bd.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &bd.table,
		Key:                       rawKey("RUN#"+run.ID, "META"),
		UpdateExpression:          strPtr("ADD inboxDone :ids"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":ids": &types.AttributeValueMemberSS{Value: []string{consumed.ID}}},
	})
	require.NoError(t, err)

	items, err := bd.b.ListInbox(ctx, run.ID, 0)
	require.NoError(t, err)
	require.Len(t, items, 1)
	require.Equal(t, waiting.ID, items[0].ID)
	require.Equal(t, 1, bd.rawCount(t, run.ID, "INB#"), "the consumed item is deleted")
	require.NotContains(t, bd.rawRun(t, run.ID), "inboxDone")
}

func strPtr(s string) *string { return &s }

// Tokens, idempotency keys and delivery IDs longer than a plain key allows are stored under
// their hash and work as any other.
func TestLongKeys(t *testing.T) {
	t.Parallel()
	b := newBundle(t).b
	ctx := t.Context()
	run := createRun(t, b, 0)
	tok := token(t, run.ID, "h")
	tok.Token = strings.Repeat("t:#", 1500)
	claim(t, b, run.ID, tok)
	got, err := b.GetToken(ctx, tok.Token)
	require.NoError(t, err)
	require.Equal(t, tok.Token, got.Token)

	idem := &backend.Idempotency{Key: strings.Repeat("k", 3000), CreatedAt: now()}
	_, _, err = b.PutInbox(ctx, hookItem(tok, `{}`), idem)
	require.NoError(t, err)
	_, _, err = b.PutInbox(ctx, hookItem(tok, `{}`), idem)
	require.ErrorIs(t, err, backend.ErrDuplicate)
	rec, err := b.GetIdempotency(ctx, idem.Key)
	require.NoError(t, err)
	require.Equal(t, idem.Key, rec.Key)

	tokens, err := b.ListTokens(ctx, run.ID)
	require.NoError(t, err)
	require.Len(t, tokens, 1)
	require.EqualValues(t, 1, tokens[0].Deliveries)

	c := next(t, b, run.ID)
	c.ReleaseTokens = []string{tok.Token}
	require.NoError(t, b.Commit(ctx, c))
	_, err = b.GetToken(ctx, tok.Token)
	require.ErrorIs(t, err, backend.ErrTokenNotFound)
}
