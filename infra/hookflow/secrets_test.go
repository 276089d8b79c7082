package hookflow

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/require"
)

// TestWebhookSecretGrants: the webhook function and the runner may read exactly the
// parameters and secrets Props.WebhookSecrets names (and decrypt with its key); the resume
// and admin functions may read none.
func TestWebhookSecretGrants(t *testing.T) {
	t.Parallel()
	const key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	const secretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shopify-AbCdEf"
	props := &StackProps{Hookflow: Props{
		CodeDir:              testCodeDir,
		WebhookSecrets:       []string{"ssm:/hookflow/github", "ssm:slack-signing", "secretsmanager:stripe/webhook", "secretsmanager:" + secretArn},
		WebhookSecretsKeyArn: key,
	}}
	props.Env = &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")}
	s := synth(t, cdkContext(t), props, nil)
	h := s.stack.Hookflow

	want := map[string][]string{
		`"arn:aws:ssm:eu-west-1:123456789012:parameter/hookflow/github"`:               {"ssm:GetParameter"},
		`"arn:aws:ssm:eu-west-1:123456789012:parameter/slack-signing"`:                 {"ssm:GetParameter"},
		`"arn:aws:secretsmanager:eu-west-1:123456789012:secret:stripe/webhook-??????"`: {"secretsmanager:GetSecretValue"},
		`"` + secretArn + `"`: {"secretsmanager:GetSecretValue"},
		`"` + key + `"`:       {"kms:Decrypt"},
	}
	for _, fn := range []string{s.logicalID(h.WebhookFunction), s.logicalID(h.RunnerFunction)} {
		got := s.rolePermissions(t, fn)
		for res, actions := range want {
			require.Equal(t, actions, got[res], "%s: %s in %v", fn, res, got)
		}
	}
	for _, fn := range []string{s.logicalID(h.ResumeFunction), s.logicalID(h.AdminFunction)} {
		for res, actions := range s.rolePermissions(t, fn) {
			for _, a := range actions {
				require.NotRegexp(t, `^(ssm|secretsmanager|kms):`, a, "%s reads no secret (%s)", fn, res)
			}
		}
	}
}

// TestWebhookSecretRefs: references that cannot be granted are refused, each with its reason.
func TestWebhookSecretRefs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		refs []string
		want string // "" : valid
	}{
		{[]string{"ssm:/a/b", "secretsmanager:c", "ssm:arn:aws:ssm:us-east-1:1:parameter/x"}, ""},
		{[]string{"env:GITHUB_SECRET"}, "would be in the template"},
		{[]string{"vault:x"}, "want ssm:/parameter/name or secretsmanager:name"},
		{[]string{"hunter2"}, "want ssm:/parameter/name or secretsmanager:name"},
		{[]string{"ssm:"}, "the name is empty"},
		{[]string{"secretsmanager: x"}, "surrounding spaces"},
		{[]string{"ssm:arn:aws:secretsmanager:us-east-1:1:secret:x"}, "not a ssm ARN"},
		{[]string{"ssm:/a", "ssm:/a"}, "listed twice"},
	} {
		errs := checkSecretRefs(tc.refs)
		if tc.want == "" {
			require.Empty(t, errs, "%v", tc.refs)
			continue
		}
		require.Len(t, errs, 1, "%v", tc.refs)
		require.ErrorContains(t, errs[0], tc.want)
	}
}
