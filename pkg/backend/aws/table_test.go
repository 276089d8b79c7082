package aws_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	awsbackend "github.com/hookflow/hookflow/pkg/backend/aws"
)

// CreateTable makes the schema the driver and the CDK app rely on.
func TestCreateTableSchema(t *testing.T) {
	t.Parallel()
	bd := newBundle(t)
	ctx := t.Context()
	out, err := bd.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &bd.table})
	require.NoError(t, err)
	tbl := out.Table
	require.Equal(t, types.TableStatusActive, tbl.TableStatus)
	require.Equal(t, []types.KeySchemaElement{
		{AttributeName: aws.String(awsbackend.AttrPK), KeyType: types.KeyTypeHash},
		{AttributeName: aws.String(awsbackend.AttrSK), KeyType: types.KeyTypeRange},
	}, tbl.KeySchema)
	require.NotNil(t, tbl.BillingModeSummary)
	require.Equal(t, types.BillingModePayPerRequest, tbl.BillingModeSummary.BillingMode)
	require.Len(t, tbl.GlobalSecondaryIndexes, 2)
	indexes := map[string]types.GlobalSecondaryIndexDescription{}
	for _, gsi := range tbl.GlobalSecondaryIndexes {
		indexes[aws.ToString(gsi.IndexName)] = gsi
	}
	due, ok := indexes[awsbackend.IndexDue]
	require.True(t, ok, "the due index")
	require.Equal(t, []types.KeySchemaElement{
		{AttributeName: aws.String(awsbackend.AttrDuePK), KeyType: types.KeyTypeHash},
		{AttributeName: aws.String(awsbackend.AttrDueSK), KeyType: types.KeyTypeRange},
	}, due.KeySchema)
	require.Equal(t, types.ProjectionTypeKeysOnly, due.Projection.ProjectionType)
	runs, ok := indexes[awsbackend.IndexRuns]
	require.True(t, ok, "the runs index")
	require.Equal(t, []types.KeySchemaElement{
		{AttributeName: aws.String(awsbackend.AttrRunsPK), KeyType: types.KeyTypeHash},
		{AttributeName: aws.String(awsbackend.AttrRunsSK), KeyType: types.KeyTypeRange},
	}, runs.KeySchema)
	require.Equal(t, types.ProjectionTypeInclude, runs.Projection.ProjectionType)
	require.ElementsMatch(t, awsbackend.IndexRunsProjected, runs.Projection.NonKeyAttributes)

	ttl, err := bd.db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: &bd.table})
	require.NoError(t, err)
	require.Contains(t, []types.TimeToLiveStatus{types.TimeToLiveStatusEnabled, types.TimeToLiveStatusEnabling},
		ttl.TimeToLiveDescription.TimeToLiveStatus)
	require.Equal(t, awsbackend.AttrTTL, aws.ToString(ttl.TimeToLiveDescription.AttributeName))

	require.NoError(t, awsbackend.DeleteTable(ctx, bd.db, "hookflow-test-no-such-table"), "deleting a missing table is fine")
	require.NoError(t, awsbackend.DeleteQueue(ctx, bd.sqs, bd.queueURL+"-no-such-queue"), "deleting a missing queue is fine")
}
