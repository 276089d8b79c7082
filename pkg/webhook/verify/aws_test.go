package verify_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/webhook/verify"
)

// The real clients satisfy the interfaces.
var (
	_ verify.SSMClient            = (*ssm.Client)(nil)
	_ verify.SecretsManagerClient = (*secretsmanager.Client)(nil)
)

// fakeSSM serves parameters from a map, recording the inputs it is given.
type fakeSSM struct {
	params map[string]*string
	err    error
	inputs []*ssm.GetParameterInput
}

func (f *fakeSSM) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	f.inputs = append(f.inputs, in)
	if f.err != nil {
		return nil, f.err
	}
	v, ok := f.params[aws.ToString(in.Name)]
	if !ok {
		return nil, &ssmtypes.ParameterNotFound{Message: aws.String("not found")}
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Value: v}}, nil
}

func TestSSMResolver(t *testing.T) {
	t.Parallel()
	fake := &fakeSSM{params: map[string]*string{
		"/hookflow/github": aws.String("gh-value"),
		"/hookflow/empty":  aws.String(""),
		"/hookflow/nil":    nil,
		"arn:aws:ssm:eu-west-1:123456789012:parameter/hookflow/arn": aws.String("by-arn"),
	}}
	r := verify.SSMResolver{Client: fake}
	ctx := context.Background()

	v, err := r.Resolve(ctx, "ssm:/hookflow/github")
	require.NoError(t, err)
	require.Equal(t, []byte("gh-value"), v)
	require.Equal(t, "/hookflow/github", aws.ToString(fake.inputs[0].Name))
	require.True(t, aws.ToBool(fake.inputs[0].WithDecryption), "SecureStrings are decrypted")

	v, err = r.Resolve(ctx, "ssm:arn:aws:ssm:eu-west-1:123456789012:parameter/hookflow/arn")
	require.NoError(t, err)
	require.Equal(t, []byte("by-arn"), v)

	_, err = r.Resolve(ctx, "ssm:/hookflow/missing")
	var notFound *ssmtypes.ParameterNotFound
	require.ErrorAs(t, err, &notFound)
	require.ErrorContains(t, err, "ssm parameter /hookflow/missing")
	_, err = r.Resolve(ctx, "ssm:/hookflow/empty")
	require.EqualError(t, err, "verify: ssm parameter /hookflow/empty has no value")
	_, err = r.Resolve(ctx, "ssm:/hookflow/nil")
	require.EqualError(t, err, "verify: ssm parameter /hookflow/nil has no value")

	calls := len(fake.inputs)
	_, err = r.Resolve(ctx, "env:X")
	require.ErrorContains(t, err, "needs the env resolver, not the ssm one")
	_, err = r.Resolve(ctx, "/hookflow/github")
	require.ErrorContains(t, err, "malformed secret reference")
	require.Len(t, fake.inputs, calls, "no call for a reference of another scheme")

	_, err = verify.SSMResolver{Client: &fakeSSM{err: errors.New("throttled")}}.Resolve(ctx, "ssm:/x")
	require.EqualError(t, err, "verify: ssm parameter /x: throttled")
	_, err = verify.SSMResolver{}.Resolve(ctx, "ssm:/x")
	require.EqualError(t, err, "verify: SSMResolver has no Client")
}

// fakeSecretsManager serves secrets from a map, recording the inputs it is given.
type fakeSecretsManager struct {
	secrets map[string]*secretsmanager.GetSecretValueOutput
	err     error
	inputs  []*secretsmanager.GetSecretValueInput
}

func (f *fakeSecretsManager) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.inputs = append(f.inputs, in)
	if f.err != nil {
		return nil, f.err
	}
	out, ok := f.secrets[aws.ToString(in.SecretId)]
	if !ok {
		return nil, errors.New("ResourceNotFoundException")
	}
	return out, nil
}

func TestSecretsManagerResolver(t *testing.T) {
	t.Parallel()
	binary := []byte{0x00, 0x01, 0xfe}
	fake := &fakeSecretsManager{secrets: map[string]*secretsmanager.GetSecretValueOutput{
		"hookflow/stripe": {SecretString: aws.String("whsec_value")},
		"hookflow/binary": {SecretBinary: binary},
		"hookflow/both":   {SecretString: aws.String("the-string"), SecretBinary: []byte("the-binary")},
		"hookflow/empty":  {SecretString: aws.String("")},
		"hookflow/none":   {},
		"arn:aws:secretsmanager:eu-west-1:123456789012:secret:hookflow/x-AbCdEf": {SecretString: aws.String("by-arn")},
	}}
	r := verify.SecretsManagerResolver{Client: fake}
	ctx := context.Background()

	v, err := r.Resolve(ctx, "secretsmanager:hookflow/stripe")
	require.NoError(t, err)
	require.Equal(t, []byte("whsec_value"), v)
	require.Equal(t, "hookflow/stripe", aws.ToString(fake.inputs[0].SecretId))
	require.Nil(t, fake.inputs[0].VersionId, "the current version")
	require.Nil(t, fake.inputs[0].VersionStage)

	v, err = r.Resolve(ctx, "secretsmanager:hookflow/binary")
	require.NoError(t, err)
	require.Equal(t, binary, v)
	v[0] = 0xff
	require.Equal(t, byte(0x00), binary[0], "the caller gets a copy")

	v, err = r.Resolve(ctx, "secretsmanager:hookflow/both")
	require.NoError(t, err)
	require.Equal(t, []byte("the-string"), v, "SecretString first")

	v, err = r.Resolve(ctx, "secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:hookflow/x-AbCdEf")
	require.NoError(t, err)
	require.Equal(t, []byte("by-arn"), v)

	_, err = r.Resolve(ctx, "secretsmanager:hookflow/empty")
	require.EqualError(t, err, "verify: secretsmanager secret hookflow/empty has no value")
	_, err = r.Resolve(ctx, "secretsmanager:hookflow/none")
	require.EqualError(t, err, "verify: secretsmanager secret hookflow/none has no value")
	_, err = r.Resolve(ctx, "secretsmanager:hookflow/missing")
	require.EqualError(t, err, "verify: secretsmanager secret hookflow/missing: ResourceNotFoundException")

	_, err = r.Resolve(ctx, "ssm:/x")
	require.ErrorContains(t, err, "needs the ssm resolver, not the secretsmanager one")
	_, err = verify.SecretsManagerResolver{Client: &fakeSecretsManager{err: errors.New("denied")}}.Resolve(ctx, "secretsmanager:x")
	require.EqualError(t, err, "verify: secretsmanager secret x: denied")
	_, err = verify.SecretsManagerResolver{}.Resolve(ctx, "secretsmanager:x")
	require.EqualError(t, err, "verify: SecretsManagerResolver has no Client")
}

// A MultiResolver over the three resolvers routes each scheme to its store.
func TestMultiResolverOverAWS(t *testing.T) {
	t.Parallel()
	m := verify.MultiResolver{
		verify.SchemeEnv:            verify.EnvResolver{Getenv: func(k string) string { return "env-" + k }},
		verify.SchemeSSM:            verify.SSMResolver{Client: &fakeSSM{params: map[string]*string{"/p": aws.String("ssm-value")}}},
		verify.SchemeSecretsManager: verify.SecretsManagerResolver{Client: &fakeSecretsManager{secrets: map[string]*secretsmanager.GetSecretValueOutput{"s": {SecretString: aws.String("sm-value")}}}},
	}
	for ref, want := range map[string]string{"env:A": "env-A", "ssm:/p": "ssm-value", "secretsmanager:s": "sm-value"} {
		v, err := m.Resolve(context.Background(), ref)
		require.NoError(t, err)
		require.Equal(t, want, string(v))
	}
}
