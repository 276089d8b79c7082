package codec_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/backend/aws/awstest"
	"github.com/hookflow/hookflow/pkg/codec"
)

// TestKMSKeysIntegration runs KMSKeys against the local AWS endpoint (awstest.Setup: skips
// without one, fails instead with HOOKFLOW_REQUIRE_AWS=1).
func TestKMSKeysIntegration(t *testing.T) {
	t.Parallel()
	env := awstest.Setup(t)
	client := kms.NewFromConfig(env.Config)
	first, second := newKMSKey(t, client), newKMSKey(t, client)
	ec := map[string]string{"app": "hookflow-test"}

	keys, err := codec.NewKMSKeys(client, codec.KMSOptions{KeyID: first, EncryptionContext: ec})
	require.NoError(t, err)
	c := newCodec(t, codec.Options{Compress: true, Keys: keys})
	old := roundTrip(t, c, secretJSON)
	require.NotContains(t, string(old), "secret-payload-1234")
	old2 := roundTrip(t, c, []byte(`{"second":"value under the same data key"}`))

	// Another process, with a cold cache, decrypts the data key with KMS.
	reader, err := codec.NewKMSKeys(client, codec.KMSOptions{KeyID: first, EncryptionContext: ec})
	require.NoError(t, err)
	got, err := newCodec(t, codec.Options{Keys: reader}).Decode(t.Context(), old)
	require.NoError(t, err)
	require.Equal(t, secretJSON, got)

	// Rotation: a codec on the second key reads what the first one wrote, and writes with
	// the second key.
	rotated, err := codec.NewKMSKeys(client, codec.KMSOptions{KeyID: second, EncryptionContext: ec})
	require.NoError(t, err)
	rc := newCodec(t, codec.Options{Compress: true, Keys: rotated})
	for _, f := range [][]byte{old, old2} {
		_, err := rc.Decode(t.Context(), f)
		require.NoError(t, err)
	}
	fresh := roundTrip(t, rc, secretJSON)
	_, blob, err := rotated.DataKey(t.Context())
	require.NoError(t, err)
	out, err := client.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: blob, EncryptionContext: ec})
	require.NoError(t, err)
	require.Contains(t, aws.ToString(out.KeyId), second, "new data keys come from the second key")
	got, err = c.Decode(t.Context(), fresh)
	require.NoError(t, err, "the first codec reads values of the second key: Decrypt needs no key ID")
	require.Equal(t, secretJSON, got)

	// A frame altered inside its ciphertext fails to decode, with ErrDecode.
	tampered := append([]byte(nil), old...)
	tampered[len(tampered)-1] ^= 1
	_, err = rc.Decode(t.Context(), tampered)
	require.ErrorIs(t, err, codec.ErrDecode)

	// A data key KMS refuses to decrypt (another encryption context) surfaces as ErrDecode
	// wrapping the KMS error.
	otherContext, err := codec.NewKMSKeys(client, codec.KMSOptions{KeyID: first, EncryptionContext: map[string]string{"app": "other"}})
	require.NoError(t, err)
	_, err = newCodec(t, codec.Options{Keys: otherContext}).Decode(t.Context(), old)
	require.ErrorIs(t, err, codec.ErrDecode)
	var invalid *types.InvalidCiphertextException
	require.ErrorAs(t, err, &invalid)
}

// newKMSKey creates a symmetric KMS key, scheduled for deletion when the test ends, and
// returns its ID.
func newKMSKey(t *testing.T, client *kms.Client) string {
	t.Helper()
	out, err := client.CreateKey(t.Context(), &kms.CreateKeyInput{
		Description: aws.String("hookflow codec test " + t.Name()),
		KeySpec:     types.KeySpecSymmetricDefault,
		KeyUsage:    types.KeyUsageTypeEncryptDecrypt,
	})
	require.NoError(t, err)
	id := aws.ToString(out.KeyMetadata.KeyId)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := client.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(id), PendingWindowInDays: aws.Int32(7)})
		require.NoError(t, err)
	})
	return id
}
