package hookflow

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/require"
)

// TestCustomProps synthesizes a throwaway development stack: every knob away from its
// default, a runner built elsewhere, a caller granted the right to resume, and an operator
// granted the operations API.
func TestCustomProps(t *testing.T) {
	var caller, operator awsiam.Role
	s := synth(t, map[string]any{}, &StackProps{
		AlarmTopicArn: "arn:aws:sns:eu-west-1:123456789012:ops",
		Hookflow: Props{
			CodeDir:            testCodeDir,
			RunnerCode:         awslambda.Code_FromAsset(jsii.String(filepath.Join(testCodeDir, FnWebhook)), nil),
			Architecture:       awslambda.Architecture_X86_64(),
			RemovalPolicy:      awscdk.RemovalPolicy_DESTROY,
			DeletionProtection: ptr(false),
			MaxReceiveCount:    3,
			RunnerTimeout:      5 * time.Minute,
			RunnerMemoryMiB:    1024,
			AdminTimeout:       20 * time.Second,
			AdminMemoryMiB:     512,
			BatchSize:          5,
			MaxConcurrency:     50,
			SweepEvery:         5 * time.Minute,
			SweepGrace:         45 * time.Second,
			MaxPayloadBytes:    100_000,
			LogLevel:           "debug",
			LogRetention:       awslogs.RetentionDays_ONE_WEEK,
			ThrottleRateLimit:  10,
			ThrottleBurstLimit: 20,
		},
	}, func(stack *Stack) {
		// A *Hookflow is a construct to jsii: it can be a scope.
		caller = awsiam.NewRole(stack.Hookflow, jsii.String("Caller"), &awsiam.RoleProps{
			AssumedBy: awsiam.NewAccountRootPrincipal(),
		})
		stack.Hookflow.GrantResume(caller)
		operator = awsiam.NewRole(stack.Hookflow, jsii.String("Operator"), &awsiam.RoleProps{
			AssumedBy: awsiam.NewAccountRootPrincipal(),
		})
		stack.Hookflow.GrantAdmin(operator)
	})
	h, tmpl, cfn := s.stack.Hookflow, s.tmpl, s.cfn

	check(t, "the table goes with the stack", func() {
		tmpl.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{
			"DeletionPolicy": "Delete",
			"Properties":     map[string]any{"DeletionProtectionEnabled": false},
		})
	})
	for id, lg := range cfn.ofType("AWS::Logs::LogGroup") {
		require.Equal(t, "Delete", lg.DeletionPolicy, id)
		require.Equal(t, float64(7), lg.Properties["RetentionInDays"], id)
	}
	q := cfn.Resources[s.logicalID(h.Queue)].Properties
	require.Equal(t, float64(1800), q["VisibilityTimeout"])
	require.Equal(t, float64(3), q["RedrivePolicy"].(map[string]any)["maxReceiveCount"])
	check(t, "event source", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
			"BatchSize": 5, "ScalingConfig": map[string]any{"MaximumConcurrency": 50},
		})
	})
	check(t, "sweep", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"ScheduleExpression": "rate(5 minutes)",
			"Targets": []any{assertions.Match_ObjectLike(&map[string]any{
				"RetryPolicy": map[string]any{"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 300},
			})},
		})
	})
	for _, fn := range cfn.ofType("AWS::Lambda::Function") {
		require.Equal(t, []any{"x86_64"}, fn.Properties["Architectures"])
	}
	runner := cfn.Resources[s.logicalID(h.RunnerFunction)].Properties
	require.Equal(t, float64(300), runner["Timeout"])
	require.Equal(t, float64(1024), runner["MemorySize"])
	env := runner["Environment"].(map[string]any)["Variables"].(map[string]any)
	require.Equal(t, "45s", env["HOOKFLOW_SWEEP_GRACE"])
	require.Equal(t, "100000", env["HOOKFLOW_MAX_PAYLOAD_BYTES"])
	require.Equal(t, "debug", env["HOOKFLOW_LOG_LEVEL"])
	admin := cfn.Resources[s.logicalID(h.AdminFunction)].Properties
	require.Equal(t, float64(20), admin["Timeout"])
	require.Equal(t, float64(512), admin["MemorySize"])
	adminEnv := admin["Environment"].(map[string]any)["Variables"].(map[string]any)
	require.Equal(t, "100000", adminEnv["HOOKFLOW_MAX_PAYLOAD_BYTES"])
	require.Equal(t, "debug", adminEnv["HOOKFLOW_LOG_LEVEL"])
	require.Nil(t, adminEnv["HOOKFLOW_SWEEP_GRACE"], "the runner's alone")
	webhookEnv := cfn.Resources[s.logicalID(h.WebhookFunction)].Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
	require.Nil(t, webhookEnv["HOOKFLOW_SWEEP_GRACE"], "the runner's alone")
	require.Equal(t, "100000", webhookEnv["HOOKFLOW_MAX_PAYLOAD_BYTES"])
	// RunnerCode replaced the runner's binary: it is the webhook's dummy here.
	require.Equal(t, canon(cfn.Resources[s.logicalID(h.WebhookFunction)].Properties["Code"]), canon(runner["Code"]))
	require.NotEqual(t, canon(cfn.Resources[s.logicalID(h.ResumeFunction)].Properties["Code"]), canon(runner["Code"]))

	check(t, "throttling", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), map[string]any{
			"DefaultRouteSettings": map[string]any{"ThrottlingRateLimit": 10, "ThrottlingBurstLimit": 20},
		})
	})
	check(t, "the alarm notifies the topic", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"AlarmActions": []any{"arn:aws:sns:eu-west-1:123456789012:ops"},
		})
	})

	// GrantResume: invoke the resume function, and call the resume route, nothing else.
	statementsOf := func(role awsiam.Role) []map[string]any {
		var out []map[string]any
		for _, p := range cfn.ofType("AWS::IAM::Policy") {
			if canon(p.Properties["Roles"]) == canon([]any{ref(s.logicalID(role))}) {
				out = append(out, statements(p)...)
			}
		}
		return out
	}
	var actions []string
	for _, st := range statementsOf(caller) {
		actions = append(actions, strList(st["Action"])...)
		if canon(st["Action"]) == `"execute-api:Invoke"` {
			require.Contains(t, canon(st["Resource"]), `/*/POST/.well-known/workflow/v1/resume`)
			require.Contains(t, canon(st["Resource"]), `"`+s.logicalID(h.API)+`"`)
		}
	}
	require.ElementsMatch(t, []string{"lambda:InvokeFunction", "execute-api:Invoke"}, actions)

	// GrantAdmin: call the admin route, any method and any path under it, nothing else.
	opStatements := statementsOf(operator)
	require.Len(t, opStatements, 1)
	require.Equal(t, "execute-api:Invoke", opStatements[0]["Action"])
	opResource := canon(opStatements[0]["Resource"])
	require.Contains(t, opResource, `/*/*/.well-known/workflow/v1/admin/*"`)
	require.Contains(t, opResource, `"`+s.logicalID(h.API)+`"`)
	require.NotContains(t, opResource, "resume")
	require.Empty(t, findCycle(cfn))
}

// TestStackFromContext reads the props as `cdk synth -c key=value` gives them: strings.
func TestStackFromContext(t *testing.T) {
	ctx := map[string]any{
		CtxStackName:          "HookflowDev",
		CtxCodeDir:            "/tmp/lambda",
		CtxArchitecture:       "amd64",
		CtxRemovalPolicy:      "destroy",
		CtxDeletionProtection: "false",
		CtxMaxReceiveCount:    "3",
		CtxBatchSize:          "5",
		CtxMaxConcurrency:     "20",
		CtxRunnerTimeout:      "5m",
		CtxVisibilityTimeout:  "40m",
		CtxLogLevel:           "debug",
		CtxLogRetentionDays:   "7",
		CtxThrottleRateLimit:  "12.5",
		CtxThrottleBurstLimit: "25",
		CtxAlarmTopicArn:      "arn:aws:sns:eu-west-1:123456789012:ops",
		CtxWebhookSecrets:     "ssm:/hookflow/github, secretsmanager:stripe-webhook",
		CtxWebhookSecretsKey:  "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		CtxEncryptPayloads:    "true",
		CtxPayloadKeyArn:      "arn:aws:kms:eu-west-1:123456789012:key/abcd1234-12ab-34cd-56ef-1234567890ab",
		CtxRetentionDays:      "90",
		CtxKeepRunsForever:    "false",
	}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(t.TempDir())})
	name, props, err := StackFromContext(app.Node())
	require.NoError(t, err)
	require.Equal(t, "HookflowDev", name)
	require.Equal(t, "x86_64", *props.Hookflow.Architecture.Name())
	props.Hookflow.Architecture = nil // a jsii object: compared above
	require.Equal(t, StackProps{
		AlarmTopicArn: "arn:aws:sns:eu-west-1:123456789012:ops",
		PayloadKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/abcd1234-12ab-34cd-56ef-1234567890ab",
		Hookflow: Props{
			CodeDir: "/tmp/lambda", RemovalPolicy: awscdk.RemovalPolicy_DESTROY, DeletionProtection: ptr(false),
			MaxReceiveCount: 3, BatchSize: 5, MaxConcurrency: 20,
			RunnerTimeout: 5 * time.Minute, VisibilityTimeout: 40 * time.Minute,
			LogLevel: "debug", LogRetention: awslogs.RetentionDays_ONE_WEEK,
			ThrottleRateLimit: 12.5, ThrottleBurstLimit: 25,
			WebhookSecrets:       []string{"ssm:/hookflow/github", "secretsmanager:stripe-webhook"},
			WebhookSecretsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
			EncryptPayloads:      ptr(true), RetentionDays: ptr(90), KeepRunsForever: ptr(false),
		},
	}, props)

	bad := map[string]any{
		CtxRemovalPolicy:      "keep",
		CtxArchitecture:       "sparc",
		CtxDeletionProtection: "maybe",
		CtxMaxReceiveCount:    "five",
		CtxRunnerTimeout:      "120",
		CtxLogRetentionDays:   "10",
		CtxEncryptPayloads:    "yes",
		CtxRetentionDays:      "30d",
		CtxKeepRunsForever:    "always",
	}
	app = awscdk.NewApp(&awscdk.AppProps{Context: &bad, Outdir: jsii.String(t.TempDir())})
	_, _, err = StackFromContext(app.Node())
	require.Error(t, err)
	for key := range bad {
		require.Contains(t, err.Error(), "context "+key+"=")
	}
}
