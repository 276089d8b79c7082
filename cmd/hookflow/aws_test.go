package main

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// With --backend aws the CLI works on DynamoDB and SQS directly, through the same commands:
// a run started there (no runner takes it: it stays pending) is listed, shown and cancelled,
// and an unknown run or workflow is refused as with a server. The table and queue come from
// flags or from HOOKFLOW_TABLE and HOOKFLOW_QUEUE_URL.
func TestAWSBackend(t *testing.T) {
	t.Parallel()
	env := awstest.Setup(t)
	table, queue := awstest.UniqueName(t), awstest.UniqueName(t)
	env.NewTable(t, table)
	queueURL := env.NewQueue(t, queue, nil)
	creds, err := env.Config.Credentials.Retrieve(t.Context())
	require.NoError(t, err)
	awsEnv := []string{
		"AWS_ENDPOINT_URL=" + env.Endpoint,
		"AWS_ACCESS_KEY_ID=" + creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey,
		"HOOKFLOW_SERVER=http://127.0.0.1:1", // never called
	}
	flags := cli{t: t, env: awsEnv}
	aws := []string{"--backend", "aws", "--table", table, "--queue-url", queueURL, "--region", env.Region}

	runID := trimLine(flags.ok(append([]string{"start", "collect-hook", "--input", `{"token":"aws-1","count":1}`}, aws...)...))
	require.Regexp(t, `^run_[A-Z0-9]+$`, runID)

	c := cli{t: t, env: append(awsEnv, "HOOKFLOW_TABLE="+table, "HOOKFLOW_QUEUE_URL="+queueURL, "AWS_REGION="+env.Region)}
	var page workflow.RunPage
	require.Eventually(t, func() bool { // the runs index is eventually consistent
		page = okJSON[workflow.RunPage](c, "runs", "ls", "--backend", "aws", "--workflow", "collect-hook")
		return len(page.Runs) == 1
	}, 10*time.Second, 100*time.Millisecond, "runs ls --backend aws: %+v", page)
	require.Equal(t, runID, page.Runs[0].ID)
	require.Equal(t, workflow.StatusPending, page.Runs[0].Status, "no runner on this queue")
	require.Regexp(t, runID+`\s+collect-hook\s+pending`, c.ok("runs", "ls", "--backend", "aws"))

	view := okJSON[runView](c, "runs", "show", runID, "--backend", "aws")
	require.Equal(t, runID, view.Run.ID)
	require.Equal(t, "run_created", view.Events[0].Type)
	require.Contains(t, c.ok("runs", "show", runID, "--backend", "aws"), `collect-hook input={"token":"aws-1","count":1}`)
	require.Contains(t, c.ok("workflows", "--backend", "aws"), "collect-hook\n")

	c.fails(3, []string{"runs", "show", "run_nope", "--backend", "aws"}, "run not found: run_nope", "hookflow runs ls")
	c.fails(2, []string{"start", "nope", "--backend", "aws"}, `no workflow "nope" is registered`)
	c.ok("cancel", runID, "--backend", "aws")

	missing := cli{t: t, env: awsEnv}
	missing.fails(1, append([]string{"runs", "ls", "--backend", "aws", "--table", "hookflow-no-such-table"}, aws[4:]...),
		`Check --table ("hookflow-no-such-table")`, "AWS credentials")
}

// With --kms-key-id (or HOOKFLOW_KMS_KEY_ID) the CLI stores and reads payloads encrypted under
// the deployment's KMS key: what it starts is unreadable in the table, and readable through
// it; without the key, showing the run fails with the reason.
func TestAWSBackendWithKMS(t *testing.T) {
	t.Parallel()
	env := awstest.Setup(t)
	table := awstest.UniqueName(t)
	env.NewTable(t, table)
	queueURL := env.NewQueue(t, table, nil)
	kc := kms.NewFromConfig(env.Config)
	key, err := kc.CreateKey(t.Context(), &kms.CreateKeyInput{Description: new("hookflow cli test")})
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = kc.ScheduleKeyDeletion(context.WithoutCancel(t.Context()), &kms.ScheduleKeyDeletionInput{KeyId: key.KeyMetadata.KeyId, PendingWindowInDays: new(int32(7))})
	})
	creds, err := env.Config.Credentials.Retrieve(t.Context())
	require.NoError(t, err)
	base := []string{
		"AWS_ENDPOINT_URL=" + env.Endpoint, "AWS_ACCESS_KEY_ID=" + creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey, "AWS_REGION=" + env.Region,
		"HOOKFLOW_TABLE=" + table, "HOOKFLOW_QUEUE_URL=" + queueURL,
	}
	c := cli{t: t, env: append(base, "HOOKFLOW_KMS_KEY_ID="+*key.KeyMetadata.Arn)}
	const secret = "cli-kms-sekret-5d1f"
	runID := trimLine(c.ok("start", "collect-hook", "--backend", "aws", "--input", `{"token":"`+secret+`","count":1}`))
	require.Contains(t, c.ok("runs", "show", runID, "--backend", "aws"), secret, "read back through the key")

	raw, err := env.DynamoDB.GetItem(t.Context(), &dynamodb.GetItemInput{
		TableName: &table, ConsistentRead: new(true),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "RUN#" + runID}, "sk": &types.AttributeValueMemberS{Value: "META"},
		},
	})
	require.NoError(t, err)
	require.NotEmpty(t, raw.Item)
	input, ok := raw.Item["input"].(*types.AttributeValueMemberB)
	require.True(t, ok, "the input is stored as an encrypted frame")
	require.NotContains(t, string(input.Value), secret)

	keyless := cli{t: t, env: base}
	keyless.fails(1, []string{"runs", "show", runID, "--backend", "aws"}, "value is encrypted")
}
