package codec_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/codec"
)

// fuzzKey is a fixed key, so that the seed frames below decrypt in every run.
var fuzzKey = bytes.Repeat([]byte{0x42}, codec.KeySize)

// FuzzDecode checks that Decode never panics on any input, whatever codec reads it, and that
// every value Encode accepts decodes back.
func FuzzDecode(f *testing.F) {
	keys, err := codec.NewLocalKeys("k1", map[string][]byte{"k1": fuzzKey})
	require.NoError(f, err)
	both, err := codec.New(codec.Options{Compress: true, Keys: keys})
	require.NoError(f, err)
	compressOnly, err := codec.New(codec.Options{Compress: true})
	require.NoError(f, err)
	strict, err := codec.New(codec.Options{Keys: keys, RequireEncryption: true})
	require.NoError(f, err)

	ctx := context.Background()
	for _, seed := range [][]byte{secretJSON, []byte(`{"a":1}`), bytes.Repeat([]byte("ab"), 100)} {
		f.Add(seed)
		for _, c := range []codec.Codec{both, compressOnly} {
			stored, err := c.Encode(ctx, seed)
			require.NoError(f, err)
			f.Add(stored)
		}
	}
	f.Add([]byte{0x00, 'h', 'f', 'c', 1, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0x00, 'h', 'f', 'c', 1, 0x01, 0x00, 0x00, 0xff, 0xff})

	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range []codec.Codec{both, compressOnly, strict} {
			got, err := c.Decode(ctx, data)
			if err != nil {
				require.ErrorIs(t, err, codec.ErrDecode)
				require.Nil(t, got)
			} else if !codec.IsEncoded(data) {
				require.Equal(t, data, got, "a value that is not a frame passes through")
			}

			stored, err := c.Encode(ctx, data)
			require.NoError(t, err)
			got, err = c.Decode(ctx, stored)
			require.NoError(t, err)
			require.Equal(t, data, got)
		}
	})
}
