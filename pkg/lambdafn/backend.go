package lambdafn

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/hookflow/hookflow/pkg/backend"
	hfaws "github.com/hookflow/hookflow/pkg/backend/aws"
	"github.com/hookflow/hookflow/pkg/codec"
)

// NewBackend opens the DynamoDB + SQS backend the configuration names, with the credentials
// and region of the Lambda environment (and AWS_ENDPOINT_URL, when set, for local emulators),
// storing payloads through the configuration's codec (PayloadCodec) when it has one.
func NewBackend(ctx context.Context, cfg Config) (backend.Backend, error) {
	awsCfg, err := loadAWS(ctx)
	if err != nil {
		return nil, err
	}
	return openBackend(awsCfg, cfg)
}

func openBackend(awsCfg aws.Config, cfg Config) (backend.Backend, error) {
	b, err := hfaws.New(awsCfg, hfaws.Options{Table: cfg.Table, QueueURL: cfg.QueueURL})
	if err != nil {
		return nil, err
	}
	c, err := PayloadCodec(awsCfg, cfg)
	if err != nil {
		return nil, err
	}
	if c == nil {
		c = codec.NoKeys() // an encrypted value fails with the reason, not as garbage
	}
	return codec.Wrap(b, c), nil
}

// PayloadCodec returns the codec the functions store payloads with: compression and
// envelope encryption under cfg.KMSKeyID (data keys from KMS, each used for up to five
// minutes), compression alone with cfg.Compress, or nil for neither.
func PayloadCodec(awsCfg aws.Config, cfg Config) (codec.Codec, error) {
	switch {
	case cfg.KMSKeyID != "":
		c, err := codec.NewKMS(kms.NewFromConfig(awsCfg), cfg.KMSKeyID)
		if err != nil {
			return nil, fmt.Errorf("hookflow: %s: %w", EnvKMSKeyID, err)
		}
		return c, nil
	case cfg.Compress:
		return codec.New(codec.Options{Compress: true})
	}
	return nil, nil
}

func loadAWS(ctx context.Context) (aws.Config, error) {
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("hookflow: loading the AWS configuration: %w", err)
	}
	return awsCfg, nil
}
