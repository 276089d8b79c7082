package aws_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
)

func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

func id(t *testing.T, prefix string) string {
	t.Helper()
	var buf [8]byte
	_, err := rand.Read(buf[:])
	require.NoError(t, err)
	return prefix + "-" + hex.EncodeToString(buf[:])
}

// events returns n events from Seq from, of type typ, each with about size bytes of data.
func events(from int64, n int, typ string, size int) []backend.Event {
	pad := strings.Repeat("x", max(size-40, 0))
	out := make([]backend.Event, n)
	for i := range out {
		seq := from + int64(i)
		out[i] = backend.Event{
			Seq:           seq,
			Type:          typ,
			CorrelationID: fmt.Sprintf("c-%d", seq),
			Data:          json.RawMessage(fmt.Sprintf(`{"seq":%d,"pad":%q}`, seq, pad)),
			CreatedAt:     now(),
		}
	}
	return out
}

func createRun(t *testing.T, b backend.Backend, first int) backend.Run {
	t.Helper()
	run := backend.Run{ID: id(t, "run"), Workflow: "wf", Status: backend.StatusPending, CreatedAt: now(), UpdatedAt: now()}
	stored, err := b.CreateRun(t.Context(), run, events(1, first, "first", 50))
	require.NoError(t, err)
	return stored
}

func getRun(t *testing.T, b backend.Backend, runID string) backend.Run {
	t.Helper()
	r, err := b.GetRun(t.Context(), runID)
	require.NoError(t, err)
	return r
}

// next returns a commit on the run's current version that changes nothing but the version.
func next(t *testing.T, b backend.Backend, runID string) backend.Commit {
	t.Helper()
	r := getRun(t, b, runID)
	return backend.Commit{RunID: runID, Version: r.Version, Status: r.Status, DueAt: r.DueAt, Now: now()}
}

func token(t *testing.T, runID, hook string) backend.Token {
	t.Helper()
	return backend.Token{Token: id(t, "tok"), RunID: runID, HookID: hook, Kind: backend.TokenHook,
		Data: json.RawMessage(`{"schema":{}}`), CreatedAt: now()}
}

func claim(t *testing.T, b backend.Backend, runID string, tokens ...backend.Token) {
	t.Helper()
	c := next(t, b, runID)
	c.ClaimTokens = tokens
	require.NoError(t, b.Commit(t.Context(), c))
}

func hookItem(tok backend.Token, payload string) backend.InboxItem {
	return backend.InboxItem{RunID: tok.RunID, Kind: backend.InboxHook, Token: tok.Token, HookID: tok.HookID,
		Payload: json.RawMessage(payload), CreatedAt: now()}
}

func putInbox(t *testing.T, b backend.Backend, it backend.InboxItem) backend.InboxItem {
	t.Helper()
	got, _, err := b.PutInbox(t.Context(), it, nil)
	require.NoError(t, err)
	return got
}

func listEvents(t *testing.T, b backend.Backend, runID string, after int64) []backend.Event {
	t.Helper()
	evs, err := b.ListEvents(t.Context(), runID, after)
	require.NoError(t, err)
	return evs
}

func requireSeqs(t *testing.T, evs []backend.Event, from, to int64) {
	t.Helper()
	require.Len(t, evs, int(to-from+1))
	for i, e := range evs {
		require.Equal(t, from+int64(i), e.Seq)
	}
}

// state is what a failed commit must leave alone.
type state struct {
	run    backend.Run
	events []backend.Event
	inbox  []backend.InboxItem
	tokens []backend.Token
}

func snapshot(t *testing.T, b backend.Backend, runID string) state {
	t.Helper()
	ctx := t.Context()
	s := state{run: getRun(t, b, runID), events: listEvents(t, b, runID, 0)}
	var err error
	s.inbox, err = b.ListInbox(ctx, runID, 0)
	require.NoError(t, err)
	s.tokens, err = b.ListTokens(ctx, runID)
	require.NoError(t, err)
	return s
}

func requireUnchanged(t *testing.T, b backend.Backend, before state) {
	t.Helper()
	after := snapshot(t, b, before.run.ID)
	require.Equal(t, before.run, after.run)
	require.Equal(t, before.events, after.events)
	require.Equal(t, before.inbox, after.inbox)
	require.Equal(t, before.tokens, after.tokens)
}

// rawRun reads the run item as stored, driver bookkeeping included.
func (bd *bundle) rawRun(t *testing.T, runID string) map[string]types.AttributeValue {
	t.Helper()
	out, err := bd.db.GetItem(t.Context(), &dynamodb.GetItemInput{
		TableName:      &bd.table,
		Key:            rawKey("RUN#"+runID, "META"),
		ConsistentRead: aws.Bool(true),
	})
	require.NoError(t, err)
	require.NotNil(t, out.Item)
	return out.Item
}

// rawCount counts the items of the run's partition whose sort key starts with prefix.
func (bd *bundle) rawCount(t *testing.T, runID, prefix string) int {
	t.Helper()
	p := dynamodb.NewQueryPaginator(bd.db, &dynamodb.QueryInput{
		TableName:              &bd.table,
		KeyConditionExpression: aws.String("#pk = :pk AND begins_with(#sk, :p)"),
		ExpressionAttributeNames: map[string]string{
			"#pk": awsbackend.AttrPK, "#sk": awsbackend.AttrSK,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "RUN#" + runID},
			":p":  &types.AttributeValueMemberS{Value: prefix},
		},
		ConsistentRead: aws.Bool(true),
		Select:         types.SelectCount,
	})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		require.NoError(t, err)
		n += int(page.Count)
	}
	return n
}

func rawKey(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		awsbackend.AttrPK: &types.AttributeValueMemberS{Value: pk},
		awsbackend.AttrSK: &types.AttributeValueMemberS{Value: sk},
	}
}
