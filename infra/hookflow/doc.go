// Package hookflow is a CDK construct that deploys hookflow on AWS: one DynamoDB table, an
// SQS wake queue with a dead-letter queue and an alarm on it, the webhook, runner, resume and
// admin Lambda functions, an EventBridge schedule that makes the runner sweep for overdue
// runs, and an HTTP API with the public webhook route and the IAM-authorized resume and admin
// (operations API) routes.
//
// Embed it in a CDK app of your own:
//
//	h := hookflow.NewHookflow(stack, jsii.String("Hookflow"), &hookflow.Props{
//		CodeDir:    "../build/lambda", // webhook/, resume/ and admin/bootstrap
//		RunnerCode: awslambda.Code_FromAsset(jsii.String("dist/runner"), nil), // your workflows
//	})
//	h.GrantResume(myServiceRole)
//	h.GrantAdmin(operatorsRole)
//
// or deploy it as it is with NewStack, which adds the outputs a user needs next (the webhook
// base URL, the resume endpoint and function, the admin endpoint, the table and the queue).
// The infra/ directory of the repository is that app: `make deploy`.
//
// The functions are provided.al2023 on arm64, each with a role of its own that allows only
// the table and queue actions it makes (see iam.go), and a log group with a set retention.
// The table and log groups are retained when the stack is deleted, and the table has
// deletion protection, unless Props say otherwise.
//
// Payloads are stored as they are unless Props.EncryptPayloads (a key of the construct's
// own) or Props.PayloadKey (a key of yours) asks for envelope encryption under a KMS key:
// every function then has the key's ARN in HOOKFLOW_KMS_KEY_ID and may call
// kms:GenerateDataKey and kms:Decrypt with it, nothing else (see lifecycle.go). The runner
// deletes ended runs after 30 days unless Props.RetentionDays or Props.KeepRunsForever says
// otherwise (HOOKFLOW_RETENTION).
package hookflow
