package memory

import (
	"fmt"

	"github.com/hookflow/hookflow/pkg/backend"
)

// The checks of backend's Limits, on the sizes of size.go. Each runs before anything is
// written, so a refused call changes nothing.

// tooLarge returns an error matching backend.ErrTooLarge.
func tooLarge(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, backend.ErrTooLarge)...)
}

// checkRecord refuses a record of n bytes over backend.MaxItemBytes.
func checkRecord(what string, n int) error {
	if n > backend.MaxItemBytes {
		return tooLarge("%s is about %d bytes, over the record limit of %d", what, n, backend.MaxItemBytes)
	}
	return nil
}

// checkSideCount refuses a commit with more token claims, token releases and responses than
// fit one transaction beside the run record. They are counted as given: a release of a token
// the run does not hold and a response that a later one of the commit replaces count too.
func checkSideCount(c backend.Commit) error {
	if n := len(c.ClaimTokens) + len(c.ReleaseTokens) + len(c.PutResponses); n > backend.MaxSideItems {
		return tooLarge("%d token claims, token releases and responses, over the %d one commit may carry", n, backend.MaxSideItems)
	}
	return nil
}

// commitSizes are the sizes of what a commit writes besides the run record, measured before
// the store lock is taken.
type commitSizes struct {
	err  error // the first record over the limit, if any
	side int   // bytes of the claims, releases and responses, which share the run's transaction
}

func measureCommit(runID string, events []backend.Event, claims []backend.Token, releases []string, responses []backend.Response) commitSizes {
	var m commitSizes
	check := func(what string, n int) {
		if err := checkRecord(what, n); err != nil && m.err == nil {
			m.err = err
		}
	}
	for _, e := range events {
		check(fmt.Sprintf("event Seq %d", e.Seq), eventSize(runID, e))
	}
	for _, t := range claims {
		n := tokenSize(t)
		check(fmt.Sprintf("token %q", t.Token), n)
		m.side += n
	}
	for _, tok := range releases {
		m.side += releaseSize(tok)
	}
	for _, r := range responses {
		n := responseSize(r)
		check(fmt.Sprintf("response %q", r.DeliveryID), n)
		m.side += n
	}
	return m
}

// check refuses the commit that makes next of the run, holding tokens bytes of token names,
// when a record is over the limit or the run record and the side items do not fit one
// transaction.
func (m commitSizes) check(next backend.Run, tokens int) error {
	if m.err != nil {
		return m.err
	}
	run := runSize(next, tokens)
	if err := checkRecord("the run record", run); err != nil {
		return err
	}
	if run+m.side > backend.MaxTransactionBytes {
		return tooLarge("the run record, token claims, token releases and responses come to about %d bytes, over the %d one transaction holds",
			run+m.side, backend.MaxTransactionBytes)
	}
	return nil
}

// checkCreate refuses a run and first events that do not fit one transaction, or a record
// over the limit.
func checkCreate(run backend.Run, first []backend.Event) error {
	if len(first) > backend.MaxTransactionItems-1 {
		return tooLarge("%d first events, over the %d that fit one transaction with the run", len(first), backend.MaxTransactionItems-1)
	}
	total := runSize(run, 0)
	if err := checkRecord("the run record", total); err != nil {
		return err
	}
	for _, e := range first {
		n := eventSize(run.ID, e)
		if err := checkRecord(fmt.Sprintf("event Seq %d", e.Seq), n); err != nil {
			return err
		}
		total += n
	}
	if total > backend.MaxTransactionBytes {
		return tooLarge("the run and its first events come to about %d bytes, over the %d one transaction holds", total, backend.MaxTransactionBytes)
	}
	return nil
}

// checkPut refuses an inbox item or idempotency record over the limit.
func checkPut(item backend.InboxItem, idem *backend.Idempotency) error {
	if err := checkRecord("the inbox item", itemSize(item)); err != nil {
		return err
	}
	if idem != nil {
		return checkRecord("the idempotency record", idemSize(*idem))
	}
	return nil
}
