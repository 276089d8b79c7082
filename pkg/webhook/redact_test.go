package webhook_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/webhook"
	"github.com/hookflow/hookflow/pkg/workflow"
)

func TestRedactToken(t *testing.T) {
	t.Parallel()
	fp := webhook.TokenFingerprint("ABC234")
	require.Regexp(t, `^tok:[0-9a-f]{8}$`, fp)
	require.Equal(t, fp, webhook.TokenFingerprint("ABC234"), "stable, so lines can be correlated")
	require.NotEqual(t, fp, webhook.TokenFingerprint("ABC235"))

	for _, tc := range []struct {
		name, token, msg, want string
	}{
		{"plain", "ABC234", `aws: get token "ABC234": timeout`, `aws: get token "` + fp + `": timeout`},
		{"every occurrence", "ABC234", "ABC234/ABC234", fp + "/" + fp},
		{"in a key", "ABC234", `get idempotency "resume:6:ABC234:k"`, `get idempotency "resume:6:` + fp + `:k"`},
		{"empty token", "", "nothing to hide", "nothing to hide"},
		{"absent", "ABC234", "no token here", "no token here"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, webhook.RedactToken(tc.msg, tc.token))
		})
	}

	// Escaped forms: Go quoting (%q), JSON, URL path and query escaping.
	odd := "slack:C1/a b\n<é>&\x00"
	oddFP := webhook.TokenFingerprint(odd)
	for _, msg := range []string{
		fmt.Sprintf("token %q released", odd),
		fmt.Sprintf("token %+q released", odd),
		`{"token":"slack:C1/a b\n\u003cé\u003e\u0026\u0000"}`,
		"path /webhook/slack:C1%2Fa%20b%0A%3C%C3%A9%3E&%00",
		"query ?t=slack%3AC1%2Fa+b%0A%3C%C3%A9%3E%26%00",
	} {
		got := webhook.RedactToken(msg, odd)
		require.Contains(t, got, oddFP, "%q", msg)
	}
}

func TestRedactErrorKeepsWhatTheErrorMatches(t *testing.T) {
	t.Parallel()
	require.NoError(t, webhook.RedactError(nil, "t"))
	err := webhook.RedactError(fmt.Errorf("%w: token %q", workflow.ErrHookNotFound, "sekret-42"), "sekret-42")
	require.ErrorIs(t, err, workflow.ErrHookNotFound)
	require.NotContains(t, err.Error(), "sekret-42")
	require.Contains(t, err.Error(), webhook.TokenFingerprint("sekret-42"))
	var ve *workflow.ValidationError
	require.True(t, errors.As(webhook.RedactError(&workflow.ValidationError{Issues: []string{"x"}}, "t"), &ve))
}
