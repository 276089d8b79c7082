// Package e2e holds hookflow's end-to-end test: the three Lambda functions (functions/webhook,
// functions/runner, functions/resume) built as they are deployed, run in the AWS Lambda
// Runtime Interface Emulator, and driven the way AWS drives them, against the local AWS
// endpoint (moto or LocalStack on localhost:4566).
//
// The test builds each function with GOOS=linux CGO_ENABLED=0 -tags lambda.norpc for the
// host's architecture, and the emulator (aws-lambda-rie, a tool dependency of the module),
// and starts one emulator per function. An httptest server stands in for API Gateway (HTTP
// API, payload 2.0): it turns each request into an API Gateway event, invokes the webhook
// function and writes its response back. A poller stands in for the SQS event source
// mapping: it receives wake messages in batches, invokes the runner and deletes the messages
// the runner did not report as failed. An EventBridge schedule is an invoke of the runner
// with a scheduled event; the SDK's resume call is a direct invoke of the resume function.
// Runs are started and read with a workflow.Client on the aws backend, as an application
// would.
//
// Run it with the endpoint up:
//
//	./localstack/start-moto.sh
//	HOOKFLOW_REQUIRE_AWS=1 go test -race -count=1 ./test/e2e/
//
// `make test` does this. Without an endpoint the test skips, saying so, unless
// HOOKFLOW_REQUIRE_AWS=1, when it fails; it also skips under -short and on hosts other than
// Linux, where the emulator does not run.
package e2e
