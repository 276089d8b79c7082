package faults

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend"
)

// The invariants are only worth their green if they turn red: these tests run scenarios on
// backends broken on purpose and require the harness to name the damage.

// brokenInbox stores hook payloads wrongly: the one whose key is dup twice, the one whose
// key is lose not at all (while reporting success).
type brokenInbox struct {
	backend.Backend
	dup, lose string
}

func (b *brokenInbox) PutInbox(ctx context.Context, item backend.InboxItem, idem *backend.Idempotency) (backend.InboxItem, *backend.Idempotency, error) {
	var p hookPayload
	_ = json.Unmarshal(item.Payload, &p)
	switch p.Key {
	case b.lose:
		item.ID = "lost"
		return item, nil, nil
	case b.dup:
		if _, _, err := b.Backend.PutInbox(ctx, item, nil); err != nil {
			return item, nil, err
		}
	}
	return b.Backend.PutInbox(ctx, item, idem)
}

// Clock passes on the fake clock.
func (b *brokenInbox) Clock() backend.Clock { return backend.ClockOf(b.Backend) }

func TestHarnessCatchesADuplicatedDelivery(t *testing.T) {
	t.Parallel()
	st := newStore(t, kindMemory)
	st.b = &brokenInbox{Backend: st.b, dup: "k2"}
	h := newHarness(t, st, "selftest-dup")
	playHookIdempotent(h)
	h.settle()
	got := strings.Join(h.verify(), "\n")
	// The duplicate is received, and so is the third payload's key; what is left when the run
	// ends is recorded as dropped: the duplicated key shows more than once either way.
	require.Regexp(t, invDuplicate+`: delivery "k2" is in history [2-9] times`, got)
	require.Contains(t, got, invResult+": the run returned")
}

func TestHarnessCatchesALostDelivery(t *testing.T) {
	t.Parallel()
	st := newStore(t, kindMemory)
	st.b = &brokenInbox{Backend: st.b, lose: "x2"}
	h := newHarness(t, st, "selftest-lose")
	playDisposeInFlight(h)
	h.settle()
	require.Contains(t, strings.Join(h.verify(), "\n"), invLost+": accepted delivery x2 is not in history")
}
