package codec_test

import (
	"crypto/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/codec"
)

// flagsAt is the offset of the flags byte in a frame.
const flagsAt = 5

// Frame flags, as the package documentation lays them out.
const (
	flagDeflated  = 1 << 0
	flagEncrypted = 1 << 1
)

// secretJSON is a JSON document holding a known plaintext.
var secretJSON = []byte(`{"order":{"id":"ord_123","customer":"secret-payload-1234","items":[` +
	`{"sku":"A-1","qty":2,"note":"gift wrap please"},{"sku":"B-2","qty":1,"note":"gift wrap please"}]},` +
	`"status":"paid","status_history":["created","authorized","paid"]}`)

// bundle is what setup returns: a keyring and the codecs made from it.
type bundle struct {
	keys         *codec.LocalKeys
	compressOnly codec.Codec
	encryptOnly  codec.Codec
	both         codec.Codec
}

// setup returns codecs of every kind over a keyring of one key, "k1".
func setup(t testing.TB) bundle {
	t.Helper()
	keys := newRing(t, "k1", map[string][]byte{"k1": newKey(t)})
	return bundle{
		keys:         keys,
		compressOnly: newCodec(t, codec.Options{Compress: true}),
		encryptOnly:  newCodec(t, codec.Options{Keys: keys}),
		both:         newCodec(t, codec.Options{Compress: true, Keys: keys}),
	}
}

func newCodec(t testing.TB, opts codec.Options) codec.Codec {
	t.Helper()
	c, err := codec.New(opts)
	require.NoError(t, err)
	return c
}

func newRing(t testing.TB, primary string, keys map[string][]byte) *codec.LocalKeys {
	t.Helper()
	ring, err := codec.NewLocalKeys(primary, keys)
	require.NoError(t, err)
	return ring
}

// newKey returns a random key of codec.KeySize bytes.
func newKey(t testing.TB) []byte {
	t.Helper()
	return randomBytes(t, codec.KeySize)
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

// roundTrip encodes plain with c, checks that it decodes back, and returns the frame.
func roundTrip(t testing.TB, c codec.Codec, plain []byte) []byte {
	t.Helper()
	stored, err := c.Encode(t.Context(), plain)
	require.NoError(t, err)
	got, err := c.Decode(t.Context(), stored)
	require.NoError(t, err)
	require.Equal(t, plain, got)
	return stored
}
