package hookflow

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// newTable defines the one table of pkg/backend/aws's schema, as its CreateTable makes it:
// string keys, on-demand billing, TTL, the sparse due index with keys only, and the runs index
// (every run, newest first, with its status and workflow projected). Point-in-time
// recovery is on: the table holds every run's history.
func newTable(scope constructs.Construct, p Props) awsdynamodb.Table {
	str := awsdynamodb.AttributeType_STRING
	t := awsdynamodb.NewTable(scope, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String(attrPK), Type: str},
		SortKey:             &awsdynamodb.Attribute{Name: jsii.String(attrSK), Type: str},
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		TimeToLiveAttribute: jsii.String(attrTTL),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		DeletionProtection: p.DeletionProtection,
		RemovalPolicy:      p.RemovalPolicy,
	})
	t.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
		IndexName:      jsii.String(indexDue),
		PartitionKey:   &awsdynamodb.Attribute{Name: jsii.String(attrDuePK), Type: str},
		SortKey:        &awsdynamodb.Attribute{Name: jsii.String(attrDueSK), Type: str},
		ProjectionType: awsdynamodb.ProjectionType_KEYS_ONLY,
	})
	t.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
		IndexName:        jsii.String(indexRuns),
		PartitionKey:     &awsdynamodb.Attribute{Name: jsii.String(attrRunsPK), Type: str},
		SortKey:          &awsdynamodb.Attribute{Name: jsii.String(attrRunsSK), Type: str},
		ProjectionType:   awsdynamodb.ProjectionType_INCLUDE,
		NonKeyAttributes: jsii.Strings(attrStatus, attrWorkflow),
	})
	return t
}
