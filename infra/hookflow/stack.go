package hookflow

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// StackProps configures a Stack.
type StackProps struct {
	awscdk.StackProps
	Hookflow Props
	// AlarmTopicArn, when set, is an SNS topic that the dead-letter alarm notifies.
	AlarmTopicArn string
	// PayloadKeyArn, when set, is the ARN of an existing KMS key (a key ARN, not an alias's)
	// that encrypts the payloads: NewStack imports it as Hookflow.PayloadKey. Not together
	// with Hookflow.PayloadKey.
	PayloadKeyArn string
}

// keyArn matches a KMS key's ARN: arn:<partition>:kms:<region>:<account>:key/<key ID>.
var keyArn = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$`)

// validate reports every invalid field of sp at once, sp.Hookflow's included.
func (sp StackProps) validate() error {
	errs := sp.Hookflow.withDefaults().problems()
	if k := sp.PayloadKeyArn; k != "" {
		if !keyArn.MatchString(k) {
			errs = append(errs, fmt.Errorf("PayloadKeyArn %q: want a KMS key ARN, arn:aws:kms:<region>:<account>:key/<key ID> "+
				"(not an alias: IAM grants the use of a key by the key's ARN)", k))
		}
		if sp.Hookflow.PayloadKey != nil {
			errs = append(errs, errors.New("PayloadKeyArn and Hookflow.PayloadKey: set one of them, not both"))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("hookflow: invalid props:\n%w", err)
	}
	return nil
}

// Stack is hookflow deployed as a stack of its own: the Hookflow construct and the outputs a
// user needs next. (A named field rather than an embedded awscdk.Stack: jsii takes a Go
// struct for a CDK object only when it overrides one of its methods.)
type Stack struct {
	Stack    awscdk.Stack
	Hookflow *Hookflow
}

// The stack's output names.
const (
	OutputWebhookBaseURL     = "WebhookBaseURL"
	OutputWebhookURLTemplate = "WebhookURLTemplate"
	OutputResumeEndpoint     = "ResumeEndpoint"
	OutputResumeFunctionName = "ResumeFunctionName"
	OutputAdminEndpoint      = "AdminEndpoint"
	OutputRunnerFunctionName = "RunnerFunctionName"
	OutputTableName          = "TableName"
	OutputQueueURL           = "QueueURL"
	OutputDeadLetterQueueURL = "DeadLetterQueueURL"
	// OutputPayloadKeyArn is the ARN of the key that encrypts payloads; only when there is
	// one (Props.PayloadKey, Props.EncryptPayloads, StackProps.PayloadKeyArn).
	OutputPayloadKeyArn = "PayloadKeyArn"
)

// NewStack defines a stack holding a Hookflow, with its outputs. It panics, as NewHookflow
// does, when props are invalid.
func NewStack(scope constructs.Construct, id *string, props *StackProps) *Stack {
	var sp StackProps
	if props != nil {
		sp = *props
	}
	if err := sp.validate(); err != nil {
		panic(err.Error())
	}
	if sp.Description == nil {
		sp.Description = jsii.String("hookflow: durable workflows with hooks and webhooks (API Gateway, Lambda, DynamoDB, SQS)")
	}
	stack := awscdk.NewStack(scope, id, &sp.StackProps)
	hp := sp.Hookflow
	if sp.AlarmTopicArn != "" {
		topic := awssns.Topic_FromTopicArn(stack, jsii.String("AlarmTopic"), jsii.String(sp.AlarmTopicArn))
		hp.AlarmActions = append([]awscloudwatch.IAlarmAction{awscloudwatchactions.NewSnsAction(topic)}, hp.AlarmActions...)
	}
	if sp.PayloadKeyArn != "" {
		hp.PayloadKey = awskms.Key_FromKeyArn(stack, jsii.String("PayloadKey"), jsii.String(sp.PayloadKeyArn))
	}
	h := NewHookflow(stack, jsii.String("Hookflow"), &hp)

	output := func(name string, value *string, description string) {
		awscdk.NewCfnOutput(stack, jsii.String(name), &awscdk.CfnOutputProps{
			Value:       value,
			Description: jsii.String(description),
		})
	}
	output(OutputWebhookBaseURL, h.BaseURL,
		"The functions' HOOKFLOW_BASE_URL: a webhook's URL is this, then "+webhookPath+"<token>")
	output(OutputWebhookURLTemplate, jsii.String(*h.BaseURL+webhookPath+"{token}"),
		"Where webhook callers send requests (any method); Webhook.URL() gives each one's URL")
	output(OutputResumeEndpoint, h.ResumeURL,
		"POST {token, payload, idempotencyKey} here, signed with SigV4 (service execute-api)")
	output(OutputResumeFunctionName, h.ResumeFunction.FunctionName(),
		"Invoke with {token, payload, idempotencyKey} to resume a hook (lambda:InvokeFunction)")
	output(OutputAdminEndpoint, h.AdminURL,
		"The operations API (pkg/admin): this, then /runs, /hooks, ..., signed with SigV4 (service execute-api)")
	output(OutputRunnerFunctionName, h.RunnerFunction.FunctionName(),
		"The runner; its published versions hold runs pinned to them (hookflow gate versions)")
	output(OutputTableName, h.Table.TableName(), "The DynamoDB table (HOOKFLOW_TABLE)")
	output(OutputQueueURL, h.Queue.QueueUrl(), "The SQS wake queue (HOOKFLOW_QUEUE_URL)")
	output(OutputDeadLetterQueueURL, h.DeadLetterQueue.QueueUrl(),
		"Wake messages the runner failed repeatedly; redrive them once the cause is fixed")
	if h.PayloadKey != nil {
		output(OutputPayloadKeyArn, h.PayloadKey.KeyArn(),
			"The KMS key that encrypts stored payloads (HOOKFLOW_KMS_KEY_ID); runs written under it need it to be read")
	}
	return &Stack{Stack: stack, Hookflow: h}
}
