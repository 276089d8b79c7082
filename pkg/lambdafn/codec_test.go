package lambdafn

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/codec"
)

// The functions' codec follows the configuration: none, compression, or compression and
// encryption under the KMS key, whose frames only that key's data keys open.
func TestPayloadCodec(t *testing.T) {
	t.Parallel()
	env := awstest.Setup(t)
	ctx := t.Context()
	none, err := PayloadCodec(env.Config, Config{})
	require.NoError(t, err)
	require.Nil(t, none, "no codec unless asked")

	plain := []byte(`{"note":"` + strings.Repeat("a", 200) + ` secret"}`)
	zip, err := PayloadCodec(env.Config, Config{Compress: true})
	require.NoError(t, err)
	stored, err := zip.Encode(ctx, plain)
	require.NoError(t, err)
	require.Less(t, len(stored), len(plain), "compressed")

	client := kms.NewFromConfig(env.Config)
	key, err := client.CreateKey(ctx, &kms.CreateKeyInput{Description: new("hookflow lambdafn test")})
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = client.ScheduleKeyDeletion(t.Context(), &kms.ScheduleKeyDeletionInput{KeyId: key.KeyMetadata.KeyId, PendingWindowInDays: new(int32(7))})
	})
	require.Equal(t, types.KeyStateEnabled, key.KeyMetadata.KeyState)
	enc, err := PayloadCodec(env.Config, Config{KMSKeyID: *key.KeyMetadata.Arn})
	require.NoError(t, err)
	stored, err = enc.Encode(ctx, plain)
	require.NoError(t, err)
	require.True(t, codec.IsEncoded(stored))
	require.NotContains(t, string(stored), "secret")
	back, err := enc.Decode(ctx, stored)
	require.NoError(t, err)
	require.Equal(t, plain, back)
	_, err = zip.Decode(ctx, stored)
	require.ErrorIs(t, err, codec.ErrDecode, "a codec without the key cannot read it")
}
