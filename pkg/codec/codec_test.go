package codec_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/codec"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		name  string
		codec codec.Codec
		flags byte
	}{
		{"compress only", b.compressOnly, flagDeflated},
		{"encrypt only", b.encryptOnly, flagEncrypted},
		{"compress and encrypt", b.both, flagDeflated | flagEncrypted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stored := roundTrip(t, tc.codec, secretJSON)
			require.True(t, codec.IsEncoded(stored))
			require.Equal(t, []byte{0x00, 'h', 'f', 'c', 1, tc.flags}, stored[:6])

			large := bytes.Repeat(secretJSON, (1<<20)/len(secretJSON)+1)[:1<<20]
			stored = roundTrip(t, tc.codec, large)
			require.Equal(t, tc.flags, stored[flagsAt])

			short := []byte(`{"ok":true}`)
			require.Less(t, len(short), codec.MinCompressSize)
			stored = roundTrip(t, tc.codec, short)
			require.Zero(t, stored[flagsAt]&flagDeflated, "a short value is not deflated")
		})
	}
}

func TestEmptyValuesStayEmpty(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, c := range []codec.Codec{b.compressOnly, b.encryptOnly, b.both} {
		stored, err := c.Encode(t.Context(), nil)
		require.NoError(t, err)
		require.Nil(t, stored)
		got, err := c.Decode(t.Context(), stored)
		require.NoError(t, err)
		require.Nil(t, got)

		stored, err = c.Encode(t.Context(), []byte{})
		require.NoError(t, err)
		require.NotNil(t, stored)
		require.Empty(t, stored)
		got, err = c.Decode(t.Context(), stored)
		require.NoError(t, err)
		require.NotNil(t, got)
		require.Empty(t, got)
	}
}

func TestIncompressibleValuesAreNotDeflated(t *testing.T) {
	t.Parallel()
	b := setup(t)
	random := randomBytes(t, 64<<10)
	stored := roundTrip(t, b.compressOnly, random)
	require.Zero(t, stored[flagsAt])
	require.Len(t, stored, 6+len(random), "header and value, nothing more")

	stored = roundTrip(t, b.both, random)
	require.Equal(t, byte(flagEncrypted), stored[flagsAt])
}

func TestValuesOverMaxDecodedSizeAreNotDeflated(t *testing.T) {
	t.Parallel()
	b := setup(t)
	zeros := make([]byte, codec.MaxDecodedSize+1)
	stored := roundTrip(t, b.both, zeros)
	require.Equal(t, byte(flagEncrypted), stored[flagsAt], "a value that could not be inflated back is stored as it is")
}

func TestEncryptedFrameHidesPlaintext(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, c := range []codec.Codec{b.encryptOnly, b.both} {
		stored := roundTrip(t, c, secretJSON)
		require.NotContains(t, string(stored), "secret-payload-1234")
		require.NotContains(t, string(stored), "customer")
	}
	// The same value encrypts differently every time (random nonce).
	first := roundTrip(t, b.encryptOnly, secretJSON)
	second := roundTrip(t, b.encryptOnly, secretJSON)
	require.NotEqual(t, first, second)
}

func TestCompressedJSONIsSmaller(t *testing.T) {
	t.Parallel()
	b := setup(t)
	doc := []byte(strings.Repeat(string(secretJSON)+"\n", 8))
	compressed := roundTrip(t, b.compressOnly, doc)
	require.Less(t, len(compressed), len(doc)/4, "compressed %d of %d bytes", len(compressed), len(doc))

	encrypted := roundTrip(t, b.encryptOnly, doc)
	both := roundTrip(t, b.both, doc)
	require.Less(t, len(both), len(encrypted)/4, "compressed and encrypted %d, encrypted %d", len(both), len(encrypted))
}

func TestDecodePassesPlainValuesThrough(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, plain := range [][]byte{
		secretJSON,
		[]byte(`"a string"`),
		[]byte(`42`),
		[]byte("hfc not at the start \x00hfc"),
		{0x01, 'h', 'f', 'c', 1, 0},
		{'h', 'f', 'c'},
		{0x00, 'x'},
	} {
		require.False(t, codec.IsEncoded(plain))
		for _, c := range []codec.Codec{b.compressOnly, b.encryptOnly, b.both} {
			got, err := c.Decode(t.Context(), plain)
			require.NoError(t, err)
			require.Equal(t, plain, got)
		}
	}
}

func TestIsEncoded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.False(t, codec.IsEncoded(nil))
	require.False(t, codec.IsEncoded([]byte{}))
	require.False(t, codec.IsEncoded([]byte{0x00, 'h', 'f'}))
	require.False(t, codec.IsEncoded(secretJSON))
	require.True(t, codec.IsEncoded([]byte{0x00, 'h', 'f', 'c'}))
	for _, c := range []codec.Codec{b.compressOnly, b.encryptOnly, b.both} {
		for _, v := range [][]byte{{'x'}, secretJSON, randomBytes(t, 100)} {
			stored, err := c.Encode(t.Context(), v)
			require.NoError(t, err)
			require.True(t, codec.IsEncoded(stored))
		}
	}
}

func TestDecodeReadsFramesByTheirFlags(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// Frames a compress-only codec wrote stay readable once encryption is turned on.
	compressed := roundTrip(t, b.compressOnly, secretJSON)
	for _, c := range []codec.Codec{b.encryptOnly, b.both} {
		got, err := c.Decode(t.Context(), compressed)
		require.NoError(t, err)
		require.Equal(t, secretJSON, got)
	}
	// Compressed frames stay readable once compression is turned off.
	both := roundTrip(t, b.both, secretJSON)
	got, err := b.encryptOnly.Decode(t.Context(), both)
	require.NoError(t, err)
	require.Equal(t, secretJSON, got)

	// An encrypted frame needs keys.
	_, err = b.compressOnly.Decode(t.Context(), both)
	require.ErrorIs(t, err, codec.ErrDecode)
	require.ErrorContains(t, err, "no keys")
}

func TestRequireEncryption(t *testing.T) {
	t.Parallel()
	b := setup(t)
	strict := newCodec(t, codec.Options{Compress: true, Keys: b.keys, RequireEncryption: true})
	roundTrip(t, strict, secretJSON)

	got, err := strict.Decode(t.Context(), nil)
	require.NoError(t, err, "empty values are never encrypted")
	require.Nil(t, got)

	compressed := roundTrip(t, b.compressOnly, secretJSON)
	for _, v := range [][]byte{secretJSON, compressed} {
		_, err := strict.Decode(t.Context(), v)
		require.ErrorIs(t, err, codec.ErrDecode)
		require.ErrorContains(t, err, "RequireEncryption")
	}
}

func TestNewRefusesOptionsThatDoNothing(t *testing.T) {
	t.Parallel()
	_, err := codec.New(codec.Options{})
	require.ErrorContains(t, err, "neither Compress nor Keys")

	_, err = codec.New(codec.Options{Compress: true, RequireEncryption: true})
	require.ErrorContains(t, err, "RequireEncryption needs Options.Keys")
}

func TestDecodedValueDoesNotAliasStored(t *testing.T) {
	t.Parallel()
	b := setup(t)
	stored := roundTrip(t, b.compressOnly, []byte("short"))
	got, err := b.compressOnly.Decode(t.Context(), stored)
	require.NoError(t, err)
	stored[len(stored)-1] = 'X'
	require.Equal(t, []byte("short"), got)
}

// brokenKeys is a KeyProvider that returns what it is told to.
type brokenKeys struct {
	key, ref []byte
	err      error
}

func (k brokenKeys) DataKey(context.Context) ([]byte, []byte, error) { return k.key, k.ref, k.err }
func (k brokenKeys) Key(context.Context, []byte) ([]byte, error)     { return k.key, k.err }

func TestMisbehavingKeyProviders(t *testing.T) {
	t.Parallel()
	b := setup(t)
	stored := roundTrip(t, b.encryptOnly, secretJSON)
	errBroken := errors.New("broken provider")
	for _, tc := range []struct {
		name           string
		keys           brokenKeys
		encode, decode string
	}{
		{"error", brokenKeys{err: errBroken}, "get a data key: broken provider", "broken provider"},
		{"short key", brokenKeys{key: make([]byte, 16), ref: []byte("k1")}, "data key: key is 16 bytes, want 32", `reference "k1": key is 16 bytes, want 32`},
		{"huge reference", brokenKeys{key: make([]byte, 32), ref: make([]byte, codec.MaxRefSize+1)}, "reference is 8193 bytes, more than 8192", "authentication failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newCodec(t, codec.Options{Keys: tc.keys})
			_, err := c.Encode(t.Context(), secretJSON)
			require.ErrorContains(t, err, tc.encode)
			require.NotErrorIs(t, err, codec.ErrDecode)
			_, err = c.Decode(t.Context(), stored)
			require.ErrorIs(t, err, codec.ErrDecode)
			require.ErrorContains(t, err, tc.decode)
		})
	}
}

// A reader without keys stores values as they are, reads plain and compressed ones, and
// refuses an encrypted one saying why.
func TestNoKeys(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	plain := []byte(`{"note":"` + strings.Repeat("plain ", 40) + `"}`)
	r := codec.NoKeys()
	stored, err := r.Encode(ctx, plain)
	require.NoError(t, err)
	require.Equal(t, plain, stored, "stored as it is")
	back, err := r.Decode(ctx, plain)
	require.NoError(t, err)
	require.Equal(t, plain, back)

	zip, err := codec.New(codec.Options{Compress: true})
	require.NoError(t, err)
	compressed, err := zip.Encode(ctx, plain)
	require.NoError(t, err)
	back, err = r.Decode(ctx, compressed)
	require.NoError(t, err)
	require.Equal(t, plain, back, "compressed values read")

	keys, err := codec.NewLocalKeys("k1", map[string][]byte{"k1": make([]byte, 32)})
	require.NoError(t, err)
	enc, err := codec.New(codec.Options{Keys: keys})
	require.NoError(t, err)
	sealed, err := enc.Encode(ctx, plain)
	require.NoError(t, err)
	_, err = r.Decode(ctx, sealed)
	require.ErrorIs(t, err, codec.ErrDecode)
	require.ErrorContains(t, err, "value is encrypted")
}
