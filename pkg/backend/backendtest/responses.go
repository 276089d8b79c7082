package backendtest

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// responseTests cover Commit.PutResponses and GetResponse.
func responseTests() []subtest {
	return []subtest{
		{"PutAndGet", testResponsesPutAndGet},
		{"Replace", testResponsesReplace},
		{"Unknown", testResponsesUnknown},
		{"FailedCommitStoresNothing", testResponsesFailedCommit},
	}
}

func getResponse(t *testing.T, b backend.Backend, deliveryID string) backend.Response {
	t.Helper()
	got, err := b.GetResponse(t.Context(), deliveryID)
	require.NoError(t, err, "GetResponse")
	return got
}

// Responses put by a commit can be read back with every field.
func testResponsesPutAndGet(t *testing.T, b backend.Backend) {
	run := setupRun(t, b)
	r1 := mkResponse(t, `{"status":200,"headers":{"Content-Type":["application/json"]},"body":"eyJvayI6dHJ1ZX0="}`)
	r2 := mkResponse(t, `{"status":404}`)
	c, _ := nextCommit(t, b, run.ID)
	c.Events = mkEvents(1, 1, now())
	c.PutResponses = []backend.Response{r1, r2}
	mustCommit(t, b, c)
	requireResponse(t, r1, getResponse(t, b, r1.DeliveryID), "first response")
	requireResponse(t, r2, getResponse(t, b, r2.DeliveryID), "second response")
}

// A later commit replaces the response of the same delivery, from the same or another run.
func testResponsesReplace(t *testing.T, b backend.Backend) {
	ra, rb := setupRun(t, b), setupRun(t, b)
	r := mkResponse(t, `{"status":202}`)
	c, _ := nextCommit(t, b, ra.ID)
	c.PutResponses = []backend.Response{r}
	mustCommit(t, b, c)

	r2 := r
	r2.Data = json.RawMessage(`{"status":200,"body":"done"}`)
	r2.CreatedAt = now()
	c, _ = nextCommit(t, b, ra.ID)
	c.PutResponses = []backend.Response{r2}
	mustCommit(t, b, c)
	requireResponse(t, r2, getResponse(t, b, r.DeliveryID), "response replaced by the same run")

	r3 := r
	r3.Data = json.RawMessage(`{"status":500}`)
	c, _ = nextCommit(t, b, rb.ID)
	c.PutResponses = []backend.Response{r3}
	mustCommit(t, b, c)
	requireResponse(t, r3, getResponse(t, b, r.DeliveryID), "response replaced by another run")
}

// GetResponse of a delivery without a response fails with ErrResponseNotFound.
func testResponsesUnknown(t *testing.T, b backend.Backend) {
	for _, id := range []string{uid(t, "dlv"), ""} {
		_, err := b.GetResponse(t.Context(), id)
		require.ErrorIs(t, err, backend.ErrResponseNotFound, "GetResponse(%q)", id)
	}
}

// A commit that fails stores no response and replaces none.
func testResponsesFailedCommit(t *testing.T, b backend.Backend) {
	ctx := t.Context()
	run := setupRun(t, b)
	kept := mkResponse(t, `{"status":200}`)
	c, _ := nextCommit(t, b, run.ID)
	c.PutResponses = []backend.Response{kept}
	mustCommit(t, b, c)

	replaced := kept
	replaced.Data = json.RawMessage(`{"status":599}`)
	fresh := mkResponse(t, `{"status":201}`)

	stale, _ := nextCommit(t, b, run.ID)
	stale.Version--
	stale.PutResponses = []backend.Response{fresh, replaced}
	require.ErrorIs(t, b.Commit(ctx, stale), backend.ErrVersionConflict)

	invalid, cur := nextCommit(t, b, run.ID)
	invalid.Events = mkEvents(cur.LastSeq+2, 1, now())
	invalid.PutResponses = []backend.Response{fresh, replaced}
	require.ErrorIs(t, b.Commit(ctx, invalid), backend.ErrInvalidCommit)

	_, err := b.GetResponse(ctx, fresh.DeliveryID)
	require.ErrorIs(t, err, backend.ErrResponseNotFound, "a failed commit stored a response")
	requireResponse(t, kept, getResponse(t, b, kept.DeliveryID), "a failed commit replaced a response")
}
