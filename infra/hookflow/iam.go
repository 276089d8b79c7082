package hookflow

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// The data-plane actions each function's role gets, from the calls pkg/backend/aws makes on
// the paths the function takes. The table grants are explicit lists rather than the CDK's
// GrantReadData/GrantWriteData, which add Scan, DeleteItem, BatchWriteItem and stream reads
// to functions that never use them. DynamoDB authorizes each action of a TransactWriteItems
// by the action it stands for (a Put as PutItem, a ConditionCheck as ConditionCheckItem);
// there is no TransactWriteItems permission. Update these lists when the driver starts making
// a new call: TestFunctionPolicies pins them.
var (
	// The webhook and resume functions look a token up, store an inbox item under the
	// token's condition, and wake the run.
	//   GetItem:            GetToken, GetIdempotency, GetResponse (manual webhook responses),
	//                       readRun after a failed transaction (store.go)
	//   PutItem:            PutInbox's transaction: the inbox item, the idempotency record
	//   UpdateItem:         PutInbox's transaction: the token's delivery count
	//   ConditionCheckItem: PutInbox's transaction: the run has not ended
	inboxTableActions = []string{
		"dynamodb:ConditionCheckItem",
		"dynamodb:GetItem",
		"dynamodb:PutItem",
		"dynamodb:UpdateItem",
	}

	// The runner runs turns: it reads a run, its history, inbox and tokens, and commits.
	//   GetItem:            GetRun, GetToken, getMeta (store.go)
	//   BatchGetItem:       the run's token records (store.go batchGet)
	//   Query:              ListEvents, ListInbox, the run's tokens (store.go, inbox.go)
	//   PutItem, UpdateItem, DeleteItem, ConditionCheckItem:
	//                       Commit's transactions and lease (commit.go), CreateRun (store.go)
	//   BatchWriteItem:     deleting consumed inbox items (inbox.go deleteInboxDone)
	runnerTableActions = []string{
		"dynamodb:BatchGetItem",
		"dynamodb:BatchWriteItem",
		"dynamodb:ConditionCheckItem",
		"dynamodb:DeleteItem",
		"dynamodb:GetItem",
		"dynamodb:PutItem",
		"dynamodb:Query",
		"dynamodb:UpdateItem",
	}
	// The runner's sweep queries the due index (due.go ListDue); the runner reads no other
	// index.
	runnerIndexActions = []string{"dynamodb:Query"}

	// The admin function serves the operations API (pkg/admin.Local on a workflow.Client:
	// the engine's calls, in internal/engine client.go, failure.go, delivery.go and
	// deliveries.go). It links no workflow code and reads no webhook secret.
	//   GetItem:            GetRun; readRun before ListEvents (events, deliveries, a
	//                       redelivery's lookup) and before the run's token set (ListHooks
	//                       of one run, Redeliver); GetToken and GetIdempotency (Resume);
	//                       Retry's read of the run and Commit's (commit.go); the check of a
	//                       wake that a runner holds the run (engine WakeAfterDelivery); the
	//                       record a failed transaction met (CreateRun, PutInbox)
	//   BatchGetItem:       ListRuns' run records (runlist.go), the token records of one run
	//                       (ListHooks with a run, Redeliver; store.go runTokens)
	//   Query:              ListEvents (store.go): the history, the deliveries read from it
	//   Scan:               ListHooks of every run: ListTokens("") scans the table for token
	//                       records (store.go scanTokens)
	//   PutItem:            CreateRun's transaction (Start, a redelivery as a new run): the
	//                       run and its first event; PutInbox's (Resume, Redeliver, Cancel):
	//                       the inbox item, the idempotency record
	//   UpdateItem:         PutInbox's transaction: the token's delivery count; Retry's
	//                       Commit: the run record (a commit without events, tokens, responses
	//                       or inbox deletes is that one update)
	//   ConditionCheckItem: PutInbox's transaction for a cancel: the run has not ended
	// Not DeleteItem nor BatchWriteItem: nothing the admin function does deletes a record.
	adminTableActions = []string{
		"dynamodb:BatchGetItem",
		"dynamodb:ConditionCheckItem",
		"dynamodb:GetItem",
		"dynamodb:PutItem",
		"dynamodb:Query",
		"dynamodb:Scan",
		"dynamodb:UpdateItem",
	}
	// ListRuns queries the runs index (runlist.go runsInShard); the admin function reads no
	// other index.
	adminIndexActions = []string{"dynamodb:Query"}

	// Every function wakes runs (queue.go Enqueue): the admin function after Start, Cancel,
	// Retry, Resume and Redeliver. The runner's receive, delete and visibility calls are the
	// event source mapping's, granted by the CDK's SqsEventSource.
	queueSendActions = []string{"sqs:SendMessage"}

	// The runner forwards wakes of runs pinned to an older version of itself to that version
	// (pkg/lambdafn/forward.go Invoke), and to nothing else.
	runnerForwardActions = []string{"lambda:InvokeFunction"}

	// With a payload key (Props.PayloadKey, Props.EncryptPayloads), every function both
	// writes payloads and reads them back (pkg/codec KMSKeys):
	//   GenerateDataKey: the data key that encrypts new payloads, under the payload key
	//   Decrypt:         the stored data key of a payload being read
	// Not Encrypt, ReEncrypt or GenerateDataKeyWithoutPlaintext: envelope encryption makes
	// neither call. Granted on the payload key alone (lifecycle.go grantPayloadKey).
	payloadKeyActions = []string{"kms:Decrypt", "kms:GenerateDataKey"}
)

// allow returns a statement that allows actions on resources.
func allow(actions []string, resources ...*string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Effect:    awsiam.Effect_ALLOW,
		Actions:   jsii.Strings(actions...),
		Resources: &resources,
	})
}
