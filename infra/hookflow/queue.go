package hookflow

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// newQueues defines the standard wake queue, its dead-letter queue, and an alarm on the
// dead-letter queue's depth. Both queues are encrypted (SSE-SQS, so the functions need no
// KMS permission) and refuse requests that do not use TLS.
func newQueues(scope constructs.Construct, p Props) (queue, dlq awssqs.Queue, alarm awscloudwatch.Alarm) {
	dlq = awssqs.NewQueue(scope, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		// The longest SQS keeps a message: time to find out why a run's wakes failed.
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
	})
	queue = awssqs.NewQueue(scope, jsii.String("Queue"), &awssqs.QueueProps{
		VisibilityTimeout: seconds(p.VisibilityTimeout),
		// SQS's default, said out loud: a wake that waits longer is lost, and the sweeper
		// wakes its run anyway. Shorter than the dead-letter queue's, as SQS keeps a
		// message's first enqueue time when it moves it there.
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(4)),
		DeadLetterQueue: &awssqs.DeadLetterQueue{
			Queue:           dlq,
			MaxReceiveCount: jsii.Number(p.MaxReceiveCount),
		},
		Encryption: awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL: jsii.Bool(true),
	})
	alarm = dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
		Period:    awscdk.Duration_Minutes(jsii.Number(5)),
		Statistic: jsii.String("Maximum"),
	}).CreateAlarm(scope, jsii.String("DeadLetterAlarm"), &awscloudwatch.CreateAlarmOptions{
		AlarmDescription: jsii.String("hookflow: wake messages reached the dead-letter queue; " +
			"the runner failed them repeatedly (see the runner's logs). The sweeper still wakes " +
			"overdue runs; redrive or purge the queue once the cause is fixed."),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	for _, a := range p.AlarmActions {
		alarm.AddAlarmAction(a)
	}
	return queue, dlq, alarm
}
