package lambdafn

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	hfaws "github.com/hookflow/hookflow/pkg/backend/aws"
)

// NewBackend opens the DynamoDB + SQS backend the configuration names, with the credentials
// and region of the Lambda environment (and AWS_ENDPOINT_URL, when set, for local emulators).
func NewBackend(ctx context.Context, cfg Config) (*hfaws.Backend, error) {
	awsCfg, err := loadAWS(ctx)
	if err != nil {
		return nil, err
	}
	return hfaws.New(awsCfg, hfaws.Options{Table: cfg.Table, QueueURL: cfg.QueueURL})
}

func loadAWS(ctx context.Context) (aws.Config, error) {
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("hookflow: loading the AWS configuration: %w", err)
	}
	return awsCfg, nil
}
