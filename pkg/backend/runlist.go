package backend

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Listing runs is paged by a cursor that names the last run of a page: its creation time in
// milliseconds and its ID. Every driver orders runs the same way (CreatedAt in ms descending,
// then ID descending), so the cursor means the same thing to all of them: the next page
// starts with the first run after it in that order.

// RunCursor is the position a ListRuns page ends at.
type RunCursor struct {
	CreatedMs int64  // the last run's CreatedAt, in ms since the epoch
	RunID     string // the last run's ID
}

// CursorAfter returns the cursor that continues a listing after r.
func CursorAfter(r Run) RunCursor {
	return RunCursor{CreatedMs: r.CreatedAt.UnixMilli(), RunID: r.ID}
}

// Encode returns the cursor as an opaque, URL-safe string.
func (c RunCursor) Encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte("r1:" + strconv.FormatInt(c.CreatedMs, 10) + ":" + c.RunID))
}

// DecodeRunCursor reads a cursor that Encode wrote; anything else is ErrInvalidCursor.
func DecodeRunCursor(s string) (RunCursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return RunCursor{}, fmt.Errorf("%w: not a cursor", ErrInvalidCursor)
	}
	rest, ok := strings.CutPrefix(string(raw), "r1:")
	ms, id, ok2 := strings.Cut(rest, ":")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || !ok2 || err != nil || id == "" {
		return RunCursor{}, fmt.Errorf("%w: not a cursor", ErrInvalidCursor)
	}
	return RunCursor{CreatedMs: n, RunID: id}, nil
}

// Before reports whether r comes after the cursor's run in ListRuns order (older, or as old
// with a smaller ID): whether it belongs on a page after the cursor.
func (c RunCursor) Before(r Run) bool {
	ms := r.CreatedAt.UnixMilli()
	return ms < c.CreatedMs || (ms == c.CreatedMs && r.ID < c.RunID)
}

// CompareRuns orders runs as ListRuns lists them: newest first by CreatedAt in ms, then by ID
// descending. It returns a negative number when a comes first.
func CompareRuns(a, b Run) int {
	am, bm := a.CreatedAt.UnixMilli(), b.CreatedAt.UnixMilli()
	switch {
	case am != bm:
		if am > bm {
			return -1
		}
		return 1
	case a.ID > b.ID:
		return -1
	case a.ID < b.ID:
		return 1
	}
	return 0
}

// Matches reports whether r passes q's filters (not its cursor or limit).
func (q RunQuery) Matches(r Run) bool {
	ms := r.CreatedAt.UnixMilli()
	return (q.Status == "" || r.Status == q.Status) &&
		(q.Workflow == "" || r.Workflow == q.Workflow) &&
		(q.CreatedAfter.IsZero() || ms > q.CreatedAfter.UnixMilli()) &&
		(q.CreatedBefore.IsZero() || ms < q.CreatedBefore.UnixMilli())
}

// PageSize returns the page size q asks for, within DefaultRunPage and MaxRunPage.
func (q RunQuery) PageSize() int {
	switch {
	case q.Limit <= 0:
		return DefaultRunPage
	case q.Limit > MaxRunPage:
		return MaxRunPage
	}
	return q.Limit
}
