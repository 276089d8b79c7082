package hookflow

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/require"
)

// The stack that cdk.json configures, resource by resource. Serial: see setup_test.go.

func TestTable(t *testing.T) {
	s := setupDefault(t)
	check(t, "one table", func() { s.tmpl.ResourceCountIs(jsii.String("AWS::DynamoDB::Table"), jsii.Number(1)) })
	check(t, "the driver's schema, on demand, TTL, PITR, deletion protection", func() {
		s.tmpl.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), map[string]any{
			"BillingMode": "PAY_PER_REQUEST",
			"KeySchema": []any{
				map[string]any{"AttributeName": "pk", "KeyType": "HASH"},
				map[string]any{"AttributeName": "sk", "KeyType": "RANGE"},
			},
			"AttributeDefinitions": assertions.Match_ArrayEquals(&[]any{
				map[string]any{"AttributeName": "pk", "AttributeType": "S"},
				map[string]any{"AttributeName": "sk", "AttributeType": "S"},
				map[string]any{"AttributeName": "gsi1pk", "AttributeType": "S"},
				map[string]any{"AttributeName": "gsi1sk", "AttributeType": "S"},
				map[string]any{"AttributeName": "gsi2pk", "AttributeType": "S"},
				map[string]any{"AttributeName": "gsi2sk", "AttributeType": "S"},
			}),
			"GlobalSecondaryIndexes": []any{map[string]any{
				"IndexName": "gsi1-due",
				"KeySchema": []any{
					map[string]any{"AttributeName": "gsi1pk", "KeyType": "HASH"},
					map[string]any{"AttributeName": "gsi1sk", "KeyType": "RANGE"},
				},
				"Projection": map[string]any{"ProjectionType": "KEYS_ONLY"},
			}, map[string]any{
				"IndexName": "gsi2-runs",
				"KeySchema": []any{
					map[string]any{"AttributeName": "gsi2pk", "KeyType": "HASH"},
					map[string]any{"AttributeName": "gsi2sk", "KeyType": "RANGE"},
				},
				"Projection": map[string]any{"ProjectionType": "INCLUDE", "NonKeyAttributes": []any{"status", "workflow"}},
			}},
			"TimeToLiveSpecification":          map[string]any{"AttributeName": "ttl", "Enabled": true},
			"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
			"DeletionProtectionEnabled":        true,
			"ProvisionedThroughput":            assertions.Match_Absent(),
		})
	})
	check(t, "retained when the stack goes", func() {
		s.tmpl.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{
			"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
		})
	})
}

func TestQueues(t *testing.T) {
	s := setupDefault(t)
	queue, dlq := s.logicalID(s.stack.Hookflow.Queue), s.logicalID(s.stack.Hookflow.DeadLetterQueue)
	check(t, "two queues", func() { s.tmpl.ResourceCountIs(jsii.String("AWS::SQS::Queue"), jsii.Number(2)) })
	q := s.cfn.Resources[queue].Properties
	require.Equal(t, float64(720), q["VisibilityTimeout"], "six times the runner's 120 s")
	require.Greater(t, q["VisibilityTimeout"], s.cfn.Resources[s.logicalID(s.stack.Hookflow.RunnerFunction)].Properties["Timeout"])
	require.JSONEq(t, canon(map[string]any{"deadLetterTargetArn": getAtt(dlq, "Arn"), "maxReceiveCount": 5}), canon(q["RedrivePolicy"]))
	require.Nil(t, q["FifoQueue"], "a standard queue")
	require.Equal(t, float64(4*24*3600), q["MessageRetentionPeriod"])
	require.Equal(t, true, q["SqsManagedSseEnabled"])
	d := s.cfn.Resources[dlq].Properties
	require.Equal(t, float64(14*24*3600), d["MessageRetentionPeriod"])
	require.Equal(t, true, d["SqsManagedSseEnabled"])
	for _, id := range []string{queue, dlq} {
		check(t, id+" refuses plain HTTP", func() {
			s.tmpl.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), map[string]any{
				"Queues": []any{ref(id)},
				"PolicyDocument": map[string]any{"Statement": []any{map[string]any{
					"Effect": "Deny", "Action": "sqs:*", "Principal": map[string]any{"AWS": "*"},
					"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
					"Resource":  getAtt(id, "Arn"),
				}}},
			})
		})
	}
	check(t, "an alarm on the dead-letter queue's depth", func() {
		s.tmpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"Namespace":          "AWS/SQS",
			"MetricName":         "ApproximateNumberOfMessagesVisible",
			"Dimensions":         []any{map[string]any{"Name": "QueueName", "Value": getAtt(dlq, "QueueName")}},
			"Statistic":          "Maximum",
			"Threshold":          1,
			"ComparisonOperator": "GreaterThanOrEqualToThreshold",
			"EvaluationPeriods":  1,
			"TreatMissingData":   "notBreaching",
		})
	})
}

func TestFunctions(t *testing.T) {
	s := setupDefault(t)
	h := s.stack.Hookflow
	table, queue, api := s.logicalID(h.Table), s.logicalID(h.Queue), s.logicalID(h.API)
	baseURL := getAtt(api, "ApiEndpoint") // no trailing slash
	common := map[string]any{"HOOKFLOW_TABLE": ref(table), "HOOKFLOW_QUEUE_URL": ref(queue), "HOOKFLOW_LOG_LEVEL": "info"}
	withBase := map[string]any{"HOOKFLOW_BASE_URL": baseURL}
	for k, v := range common {
		withBase[k] = v
	}
	check(t, "four functions", func() { s.tmpl.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(4)) })
	for _, tc := range []struct {
		name    string
		id      string
		memory  float64
		timeout float64
		env     map[string]any
	}{
		{FnWebhook, s.logicalID(h.WebhookFunction), 256, 29, withBase},
		{FnRunner, s.logicalID(h.RunnerFunction), 512, 120, withBase},
		{FnResume, s.logicalID(h.ResumeFunction), 256, 10, common},
		// The base URL makes the webhook URLs of the hooks the operations API lists.
		{FnAdmin, s.logicalID(h.AdminFunction), 256, 29, withBase},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn := s.cfn.Resources[tc.id]
			p := fn.Properties
			require.Equal(t, "provided.al2023", p["Runtime"])
			require.Equal(t, []any{"arm64"}, p["Architectures"])
			require.Equal(t, "bootstrap", p["Handler"])
			require.Equal(t, tc.memory, p["MemorySize"])
			require.Equal(t, tc.timeout, p["Timeout"])
			require.JSONEq(t, canon(map[string]any{"Variables": tc.env}), canon(p["Environment"]))
			require.Nil(t, p["FunctionName"], "CloudFormation names the functions")

			// The log group: its own, with a retention.
			logCfg, _ := p["LoggingConfig"].(map[string]any)
			require.NotNil(t, logCfg, "LoggingConfig")
			logs, _ := logCfg["LogGroup"].(map[string]any)
			logsID, _ := logs["Ref"].(string)
			require.Equal(t, "AWS::Logs::LogGroup", s.cfn.Resources[logsID].Type)
			require.Equal(t, float64(30), s.cfn.Resources[logsID].Properties["RetentionInDays"])
			require.Equal(t, "Retain", s.cfn.Resources[logsID].DeletionPolicy)

			// The code: the function's own bootstrap from the code directory.
			asset := s.assetPath(t, tc.id)
			got, err := os.ReadFile(filepath.Join(asset, "bootstrap"))
			require.NoError(t, err)
			require.Equal(t, "#!/bin/sh\n# "+tc.name+"\n", string(got))
		})
	}
	runner := s.cfn.Resources[s.logicalID(h.RunnerFunction)].Properties
	require.Equal(t, "Allow", runner["RecursiveLoop"], "the runner is fed by the queue it sends to")
	check(t, "the runner does not retry a failed sweep", func() {
		s.tmpl.HasResourceProperties(jsii.String("AWS::Lambda::EventInvokeConfig"), map[string]any{
			"FunctionName":         ref(s.logicalID(h.RunnerFunction)),
			"MaximumRetryAttempts": 0,
		})
	})
	for _, fn := range []string{s.logicalID(h.WebhookFunction), s.logicalID(h.ResumeFunction), s.logicalID(h.AdminFunction)} {
		require.Nil(t, s.cfn.Resources[fn].Properties["RecursiveLoop"], "loop detection stays on: %s", fn)
	}
}

// assetPath returns the directory the CDK staged a function's code in: asset.<hash> in the
// assembly, for the code's S3 key <hash>.zip.
func (s *synthesized) assetPath(t *testing.T, logicalID string) string {
	t.Helper()
	code, _ := s.cfn.Resources[logicalID].Properties["Code"].(map[string]any)
	key, _ := code["S3Key"].(string)
	require.True(t, strings.HasSuffix(key, ".zip"), "S3Key %q", key)
	return filepath.Join(s.outdir, "asset."+strings.TrimSuffix(key, ".zip"))
}

func TestEventSource(t *testing.T) {
	s := setupDefault(t)
	h := s.stack.Hookflow
	check(t, "the runner reads the queue in batches, bounded, with partial failures", func() {
		s.tmpl.ResourceCountIs(jsii.String("AWS::Lambda::EventSourceMapping"), jsii.Number(1))
		s.tmpl.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
			// The newest version takes the wakes: the function's name, qualified by the alias.
			"FunctionName": map[string]any{"Fn::Join": []any{"", []any{
				map[string]any{"Fn::Select": []any{6, map[string]any{"Fn::Split": []any{":", ref(s.logicalID(h.RunnerAlias))}}}},
				":" + RunnerAliasName,
			}}},
			"EventSourceArn":        getAtt(s.logicalID(h.Queue), "Arn"),
			"BatchSize":             10,
			"ScalingConfig":         map[string]any{"MaximumConcurrency": 10},
			"FunctionResponseTypes": []any{"ReportBatchItemFailures"},
		})
	})
}

func TestSweepSchedule(t *testing.T) {
	s := setupDefault(t)
	h := s.stack.Hookflow
	runner, rule := s.logicalID(h.RunnerAlias), s.logicalID(h.SweepRule)
	check(t, "every minute, the runner, with EventBridge's scheduled event", func() {
		s.tmpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"ScheduleExpression": "rate(1 minute)",
			"State":              "ENABLED",
			"Targets": []any{map[string]any{
				"Arn":         ref(runner),               // the alias of the newest version
				"Input":       assertions.Match_Absent(), // the scheduled event itself: source aws.events
				"RetryPolicy": map[string]any{"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 60},
				"Id":          assertions.Match_AnyValue(),
			}},
		})
	})
	check(t, "EventBridge may invoke the runner, from this rule only", func() {
		s.tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), map[string]any{
			"Action":       "lambda:InvokeFunction",
			"FunctionName": ref(runner),
			"Principal":    "events.amazonaws.com",
			"SourceArn":    getAtt(rule, "Arn"),
		})
	})
}

func TestAPI(t *testing.T) {
	s := setupDefault(t)
	h := s.stack.Hookflow
	api := s.logicalID(h.API)
	check(t, "an HTTP API", func() {
		s.tmpl.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Api"), jsii.Number(1))
		s.tmpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Api"), map[string]any{"ProtocolType": "HTTP"})
	})
	check(t, "three routes", func() { s.tmpl.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Route"), jsii.Number(3)) })
	const webhookRoute = "ANY /.well-known/workflow/v1/webhook/{token}"
	for _, tc := range []struct {
		routeKey, auth, fn string
	}{
		{webhookRoute, "NONE", s.logicalID(h.WebhookFunction)},
		{"POST /.well-known/workflow/v1/resume", "AWS_IAM", s.logicalID(h.ResumeFunction)},
		// The operations API: every method, every path under it, IAM only.
		{"ANY /.well-known/workflow/v1/admin/{proxy+}", "AWS_IAM", s.logicalID(h.AdminFunction)},
	} {
		t.Run(tc.routeKey, func(t *testing.T) {
			var route resource
			for _, r := range s.cfn.ofType("AWS::ApiGatewayV2::Route") {
				if r.Properties["RouteKey"] == tc.routeKey {
					route = r
				}
			}
			require.NotNil(t, route.Properties, "no route %q", tc.routeKey)
			require.Equal(t, tc.auth, route.Properties["AuthorizationType"])
			// The route's target is its integration, and the integration's the function.
			target := canon(route.Properties["Target"])
			var integration resource
			for id, r := range s.cfn.ofType("AWS::ApiGatewayV2::Integration") {
				if strings.Contains(target, `"`+id+`"`) {
					integration = r
				}
			}
			require.NotNil(t, integration.Properties, "the route's integration")
			require.Equal(t, "AWS_PROXY", integration.Properties["IntegrationType"])
			require.Equal(t, "2.0", integration.Properties["PayloadFormatVersion"])
			require.Equal(t, float64(29000), integration.Properties["TimeoutInMillis"])
			require.JSONEq(t, canon(getAtt(tc.fn, "Arn")), canon(integration.Properties["IntegrationUri"]))
			// API Gateway may invoke the function for this route only.
			check(t, "invoke permission", func() {
				path := tc.routeKey[strings.Index(tc.routeKey, " ")+1:]
				s.tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), map[string]any{
					"Action":       "lambda:InvokeFunction",
					"FunctionName": getAtt(tc.fn, "Arn"),
					"Principal":    "apigateway.amazonaws.com",
					"SourceArn": map[string]any{"Fn::Join": []any{"", assertions.Match_ArrayWith(&[]any{
						ref(api), assertions.Match_StringLikeRegexp(jsii.String(`/\*/\*` + regexp.QuoteMeta(path) + `$`)),
					})}},
				})
			})
		})
	}
	check(t, "the $default stage: deployed, throttled, logged without paths", func() {
		s.tmpl.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Stage"), jsii.Number(1))
		s.tmpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), map[string]any{
			"ApiId":                ref(api),
			"StageName":            "$default",
			"AutoDeploy":           true,
			"DefaultRouteSettings": map[string]any{"ThrottlingRateLimit": 100, "ThrottlingBurstLimit": 200},
			"AccessLogSettings": map[string]any{
				"DestinationArn": getAtt(s.logicalIDOfType(t, "AWS::Logs::LogGroup", "ApiAccessLogs"), "Arn"),
				"Format":         assertions.Match_StringLikeRegexp(jsii.String(`\$context\.requestId.*\$context\.routeKey`)),
			},
		})
	})
	// Only the webhook route is public: the others can resume, start or cancel runs.
	for id, r := range s.cfn.ofType("AWS::ApiGatewayV2::Route") {
		if r.Properties["RouteKey"] != webhookRoute {
			require.Equal(t, "AWS_IAM", r.Properties["AuthorizationType"], "%s (%v) is not public", id, r.Properties["RouteKey"])
		}
	}
	stage := s.cfn.ofType("AWS::ApiGatewayV2::Stage")
	for _, r := range stage {
		format := r.Properties["AccessLogSettings"].(map[string]any)["Format"].(string)
		require.NotContains(t, format, "$context.path", "a webhook's path holds its token")
	}
}

// logicalIDOfType returns the one resource of typ whose logical ID contains part.
func (s *synthesized) logicalIDOfType(t *testing.T, typ, part string) string {
	t.Helper()
	var ids []string
	for id := range s.cfn.ofType(typ) {
		if strings.Contains(id, part) {
			ids = append(ids, id)
		}
	}
	require.Len(t, ids, 1, "%s resources named like %q", typ, part)
	return ids[0]
}

func TestOutputs(t *testing.T) {
	s := setupDefault(t)
	h := s.stack.Hookflow
	api := s.logicalID(h.API)
	base := getAtt(api, "ApiEndpoint")
	join := func(parts ...any) map[string]any { return map[string]any{"Fn::Join": []any{"", parts}} }
	for name, want := range map[string]any{
		OutputWebhookBaseURL:     base,
		OutputWebhookURLTemplate: join(base, "/.well-known/workflow/v1/webhook/{token}"),
		OutputResumeEndpoint:     join(base, "/.well-known/workflow/v1/resume"),
		OutputResumeFunctionName: ref(s.logicalID(h.ResumeFunction)),
		OutputAdminEndpoint:      join(base, "/.well-known/workflow/v1/admin"),
		OutputRunnerFunctionName: ref(s.logicalID(h.RunnerFunction)),
		OutputTableName:          ref(s.logicalID(h.Table)),
		OutputQueueURL:           ref(s.logicalID(h.Queue)),
		OutputDeadLetterQueueURL: ref(s.logicalID(h.DeadLetterQueue)),
	} {
		check(t, "output "+name, func() {
			s.tmpl.HasOutput(jsii.String(name), map[string]any{"Value": want, "Description": assertions.Match_AnyValue()})
		})
	}
	require.Len(t, s.cfn.Outputs, 9)
}

// Every change to the runner publishes a version that is kept when the next one comes, and
// the alias "live" points at the newest: runs pinned to an older version keep it.
func TestRunnerVersions(t *testing.T) {
	s := setupDefault(t)
	h := s.stack.Hookflow
	runner := s.logicalID(h.RunnerFunction)
	versions := s.cfn.ofType("AWS::Lambda::Version")
	require.Len(t, versions, 1, "the runner's current version, and no other function's")
	var versionID string
	for id, v := range versions {
		versionID = id
		require.Equal(t, ref(runner), v.Properties["FunctionName"])
		require.Equal(t, "Retain", v.DeletionPolicy, "an old version outlives the deploy that replaces it")
		require.Equal(t, "Retain", v.UpdateReplacePolicy)
	}
	check(t, "the live alias points at the current version", func() {
		s.tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Alias"), map[string]any{
			"Name":            RunnerAliasName,
			"FunctionName":    ref(runner),
			"FunctionVersion": getAtt(versionID, "Version"),
		})
	})
	check(t, "the runner may invoke its own versions, to forward wakes", func() {
		s.tmpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), map[string]any{
			"PolicyDocument": map[string]any{"Statement": []any{map[string]any{
				"Action":   "lambda:InvokeFunction",
				"Effect":   "Allow",
				"Resource": map[string]any{"Fn::Join": []any{"", []any{getAtt(runner, "Arn"), ":*"}}},
			}}},
		})
	})
}
