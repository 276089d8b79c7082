package verify

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// SSMClient is the part of *ssm.Client that SSMResolver uses.
type SSMClient interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// SSMResolver resolves "ssm:/parameter/name" references from AWS Systems Manager Parameter
// Store, decrypting SecureString parameters. The name may also be a parameter ARN.
type SSMResolver struct {
	// Client is an *ssm.Client, or a fake in tests.
	Client SSMClient
}

// Resolve returns the value of the parameter ref names. A parameter without a value is an error.
func (s SSMResolver) Resolve(ctx context.Context, ref string) ([]byte, error) {
	name, err := refName(ref, SchemeSSM)
	if err != nil {
		return nil, err
	}
	if s.Client == nil {
		return nil, errors.New("verify: SSMResolver has no Client")
	}
	out, err := s.Client.GetParameter(ctx, &ssm.GetParameterInput{
		Name:           aws.String(name),
		WithDecryption: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("verify: ssm parameter %s: %w", name, err)
	}
	if out == nil || out.Parameter == nil || aws.ToString(out.Parameter.Value) == "" {
		return nil, fmt.Errorf("verify: ssm parameter %s has no value", name)
	}
	return []byte(*out.Parameter.Value), nil
}

// SecretsManagerClient is the part of *secretsmanager.Client that SecretsManagerResolver uses.
type SecretsManagerClient interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// SecretsManagerResolver resolves "secretsmanager:name" references (a secret's name or ARN)
// from AWS Secrets Manager: the current version's SecretString, or its SecretBinary when it has
// no string. The whole value is the signing secret (no JSON key is picked out of it).
type SecretsManagerResolver struct {
	// Client is a *secretsmanager.Client, or a fake in tests.
	Client SecretsManagerClient
}

// Resolve returns the value of the secret ref names. A secret without a value is an error.
func (s SecretsManagerResolver) Resolve(ctx context.Context, ref string) ([]byte, error) {
	name, err := refName(ref, SchemeSecretsManager)
	if err != nil {
		return nil, err
	}
	if s.Client == nil {
		return nil, errors.New("verify: SecretsManagerResolver has no Client")
	}
	out, err := s.Client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("verify: secretsmanager secret %s: %w", name, err)
	}
	switch {
	case out == nil:
	case out.SecretString != nil && *out.SecretString != "":
		return []byte(*out.SecretString), nil
	case len(out.SecretBinary) > 0:
		return clone(out.SecretBinary), nil
	}
	return nil, fmt.Errorf("verify: secretsmanager secret %s has no value", name)
}
