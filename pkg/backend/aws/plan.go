package aws

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hookflow/hookflow/pkg/backend"
)

// DynamoDB limits that shape a commit.
const (
	// MaxItemBytes is DynamoDB's item size limit (400 KB), backend.MaxItemBytes. A record
	// that would be larger is refused before anything is written.
	MaxItemBytes = backend.MaxItemBytes
	// maxTxItems is the most actions one TransactWriteItems may carry.
	maxTxItems = 100
	// maxTxBytes bounds the estimated size of one transaction, below DynamoDB's 4 MB for
	// its items, to leave room for the estimate's error and the request around the items.
	maxTxBytes = 3_800_000
)

// txLimits are the limits a commit plan respects; tests use small ones.
type txLimits struct {
	items int // actions per transaction
	bytes int // estimated bytes per transaction
}

var dynamoLimits = txLimits{items: maxTxItems, bytes: maxTxBytes}

// planInput describes a commit by the sizes of its writes.
type planInput struct {
	// fixed are the writes that must be in the final transaction: the run update (whose
	// size is runBytes and is counted here too), token claims and releases, responses.
	fixed []int
	// runBytes is the size of the run item after the update, before any inboxDone marker.
	runBytes int
	// events are the event puts in Seq order; deletes the inbox deletes, with the bytes
	// each would add to the run item's inboxDone set if it is deferred.
	events      []int
	deletes     []int
	deleteMarks []int
	// leaseBytes is the size of the lease check that opens every pre-write transaction.
	leaseBytes int
}

// commitPlan says which transaction carries each write of a commit.
type commitPlan struct {
	// pre are ranges [lo, hi) of events written, in this order, before the final
	// transaction, each range in a transaction of its own that starts with a lease check.
	pre [][2]int
	// finalFrom is the first event in the final transaction; the events from it on are
	// written there.
	finalFrom int
	// finalDeletes is how many inbox deletes (the first ones) are in the final
	// transaction; the others are deferred: the final transaction lists them in the run's
	// inboxDone set and they are deleted after it.
	finalDeletes int
	// markBytes is what the deferred deletes add to the run item.
	markBytes int
}

// errTooLarge reports a commit that cannot be written on DynamoDB.
func errTooLarge(format string, args ...any) error {
	return fmt.Errorf("aws: commit: "+format+": %w", append(args, ErrTooLarge)...)
}

// planCommit splits a commit into transactions within lim. The final transaction gets the
// fixed writes, then as many inbox deletes as fit, then as many of the last events as fit;
// earlier events go into pre-write transactions. Deletes come before events because a
// deferred delete is briefly visible (see deferDeletes) while a pre-written event is not.
func planCommit(in planInput, lim txLimits) (commitPlan, error) {
	items, bytes := len(in.fixed), 0
	for _, n := range in.fixed {
		bytes += n
	}
	if items > lim.items {
		return commitPlan{}, errTooLarge("%d token claims, token releases and responses with the run update; at most %d fit in one transaction", items, lim.items)
	}
	if bytes > lim.bytes {
		return commitPlan{}, errTooLarge("token claims, responses and the run update come to about %d bytes; at most %d fit in one transaction", bytes, lim.bytes)
	}

	var p commitPlan
	for p.finalDeletes < len(in.deletes) && items < lim.items && bytes+in.deletes[p.finalDeletes] <= lim.bytes {
		bytes += in.deletes[p.finalDeletes]
		items++
		p.finalDeletes++
	}
	for _, n := range in.deleteMarks[p.finalDeletes:] {
		p.markBytes += n
	}
	// The marker counts in the transaction too: move deletes out until it fits (a deferred
	// delete costs its ID in the marker, less than its action).
	for p.markBytes > 0 && bytes+p.markBytes > lim.bytes && p.finalDeletes > 0 {
		p.finalDeletes--
		items--
		bytes -= in.deletes[p.finalDeletes]
		p.markBytes += in.deleteMarks[p.finalDeletes]
	}
	if in.runBytes+p.markBytes > MaxItemBytes || bytes+p.markBytes > lim.bytes {
		return commitPlan{}, errTooLarge("%d inbox deletions do not fit", len(in.deletes))
	}
	bytes += p.markBytes

	p.finalFrom = len(in.events)
	for p.finalFrom > 0 && items < lim.items && bytes+in.events[p.finalFrom-1] <= lim.bytes {
		p.finalFrom--
		bytes += in.events[p.finalFrom]
		items++
	}

	for lo := 0; lo < p.finalFrom; {
		hi, items, bytes := lo, 1, in.leaseBytes
		for hi < p.finalFrom && items < lim.items && bytes+in.events[hi] <= lim.bytes {
			bytes += in.events[hi]
			items++
			hi++
		}
		if hi == lo {
			return commitPlan{}, errTooLarge("event %d of about %d bytes does not fit in a transaction", lo, in.events[lo])
		}
		p.pre = append(p.pre, [2]int{lo, hi})
		lo = hi
	}
	return p, nil
}

// ---- size estimates ----

// itemSize estimates the size DynamoDB counts for an item: attribute names plus values. It
// errs on the large side (a number counts one byte per character).
func itemSize(m item) int {
	n := 0
	for name, v := range m {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return len(v.Value) + 1
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += len(s) + 1
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, b := range v.Value {
			n += len(b)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for name, e := range v.Value {
			n += len(name) + valueSize(e) + 1
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += valueSize(e) + 1
		}
		return n
	default: // BOOL, NULL
		return 1
	}
}

// keySize is the size of an action that names an item by its key only (a delete, a
// condition check).
func keySize(pk, sk string) int { return len(AttrPK) + len(pk) + len(AttrSK) + len(sk) }

// checkItemSize refuses an item over DynamoDB's limit before it is sent.
func checkItemSize(m item, what string) error {
	if n := itemSize(m); n > MaxItemBytes {
		return fmt.Errorf("aws: %s is about %d bytes, over the item limit of %d: %w", what, n, MaxItemBytes, ErrTooLarge)
	}
	return nil
}
