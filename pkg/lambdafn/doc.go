// Package lambdafn holds hookflow's three AWS Lambda handlers as library code, so that the
// mains under functions/ are thin adapters and a user's runner links their own workflows in a
// few lines:
//
//	func main() {
//		env := lambdafn.MustSetup()
//		lambda.Start(env.Runner(workflow.NewRegistry(myflows.All()...)).Handle)
//	}
//
// The webhook handler turns API Gateway HTTP API (payload 2.0) events into requests for
// package webhook's handler (Handler.Answer), and its answers back into events, binary-safe. The runner
// handler runs one engine turn per SQS wake message, reports partial batch failures, stops
// before the Lambda deadline, and sweeps overdue runs when EventBridge invokes it on a
// schedule. The resume handler serves the SDK's resume call, {token, payload,
// idempotencyKey}, from a direct Lambda Invoke or from API Gateway with IAM authorization.
//
// Only this package and the mains import aws-lambda-go; the SDK (pkg/workflow) never does.
package lambdafn
