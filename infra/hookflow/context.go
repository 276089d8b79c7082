package hookflow

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// The CDK context keys the app reads (cdk.json, or `cdk synth -c key=value`). Each sets the
// Props or StackProps field of the same name; an absent key keeps the field's default.
const (
	CtxStackName          = "hookflow:stackName"            // the stack's name; default "Hookflow"
	CtxCodeDir            = "hookflow:codeDir"              // Props.CodeDir
	CtxArchitecture       = "hookflow:architecture"         // "arm64", or "x86_64" (or Go's "amd64")
	CtxRemovalPolicy      = "hookflow:removalPolicy"        // "retain" or "destroy"
	CtxDeletionProtection = "hookflow:deletionProtection"   // true or false
	CtxMaxReceiveCount    = "hookflow:maxReceiveCount"      // a number
	CtxBatchSize          = "hookflow:batchSize"            // a number
	CtxMaxConcurrency     = "hookflow:maxConcurrency"       // a number
	CtxRunnerTimeout      = "hookflow:runnerTimeout"        // a Go duration, "2m"
	CtxVisibilityTimeout  = "hookflow:visibilityTimeout"    // a Go duration, "12m"
	CtxLogLevel           = "hookflow:logLevel"             // debug, info, warn or error
	CtxLogRetentionDays   = "hookflow:logRetentionDays"     // one of CloudWatch's periods, 0 for ever
	CtxThrottleRateLimit  = "hookflow:throttleRateLimit"    // requests per second
	CtxThrottleBurstLimit = "hookflow:throttleBurstLimit"   // requests
	CtxAlarmTopicArn      = "hookflow:alarmTopicArn"        // StackProps.AlarmTopicArn
	CtxWebhookSecrets     = "hookflow:webhookSecrets"       // Props.WebhookSecrets: a list, or one comma-separated string
	CtxWebhookSecretsKey  = "hookflow:webhookSecretsKeyArn" // Props.WebhookSecretsKeyArn
	CtxEncryptPayloads    = "hookflow:encryptPayloads"      // true or false: Props.EncryptPayloads
	CtxPayloadKeyArn      = "hookflow:payloadKeyArn"        // StackProps.PayloadKeyArn: an existing key's ARN
	CtxRetentionDays      = "hookflow:retentionDays"        // Props.RetentionDays: a whole number of days, 1 to 36500
	CtxKeepRunsForever    = "hookflow:keepRunsForever"      // true or false: Props.KeepRunsForever
)

// DefaultStackName is the stack's name when the context does not give one.
const DefaultStackName = "Hookflow"

// retentionDays maps CloudWatch Logs' retention periods in days to the CDK's names.
var retentionDays = map[int]awslogs.RetentionDays{
	0: awslogs.RetentionDays_INFINITE, 1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS,
	5: awslogs.RetentionDays_FIVE_DAYS, 7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS,
	30: awslogs.RetentionDays_ONE_MONTH, 60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS,
	120: awslogs.RetentionDays_FOUR_MONTHS, 150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS,
	365: awslogs.RetentionDays_ONE_YEAR, 400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS,
	731: awslogs.RetentionDays_TWO_YEARS, 1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS,
	2192: awslogs.RetentionDays_SIX_YEARS, 2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS,
	3288: awslogs.RetentionDays_NINE_YEARS, 3653: awslogs.RetentionDays_TEN_YEARS,
}

// StackFromContext reads the stack's name and props from node's context (the app's). Values
// from cdk.json arrive as JSON values, values from -c as strings; both are accepted.
func StackFromContext(node constructs.Node) (name string, props StackProps, err error) {
	get := func(key string) (string, bool) {
		v := node.TryGetContext(jsii.String(key))
		if v == nil {
			return "", false
		}
		switch v := v.(type) {
		case string:
			return strings.TrimSpace(v), true
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64), true
		default:
			return fmt.Sprint(v), true
		}
	}
	var errs []error
	bad := func(key, v, want string) { errs = append(errs, fmt.Errorf("context %s=%q: want %s", key, v, want)) }
	str := func(key string, dst *string) {
		if v, ok := get(key); ok {
			*dst = v
		}
	}
	integer := func(key string, dst *int) {
		if v, ok := get(key); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				bad(key, v, "an integer")
			}
			*dst = n
		}
	}
	boolean := func(key string, dst **bool) {
		if v, ok := get(key); ok {
			b, err := strconv.ParseBool(v)
			if err != nil {
				bad(key, v, "true or false")
			}
			*dst = &b
		}
	}
	duration := func(key string, dst *time.Duration) {
		if v, ok := get(key); ok {
			d, err := time.ParseDuration(v)
			if err != nil {
				bad(key, v, "a duration such as 2m")
			}
			*dst = d
		}
	}

	name = DefaultStackName
	str(CtxStackName, &name)
	p := &props.Hookflow
	str(CtxCodeDir, &p.CodeDir)
	if v, ok := get(CtxArchitecture); ok {
		switch strings.ToLower(v) {
		case "arm64":
			p.Architecture = awslambda.Architecture_ARM_64()
		case "x86_64", "amd64":
			p.Architecture = awslambda.Architecture_X86_64()
		default:
			bad(CtxArchitecture, v, "arm64 or x86_64")
		}
	}
	if v, ok := get(CtxRemovalPolicy); ok {
		switch strings.ToLower(v) {
		case "retain":
			p.RemovalPolicy = awscdk.RemovalPolicy_RETAIN
		case "destroy":
			p.RemovalPolicy = awscdk.RemovalPolicy_DESTROY
		default:
			bad(CtxRemovalPolicy, v, "retain or destroy")
		}
	}
	boolean(CtxDeletionProtection, &p.DeletionProtection)
	integer(CtxMaxReceiveCount, &p.MaxReceiveCount)
	integer(CtxBatchSize, &p.BatchSize)
	integer(CtxMaxConcurrency, &p.MaxConcurrency)
	duration(CtxRunnerTimeout, &p.RunnerTimeout)
	duration(CtxVisibilityTimeout, &p.VisibilityTimeout)
	str(CtxLogLevel, &p.LogLevel)
	if v, ok := get(CtxLogRetentionDays); ok {
		n, err := strconv.Atoi(v)
		r, known := retentionDays[n]
		if err != nil || !known {
			bad(CtxLogRetentionDays, v, "a CloudWatch Logs retention in days (1, 3, 5, 7, 14, 30, 60, 90, ... 3653) or 0 for ever")
		}
		p.LogRetention = r
	}
	if v, ok := get(CtxThrottleRateLimit); ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			bad(CtxThrottleRateLimit, v, "a number")
		}
		p.ThrottleRateLimit = f
	}
	integer(CtxThrottleBurstLimit, &p.ThrottleBurstLimit)
	str(CtxAlarmTopicArn, &props.AlarmTopicArn)
	switch v := node.TryGetContext(jsii.String(CtxWebhookSecrets)).(type) {
	case nil:
	case []any: // from cdk.json
		for _, ref := range v {
			p.WebhookSecrets = append(p.WebhookSecrets, strings.TrimSpace(fmt.Sprint(ref)))
		}
	case string: // from -c, comma-separated
		for ref := range strings.SplitSeq(v, ",") {
			if ref = strings.TrimSpace(ref); ref != "" {
				p.WebhookSecrets = append(p.WebhookSecrets, ref)
			}
		}
	default:
		bad(CtxWebhookSecrets, fmt.Sprint(v), "a list of references, or one comma-separated string")
	}
	str(CtxWebhookSecretsKey, &p.WebhookSecretsKeyArn)
	boolean(CtxEncryptPayloads, &p.EncryptPayloads)
	str(CtxPayloadKeyArn, &props.PayloadKeyArn)
	if v, ok := get(CtxRetentionDays); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			bad(CtxRetentionDays, v, "a whole number of days, such as 30 ("+CtxKeepRunsForever+"=true keeps ended runs for ever)")
		}
		p.RetentionDays = &n
	}
	boolean(CtxKeepRunsForever, &p.KeepRunsForever)
	return name, props, errors.Join(errs...)
}
