package codec_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/codec"
)

func TestNewLocalKeys(t *testing.T) {
	t.Parallel()
	k1, k2 := newKey(t), newKey(t)
	ring := newRing(t, "k2", map[string][]byte{"k1": k1, "k2": k2})
	require.Equal(t, "k2", ring.Primary())
	require.Equal(t, []string{"k1", "k2"}, ring.IDs())

	key, ref, err := ring.DataKey(t.Context())
	require.NoError(t, err)
	require.Equal(t, k2, key)
	require.Equal(t, []byte("k2"), ref)
	key, err = ring.Key(t.Context(), []byte("k1"))
	require.NoError(t, err)
	require.Equal(t, k1, key)

	// The ring keeps its own copies.
	key[0] ^= 0xff
	k1[0] ^= 0xff
	key, err = ring.Key(t.Context(), []byte("k1"))
	require.NoError(t, err)
	k1[0] ^= 0xff
	require.Equal(t, k1, key)

	_, err = ring.Key(t.Context(), []byte("k3"))
	require.ErrorIs(t, err, codec.ErrUnknownKey)
	require.ErrorContains(t, err, `unknown key ID "k3": the keyring holds ["k1" "k2"]`)
}

func TestNewLocalKeysRefusesBadRings(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	short := key[:16]
	for _, tc := range []struct {
		name    string
		primary string
		keys    map[string][]byte
		want    string
	}{
		{"empty ring", "k1", nil, "the keyring is empty"},
		{"no primary", "", map[string][]byte{"k1": key}, "the primary key ID is empty"},
		{"primary absent", "k2", map[string][]byte{"k1": key}, `the primary key ID "k2" is not in the keyring`},
		{"short key", "k1", map[string][]byte{"k1": short}, `key "k1" is 16 bytes, want 32`},
		{"empty ID", "k1", map[string][]byte{"k1": key, "": key}, "a key ID is empty"},
		{"long ID", "k1", map[string][]byte{"k1": key, strings.Repeat("x", 256): key}, "is 256 bytes, more than 255"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ring, err := codec.NewLocalKeys(tc.primary, tc.keys)
			require.ErrorContains(t, err, tc.want)
			require.Nil(t, ring)
			requireNoKeyMaterial(t, err.Error(), key, short)
		})
	}
	ring, err := codec.NewLocalKeys("k1", map[string][]byte{strings.Repeat("x", 255): key, "k1": key})
	require.NoError(t, err, "an ID of 255 bytes is fine")
	require.Len(t, ring.IDs(), 2)
}

func TestParseLocalKeys(t *testing.T) {
	t.Parallel()
	k1, k2, k3 := newKey(t), newKey(t), newKey(t)
	s := fmt.Sprintf(" k1:%s , k2 : %s,k3:%s ",
		base64.StdEncoding.EncodeToString(k1),
		base64.RawURLEncoding.EncodeToString(k2),
		base64.URLEncoding.EncodeToString(k3))
	ring, err := codec.ParseLocalKeys(s)
	require.NoError(t, err)
	require.Equal(t, "k1", ring.Primary(), "the first key is the primary")
	require.Equal(t, []string{"k1", "k2", "k3"}, ring.IDs())
	for id, want := range map[string][]byte{"k1": k1, "k2": k2, "k3": k3} {
		got, err := ring.Key(t.Context(), []byte(id))
		require.NoError(t, err)
		require.Equal(t, want, got, id)
	}

	generated, err := codec.GenerateLocalKey()
	require.NoError(t, err)
	ring, err = codec.ParseLocalKeys("fresh:" + generated)
	require.NoError(t, err)
	roundTrip(t, newCodec(t, codec.Options{Keys: ring}), secretJSON)
	other, err := codec.GenerateLocalKey()
	require.NoError(t, err)
	require.NotEqual(t, generated, other)
}

func TestParseLocalKeysErrors(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	good := base64.StdEncoding.EncodeToString(key)
	shortKey := key[:31]
	short := base64.StdEncoding.EncodeToString(shortKey)
	longKey := append(newKey(t), 1)
	long := base64.StdEncoding.EncodeToString(longKey)
	bad := "!!" + good[2:]
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "  ", "no keys"},
		{"bad base64", "k1:" + bad, `entry 1: key "k1" is not valid base64`},
		{"short key", "k1:" + good + ",k2:" + short, `entry 2: key "k2" is 31 bytes, want 32`},
		{"long key", "k1:" + long, `entry 1: key "k1" is 33 bytes, want 32`},
		{"empty ID", ":" + good, "entry 1: a key ID is empty"},
		{"duplicate ID", "k1:" + good + ",k1:" + good, `entry 2: key ID "k1" appears more than once`},
		{"no colon", good, "entry 1 has no ':' between its ID and its key"},
		{"empty entry", "k1:" + good + ",,", "entry 2 is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ring, err := codec.ParseLocalKeys(tc.in)
			require.ErrorContains(t, err, tc.want)
			require.Nil(t, ring)
			msg := err.Error()
			for _, material := range []string{good, short, long, bad, good[:12], bad[2:14]} {
				require.NotContains(t, msg, material)
			}
			requireNoKeyMaterial(t, msg, key, shortKey, longKey)
		})
	}
}

func TestKeyringsNeverPrintKeyMaterial(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	ring := newRing(t, "k1", map[string][]byte{"k1": key})
	for _, s := range []string{
		fmt.Sprint(ring), fmt.Sprintf("%v %+v %#v %s", ring, ring, ring, ring),
		fmt.Sprintf("%+v", codec.Options{Keys: ring}),
	} {
		require.Contains(t, s, `"k1"`)
		requireNoKeyMaterial(t, s, key)
	}
}

func TestNewLocal(t *testing.T) {
	t.Parallel()
	c, err := codec.NewLocal("k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32)))
	require.NoError(t, err)
	plain := []byte(`{"note":"` + strings.Repeat("local ", 40) + `"}`)
	stored, err := c.Encode(t.Context(), plain)
	require.NoError(t, err)
	require.True(t, codec.IsEncoded(stored))
	require.Less(t, len(stored), len(plain), "compressed as well as encrypted")
	back, err := c.Decode(t.Context(), stored)
	require.NoError(t, err)
	require.Equal(t, plain, back)
	_, err = codec.NewLocal("k1:short")
	require.Error(t, err)
}
