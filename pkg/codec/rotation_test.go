package codec_test

import (
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/codec"
)

func TestLocalKeyRotation(t *testing.T) {
	t.Parallel()
	k1, k2 := newKey(t), newKey(t)
	before := newCodec(t, codec.Options{Compress: true, Keys: newRing(t, "k1", map[string][]byte{"k1": k1})})
	old := roundTrip(t, before, secretJSON)

	rotated := newCodec(t, codec.Options{Compress: true, Keys: newRing(t, "k2", map[string][]byte{"k1": k1, "k2": k2})})
	fresh := roundTrip(t, rotated, secretJSON)
	got, err := rotated.Decode(t.Context(), old)
	require.NoError(t, err, "the rotated ring reads values of the old key")
	require.Equal(t, secretJSON, got)

	// The new primary encrypts: the frame names it, and the old ring cannot read it.
	require.Contains(t, string(fresh), "k2")
	_, err = before.Decode(t.Context(), fresh)
	require.ErrorIs(t, err, codec.ErrDecode)
	require.ErrorIs(t, err, codec.ErrUnknownKey)

	// A ring without k1 fails on old values, naming the key ID but never key material.
	retired := newCodec(t, codec.Options{Compress: true, Keys: newRing(t, "k2", map[string][]byte{"k2": k2})})
	_, err = retired.Decode(t.Context(), old)
	require.ErrorIs(t, err, codec.ErrDecode)
	require.ErrorIs(t, err, codec.ErrUnknownKey)
	require.ErrorContains(t, err, `"k1"`)
	requireNoKeyMaterial(t, err.Error(), k1, k2)
	got, err = retired.Decode(t.Context(), fresh)
	require.NoError(t, err)
	require.Equal(t, secretJSON, got)
}

func TestWrongKeyWithSameIDFailsAuthentication(t *testing.T) {
	t.Parallel()
	one := newCodec(t, codec.Options{Keys: newRing(t, "k1", map[string][]byte{"k1": newKey(t)})})
	other := newCodec(t, codec.Options{Keys: newRing(t, "k1", map[string][]byte{"k1": newKey(t)})})
	stored := roundTrip(t, one, secretJSON)
	_, err := other.Decode(t.Context(), stored)
	require.ErrorIs(t, err, codec.ErrDecode)
	require.ErrorContains(t, err, `authentication failed with the key of reference "k1"`)
}

// requireNoKeyMaterial fails when s shows any of keys, raw or in a usual encoding.
func requireNoKeyMaterial(t testing.TB, s string, keys ...[]byte) {
	t.Helper()
	for _, k := range keys {
		for _, form := range []string{
			string(k), fmt.Sprintf("%x", k), fmt.Sprintf("%v", k), fmt.Sprintf("%q", k),
			base64.StdEncoding.EncodeToString(k), base64.RawURLEncoding.EncodeToString(k),
			base64.StdEncoding.EncodeToString(k)[:16],
		} {
			require.NotContains(t, s, form)
		}
	}
}
