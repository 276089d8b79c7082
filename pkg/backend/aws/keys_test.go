package aws

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestEventSKSortsBySeq(t *testing.T) {
	t.Parallel()
	seqs := []int64{1, 2, 9, 10, 11, 99, 100, 101, 999, 1000, 123456789, 1<<63 - 1}
	keys := make([]string, len(seqs))
	for i, s := range seqs {
		keys[i] = eventSK(s)
	}
	require.True(t, slices.IsSorted(keys), "event keys must sort like their Seqs: %v", keys)
	require.Equal(t, "EVT#00000000000000000012", eventSK(12))
	require.Less(t, eventSK(1<<63-1), inboxSK(""), "events sort before inbox items")
	require.Less(t, inboxSK("zzzz"), skMeta, "inbox items sort before the run record")
}

func TestHashedKeys(t *testing.T) {
	t.Parallel()
	short := "slack:C123#thread:1"
	require.Equal(t, "TOKEN#"+short, tokenPK(short), "short tokens are kept as they are, separators and all")
	require.Equal(t, "TOKEN#", tokenPK(""))

	long := strings.Repeat("x", maxPlainKey+1)
	pk := tokenPK(long)
	require.True(t, strings.HasPrefix(pk, prefixTokenHashed), pk)
	require.Len(t, pk, len(prefixTokenHashed)+64, "SHA-256 in hex")
	require.Equal(t, pk, tokenPK(long), "hashing is stable")
	require.NotEqual(t, pk, tokenPK(long+"y"))
	// A plain token that looks like a hash cannot take the hashed key: the prefixes differ.
	require.NotEqual(t, pk, tokenPK(strings.TrimPrefix(pk, "TOKEN")))
	require.Equal(t, strings.Repeat("x", maxPlainKey), strings.TrimPrefix(tokenPK(strings.Repeat("x", maxPlainKey)), prefixToken))

	for _, fn := range []func(string) string{tokenPK, respPK, idemPK} {
		require.LessOrEqual(t, len(fn(strings.Repeat("é", 5000))), 2048, "partition keys stay within DynamoDB's 2048 bytes")
	}
	require.True(t, strings.HasPrefix(respPK(long), prefixRespHashed))
	require.True(t, strings.HasPrefix(idemPK(long), prefixIdemHashed))
}

func TestRunIDFromPK(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"run-1", "a#b#c", "RUN#nested", "ü"} {
		got, ok := runIDFromPK(runPK(id))
		require.True(t, ok)
		require.Equal(t, id, got)
	}
	_, ok := runIDFromPK(tokenPK("x"))
	require.False(t, ok)
}

func TestDueShard(t *testing.T) {
	t.Parallel()
	counts := map[string]int{}
	for i := range 800 {
		s := dueShard("run-" + strconv.Itoa(i))
		require.Equal(t, s, dueShard("run-"+strconv.Itoa(i)), "stable")
		n, err := strconv.Atoi(strings.TrimPrefix(s, DuePrefix))
		require.NoError(t, err)
		require.True(t, n >= 0 && n < DueShards, s)
		counts[s]++
	}
	require.Len(t, counts, DueShards, "runs spread over every shard")
	for s, n := range counts {
		require.Greater(t, n, 50, "shard %s has few runs: %v", s, counts)
	}
}

func TestDueBounds(t *testing.T) {
	t.Parallel()
	base := time.Date(2030, 5, 6, 7, 8, 9, 123_456_789, time.UTC)
	bound := dueUpperBound(base)
	due := func(at time.Time, runID string) bool { return dueSK(at, runID) < bound }

	require.True(t, due(base, "r"), "due exactly at before")
	require.True(t, due(base.Add(-time.Millisecond), "r"))
	require.True(t, due(base.Truncate(time.Millisecond), "zzzz"), "same millisecond, any run ID")
	require.True(t, due(base.Add(time.Nanosecond), "r"), "within the same millisecond counts as due")
	require.False(t, due(base.Truncate(time.Millisecond).Add(time.Millisecond), "r"), "the next millisecond is not due")
	require.False(t, due(base.Add(time.Hour), "r"))
	require.True(t, due(time.Time{}, "r"), "a zero time (an item without CreatedAt) is always due")
	require.True(t, due(time.Unix(-5, 0), "r"), "times before 1970 are due")

	require.Len(t, padMillis(dueMillis(base)), dueDigits)
	far := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	require.Less(t, dueSK(far, "r"), dueUpperBound(far), "the far future still orders")
	require.Less(t, dueSK(base, "r"), dueSK(far, "r"))
	require.LessOrEqual(t, len(dueSK(base, strings.Repeat("r", MaxRunIDLen))), 1024, "index sort keys stay within 1024 bytes")
}
