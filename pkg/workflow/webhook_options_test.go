package workflow_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/webhook/verify"
	"github.com/hookflow/hookflow/pkg/workflow"
	"github.com/hookflow/hookflow/pkg/workflow/workflowtest"
)

// CreateWebhook refuses options that cannot work, with ErrInvalidArgument naming the problem.
func TestCreateWebhookRefusesSenderOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts workflow.WebhookOptions
		want string
	}{
		{"delivery id twice", workflow.WebhookOptions{DeliveryIDHeader: "X-Id", DeliveryIDPointer: "/id"}, "not both"},
		{"pointer without a slash", workflow.WebhookOptions{DeliveryIDPointer: "id"}, "not a JSON pointer"},
		{"unknown sender", workflow.WebhookOptions{Verify: &verify.Spec{Kind: "pigeon", Secrets: []string{"env:X"}}}, "webhook Verify"},
		{"a secret, not a reference", workflow.WebhookOptions{Verify: &verify.Spec{Kind: verify.KindGitHub, Secrets: []string{"hunter2"}}}, "webhook Verify"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := workflow.Define("opts", func(ctx workflow.Context, _ struct{}) (string, error) {
				_, err := workflow.CreateWebhook(ctx, tc.opts)
				return "", err
			})
			env := workflowtest.New(t, w)
			run, err := workflow.Start(t.Context(), env.Client(), w, struct{}{})
			require.NoError(t, err)
			_, err = run.Result(t.Context())
			require.ErrorIs(t, err, workflow.ErrInvalidArgument)
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), "hunter2", "a secret pasted into a spec is not echoed")
		})
	}
}
