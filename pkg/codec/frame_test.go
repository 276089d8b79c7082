package codec_test

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/codec"
)

func TestTamperedFramesFail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	strict := newCodec(t, codec.Options{Compress: true, Keys: b.keys, RequireEncryption: true})
	for _, tc := range []struct {
		name  string
		codec codec.Codec
	}{
		{"encrypt only", b.encryptOnly},
		{"compress and encrypt", b.both},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stored := roundTrip(t, tc.codec, secretJSON)
			for i := range stored {
				for bit := range 8 {
					tampered := bytes.Clone(stored)
					tampered[i] ^= 1 << bit

					_, err := strict.Decode(t.Context(), tampered)
					require.ErrorIs(t, err, codec.ErrDecode, "byte %d bit %d, strict", i, bit)

					got, err := tc.codec.Decode(t.Context(), tampered)
					// Without RequireEncryption, a frame whose magic or encrypted flag is
					// changed reads as a value stored before encryption: never as the
					// plaintext.
					readAsPlain := i < 4 || (i == flagsAt && bit == 1)
					if !readAsPlain {
						require.ErrorIs(t, err, codec.ErrDecode, "byte %d bit %d", i, bit)
						continue
					}
					if err == nil {
						require.NotEqual(t, secretJSON, got)
						require.NotContains(t, string(got), "secret-payload-1234")
					}
				}
			}
		})
	}
}

func TestTruncatedFramesFail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, c := range []codec.Codec{b.encryptOnly, b.both} {
		stored := roundTrip(t, c, secretJSON)
		for n := 1; n < len(stored); n++ {
			_, err := c.Decode(t.Context(), stored[:n])
			require.ErrorIs(t, err, codec.ErrDecode, "frame cut to %d of %d bytes", n, len(stored))
		}
	}
	// A deflate stream cut short fails too, though unencrypted frames carry no check.
	stored := roundTrip(t, b.compressOnly, secretJSON)
	require.Equal(t, byte(flagDeflated), stored[flagsAt])
	for n := 1; n < len(stored); n++ {
		_, err := b.compressOnly.Decode(t.Context(), stored[:n])
		require.ErrorIs(t, err, codec.ErrDecode, "frame cut to %d of %d bytes", n, len(stored))
	}
}

func TestMalformedFramesFail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	header := []byte{0x00, 'h', 'f', 'c'}
	frame := func(parts ...[]byte) []byte { return bytes.Join(append([][]byte{header}, parts...), nil) }
	for _, tc := range []struct {
		name, want string
		stored     []byte
	}{
		{"magic only", "header", frame()},
		{"no flags", "header", frame([]byte{1})},
		{"version 0", "unknown frame format version 0", frame([]byte{0, 0}, secretJSON)},
		{"version 2", "unknown frame format version 2", frame([]byte{2, 0}, secretJSON)},
		{"unknown flag", "unknown frame flags 0x04", frame([]byte{1, 0x04}, secretJSON)},
		{"no ref length", "length of its key reference", frame([]byte{1, flagEncrypted})},
		{"ref length overflows", "length of its key reference", frame([]byte{1, flagEncrypted}, bytes.Repeat([]byte{0xff}, 11))},
		{"huge ref length", "more than", frame([]byte{1, flagEncrypted}, binary.AppendUvarint(nil, 1<<62))},
		{"ref past the end", "inside its 40-byte key reference", frame([]byte{1, flagEncrypted, 40}, []byte("k1"))},
		{"no nonce", "a nonce and a tag need 28", frame([]byte{1, flagEncrypted, 2}, []byte("k1"), make([]byte, 27))},
		{"unknown key", `unknown key ID "k9"`, frame([]byte{1, flagEncrypted, 2}, []byte("k9"), make([]byte, 40))},
		{"forged tag", "authentication failed", frame([]byte{1, flagEncrypted, 2}, []byte("k1"), make([]byte, 40))},
		{"bad deflate", "inflate", frame([]byte{1, flagDeflated}, []byte{0xff, 0xff, 0xff})},
		{"bytes after deflate", "after the end of the deflate stream", frame([]byte{1, flagDeflated}, deflated(t, secretJSON), []byte("junk"))},
		{"magic prefix", "inside its magic", []byte{0x00, 'h'}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := b.both.Decode(t.Context(), tc.stored)
			require.ErrorIs(t, err, codec.ErrDecode)
			require.ErrorContains(t, err, tc.want)
			require.Nil(t, got)
		})
	}
}

func TestDeflateBombIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	bomb := deflated(t, make([]byte, codec.MaxDecodedSize+1))
	require.Less(t, len(bomb), 64<<10)
	stored := append([]byte{0x00, 'h', 'f', 'c', 1, flagDeflated}, bomb...)
	_, err := b.compressOnly.Decode(t.Context(), stored)
	require.ErrorIs(t, err, codec.ErrDecode)
	require.ErrorContains(t, err, "inflates to more than 8388608 bytes")

	// Exactly the limit is fine.
	stored = append([]byte{0x00, 'h', 'f', 'c', 1, flagDeflated}, deflated(t, make([]byte, codec.MaxDecodedSize))...)
	got, err := b.compressOnly.Decode(t.Context(), stored)
	require.NoError(t, err)
	require.Len(t, got, codec.MaxDecodedSize)
}

// deflated returns b compressed with raw deflate.
func deflated(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestSpeed)
	require.NoError(t, err)
	_, err = w.Write(b)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}
