package hookflow

import (
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// fnSpec is what differs between the functions.
type fnSpec struct {
	id          string // construct ID
	dir         string // directory under Props.CodeDir
	description string
	code        awslambda.Code
	timeout     time.Duration
	memoryMiB   int
	env         map[string]*string
	// recursiveLoop: the runner is fed by the queue it sends to (a sleep longer than SQS's
	// 15-minute delay is a chain of wakes), which Lambda's loop detection would cut short.
	recursiveLoop awslambda.RecursiveLoop
	// asyncRetries bounds Lambda's retries of a failed asynchronous invocation (nil: Lambda's
	// default, 2).
	asyncRetries *float64
	// versions: publish a version on every change, and retain the old ones.
	versions bool
}

// newFunctions defines the webhook, runner, resume and admin functions, each with a role of
// its own that holds only what the function uses, and the runner's SQS event source.
func (h *Hookflow) newFunctions(scope constructs.Construct, p Props) {
	common := map[string]*string{
		envTable:    h.Table.TableName(),
		envQueueURL: h.Queue.QueueUrl(),
		envLogLevel: jsii.String(p.LogLevel),
	}
	if p.MaxPayloadBytes > 0 {
		common[envMaxPayloadBytes] = jsii.String(strconv.Itoa(p.MaxPayloadBytes))
	}
	if h.PayloadKey != nil {
		common[envKMSKeyID] = h.PayloadKey.KeyArn()
	}
	with := func(extra map[string]*string) map[string]*string {
		env := map[string]*string{}
		for k, v := range common {
			env[k] = v
		}
		for k, v := range extra {
			env[k] = v
		}
		return env
	}
	runnerEnv := map[string]*string{envBaseURL: h.BaseURL}
	if p.SweepGrace > 0 {
		runnerEnv[envSweepGrace] = jsii.String(p.SweepGrace.String())
	}
	// The runner alone deletes ended runs: its sweep finds them due when they expire.
	if r := p.retention(); r != "" {
		runnerEnv[envRetention] = jsii.String(r)
	}

	h.WebhookFunction = newFunction(scope, p, fnSpec{
		id: "Webhook", dir: FnWebhook, code: p.WebhookCode,
		description: "hookflow: ANY " + webhookPath + "{token}",
		timeout:     p.WebhookTimeout, memoryMiB: p.WebhookMemoryMiB,
		env: with(map[string]*string{envBaseURL: h.BaseURL}),
	})
	h.RunnerFunction = newFunction(scope, p, fnSpec{
		id: "Runner", dir: FnRunner, code: p.RunnerCode,
		description: "hookflow: runs workflow turns for wake messages, and sweeps overdue runs on a schedule",
		timeout:     p.RunnerTimeout, memoryMiB: p.RunnerMemoryMiB,
		env:           with(runnerEnv),
		recursiveLoop: awslambda.RecursiveLoop_ALLOW,
		// The asynchronous invocations are the schedule's, and wakes forwarded to the version
		// a run is pinned to. A failed sweep is better left to the next one, a period later,
		// than retried on top of it; a failed forwarded turn leaves its run due, and the sweep
		// forwards it again.
		asyncRetries: jsii.Number(0),
		versions:     true,
	})
	h.ResumeFunction = newFunction(scope, p, fnSpec{
		id: "Resume", dir: FnResume, code: p.ResumeCode,
		description: "hookflow: resumes hooks, from POST " + resumePath + " (IAM) or a direct invoke",
		timeout:     p.ResumeTimeout, memoryMiB: p.ResumeMemoryMiB,
		env: with(nil),
	})
	h.AdminFunction = newFunction(scope, p, fnSpec{
		id: "Admin", dir: FnAdmin, code: p.AdminCode,
		description: "hookflow: the operations API, ANY " + adminPath + "/{proxy+} (IAM)",
		timeout:     p.AdminTimeout, memoryMiB: p.AdminMemoryMiB,
		// The base URL makes the webhook URLs of the hooks it lists.
		env: with(map[string]*string{envBaseURL: h.BaseURL}),
	})

	tableArn := h.Table.TableArn()
	dueIndexArn := jsii.String(*tableArn + "/index/" + indexDue)
	runsIndexArn := jsii.String(*tableArn + "/index/" + indexRuns)
	for _, fn := range []awslambda.Function{h.WebhookFunction, h.ResumeFunction} {
		fn.AddToRolePolicy(allow(inboxTableActions, tableArn))
	}
	h.RunnerFunction.AddToRolePolicy(allow(runnerTableActions, tableArn))
	h.RunnerFunction.AddToRolePolicy(allow(runnerIndexActions, dueIndexArn))
	h.AdminFunction.AddToRolePolicy(allow(adminTableActions, tableArn))
	h.AdminFunction.AddToRolePolicy(allow(adminIndexActions, runsIndexArn))
	for _, fn := range []awslambda.Function{h.WebhookFunction, h.RunnerFunction, h.ResumeFunction, h.AdminFunction} {
		fn.AddToRolePolicy(allow(queueSendActions, h.Queue.QueueArn()))
	}
	// The webhook function checks signatures; the runner checks at CreateWebhook that each
	// secret resolves. The resume function never sees a webhook request, and the admin
	// function's redeliveries skip the signature check (the caller is an operator).
	grantSecrets(scope, p, h.WebhookFunction, h.RunnerFunction)
	if h.PayloadKey != nil {
		grantPayloadKey(h.PayloadKey, h.WebhookFunction, h.RunnerFunction, h.ResumeFunction, h.AdminFunction)
	}

	// Runs pinned to an older version of the runner are forwarded to it by the live version
	// (pkg/lambdafn/forward.go), which may invoke any version of its own function. The
	// statement is a policy of its own: in the role's default policy, which the function
	// depends on, the function's ARN would make a cycle.
	awsiam.NewPolicy(scope, jsii.String("RunnerForwardPolicy"), &awsiam.PolicyProps{
		Statements: &[]awsiam.PolicyStatement{
			allow(runnerForwardActions, jsii.String(*h.RunnerFunction.FunctionArn()+":*")),
		},
		Roles: &[]awsiam.IRole{h.RunnerFunction.Role()},
	})
	h.RunnerAlias = awslambda.NewAlias(scope, jsii.String("RunnerLive"), &awslambda.AliasProps{
		AliasName:   jsii.String(RunnerAliasName),
		Version:     h.RunnerFunction.CurrentVersion(),
		Description: jsii.String("hookflow: the runner's newest version, which takes the wakes"),
	})
	h.RunnerAlias.AddEventSource(awslambdaeventsources.NewSqsEventSource(h.Queue, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:      jsii.Number(p.BatchSize),
		MaxConcurrency: jsii.Number(p.MaxConcurrency),
		// The runner answers with the messages whose turns failed, and only those return.
		ReportBatchItemFailures: jsii.Bool(true),
	}))
}

// newFunction defines one function: provided.al2023 (arm64 by default), its code, a log
// group with the configured retention, and a role that may write to that log group and
// nothing else yet.
func newFunction(scope constructs.Construct, p Props, s fnSpec) awslambda.Function {
	logs := newLogGroup(scope, s.id+"Logs", p)
	// A role of the function's own rather than the default one, whose managed policy
	// (AWSLambdaBasicExecutionRole) allows writing to every log group in the account.
	role := awsiam.NewRole(scope, jsii.String(s.id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("hookflow " + s.dir + " function"),
	})
	logs.GrantWrite(role)
	code := s.code
	if code == nil {
		code = awslambda.Code_FromAsset(jsii.String(filepath.Join(p.CodeDir, s.dir)), nil)
	}
	arch := p.Architecture
	if arch == nil {
		arch = awslambda.Architecture_ARM_64()
	}
	var versions *awslambda.VersionOptions
	if s.versions {
		versions = &awslambda.VersionOptions{
			RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
			Description:   jsii.String("hookflow " + s.dir + ": runs stay on the version that started them"),
		}
	}
	return awslambda.NewFunction(scope, jsii.String(s.id), &awslambda.FunctionProps{
		CurrentVersionOptions: versions,
		Description:           jsii.String(s.description),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          arch,
		Handler:               jsii.String("bootstrap"),
		Code:                  code,
		MemorySize:            jsii.Number(s.memoryMiB),
		Timeout:               seconds(s.timeout),
		Environment:           &s.env,
		Role:                  role,
		LogGroup:              logs,
		RecursiveLoop:         s.recursiveLoop,
		RetryAttempts:         s.asyncRetries,
	})
}

// newLogGroup defines a log group with the configured retention and removal policy.
func newLogGroup(scope constructs.Construct, id string, p Props) awslogs.LogGroup {
	return awslogs.NewLogGroup(scope, jsii.String(id), &awslogs.LogGroupProps{
		Retention:     p.LogRetention,
		RemovalPolicy: p.RemovalPolicy,
	})
}

// newSweep invokes the runner on a schedule with EventBridge's scheduled event (source
// "aws.events", detail-type "Scheduled Event"), which the runner answers with a sweep.
func newSweep(scope constructs.Construct, runner awslambda.IFunction, p Props) awsevents.Rule {
	return awsevents.NewRule(scope, jsii.String("Sweep"), &awsevents.RuleProps{
		Description: jsii.String("hookflow: the runner wakes runs whose due time has passed"),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(p.SweepEvery.Minutes()))),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(runner, &awseventstargets.LambdaFunctionProps{
			// A sweep that could not be delivered within a period is overtaken by the next.
			RetryAttempts: jsii.Number(2),
			MaxEventAge:   awscdk.Duration_Minutes(jsii.Number(p.SweepEvery.Minutes())),
		})},
	})
}

// seconds converts a whole-second duration for the CDK.
func seconds(d time.Duration) awscdk.Duration {
	return awscdk.Duration_Seconds(jsii.Number(d.Seconds()))
}
