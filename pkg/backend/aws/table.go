package aws

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// tableWait bounds how long CreateTable and DeleteTable wait for the table.
const tableWait = 5 * time.Minute

// CreateTable creates the table of the driver's schema (see the Attr*, IndexDue and IndexRuns
// constants): string keys, on-demand billing, the sparse due index with keys only, the runs
// index projecting IndexRunsProjected, and TTL
// on AttrTTL. It waits until the table is active. An endpoint that does not implement TTL
// (some emulators) is tolerated: TTL only saves space, nothing relies on it.
func CreateTable(ctx context.Context, client *dynamodb.Client, name string) error {
	str := dbtypes.ScalarAttributeTypeS
	out, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: dbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dbtypes.AttributeDefinition{
			{AttributeName: aws.String(AttrPK), AttributeType: str},
			{AttributeName: aws.String(AttrSK), AttributeType: str},
			{AttributeName: aws.String(AttrDuePK), AttributeType: str},
			{AttributeName: aws.String(AttrDueSK), AttributeType: str},
			{AttributeName: aws.String(AttrRunsPK), AttributeType: str},
			{AttributeName: aws.String(AttrRunsSK), AttributeType: str},
		},
		KeySchema: []dbtypes.KeySchemaElement{
			{AttributeName: aws.String(AttrPK), KeyType: dbtypes.KeyTypeHash},
			{AttributeName: aws.String(AttrSK), KeyType: dbtypes.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []dbtypes.GlobalSecondaryIndex{{
			IndexName: aws.String(IndexDue),
			KeySchema: []dbtypes.KeySchemaElement{
				{AttributeName: aws.String(AttrDuePK), KeyType: dbtypes.KeyTypeHash},
				{AttributeName: aws.String(AttrDueSK), KeyType: dbtypes.KeyTypeRange},
			},
			Projection: &dbtypes.Projection{ProjectionType: dbtypes.ProjectionTypeKeysOnly},
		}, {
			IndexName: aws.String(IndexRuns),
			KeySchema: []dbtypes.KeySchemaElement{
				{AttributeName: aws.String(AttrRunsPK), KeyType: dbtypes.KeyTypeHash},
				{AttributeName: aws.String(AttrRunsSK), KeyType: dbtypes.KeyTypeRange},
			},
			Projection: &dbtypes.Projection{
				ProjectionType:   dbtypes.ProjectionTypeInclude,
				NonKeyAttributes: IndexRunsProjected,
			},
		}},
	})
	if err != nil {
		return fmt.Errorf("aws: create table %s: %w", name, err)
	}
	if out.TableDescription == nil || out.TableDescription.TableStatus != dbtypes.TableStatusActive {
		waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
			o.MinDelay, o.MaxDelay = time.Second, 10*time.Second
		})
		if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, tableWait); err != nil {
			return fmt.Errorf("aws: create table %s: wait until active: %w", name, err)
		}
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &dbtypes.TimeToLiveSpecification{
			AttributeName: aws.String(AttrTTL),
			Enabled:       aws.Bool(true),
		},
	})
	// An emulator without TTL answers with one of these; DynamoDB itself never does.
	if err != nil && !hasErrorCode(err, "UnknownOperationException", "NotImplemented", "NotImplementedException", "UnsupportedOperation") {
		return fmt.Errorf("aws: create table %s: enable TTL: %w", name, err)
	}
	return nil
}

// DeleteTable deletes the table and waits until it is gone. A table that does not exist is
// not an error.
func DeleteTable(ctx context.Context, client *dynamodb.Client, name string) error {
	_, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	var notFound *dbtypes.ResourceNotFoundException
	if errors.As(err, &notFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("aws: delete table %s: %w", name, err)
	}
	waiter := dynamodb.NewTableNotExistsWaiter(client, func(o *dynamodb.TableNotExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Second, 10*time.Second
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, tableWait); err != nil {
		return fmt.Errorf("aws: delete table %s: wait until gone: %w", name, err)
	}
	return nil
}

// CreateQueue creates a standard SQS queue (or returns the URL of the one that exists with
// the same attributes) and returns its URL. attributes are SQS queue attributes, for example
// {"VisibilityTimeout": "30"}; none are needed.
func CreateQueue(ctx context.Context, client *sqs.Client, name string, attributes ...map[string]string) (string, error) {
	in := &sqs.CreateQueueInput{QueueName: aws.String(name)}
	for _, attrs := range attributes {
		if in.Attributes == nil {
			in.Attributes = map[string]string{}
		}
		for k, v := range attrs {
			in.Attributes[k] = v
		}
	}
	out, err := client.CreateQueue(ctx, in)
	if err != nil {
		return "", fmt.Errorf("aws: create queue %s: %w", name, err)
	}
	return aws.ToString(out.QueueUrl), nil
}

// DeleteQueue deletes the queue at url. A queue that does not exist is not an error.
func DeleteQueue(ctx context.Context, client *sqs.Client, url string) error {
	_, err := client.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)})
	var missing *sqstypes.QueueDoesNotExist
	if err != nil && !errors.As(err, &missing) && !hasErrorCode(err, "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist") {
		return fmt.Errorf("aws: delete queue %s: %w", url, err)
	}
	return nil
}
