package hookflow

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// accessLogFormat is one JSON line per request. It logs the route key, never the path: a
// webhook's path holds its token, which is all a caller needs to deliver to it.
const accessLogFormat = `{"requestId":"$context.requestId","time":"$context.requestTime",` +
	`"ip":"$context.identity.sourceIp","userAgent":"$context.identity.userAgent",` +
	`"caller":"$context.identity.userArn","method":"$context.httpMethod","route":"$context.routeKey",` +
	`"status":"$context.status","bytes":"$context.responseLength","latencyMs":"$context.responseLatency",` +
	`"integrationStatus":"$context.integrationStatus","integrationError":"$context.integrationErrorMessage",` +
	`"error":"$context.error.message"}`

// newAPI defines the HTTP API and its $default stage, with throttling and access logs. The
// stage is defined here rather than by the API so that it can have both.
func newAPI(scope constructs.Construct, p Props) (awsapigatewayv2.HttpApi, awsapigatewayv2.HttpStage) {
	api := awsapigatewayv2.NewHttpApi(scope, jsii.String("Api"), &awsapigatewayv2.HttpApiProps{
		Description:        jsii.String("hookflow: webhooks (public), resume and the operations API (IAM)"),
		CreateDefaultStage: jsii.Bool(false),
	})
	logs := newLogGroup(scope, "ApiAccessLogs", p)
	stage := awsapigatewayv2.NewHttpStage(scope, jsii.String("DefaultStage"), &awsapigatewayv2.HttpStageProps{
		HttpApi:    api,
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle: &awsapigatewayv2.ThrottleSettings{
			RateLimit:  jsii.Number(p.ThrottleRateLimit),
			BurstLimit: jsii.Number(p.ThrottleBurstLimit),
		},
		AccessLogSettings: &accessLogs{
			destination: awsapigatewayv2.NewLogGroupLogDestination(logs),
			format:      awsapigateway.AccessLogFormat_Custom(jsii.String(accessLogFormat)),
		},
	})
	return api, stage
}

// accessLogs implements awsapigatewayv2.IAccessLogSettings.
type accessLogs struct {
	destination awsapigatewayv2.IAccessLogDestination
	format      awsapigateway.AccessLogFormat
}

func (a *accessLogs) Destination() awsapigatewayv2.IAccessLogDestination { return a.destination }
func (a *accessLogs) Format() awsapigateway.AccessLogFormat              { return a.format }

// baseURL is the $default stage's URL: the API's endpoint attribute
// (https://<id>.execute-api.<region>.amazonaws.com on AWS, LocalStack's own form on LocalStack),
// which has no trailing slash. The functions' environment needs it while the API's
// integrations need the functions; the attribute belongs to the API resource alone, which
// depends on nothing, so there is no cycle (a stage's or a deployment's URL could make one).
// TestNoDependencyCycle checks the template.
func baseURL(api awsapigatewayv2.HttpApi) *string { return api.ApiEndpoint() }

// addRoutes adds the public webhook route, and the IAM-authorized resume and admin routes.
func (h *Hookflow) addRoutes() (webhook, resume, admin awsapigatewayv2.HttpRoute) {
	integration := func(id string, fn awslambda.IFunction) awsapigatewayv2.HttpRouteIntegration {
		return awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(id), fn,
			&awsapigatewayv2integrations.HttpLambdaIntegrationProps{
				PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
				// API Gateway's longest wait (the CDK allows 29 s of HTTP APIs' 30).
				Timeout: awscdk.Duration_Seconds(jsii.Number(29)),
			})
	}
	webhook = (*h.API.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
		Path:        jsii.String(webhookPath + "{token}"),
		Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_ANY},
		Integration: integration("WebhookIntegration", h.WebhookFunction),
	}))[0]
	resume = (*h.API.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
		Path:        jsii.String(resumePath),
		Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_POST},
		Integration: integration("ResumeIntegration", h.ResumeFunction),
		Authorizer:  awsapigatewayv2authorizers.NewHttpIamAuthorizer(),
	}))[0]
	// The operations API can start, resume and cancel any run (pkg/admin authenticates
	// nobody): IAM authorizes every call, whatever its method and path.
	admin = (*h.API.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
		Path:        jsii.String(adminPath + "/{proxy+}"),
		Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_ANY},
		Integration: integration("AdminIntegration", h.AdminFunction),
		Authorizer:  awsapigatewayv2authorizers.NewHttpIamAuthorizer(),
	}))[0]
	return webhook, resume, admin
}
