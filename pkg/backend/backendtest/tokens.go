package backendtest

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// tokenTests cover Commit.ClaimTokens and Commit.ReleaseTokens, GetToken and ListTokens.
func tokenTests() []subtest {
	return []subtest{
		{"Claim", testTokensClaim},
		{"ListSorted", testTokensListSorted},
		{"ListAll", testTokensListAll},
		{"ListUnknownRun", testTokensListUnknownRun},
		{"GetUnknown", testTokensGetUnknown},
		{"Conflict", testTokensConflict},
		{"ConflictSameRun", testTokensConflictSameRun},
		{"DuplicateInCommit", testTokensDuplicateInCommit},
		{"Release", testTokensRelease},
		{"ReclaimAfterRelease", testTokensReclaimAfterRelease},
	}
}

// Claimed tokens are stored with every field, together with the rest of the commit.
func testTokensClaim(t *testing.T, b backend.Backend) {
	run := setupRun(t, b)
	hook := mkToken(t, run.ID, "approval", now())
	webhook := mkToken(t, run.ID, "payment", now().Add(time.Millisecond))
	webhook.Kind = backend.TokenWebhook
	webhook.Data = json.RawMessage(`{"respond":"manual","methods":["POST"]}`)

	c, _ := nextCommit(t, b, run.ID)
	c.Events = mkEvents(1, 1, now())
	c.ClaimTokens = []backend.Token{hook, webhook}
	mustCommit(t, b, c)

	for _, want := range []backend.Token{hook, webhook} {
		got, err := b.GetToken(t.Context(), want.Token)
		require.NoError(t, err, "GetToken after the claim")
		requireToken(t, want, got, "GetToken")
	}
	requireTokens(t, sortedTokens(hook, webhook), listTokens(t, b, run.ID), "ListTokens")
	require.Equal(t, int64(2), getRun(t, b, run.ID).Version)
	require.Len(t, listEvents(t, b, run.ID, 0), 1)
}

// ListTokens sorts by CreatedAt, then by Token, whatever the order of the claims.
func testTokensListSorted(t *testing.T, b backend.Backend) {
	run := setupRun(t, b)
	at := now()
	prefix := uid(t, "tok")
	mk := func(suffix string, created time.Time) backend.Token {
		tk := mkToken(t, run.ID, "hook-"+suffix, created)
		tk.Token = prefix + "-" + suffix
		return tk
	}
	late := mk("a", at.Add(5*time.Millisecond))
	early2 := mk("c", at)
	early1 := mk("b", at)
	middle := mk("d", at.Add(2*time.Millisecond))
	claim(t, b, run.ID, late, early2)
	claim(t, b, run.ID, middle, early1)

	requireTokens(t, []backend.Token{early1, early2, middle, late}, listTokens(t, b, run.ID), "ListTokens")
}

// ListTokens filters by run; with an empty run ID it lists the tokens of all runs (in a
// shared table that includes other subtests' tokens, so only containment is checked).
func testTokensListAll(t *testing.T, b backend.Backend) {
	ra, rb := setupRun(t, b), setupRun(t, b)
	a1 := mkToken(t, ra.ID, "h1", now())
	a2 := mkToken(t, ra.ID, "h2", now().Add(time.Millisecond))
	b1 := mkToken(t, rb.ID, "h1", now())
	claim(t, b, ra.ID, a1, a2)
	claim(t, b, rb.ID, b1)

	requireTokens(t, sortedTokens(a1, a2), listTokens(t, b, ra.ID), "ListTokens of the first run")
	requireTokens(t, sortedTokens(b1), listTokens(t, b, rb.ID), "ListTokens of the second run")

	all := listTokens(t, b, "")
	require.True(t, slices.IsSortedFunc(all, compareTokens), "ListTokens(\"\") must sort by CreatedAt, then Token: %v", tokenNames(all))
	byName := map[string]backend.Token{}
	for _, tk := range all {
		byName[tk.Token] = tk
	}
	for _, want := range []backend.Token{a1, a2, b1} {
		got, ok := byName[want.Token]
		require.True(t, ok, "ListTokens(\"\") lacks token %s", want.Token)
		requireToken(t, want, got, "ListTokens(\"\")")
	}
}

// A run without tokens, or an unknown run, lists none.
func testTokensListUnknownRun(t *testing.T, b backend.Backend) {
	run := setupRun(t, b)
	other := setupRun(t, b)
	claim(t, b, other.ID, mkToken(t, other.ID, "h", now()))
	for _, id := range []string{run.ID, uid(t, "run")} {
		tokens, err := b.ListTokens(t.Context(), id)
		require.NoError(t, err)
		require.Empty(t, tokens, "ListTokens(%q)", id)
	}
}

// GetToken of a token without a record fails with ErrTokenNotFound.
func testTokensGetUnknown(t *testing.T, b backend.Backend) {
	for _, tok := range []string{uid(t, "tok"), ""} {
		_, err := b.GetToken(t.Context(), tok)
		require.ErrorIs(t, err, backend.ErrTokenNotFound, "GetToken(%q)", tok)
	}
}

// requireTokenConflict checks that err is a *TokenConflictError for token held by runID.
func requireTokenConflict(t *testing.T, err error, token, runID string) {
	t.Helper()
	var conflict *backend.TokenConflictError
	require.ErrorAs(t, err, &conflict, "want a *backend.TokenConflictError")
	require.Equal(t, token, conflict.Token, "TokenConflictError.Token")
	require.Equal(t, runID, conflict.RunID, "TokenConflictError.RunID: the run holding the token")
}

// Claiming a held token fails the whole commit with a *TokenConflictError naming the first
// held token in ClaimTokens and its holder; nothing of the commit is applied.
func testTokensConflict(t *testing.T, b backend.Backend) {
	holder := setupRun(t, b)
	held1 := mkToken(t, holder.ID, "h1", now())
	held2 := mkToken(t, holder.ID, "h2", now())
	claim(t, b, holder.ID, held1, held2)

	claimer := setupRun(t, b)
	mine := mkToken(t, claimer.ID, "mine", now())
	claim(t, b, claimer.ID, mine)
	item := putInbox(t, b, hookItem(mine, now(), `{"n":1}`))

	free := mkToken(t, claimer.ID, "free", now())
	grab1, grab2 := held1, held2
	grab1.RunID, grab2.RunID = claimer.ID, claimer.ID
	resp := mkResponse(t, `{"status":202}`)
	c, run := nextCommit(t, b, claimer.ID)
	c.Status = backend.StatusWaiting
	c.Events = mkEvents(run.LastSeq+1, 2, now())
	c.ClaimTokens = []backend.Token{free, grab1, grab2}
	c.ReleaseTokens = []string{mine.Token}
	c.DeleteInbox = []string{item.ID}
	c.PutResponses = []backend.Response{resp}

	before := takeSnapshot(t, b, probe{
		runs:       []string{holder.ID, claimer.ID},
		tokens:     []string{free.Token, held1.Token, held2.Token, mine.Token},
		deliveries: []string{resp.DeliveryID},
	})
	err := b.Commit(t.Context(), c)
	requireTokenConflict(t, err, held1.Token, holder.ID)
	requireUnchanged(t, b, before, "after a commit with a token conflict")
}

// The claim condition is that no record exists, whoever holds it: a run re-claiming its own
// live token conflicts too.
func testTokensConflictSameRun(t *testing.T, b backend.Backend) {
	run := setupRun(t, b)
	tok := mkToken(t, run.ID, "h", now())
	claim(t, b, run.ID, tok)

	again := tok
	again.HookID = "h-again"
	again.Data = json.RawMessage(`{"again":true}`)
	c, cur := nextCommit(t, b, run.ID)
	c.Events = mkEvents(cur.LastSeq+1, 1, now())
	c.ClaimTokens = []backend.Token{again}
	before := takeSnapshot(t, b, probe{runs: []string{run.ID}, tokens: []string{tok.Token}})
	requireTokenConflict(t, b.Commit(t.Context(), c), tok.Token, run.ID)
	requireUnchanged(t, b, before, "after re-claiming a live token")
}

// Claiming the same free token twice in one commit cannot satisfy "no record exists" for
// both claims: the commit fails (with a *TokenConflictError for the token or ErrInvalidCommit)
// and nothing is applied.
func testTokensDuplicateInCommit(t *testing.T, b backend.Backend) {
	run := setupRun(t, b)
	tok := mkToken(t, run.ID, "h", now())
	twin := tok
	twin.HookID = "h-twin"
	c, cur := nextCommit(t, b, run.ID)
	c.Events = mkEvents(cur.LastSeq+1, 1, now())
	c.ClaimTokens = []backend.Token{tok, twin}
	before := takeSnapshot(t, b, probe{runs: []string{run.ID}, tokens: []string{tok.Token}})

	err := b.Commit(t.Context(), c)
	require.Error(t, err, "a commit claiming one token twice must fail")
	var conflict *backend.TokenConflictError
	if errors.As(err, &conflict) {
		require.Equal(t, tok.Token, conflict.Token, "TokenConflictError.Token")
	} else {
		require.ErrorIs(t, err, backend.ErrInvalidCommit, "want a *backend.TokenConflictError or ErrInvalidCommit")
	}
	requireUnchanged(t, b, before, "after a commit claiming one token twice")
}

// ReleaseTokens deletes the committing run's tokens only: another run's token and a missing
// token are left alone, and the commit succeeds.
func testTokensRelease(t *testing.T, b backend.Backend) {
	ra, rb := setupRun(t, b), setupRun(t, b)
	a1 := mkToken(t, ra.ID, "h1", now())
	a2 := mkToken(t, ra.ID, "h2", now())
	b1 := mkToken(t, rb.ID, "h1", now())
	claim(t, b, ra.ID, a1, a2)
	claim(t, b, rb.ID, b1)
	before := getRun(t, b, ra.ID)

	release(t, b, ra.ID, a1.Token, b1.Token, uid(t, "tok"))

	_, err := b.GetToken(t.Context(), a1.Token)
	require.ErrorIs(t, err, backend.ErrTokenNotFound, "a released token is gone")
	got, err := b.GetToken(t.Context(), b1.Token)
	require.NoError(t, err, "another run's token survives a release by a run that does not hold it")
	requireToken(t, b1, got, "other run's token")
	requireTokens(t, []backend.Token{a2}, listTokens(t, b, ra.ID), "tokens of the releasing run")
	requireTokens(t, []backend.Token{b1}, listTokens(t, b, rb.ID), "tokens of the other run")
	require.Equal(t, before.Version+1, getRun(t, b, ra.ID).Version, "the release commit was applied")
}

// A released token can be claimed again, by another run.
func testTokensReclaimAfterRelease(t *testing.T, b backend.Backend) {
	ra, rb := setupRun(t, b), setupRun(t, b)
	tok := mkToken(t, ra.ID, "h", now())
	claim(t, b, ra.ID, tok)
	release(t, b, ra.ID, tok.Token)

	again := tok
	again.RunID = rb.ID
	again.HookID = "h-b"
	again.Kind = backend.TokenWebhook
	again.CreatedAt = now()
	claim(t, b, rb.ID, again)

	got, err := b.GetToken(t.Context(), tok.Token)
	require.NoError(t, err)
	requireToken(t, again, got, "token claimed again")
	require.Empty(t, listTokens(t, b, ra.ID), "tokens of the run that released it")
	requireTokens(t, []backend.Token{again}, listTokens(t, b, rb.ID), "tokens of the run that claimed it again")
}
