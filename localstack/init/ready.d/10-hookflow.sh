#!/bin/bash
# LocalStack ready hook: create hookflow's development table and wake queue.
#
# The table has the schema of pkg/backend/aws.CreateTable (keep the two in step): string keys
# pk/sk, on-demand billing, the sparse index gsi1-due over gsi1pk/gsi1sk projecting keys only,
# the runs index gsi2-runs over gsi2pk/gsi2sk projecting status and workflow, and TTL on the
# attribute ttl. The wake queue gets a dead-letter queue, as in the CDK stack.
# Names come from HOOKFLOW_TABLE and HOOKFLOW_QUEUE (docker-compose.yml sets them). Running it
# again changes nothing.
set -euo pipefail

table="${HOOKFLOW_TABLE:-hookflow-dev}"
queue="${HOOKFLOW_QUEUE:-hookflow-wake}"

if awslocal dynamodb describe-table --table-name "$table" >/dev/null 2>&1; then
	echo "hookflow: table $table exists"
else
	awslocal dynamodb create-table \
		--table-name "$table" \
		--billing-mode PAY_PER_REQUEST \
		--attribute-definitions \
		AttributeName=pk,AttributeType=S AttributeName=sk,AttributeType=S \
		AttributeName=gsi1pk,AttributeType=S AttributeName=gsi1sk,AttributeType=S \
		AttributeName=gsi2pk,AttributeType=S AttributeName=gsi2sk,AttributeType=S \
		--key-schema AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE \
		--global-secondary-indexes '[{
			"IndexName": "gsi1-due",
			"KeySchema": [
				{"AttributeName": "gsi1pk", "KeyType": "HASH"},
				{"AttributeName": "gsi1sk", "KeyType": "RANGE"}
			],
			"Projection": {"ProjectionType": "KEYS_ONLY"}
		}, {
			"IndexName": "gsi2-runs",
			"KeySchema": [
				{"AttributeName": "gsi2pk", "KeyType": "HASH"},
				{"AttributeName": "gsi2sk", "KeyType": "RANGE"}
			],
			"Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["status", "workflow"]}
		}]' >/dev/null
	awslocal dynamodb wait table-exists --table-name "$table"
	awslocal dynamodb update-time-to-live --table-name "$table" \
		--time-to-live-specification Enabled=true,AttributeName=ttl >/dev/null
	echo "hookflow: created table $table"
fi

dlq_url="$(awslocal sqs create-queue --queue-name "$queue-dlq" --query QueueUrl --output text)"
dlq_arn="$(awslocal sqs get-queue-attributes --queue-url "$dlq_url" --attribute-names QueueArn \
	--query Attributes.QueueArn --output text)"
redrive="{\\\"deadLetterTargetArn\\\":\\\"$dlq_arn\\\",\\\"maxReceiveCount\\\":\\\"5\\\"}"
url="$(awslocal sqs create-queue --queue-name "$queue" \
	--attributes "{\"VisibilityTimeout\":\"60\",\"RedrivePolicy\":\"$redrive\"}" \
	--query QueueUrl --output text)"
echo "hookflow: queue $url (dead letters: $dlq_url)"
