package workflow_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/workflow"
)

func TestParseRetention(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{
		"30d": 30 * 24 * time.Hour, "720h": 720 * time.Hour, "90m": 90 * time.Minute, "forever": workflow.KeepForever,
	} {
		got, err := workflow.ParseRetention(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "0", "0d", "-1h", "1.5d", "d", "soon", "Forever", "40000d"} {
		_, err := workflow.ParseRetention(bad)
		require.ErrorIs(t, err, workflow.ErrInvalidArgument, bad)
	}
}
