package hookflow

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Hookflow is hookflow's serverless deployment: the table, the wake queue and its
// dead-letter queue, the webhook, runner, resume and admin functions, the sweep schedule and
// the HTTP API. Its fields give access to every part, to add alarms, permissions or routes.
type Hookflow struct {
	constructs.Construct

	Table           awsdynamodb.Table
	Queue           awssqs.Queue
	DeadLetterQueue awssqs.Queue
	// DeadLetterAlarm fires when the dead-letter queue holds a message: a run whose wakes
	// kept failing (it is still swept, but something is wrong).
	DeadLetterAlarm awscloudwatch.Alarm

	WebhookFunction awslambda.Function
	RunnerFunction  awslambda.Function
	ResumeFunction  awslambda.Function
	// AdminFunction serves the operations API (pkg/admin) behind AdminRoute.
	AdminFunction awslambda.Function
	// RunnerAlias ("live") points at the runner's newest published version; the wake queue
	// and the sweep schedule invoke it. Every deploy that changes the runner publishes a
	// version, and earlier versions are retained: runs pinned to them (workflow.PinRuns) keep
	// running on them, forwarded by the live version. Retire a version once no run is pinned
	// to it (hookflow gate check lists the runs in flight and their versions).
	RunnerAlias awslambda.Alias
	// SweepRule invokes the runner on a schedule to wake overdue runs.
	SweepRule awsevents.Rule
	// PayloadKey is the KMS key that encrypts stored payloads: Props.PayloadKey, or the key
	// Props.EncryptPayloads created (an awskms.Key). Nil when payloads are not encrypted.
	PayloadKey awskms.IKey

	API          awsapigatewayv2.HttpApi
	Stage        awsapigatewayv2.HttpStage
	WebhookRoute awsapigatewayv2.HttpRoute
	ResumeRoute  awsapigatewayv2.HttpRoute
	// AdminRoute is ANY /.well-known/workflow/v1/admin/{proxy+}, IAM-authorized: the
	// operations API (GrantAdmin).
	AdminRoute awsapigatewayv2.HttpRoute
	// BaseURL is the API's URL without a trailing slash: webhook URLs are
	// BaseURL + "/.well-known/workflow/v1/webhook/" + token. It is the API's endpoint
	// attribute rather than the stage's URL, so that the functions can have it in their
	// environment without a dependency cycle.
	BaseURL *string
	// ResumeURL is the IAM-authorized resume endpoint.
	ResumeURL *string
	// AdminURL is where the IAM-authorized operations API (pkg/admin) is served:
	// AdminURL + "/runs", AdminURL + "/hooks", ... (admin.Remote takes BaseURL, and adds the
	// path itself).
	AdminURL *string
}

// NewHookflow defines hookflow's resources in scope. It panics, as CDK constructs do, when
// props are invalid or a function's binary is missing; the message names every problem.
func NewHookflow(scope constructs.Construct, id *string, props *Props) *Hookflow {
	var p Props
	if props != nil {
		p = *props
	}
	p = p.withDefaults()
	if err := p.validate(); err != nil {
		panic(err.Error())
	}
	// A subclass in jsii's sense, so that a *Hookflow can be passed where the CDK wants a
	// construct (a scope, a dependency). jsii accepts it because it has methods of its own
	// (GrantResume, GrantAdmin).
	h := &Hookflow{}
	constructs.NewConstruct_Override(h, scope, id)
	h.Table = newTable(h, p)
	h.Queue, h.DeadLetterQueue, h.DeadLetterAlarm = newQueues(h, p)
	h.PayloadKey = newPayloadKey(h, p)
	h.API, h.Stage = newAPI(h, p)
	h.BaseURL = baseURL(h.API)
	h.ResumeURL = jsii.String(*h.BaseURL + resumePath)
	h.AdminURL = jsii.String(*h.BaseURL + adminPath)
	h.newFunctions(h, p)
	h.WebhookRoute, h.ResumeRoute, h.AdminRoute = h.addRoutes()
	h.SweepRule = newSweep(h, h.RunnerAlias, p)
	return h
}

// GrantResume lets grantee resume hooks: invoke the resume function directly (what the Go
// SDK's Lambda client does) and call the IAM-authorized resume endpoint.
func (h *Hookflow) GrantResume(grantee awsiam.IGrantable) {
	h.ResumeFunction.GrantInvoke(grantee)
	h.ResumeRoute.GrantInvoke(grantee, nil)
}

// GrantAdmin lets grantee call the operations API: execute-api:Invoke on the admin route,
// every method and every path under AdminURL. That is all an operator can do (start,
// resume, cancel, retry and redeliver any run, read every run's history and hooks): grant
// it to operators. The admin function itself is not granted: it answers API Gateway's
// events, and the route is where IAM authorizes the caller.
func (h *Hookflow) GrantAdmin(grantee awsiam.IGrantable) {
	h.AdminRoute.GrantInvoke(grantee, nil)
}
