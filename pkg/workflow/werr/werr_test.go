package werr_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow/werr"
)

func TestRecordedMatchesItsSentinel(t *testing.T) {
	t.Parallel()
	err := werr.Recorded("hookflow: hook not found: token x", werr.ErrHookNotFound)
	require.ErrorIs(t, err, werr.ErrHookNotFound)
	require.Equal(t, "hookflow: hook not found: token x", err.Error())
	require.NoError(t, errors.Unwrap(werr.Recorded("other", nil)))
}

func TestErrorTypes(t *testing.T) {
	t.Parallel()
	nd := &werr.NonDeterminismError{RunID: "r", Position: 3, Recorded: "step a", Current: "step b"}
	require.ErrorIs(t, nd, werr.ErrNonDeterminism)
	require.Contains(t, nd.Error(), "position 3")
	require.Equal(t, "hookflow: invalid payload: /x: bad", (&werr.ValidationError{Issues: []string{"/x: bad"}}).Error())
	step := &werr.StepError{Step: "s", Attempts: 1, Err: werr.ErrTimeout}
	require.ErrorIs(t, step, werr.ErrTimeout)
	require.Equal(t, `step "s" failed after 1 attempt: hookflow: timed out`, step.Error())
	require.Contains(t, (&werr.HookConflictError{Token: "t", RunID: "r"}).Error(), "held by run r")
}
