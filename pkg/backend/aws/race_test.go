package aws_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// These tests put a write of another backend between a read and a write of the backend under
// test, so that the condition of its transaction fails, and check which error it maps the
// cancellation to.

// A commit that loses to another commit at its transaction gets ErrVersionConflict.
func TestRaceCommitVersion(t *testing.T) {
	t.Parallel()
	bd := newBundle(t)
	ctx := t.Context()
	run := createRun(t, bd.b, 1)
	c := next(t, bd.b, run.ID)
	winner := c
	winner.Events = events(2, 1, "winner", 10)
	racer := bd.racer(t, func(n int) {
		if n == 1 {
			require.NoError(t, bd.b.Commit(ctx, winner))
		}
	})
	loser := c
	loser.Events = events(2, 1, "loser", 10)
	loser.PutResponses = []backend.Response{{DeliveryID: id(t, "dlv"), Data: json.RawMessage(`1`), CreatedAt: now()}}
	require.ErrorIs(t, racer.Commit(ctx, loser), backend.ErrVersionConflict)
	all := listEvents(t, bd.b, run.ID, 0)
	require.Equal(t, "winner", all[1].Type)
	_, err := bd.b.GetResponse(ctx, loser.PutResponses[0].DeliveryID)
	require.ErrorIs(t, err, backend.ErrResponseNotFound)
}

// A claim that loses the token to another run at its transaction gets a
// *TokenConflictError naming that run (read from the cancellation reason).
func TestRaceTokenClaim(t *testing.T) {
	t.Parallel()
	bd := newBundle(t)
	ctx := t.Context()
	first, second := createRun(t, bd.b, 0), createRun(t, bd.b, 0)
	tok := token(t, first.ID, "h")
	racer := bd.racer(t, func(n int) {
		if n == 1 {
			claim(t, bd.b, first.ID, tok)
		}
	})
	mine := tok
	mine.RunID = second.ID
	c := next(t, bd.b, second.ID)
	c.ClaimTokens = []backend.Token{mine}
	err := racer.Commit(ctx, c)
	var conflict *backend.TokenConflictError
	require.ErrorAs(t, err, &conflict)
	require.Equal(t, tok.Token, conflict.Token)
	require.Equal(t, first.ID, conflict.RunID)
	require.Equal(t, c.Version, getRun(t, bd.b, second.ID).Version)
}

// A hook payload whose token is released before the transaction gets ErrTokenNotFound.
func TestRacePutInboxTokenReleased(t *testing.T) {
	t.Parallel()
	bd := newBundle(t)
	ctx := t.Context()
	run := createRun(t, bd.b, 0)
	tok := token(t, run.ID, "h")
	claim(t, bd.b, run.ID, tok)
	racer := bd.racer(t, func(n int) {
		if n == 1 {
			c := next(t, bd.b, run.ID)
			c.ReleaseTokens = []string{tok.Token}
			require.NoError(t, bd.b.Commit(ctx, c))
		}
	})
	_, _, err := racer.PutInbox(ctx, hookItem(tok, `{}`), nil)
	require.ErrorIs(t, err, backend.ErrTokenNotFound)
}

// A cancel request for a run that ends before the transaction gets ErrRunEnded.
func TestRacePutInboxRunEnded(t *testing.T) {
	t.Parallel()
	bd := newBundle(t)
	ctx := t.Context()
	run := createRun(t, bd.b, 0)
	racer := bd.racer(t, func(n int) {
		if n == 1 {
			c := next(t, bd.b, run.ID)
			c.Status = backend.StatusCompleted
			require.NoError(t, bd.b.Commit(ctx, c))
		}
	})
	_, _, err := racer.PutInbox(ctx, backend.InboxItem{RunID: run.ID, Kind: backend.InboxCancel, CreatedAt: now()}, nil)
	require.ErrorIs(t, err, backend.ErrRunEnded)
}

// Two calls with one idempotency key: the one that loses at its transaction gets
// ErrDuplicate and the winner's record (read from the cancellation reason).
func TestRacePutInboxDuplicate(t *testing.T) {
	t.Parallel()
	bd := newBundle(t)
	ctx := t.Context()
	run := createRun(t, bd.b, 0)
	tok := token(t, run.ID, "h")
	claim(t, bd.b, run.ID, tok)
	key := id(t, "idem")
	rec := func(data string) *backend.Idempotency {
		return &backend.Idempotency{Key: key, Data: json.RawMessage(data), CreatedAt: now(), ExpiresAt: now().Add(time.Hour).Truncate(time.Second)}
	}
	racer := bd.racer(t, func(n int) {
		if n == 1 {
			_, _, err := bd.b.PutInbox(ctx, hookItem(tok, `1`), rec(`"first"`))
			require.NoError(t, err)
		}
	})
	_, existing, err := racer.PutInbox(ctx, hookItem(tok, `2`), rec(`"second"`))
	require.ErrorIs(t, err, backend.ErrDuplicate)
	require.NotNil(t, existing)
	require.JSONEq(t, `"first"`, string(existing.Data))
	got, err := bd.b.GetToken(ctx, tok.Token)
	require.NoError(t, err)
	require.EqualValues(t, 1, got.Deliveries)
}

// A token record that disagrees with the run's token set (deleted behind the driver's back)
// does not wedge the run: the release's condition fails, the retry reads the records and
// drops the token from the set.
func TestReleaseOfVanishedToken(t *testing.T) {
	t.Parallel()
	bd := newBundle(t)
	ctx := t.Context()
	run := createRun(t, bd.b, 0)
	gone, kept := token(t, run.ID, "gone"), token(t, run.ID, "kept")
	claim(t, bd.b, run.ID, gone, kept)
	_, err := bd.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &bd.table, Key: rawKey("TOKEN#"+gone.Token, "META")})
	require.NoError(t, err)

	c := next(t, bd.b, run.ID)
	c.ReleaseTokens = []string{gone.Token}
	require.NoError(t, bd.b.Commit(ctx, c))
	tokens, err := bd.b.ListTokens(ctx, run.ID)
	require.NoError(t, err)
	require.Len(t, tokens, 1)
	require.Equal(t, kept.Token, tokens[0].Token)
	set := bd.rawRun(t, run.ID)["tokens"]
	require.NotNil(t, set)
}

// A context that ends stops a commit's retries and reads.
func TestCommitContextEnded(t *testing.T) {
	t.Parallel()
	bd := newBundle(t)
	run := createRun(t, bd.b, 0)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.ErrorIs(t, bd.b.Commit(ctx, next(t, bd.b, run.ID)), context.Canceled)
}
