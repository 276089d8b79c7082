package hookflow

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
)

// DefaultCodeDir is where `make build` leaves the functions' binaries, relative to infra/
// (the directory cdk runs the app in).
const DefaultCodeDir = "../build/lambda"

// The functions, and the names of their directories under Props.CodeDir.
const (
	FnWebhook = "webhook"
	FnRunner  = "runner"
	FnResume  = "resume"
	FnAdmin   = "admin"
)

// Props configures a Hookflow. The zero value deploys the defaults documented on each field.
type Props struct {
	// CodeDir holds webhook/bootstrap, runner/bootstrap, resume/bootstrap and
	// admin/bootstrap: linux/arm64 binaries, as `make build` writes them. A relative path is
	// resolved from the working directory (infra/ under cdk). Default DefaultCodeDir.
	CodeDir string
	// WebhookCode, RunnerCode, ResumeCode and AdminCode, when set, replace the function's
	// code from CodeDir: a user's runner links the user's workflows, so it is usually built
	// elsewhere.
	WebhookCode, RunnerCode, ResumeCode, AdminCode awslambda.Code
	// Architecture of the binaries. Default awslambda.Architecture_ARM_64(); x86_64 serves
	// an emulator on an x86 machine (make deploy-localstack LAMBDA_ARCH=amd64).
	Architecture awslambda.Architecture

	// RemovalPolicy applies to the table, the log groups and the payload key that
	// EncryptPayloads creates when the stack is deleted or they leave it: RETAIN or DESTROY
	// (DynamoDB has no SNAPSHOT). Default awscdk.RemovalPolicy_RETAIN: runs and their
	// histories outlive the stack, and so does the key that can read them.
	RemovalPolicy awscdk.RemovalPolicy
	// DeletionProtection refuses DeleteTable, from the stack or anyone else. Default true.
	DeletionProtection *bool

	// MaxReceiveCount is how often SQS delivers a wake message before it moves it to the
	// dead-letter queue. Default 5.
	MaxReceiveCount int
	// VisibilityTimeout of the wake queue. Default six times RunnerTimeout, as AWS advises
	// for a queue that feeds a function; it must exceed RunnerTimeout.
	VisibilityTimeout time.Duration
	// BatchSize is the number of wake messages per runner invocation. Default 10.
	BatchSize int
	// MaxConcurrency caps the runner invocations the queue drives at once, from 2 to 1000.
	// Default 10.
	MaxConcurrency int

	// WebhookTimeout of the webhook function: it waits for manual responses, and must stay
	// below API Gateway's 30-second integration limit. Default 29s.
	WebhookTimeout time.Duration
	// RunnerTimeout of the runner function: a turn runs steps inline and stops before it.
	// Default 2m, at most 15m.
	RunnerTimeout time.Duration
	// ResumeTimeout of the resume function. Default 10s, at most 29s (API Gateway).
	ResumeTimeout time.Duration
	// AdminTimeout of the admin function, which serves the operations API: listing every
	// live hook scans the table, so it gets API Gateway's whole wait. Default 29s, at most
	// 29s.
	AdminTimeout time.Duration
	// Memory of the functions in MiB. Defaults: webhook 256, runner 512, resume 256,
	// admin 256.
	WebhookMemoryMiB, RunnerMemoryMiB, ResumeMemoryMiB, AdminMemoryMiB int

	// SweepEvery is the period of the EventBridge schedule that makes the runner sweep for
	// overdue runs. Default 1m (EventBridge's finest).
	SweepEvery time.Duration
	// SweepGrace sets HOOKFLOW_SWEEP_GRACE. Zero: the function's default (30s).
	SweepGrace time.Duration
	// MaxPayloadBytes sets HOOKFLOW_MAX_PAYLOAD_BYTES. Zero: the functions' default (256 KiB).
	MaxPayloadBytes int
	// LogLevel sets HOOKFLOW_LOG_LEVEL: debug, info, warn or error. Default info.
	LogLevel string
	// LogRetention of the functions' and the API's log groups. Default one month.
	LogRetention awslogs.RetentionDays

	// ThrottleRateLimit is the API's steady-state limit in requests per second, and
	// ThrottleBurstLimit its burst. Defaults 100 and 200.
	ThrottleRateLimit  float64
	ThrottleBurstLimit int

	// AlarmActions run when the dead-letter queue holds a message (an SNS topic, say).
	AlarmActions []awscloudwatch.IAlarmAction

	// WebhookSecrets are the secret references the deployment's webhooks name in their
	// Verify specs and handshakes: "ssm:/parameter/name" or "secretsmanager:name" (or an ARN
	// after either scheme). The webhook function and the runner may read these and no others
	// (see secrets.go). env: references are refused: their value would sit in the template.
	WebhookSecrets []string
	// WebhookSecretsKeyArn is the customer managed KMS key that encrypts those parameters or
	// secrets, when it is not the AWS managed one; the two functions may decrypt with it.
	WebhookSecretsKeyArn string

	// PayloadKey, when set, encrypts the payloads the functions store (workflow inputs and
	// outputs, step results, hook and webhook payloads) with envelope encryption: it sets
	// HOOKFLOW_KMS_KEY_ID to the key's ARN on every function, and every function's role may
	// call kms:GenerateDataKey (to encrypt) and kms:Decrypt (to read back) on this key, and
	// nothing else on it. A symmetric encryption key, not an alias: IAM grants Decrypt by
	// the key's ARN. An imported key (awskms.Key_FromKeyArn) must let the account's IAM
	// policies grant its use, as a key's default key policy does. Setting it implies
	// encryption, whatever EncryptPayloads says.
	//
	// Payloads written under a key need that key to be read back, and the functions may
	// use this key only: to move to another one, keep the old key enabled and grant the
	// functions kms:Decrypt on it (Hookflow's function fields) until the runs written under
	// it have ended and expired (see RetentionDays). Turning encryption off leaves the runs
	// written under the key unreadable in the same way.
	PayloadKey awskms.IKey
	// EncryptPayloads, when true and PayloadKey is nil, creates the key that encrypts the
	// payloads (Hookflow.PayloadKey): a symmetric key with yearly automatic rotation, under the
	// default key policy (the account's IAM policies decide who may use it), removed as
	// RemovalPolicy says. Default false: payloads are stored as they are, in a table that
	// DynamoDB encrypts at rest with an AWS owned key (anyone who may read the table, its
	// backups or its exports reads the payloads).
	EncryptPayloads *bool

	// RetentionDays sets HOOKFLOW_RETENTION on the runner to "<n>d": ended runs are deleted
	// n days after they end, from 1 to 36500. Nil (and KeepRunsForever unset): the variable
	// is not set, and the runner keeps ended runs for its default, 30 days. A pointer, so
	// that 0 is refused rather than read as "unset" (it is neither "keep nothing" nor "keep
	// for ever": KeepRunsForever is that).
	RetentionDays *int
	// KeepRunsForever, when true, sets HOOKFLOW_RETENTION to "forever": the runner never
	// deletes ended runs. Not together with RetentionDays.
	KeepRunsForever *bool
}

// withDefaults returns p with every unset field at its documented default, except
// Architecture, whose default (a jsii object) newFunction picks: withDefaults and validate
// make no jsii calls, so that tests may run them in parallel.
func (p Props) withDefaults() Props {
	p.CodeDir = cmp.Or(p.CodeDir, DefaultCodeDir)
	p.RemovalPolicy = cmp.Or(p.RemovalPolicy, awscdk.RemovalPolicy_RETAIN)
	if p.DeletionProtection == nil {
		p.DeletionProtection = ptr(true)
	}
	p.MaxReceiveCount = cmp.Or(p.MaxReceiveCount, 5)
	p.BatchSize = cmp.Or(p.BatchSize, 10)
	p.MaxConcurrency = cmp.Or(p.MaxConcurrency, 10)
	p.WebhookTimeout = cmp.Or(p.WebhookTimeout, 29*time.Second)
	p.RunnerTimeout = cmp.Or(p.RunnerTimeout, 2*time.Minute)
	p.ResumeTimeout = cmp.Or(p.ResumeTimeout, 10*time.Second)
	p.AdminTimeout = cmp.Or(p.AdminTimeout, 29*time.Second)
	p.VisibilityTimeout = cmp.Or(p.VisibilityTimeout, 6*p.RunnerTimeout)
	p.WebhookMemoryMiB = cmp.Or(p.WebhookMemoryMiB, 256)
	p.RunnerMemoryMiB = cmp.Or(p.RunnerMemoryMiB, 512)
	p.ResumeMemoryMiB = cmp.Or(p.ResumeMemoryMiB, 256)
	p.AdminMemoryMiB = cmp.Or(p.AdminMemoryMiB, 256)
	p.SweepEvery = cmp.Or(p.SweepEvery, time.Minute)
	p.LogLevel = cmp.Or(p.LogLevel, "info")
	p.LogRetention = cmp.Or(p.LogRetention, awslogs.RetentionDays_ONE_MONTH)
	p.ThrottleRateLimit = cmp.Or(p.ThrottleRateLimit, 100)
	p.ThrottleBurstLimit = cmp.Or(p.ThrottleBurstLimit, 200)
	return p
}

// validate reports every invalid field of defaulted props at once.
func (p Props) validate() error {
	if err := errors.Join(p.problems()...); err != nil {
		return fmt.Errorf("hookflow: invalid props:\n%w", err)
	}
	return nil
}

// problems returns the invalid fields of defaulted props, one error each.
func (p Props) problems() []error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(p.RemovalPolicy == awscdk.RemovalPolicy_RETAIN || p.RemovalPolicy == awscdk.RemovalPolicy_DESTROY,
		"RemovalPolicy %s: must be RETAIN or DESTROY", p.RemovalPolicy)
	check(p.MaxReceiveCount >= 1 && p.MaxReceiveCount <= 1000, "MaxReceiveCount %d: must be 1 to 1000", p.MaxReceiveCount)
	check(p.BatchSize >= 1 && p.BatchSize <= 10, "BatchSize %d: must be 1 to 10 (a larger batch needs a batching window)", p.BatchSize)
	check(p.MaxConcurrency >= 2 && p.MaxConcurrency <= 1000, "MaxConcurrency %d: must be 2 to 1000", p.MaxConcurrency)
	check(wholeSeconds(p.WebhookTimeout) && p.WebhookTimeout < 30*time.Second,
		"WebhookTimeout %s: must be whole seconds below API Gateway's 30s", p.WebhookTimeout)
	check(wholeSeconds(p.ResumeTimeout) && p.ResumeTimeout < 30*time.Second,
		"ResumeTimeout %s: must be whole seconds below API Gateway's 30s", p.ResumeTimeout)
	check(wholeSeconds(p.AdminTimeout) && p.AdminTimeout < 30*time.Second,
		"AdminTimeout %s: must be whole seconds below API Gateway's 30s", p.AdminTimeout)
	check(wholeSeconds(p.RunnerTimeout) && p.RunnerTimeout <= 15*time.Minute,
		"RunnerTimeout %s: must be whole seconds, at most 15m", p.RunnerTimeout)
	check(wholeSeconds(p.VisibilityTimeout) && p.VisibilityTimeout > p.RunnerTimeout && p.VisibilityTimeout <= 12*time.Hour,
		"VisibilityTimeout %s: must be whole seconds, above RunnerTimeout (%s) and at most 12h", p.VisibilityTimeout, p.RunnerTimeout)
	for name, mib := range map[string]int{
		"WebhookMemoryMiB": p.WebhookMemoryMiB, "RunnerMemoryMiB": p.RunnerMemoryMiB,
		"ResumeMemoryMiB": p.ResumeMemoryMiB, "AdminMemoryMiB": p.AdminMemoryMiB,
	} {
		check(mib >= 128 && mib <= 10240, "%s %d: must be 128 to 10240", name, mib)
	}
	check(p.SweepEvery >= time.Minute && p.SweepEvery%time.Minute == 0, "SweepEvery %s: must be whole minutes", p.SweepEvery)
	check(p.SweepGrace >= 0, "SweepGrace %s: must not be negative", p.SweepGrace)
	check(p.MaxPayloadBytes >= 0 && p.MaxPayloadBytes <= 300<<10, "MaxPayloadBytes %d: must be 0 (the default) to %d", p.MaxPayloadBytes, 300<<10)
	switch p.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("LogLevel %q: must be debug, info, warn or error", p.LogLevel))
	}
	check(p.ThrottleRateLimit > 0, "ThrottleRateLimit %v: must be positive", p.ThrottleRateLimit)
	check(p.ThrottleBurstLimit > 0, "ThrottleBurstLimit %d: must be positive", p.ThrottleBurstLimit)
	for _, fn := range []struct {
		name string
		code awslambda.Code
	}{{FnWebhook, p.WebhookCode}, {FnRunner, p.RunnerCode}, {FnResume, p.ResumeCode}, {FnAdmin, p.AdminCode}} {
		if fn.code != nil {
			continue
		}
		path := filepath.Join(p.CodeDir, fn.name, "bootstrap")
		if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
			errs = append(errs, fmt.Errorf("%s is missing: run `make build` at the repository root, or set CodeDir", path))
		}
	}
	errs = append(errs, checkSecretRefs(p.WebhookSecrets)...)
	if k := p.WebhookSecretsKeyArn; k != "" && !strings.HasPrefix(k, "arn:") {
		errs = append(errs, fmt.Errorf("WebhookSecretsKeyArn %q: want a KMS key ARN", k))
	}
	if d := p.RetentionDays; d != nil {
		check(*d >= 1 && *d <= maxRetentionDays,
			"RetentionDays %d: must be 1 to %d (KeepRunsForever keeps ended runs for ever)", *d, maxRetentionDays)
		check(!isTrue(p.KeepRunsForever),
			"RetentionDays %d and KeepRunsForever: set one of them, not both", *d)
	}
	return errs
}

func wholeSeconds(d time.Duration) bool { return d > 0 && d%time.Second == 0 }

// isTrue reports whether an optional flag is set and true.
func isTrue(b *bool) bool { return b != nil && *b }

func ptr[T any](v T) *T { return &v }
