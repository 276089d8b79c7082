package hookflow

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Webhook signing secrets. A webhook's Verify spec names its secrets by reference
// (pkg/webhook/verify): "ssm:/name" for a Parameter Store parameter, "secretsmanager:name" for
// a Secrets Manager secret (either may be an ARN), "env:NAME" for the function's environment.
// The webhook function reads them to check requests, and the runner reads them once when a
// webhook is created, to refuse a secret that is not there. Props.WebhookSecrets lists the
// references the deployment's webhooks use, and each of the two functions may read exactly
// those, nothing else: least privilege, and a reference missing from the list shows as an
// AccessDenied the first time a webhook names it, not as a silent accept.

// Reference schemes, as pkg/webhook/verify spells them.
const (
	schemeSSM            = "ssm:"
	schemeSecretsManager = "secretsmanager:"
	schemeEnv            = "env:"
)

// The actions that read one secret, per store. A SecureString parameter or a secret encrypted
// with the AWS managed key (aws/ssm, aws/secretsmanager) needs no KMS grant of its own; one
// encrypted with a customer managed key needs kms:Decrypt, which Props.WebhookSecretsKeyArn
// grants.
var (
	ssmReadActions            = []string{"ssm:GetParameter"}
	secretsManagerReadActions = []string{"secretsmanager:GetSecretValue"}
	kmsDecryptActions         = []string{"kms:Decrypt"}
)

// checkSecretRefs reports the references of Props.WebhookSecrets that cannot be granted.
func checkSecretRefs(refs []string) []error {
	var errs []error
	for i, ref := range refs {
		scheme, name, _ := strings.Cut(ref, ":")
		switch {
		case strings.HasPrefix(ref, schemeEnv):
			errs = append(errs, fmt.Errorf("WebhookSecrets[%d] %q: an env: reference needs no grant, but its value would be in the template; "+
				"keep signing secrets in Parameter Store (ssm:) or Secrets Manager (secretsmanager:)", i, ref))
		case scheme+":" != schemeSSM && scheme+":" != schemeSecretsManager:
			errs = append(errs, fmt.Errorf("WebhookSecrets[%d] %q: want ssm:/parameter/name or secretsmanager:name (or an ARN after the scheme)", i, ref))
		case strings.TrimSpace(name) != name || name == "" || name == "/":
			errs = append(errs, fmt.Errorf("WebhookSecrets[%d] %q: the name is empty or has surrounding spaces", i, ref))
		case strings.HasPrefix(name, "arn:") && !strings.Contains(name, ":"+scheme+":"):
			errs = append(errs, fmt.Errorf("WebhookSecrets[%d] %q: the ARN is not a %s ARN", i, ref, scheme))
		}
		if slices.Contains(refs[:i], ref) {
			errs = append(errs, fmt.Errorf("WebhookSecrets[%d] %q: listed twice", i, ref))
		}
	}
	return errs
}

// secretArn returns the ARN of the parameter or secret ref names.
func secretArn(scope constructs.Construct, ref string) *string {
	scheme, name, _ := strings.Cut(ref, ":")
	if strings.HasPrefix(name, "arn:") {
		return jsii.String(name)
	}
	stack := awscdk.Stack_Of(scope)
	if scheme+":" == schemeSSM {
		// A parameter's ARN holds its path without the leading slash of a hierarchical name.
		return stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("ssm"), Resource: jsii.String("parameter"),
			ResourceName: jsii.String(strings.TrimPrefix(name, "/")),
			ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
		})
	}
	// A secret's ARN ends in a dash and six random characters that its name does not carry.
	return stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("secretsmanager"), Resource: jsii.String("secret"),
		ResourceName: jsii.String(name + "-??????"),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}

// grantSecrets lets fns read the parameters and secrets of p.WebhookSecrets, and decrypt with
// p.WebhookSecretsKeyArn when it is set.
func grantSecrets(scope constructs.Construct, p Props, fns ...awslambda.Function) {
	var params, secrets []*string
	for _, ref := range p.WebhookSecrets {
		if strings.HasPrefix(ref, schemeSSM) {
			params = append(params, secretArn(scope, ref))
		} else {
			secrets = append(secrets, secretArn(scope, ref))
		}
	}
	for _, fn := range fns {
		if len(params) > 0 {
			fn.AddToRolePolicy(allow(ssmReadActions, params...))
		}
		if len(secrets) > 0 {
			fn.AddToRolePolicy(allow(secretsManagerReadActions, secrets...))
		}
		if p.WebhookSecretsKeyArn != "" {
			fn.AddToRolePolicy(allow(kmsDecryptActions, jsii.String(p.WebhookSecretsKeyArn)))
		}
	}
}
