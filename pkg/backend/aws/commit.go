package aws

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hookflow/hookflow/pkg/backend"
)

// How a commit is written.
//
// A commit reads the run record first (strongly consistent): an unknown run, a wrong version
// and misnumbered events fail there, before anything is written, and the record gives the
// run's token set, from which releases and the new set are computed. Everything is then
// written under the condition that the version is still the one read, so the read and the
// writes act as one step.
//
// A commit that fits in one TransactWriteItems (100 actions, about 4 MB) is one transaction:
// the run update, the token claims (each conditional on no record), the releases, the
// responses, the inbox deletes and the events. The commit is atomic by DynamoDB's guarantee.
//
// A larger one cannot be, so it is made to look atomic:
//
//   - Events beyond what the final transaction holds are pre-written in transactions of
//     their own before it. They are invisible until the final transaction moves LastSeq over
//     them: ListEvents reads LastSeq first and returns events up to it only. Event puts are
//     unconditional, so leftovers of a failed commit above LastSeq are simply overwritten by
//     the next commit that gets there.
//   - Pre-writes hold a commit lease (attribute lease; not the run lease of TakeLease, which
//     a commit neither checks nor changes): the commit first sets a random lease ID on the run
//     record (condition: the version read), and every pre-write transaction checks that the
//     record still has that lease and version. The final transaction checks both and removes the
//     lease, and every commit removes it, so once another commit at the same version takes
//     the lease or any commit lands, a pre-writer's next transaction fails: two committers at
//     one version can never mix their events under the winner's LastSeq. A commit whose final
//     transaction fails deletes what it pre-wrote while it still holds the lease, then drops
//     the lease; a crash leaves only invisible events and a lease that the next commit
//     removes.
//   - Inbox deletes beyond what the final transaction holds are deferred: the final
//     transaction adds their IDs to the run's inboxDone set, which hides them from ListInbox
//     at once, and they are deleted right after it (then taken out of the set). Until then
//     they still count in ListDue, which is eventually consistent anyway; ListInbox finishes
//     the job if the committer died in between.
//   - Token claims and releases and responses cannot be split (each is visible, and a claim
//     can fail): with the run update they must fit in one transaction, at most
//     backend.MaxSideItems as the commit gives them, or the commit fails with ErrTooLarge and
//     backend.ErrInvalidCommit.

// errReleaseRaced reports a token release whose condition failed: the run's token set said
// the run held the token, the token record said otherwise. The commit is tried once more.
var errReleaseRaced = errors.New("aws: a released token changed hands during the commit")

// Commit applies c as the contract of backend.Store.Commit says (see the comment above for
// how). The checks come in this order: the commit's shape (an empty or over-long RunID, an
// empty token or delivery ID, a claimed token naming another run, or one token claimed twice
// give backend.ErrInvalidCommit; more than backend.MaxSideItems claims, releases and
// responses, counted as given, give it with ErrTooLarge), the run's existence
// (backend.ErrRunNotFound), its version (backend.ErrVersionConflict), the events' Seq
// (backend.ErrInvalidCommit), the size of its records and of what cannot be split (ErrTooLarge
// and backend.ErrInvalidCommit), then the token claims (*backend.TokenConflictError for the
// first held token in ClaimTokens). A claimed token with an empty RunID is stored with
// c.RunID, and one with a zero CreatedAt with c.Now.
func (b *Backend) Commit(ctx context.Context, c backend.Commit) error {
	if err := b.check(ctx); err != nil {
		return err
	}
	c, err := normalizeCommit(c)
	if err != nil {
		return fmt.Errorf("aws: commit: %w", err)
	}
	var deferred []string
	for try := 0; ; try++ {
		err = withRetries(ctx, func() error {
			var err error
			deferred, err = b.commitOnce(ctx, c, try > 0)
			return err
		})
		if !errors.Is(err, errReleaseRaced) || try == 1 {
			break
		}
	}
	if err != nil {
		return err
	}
	if len(deferred) > 0 {
		// The commit has landed; a failure here leaves hidden items that ListInbox removes.
		_ = b.deleteInboxDone(ctx, c.RunID, deferred)
	}
	return nil
}

// normalizeCommit checks what can be checked without the stored run, and fills in the
// defaults of claimed tokens.
func normalizeCommit(c backend.Commit) (backend.Commit, error) {
	if err := checkRunID(c.RunID); err != nil {
		return c, err
	}
	// Counted as given, before the run is read: whether a release or a response turns into a
	// write depends on the stored state, and a commit's fate should not.
	if n := len(c.ClaimTokens) + len(c.ReleaseTokens) + len(c.PutResponses); n > backend.MaxSideItems {
		return c, fmt.Errorf("%d token claims, token releases and responses, over the %d one commit may carry: %w: %w",
			n, backend.MaxSideItems, ErrTooLarge, backend.ErrInvalidCommit)
	}
	claims := make([]backend.Token, len(c.ClaimTokens))
	seen := make(map[string]bool, len(c.ClaimTokens))
	for i, t := range c.ClaimTokens {
		switch {
		case t.Token == "":
			return c, fmt.Errorf("claim of an empty token: %w", backend.ErrInvalidCommit)
		case t.RunID != "" && t.RunID != c.RunID:
			return c, fmt.Errorf("claim of token %q for run %q: %w", t.Token, t.RunID, backend.ErrInvalidCommit)
		case seen[t.Token]:
			return c, fmt.Errorf("token %q claimed twice: %w", t.Token, backend.ErrInvalidCommit)
		}
		seen[t.Token] = true
		if t.RunID == "" {
			t.RunID = c.RunID
		}
		if t.CreatedAt.IsZero() {
			t.CreatedAt = c.Now
		}
		claims[i] = t
	}
	c.ClaimTokens = claims
	for _, r := range c.PutResponses {
		if r.DeliveryID == "" {
			return c, fmt.Errorf("response with an empty delivery ID: %w", backend.ErrInvalidCommit)
		}
	}
	return c, nil
}

// commitOnce reads the run and writes the commit; it returns the IDs of deferred inbox
// deletes. Errors that a new try may get past come back unwrapped, for withRetries. With
// verify, the records of the tokens to release are read too (see buildCommit).
func (b *Backend) commitOnce(ctx context.Context, c backend.Commit, verify bool) ([]string, error) {
	r, err := b.readRun(ctx, c.RunID)
	if err != nil {
		return nil, err
	}
	if r.Version != c.Version {
		return nil, fmt.Errorf("aws: commit run %q at version %d, stored version is %d: %w",
			c.RunID, c.Version, r.Version, backend.ErrVersionConflict)
	}
	if err := checkSeq(c.Events, r.LastSeq); err != nil {
		return nil, fmt.Errorf("aws: commit run %q: %w", c.RunID, err)
	}
	var owned map[string]bool
	if verify {
		if owned, err = b.ownedTokens(ctx, c, r); err != nil {
			return nil, fmt.Errorf("aws: commit run %q: %w", c.RunID, err)
		}
	}
	w, err := b.buildCommit(c, r, owned)
	if err != nil {
		return nil, fmt.Errorf("aws: commit run %q: %w: %w", c.RunID, err, backend.ErrInvalidCommit)
	}
	plan, err := planCommit(w.planInput(), dynamoLimits)
	if err != nil {
		return nil, fmt.Errorf("aws: commit run %q: %w: %w", c.RunID, err, backend.ErrInvalidCommit)
	}

	var lease string
	if len(plan.pre) > 0 {
		lease = newLeaseID()
		if err := b.acquireLease(ctx, c, lease); err != nil {
			return nil, err
		}
		for _, rg := range plan.pre {
			if err := b.preWrite(ctx, c, lease, w.events[rg[0]:rg[1]]); err != nil {
				b.abandon(ctx, c, lease, w.eventKeys[:rg[0]])
				return nil, err
			}
		}
	}
	final, err := w.final(plan, lease)
	if err != nil {
		return nil, fmt.Errorf("aws: commit run %q: %w: %w", c.RunID, err, backend.ErrInvalidCommit)
	}
	_, err = b.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: final.actions})
	if err != nil {
		if lease != "" {
			b.abandon(ctx, c, lease, w.eventKeys[:plan.finalFrom])
		}
		return nil, b.commitError(ctx, c, final, err)
	}
	return w.deleteIDs[plan.finalDeletes:], nil
}

// commitWrites are the writes of one commit, before they are planned into transactions.
type commitWrites struct {
	b       *Backend
	c       backend.Commit
	lastSeq int64
	tokens  []string // the run's token set after the commit
	runItem item     // the run record after the commit, for its size
	release bool     // the commit frees the run lease (Commit.ReleaseLease holds it)

	claims    []types.TransactWriteItem
	claimed   []string
	releases  []types.TransactWriteItem
	responses []types.TransactWriteItem
	fixedSize []int // sizes of claims, releases and responses, in that order

	events     []types.TransactWriteItem
	eventKeys  []item
	eventSizes []int

	deletes     []types.TransactWriteItem
	deleteIDs   []string
	deleteSizes []int
}

// ownedTokens reads the records of the tokens c releases from r's token set, and returns
// those that exist and name the run.
func (b *Backend) ownedTokens(ctx context.Context, c backend.Commit, r runRecord) (map[string]bool, error) {
	var keys []item
	for _, t := range slices.Compact(slices.Sorted(slices.Values(c.ReleaseTokens))) {
		if slices.Contains(r.tokens, t) { // BatchGetItem refuses a key twice: t is unique
			keys = append(keys, key(tokenPK(t), skMeta))
		}
	}
	owned := map[string]bool{}
	err := b.batchGet(ctx, keys, func(m item) error {
		if getStr(m, attrRunID) == c.RunID {
			owned[getStr(m, attrToken)] = true
		}
		return nil
	})
	return owned, err
}

// buildCommit prepares the writes of c on the run r. The run's token set says which tokens
// it holds; when owned is not nil (a retry after a release whose condition failed, so the
// set and the records disagree), a released token is deleted only if owned says the record
// is the run's, and dropped from the set either way.
func (b *Backend) buildCommit(c backend.Commit, r runRecord, owned map[string]bool) (*commitWrites, error) {
	w := &commitWrites{b: b, c: c, lastSeq: r.LastSeq}
	if n := len(c.Events); n > 0 {
		w.lastSeq = c.Events[n-1].Seq
	}
	pk := runPK(c.RunID)

	held := make(map[string]bool, len(r.tokens))
	for _, t := range r.tokens {
		held[t] = true
	}
	claimed := make(map[string]bool, len(c.ClaimTokens))
	for _, t := range c.ClaimTokens {
		m, err := encodeToken(t)
		if err == nil {
			err = checkItemSize(m, fmt.Sprintf("token %q", t.Token))
		}
		if err != nil {
			return nil, err
		}
		claimed[t.Token] = true
		w.claimed = append(w.claimed, t.Token)
		// A token the run holds already fails this condition too: claims are judged against
		// the state before the commit, and the transaction reports the holder.
		w.claims = append(w.claims, types.TransactWriteItem{Put: b.putNew(m)})
		w.fixedSize = append(w.fixedSize, itemSize(m))
	}

	released := map[string]bool{}
	for _, tok := range c.ReleaseTokens {
		// Only the run's own tokens are released; a token it also claims stays, since the
		// claim fails the commit anyway and one transaction cannot touch an item twice.
		if !held[tok] || claimed[tok] || released[tok] {
			continue
		}
		released[tok] = true
		if owned != nil && !owned[tok] {
			continue
		}
		var e expr
		cond := e.n(attrRunID) + " = " + e.v(str(c.RunID))
		k := key(tokenPK(tok), skMeta)
		w.releases = append(w.releases, types.TransactWriteItem{Delete: &types.Delete{
			TableName:                 &b.opts.Table,
			Key:                       k,
			ConditionExpression:       &cond,
			ExpressionAttributeNames:  e.Names(),
			ExpressionAttributeValues: e.Values(),
		}})
		w.fixedSize = append(w.fixedSize, keySize(tokenPK(tok), skMeta))
	}
	for _, t := range r.tokens {
		if !released[t] {
			w.tokens = append(w.tokens, t)
		}
	}
	for _, t := range c.ClaimTokens {
		if !held[t.Token] {
			w.tokens = append(w.tokens, t.Token)
		}
	}

	// A later response for one delivery replaces an earlier one, within a commit too.
	last := map[string]int{}
	for i, resp := range c.PutResponses {
		last[resp.DeliveryID] = i
	}
	now := b.opts.Clock.Now()
	for i, resp := range c.PutResponses {
		if last[resp.DeliveryID] != i {
			continue
		}
		m, err := encodeResponse(resp, ttlSeconds(resp.ExpiresAt, now, b.opts.ResponseTTL))
		if err == nil {
			err = checkItemSize(m, fmt.Sprintf("response %q", resp.DeliveryID))
		}
		if err != nil {
			return nil, err
		}
		w.responses = append(w.responses, types.TransactWriteItem{Put: &types.Put{TableName: &b.opts.Table, Item: m}})
		w.fixedSize = append(w.fixedSize, itemSize(m))
	}

	for _, id := range slices.Compact(slices.Sorted(slices.Values(c.DeleteInbox))) {
		if id == "" || len(id) > MaxInboxIDLen {
			continue // no such item can exist
		}
		k := key(pk, inboxSK(id))
		w.deletes = append(w.deletes, types.TransactWriteItem{Delete: &types.Delete{TableName: &b.opts.Table, Key: k}})
		w.deleteIDs = append(w.deleteIDs, id)
		w.deleteSizes = append(w.deleteSizes, keySize(pk, inboxSK(id)))
	}

	for _, e := range c.Events {
		m, err := encodeEvent(c.RunID, e)
		if err == nil {
			err = checkItemSize(m, fmt.Sprintf("event Seq %d", e.Seq))
		}
		if err != nil {
			return nil, err
		}
		w.events = append(w.events, types.TransactWriteItem{Put: &types.Put{TableName: &b.opts.Table, Item: m}})
		w.eventKeys = append(w.eventKeys, key(pk, eventSK(e.Seq)))
		w.eventSizes = append(w.eventSizes, itemSize(m))
	}

	next := r.Run
	next.Status, next.Output, next.Error, next.DueAt, next.UpdatedAt = c.Status, c.Output, c.Error, c.DueAt, c.Now
	next.Failures, next.LastError = c.Failures, c.LastError
	if c.CodeVersion != "" {
		next.CodeVersion = c.CodeVersion
	}
	next.Version, next.LastSeq = c.Version+1, w.lastSeq
	if w.release = c.ReleaseLease != "" && r.LeaseOwner == c.ReleaseLease; w.release {
		next.LeaseOwner, next.LeaseUntil = "", time.Time{}
	}
	m, err := encodeRun(next)
	if err != nil {
		return nil, err
	}
	if len(w.tokens) > 0 {
		m[attrTokens] = &types.AttributeValueMemberSS{Value: w.tokens}
	}
	if len(r.inboxDone) > 0 {
		m[attrInboxDone] = &types.AttributeValueMemberSS{Value: r.inboxDone}
	}
	if err := checkItemSize(m, "the run record"); err != nil {
		return nil, err
	}
	w.runItem = m
	return w, nil
}

func (w *commitWrites) planInput() planInput {
	runBytes := itemSize(w.runItem)
	marks := make([]int, len(w.deleteIDs))
	for i, id := range w.deleteIDs {
		marks[i] = len(id)
	}
	return planInput{
		fixed:       append([]int{runBytes}, w.fixedSize...),
		runBytes:    runBytes,
		events:      w.eventSizes,
		deletes:     w.deleteSizes,
		deleteMarks: marks,
		leaseBytes:  keySize(runPK(w.c.RunID), skMeta),
	}
}

// finalTx is the final transaction of a commit, with where its claims and releases are.
type finalTx struct {
	actions   []types.TransactWriteItem
	claimAt   int
	claimed   []string
	releaseAt int
	releases  int
}

// final returns the final transaction of the plan: the run update (conditional on the
// version, and on the commit lease when events were pre-written), claims, releases,
// responses, the inbox deletes that fit, and the last events. The run update sets and
// removes the attributes it names only, so the run lease (attrLeaseOwner, attrLeaseUntil)
// stays as TakeLease left it, even when it changed since the run was read.
func (w *commitWrites) final(p commitPlan, lease string) (finalTx, error) {
	c := w.c
	var e expr
	u := update{e: &e}
	u.Set(attrVersion, num(c.Version+1))
	u.Set(attrLastSeq, num(w.lastSeq))
	u.SetOrRemove(attrStatus, string(c.Status))
	for _, f := range []struct {
		name string
		raw  []byte
	}{{attrOutput, c.Output}, {attrError, c.Error}} {
		m := item{}
		if err := putJSON(m, f.name, f.raw); err != nil {
			return finalTx{}, err
		}
		if v, ok := m[f.name]; ok {
			u.Set(f.name, v)
		} else {
			u.Remove(f.name)
		}
	}
	u.SetOrRemove(attrUpdatedAt, getStr(w.runItem, attrUpdatedAt))
	if c.DueAt.IsZero() {
		u.Remove(attrDueAt)
	} else {
		u.Set(attrDueAt, w.runItem[attrDueAt])
	}
	if _, ok := w.runItem[AttrDuePK]; ok {
		u.Set(AttrDuePK, w.runItem[AttrDuePK])
		u.Set(AttrDueSK, w.runItem[AttrDueSK])
	} else {
		u.Remove(AttrDuePK)
		u.Remove(AttrDueSK)
	}
	if v, ok := w.runItem[attrFailures]; ok {
		u.Set(attrFailures, v)
	} else {
		u.Remove(attrFailures)
	}
	u.SetOrRemove(attrLastError, c.LastError)
	if c.CodeVersion != "" {
		u.Set(attrCodeVersion, str(c.CodeVersion))
	}
	if len(w.tokens) > 0 {
		u.Set(attrTokens, &types.AttributeValueMemberSS{Value: w.tokens})
	} else {
		u.Remove(attrTokens)
	}
	u.Remove(attrLease)
	if w.release {
		u.Remove(attrLeaseOwner)
		u.Remove(attrLeaseUntil)
	}
	if deferred := w.deleteIDs[p.finalDeletes:]; len(deferred) > 0 {
		u.Add(attrInboxDone, &types.AttributeValueMemberSS{Value: deferred})
	}
	cond := e.n(attrVersion) + " = " + e.v(num(c.Version))
	if lease != "" {
		cond += " AND " + e.n(attrLease) + " = " + e.v(str(lease))
	}
	if w.release {
		// The lease as read: if it changed hands since, the commit is tried again and
		// leaves the new holder's lease alone.
		cond += " AND " + e.n(attrLeaseOwner) + " = " + e.v(str(c.ReleaseLease))
	}
	expression := u.String()

	f := finalTx{claimed: w.claimed}
	f.actions = append(f.actions, types.TransactWriteItem{Update: &types.Update{
		TableName:                           &w.b.opts.Table,
		Key:                                 key(runPK(c.RunID), skMeta),
		UpdateExpression:                    &expression,
		ConditionExpression:                 &cond,
		ExpressionAttributeNames:            e.Names(),
		ExpressionAttributeValues:           e.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}})
	f.claimAt = len(f.actions)
	f.actions = append(f.actions, w.claims...)
	f.releaseAt, f.releases = len(f.actions), len(w.releases)
	f.actions = append(f.actions, w.releases...)
	f.actions = append(f.actions, w.responses...)
	f.actions = append(f.actions, w.deletes[:p.finalDeletes]...)
	f.actions = append(f.actions, w.events[p.finalFrom:]...)
	return f, nil
}

// commitError maps the failure of a final transaction to the contract's errors.
func (b *Backend) commitError(ctx context.Context, c backend.Commit, f finalTx, err error) error {
	reasons, ok := canceled(err)
	if !ok {
		if retryable(err) {
			return err
		}
		return fmt.Errorf("aws: commit run %q: %w", c.RunID, err)
	}
	if conditionFailed(reasons, 0) {
		return b.runConditionError(ctx, c, reasons[0].Item)
	}
	for i, tok := range f.claimed {
		if !conditionFailed(reasons, f.claimAt+i) {
			continue
		}
		if old := reasons[f.claimAt+i].Item; old != nil {
			return &backend.TokenConflictError{Token: tok, RunID: getStr(old, attrRunID)}
		}
		held, err := b.GetToken(ctx, tok)
		if err != nil {
			// Released since: the claim may succeed now.
			return fmt.Errorf("aws: commit run %q: token %q was held: %w", c.RunID, tok, errRetryable)
		}
		return &backend.TokenConflictError{Token: tok, RunID: held.RunID}
	}
	for i := range f.releases {
		if conditionFailed(reasons, f.releaseAt+i) {
			return fmt.Errorf("aws: commit run %q: %w", c.RunID, errReleaseRaced)
		}
	}
	if retryable(err) {
		return err
	}
	return fmt.Errorf("aws: commit run %q: %w", c.RunID, err)
}

// runConditionError explains a failed condition on the run record: the run is gone, or
// another commit got there first (a new version, or the lease taken over). old is the record
// as the failed write saw it, when the endpoint returned it.
func (b *Backend) runConditionError(ctx context.Context, c backend.Commit, old item) error {
	var version int64
	var owner string
	if old != nil {
		version, _ = getNum(old, attrVersion)
		owner = getStr(old, attrLeaseOwner)
	} else {
		r, err := b.readRun(ctx, c.RunID, attrRunID, attrVersion, attrLeaseOwner)
		if err != nil {
			return err
		}
		version, owner = r.Version, r.LeaseOwner
	}
	if version == c.Version && c.ReleaseLease != "" && owner != c.ReleaseLease {
		// Only the run lease moved (to a runner whose lease had to lapse first): try again,
		// leaving it alone.
		return fmt.Errorf("aws: commit run %q: the run lease changed hands: %w", c.RunID, errRetryable)
	}
	return fmt.Errorf("aws: commit run %q at version %d, stored version is %d: %w", c.RunID, c.Version, version, backend.ErrVersionConflict)
}
