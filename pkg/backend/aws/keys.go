package aws

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
)

// The table schema. CreateTable builds it and the CDK app in infra/ declares the same: one
// table with string keys AttrPK and AttrSK, on-demand billing, TTL on AttrTTL, and one sparse
// global secondary index, IndexDue, keyed by AttrDuePK and AttrDueSK and projecting keys only.
const (
	AttrPK    = "pk"     // partition key (S)
	AttrSK    = "sk"     // sort key (S)
	AttrDuePK = "gsi1pk" // partition key of IndexDue (S): DuePrefix and a shard number
	AttrDueSK = "gsi1sk" // sort key of IndexDue (S): a zero-padded time in ms, "#", the run ID
	AttrTTL   = "ttl"    // expiry of responses and idempotency records, epoch seconds (N)
	IndexDue  = "gsi1-due"

	AttrRunsPK = "gsi2pk" // partition key of IndexRuns (S): RunsPrefix and a shard number
	AttrRunsSK = "gsi2sk" // sort key of IndexRuns (S): CreatedAt in ms, zero-padded, "#", the run ID
	IndexRuns  = "gsi2-runs"
)

// IndexRuns lists runs newest first (ListRuns). Every run record is in it from CreateRun, with
// keys that never change afterwards, and it projects the two attributes ListRuns filters on,
// IndexRunsProjected: so a run costs one index write when it is created and one more each
// time its status changes (a commit that leaves the status as it was writes nothing to the
// index). A run's entry goes to the shard "RUNS#<n>", n = FNV-1a(run ID) mod RunShards, so
// that runs created together do not all land on one index partition; ListRuns queries every
// shard and merges. The number is part of the stored data, like DueShards.
const (
	RunShards  = 4
	RunsPrefix = "RUNS#"
)

// IndexRunsProjected are the attributes IndexRuns projects besides the keys.
var IndexRunsProjected = []string{attrStatus, attrWorkflow}

// DueShards is the number of IndexDue partitions. A run's due entries (its record while DueAt
// is set, and its inbox items) all go to the shard "DUE#<n>" with n = FNV-1a(run ID) mod
// DueShards, so that a busy table does not write every due entry to one index partition;
// ListDue queries every shard and merges. The number is part of the stored data: changing it
// strands the entries written under the old one.
const DueShards = 8

// DuePrefix starts every AttrDuePK value.
const DuePrefix = "DUE#"

// Sort keys and key prefixes of the records (see doc.go for the layout).
const (
	skMeta      = "META"
	prefixRun   = "RUN#"
	prefixEvent = "EVT#"
	prefixInbox = "INB#"
	// Keys from the outside world (tokens, idempotency keys, delivery IDs) longer than
	// maxPlainKey bytes are stored under the SHA-256 of the value, with a prefix of their own
	// so that a hashed key can never equal a plain one. The value itself is kept in an
	// attribute of the record, so nothing is lost.
	prefixToken       = "TOKEN#"
	prefixTokenHashed = "TOKENH#"
	prefixResp        = "RESP#"
	prefixRespHashed  = "RESPH#"
	prefixIdem        = "IDEM#"
	prefixIdemHashed  = "IDEMH#"
)

const (
	// maxPlainKey bounds the length of a plain key value; DynamoDB allows 2048 bytes for a
	// partition key, and a bound well below that keeps keys cheap.
	maxPlainKey = 1024
	// MaxRunIDLen is the longest run ID the driver stores (in bytes): the run ID is part of
	// the index sort key, which DynamoDB limits to 1024 bytes.
	MaxRunIDLen = 1000
	// MaxInboxIDLen is the longest inbox item ID the driver stores (in bytes); it is part of
	// the item's sort key.
	MaxInboxIDLen = 1000
	// seqDigits zero-pads event sequence numbers so that they sort as strings: int64 has at
	// most 19 digits.
	seqDigits = 20
	// dueDigits zero-pads index times in ms: 15 digits reach the year 33658.
	dueDigits = 15
)

func runPK(runID string) string { return prefixRun + runID }

func eventSK(seq int64) string {
	return prefixEvent + fmt.Sprintf("%0*d", seqDigits, max(seq, 0))
}

func inboxSK(id string) string { return prefixInbox + id }

// hashedKey returns prefix+value, or hashedPrefix+SHA-256(value) for a long value.
func hashedKey(prefix, hashedPrefix, value string) string {
	if len(value) <= maxPlainKey {
		return prefix + value
	}
	sum := sha256.Sum256([]byte(value))
	return hashedPrefix + hex.EncodeToString(sum[:])
}

func tokenPK(token string) string { return hashedKey(prefixToken, prefixTokenHashed, token) }
func respPK(deliveryID string) string {
	return hashedKey(prefixResp, prefixRespHashed, deliveryID)
}
func idemPK(key string) string { return hashedKey(prefixIdem, prefixIdemHashed, key) }

// runIDFromPK is the inverse of runPK; ok is false for a key of another record.
func runIDFromPK(pk string) (string, bool) {
	if !strings.HasPrefix(pk, prefixRun) {
		return "", false
	}
	return strings.TrimPrefix(pk, prefixRun), true
}

// dueShard returns the AttrDuePK value of runID's entries.
func dueShard(runID string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(runID)) // hash.Hash never fails
	return DuePrefix + strconv.Itoa(int(h.Sum32()%DueShards))
}

// runsShard returns the AttrRunsPK value of runID's entry.
func runsShard(runID string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(runID)) // hash.Hash never fails
	return RunsPrefix + strconv.Itoa(int(h.Sum32()%RunShards))
}

// runsSK returns the AttrRunsSK value of a run created at t.
func runsSK(t time.Time, runID string) string { return padMillis(dueMillis(t)) + "#" + runID }

// dueMillis returns t in ms since the epoch, clamped to what dueDigits can hold; times before
// 1970 (the zero time among them) count as 0, so they sort first: always due.
func dueMillis(t time.Time) int64 {
	if t.Before(time.UnixMilli(0)) {
		return 0
	}
	return min(t.UnixMilli(), 999_999_999_999_999)
}

func padMillis(ms int64) string { return fmt.Sprintf("%0*d", dueDigits, ms) }

// dueSK returns the AttrDueSK value of an entry of runID due at t.
func dueSK(t time.Time, runID string) string { return padMillis(dueMillis(t)) + "#" + runID }

// dueUpperBound returns a bound above the AttrDueSK values of every entry due by before and
// below those of every entry due later: "$" sorts right after the "#" that follows the time.
// Index times are whole milliseconds, so an entry is due when its millisecond is not after
// before's.
func dueUpperBound(before time.Time) string {
	return padMillis(dueMillis(before)) + "$"
}
