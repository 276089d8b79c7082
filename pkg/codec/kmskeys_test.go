package codec_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/codec"
)

// kmsBundle is what setupKMS returns.
type kmsBundle struct {
	kms   *fakeKMS
	clock *fakeClock
	keys  *codec.KMSKeys
	codec codec.Codec
}

// setupKMS returns a codec encrypting with KMSKeys on a fake KMS and a fake clock.
func setupKMS(t testing.TB, opts codec.KMSOptions) kmsBundle {
	t.Helper()
	b := kmsBundle{kms: newFakeKMS(), clock: newFakeClock()}
	opts.KeyID = "alias/hookflow"
	opts.Clock = b.clock
	b.keys, b.codec = newKMSCodec(t, b.kms, opts)
	return b
}

// reader returns another KMSKeys and codec on the same fake KMS, with a cold cache, as
// another process would have.
func (b kmsBundle) reader(t testing.TB, opts codec.KMSOptions) (*codec.KMSKeys, codec.Codec) {
	t.Helper()
	opts.KeyID = "alias/hookflow"
	opts.Clock = b.clock
	return newKMSCodec(t, b.kms, opts)
}

func newKMSCodec(t testing.TB, client codec.KMSAPI, opts codec.KMSOptions) (*codec.KMSKeys, codec.Codec) {
	t.Helper()
	keys, err := codec.NewKMSKeys(client, opts)
	require.NoError(t, err)
	return keys, newCodec(t, codec.Options{Compress: true, Keys: keys})
}

// encodeN encodes n values with c and returns the frames.
func encodeN(t testing.TB, c codec.Codec, n int) [][]byte {
	t.Helper()
	frames := make([][]byte, n)
	for i := range frames {
		var err error
		frames[i], err = c.Encode(t.Context(), fmt.Appendf(nil, `{"i":%d,"secret":"secret-payload-1234"}`, i))
		require.NoError(t, err)
	}
	return frames
}

// requireDecodes decodes frames that encodeN made, frames[0] being its value number first.
func requireDecodes(t testing.TB, c codec.Codec, frames [][]byte, first int) {
	t.Helper()
	for i, f := range frames {
		i += first
		got, err := c.Decode(t.Context(), f)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf(`{"i":%d,"secret":"secret-payload-1234"}`, i), string(got))
	}
}

func TestKMSKeysReuseADataKeyWithinTTL(t *testing.T) {
	t.Parallel()
	b := setupKMS(t, codec.KMSOptions{})
	frames := encodeN(t, b.codec, 50)
	b.clock.Advance(codec.DefaultKMSTTL - time.Second)
	frames = append(frames, encodeN(t, b.codec, 1)...)
	require.EqualValues(t, 1, b.kms.generates.Load())
	requireDecodes(t, b.codec, frames[:50], 0)
	require.Zero(t, b.kms.decrypts.Load(), "the writer caches the data keys it made")
	require.NotContains(t, string(frames[0]), "secret-payload-1234")
}

func TestKMSKeysReplaceTheDataKeyAfterTTL(t *testing.T) {
	t.Parallel()
	b := setupKMS(t, codec.KMSOptions{TTL: time.Minute})
	first := encodeN(t, b.codec, 3)
	b.clock.Advance(time.Minute)
	second := encodeN(t, b.codec, 3)
	require.EqualValues(t, 2, b.kms.generates.Load())
	require.NotEqual(t, first[0][:60], second[0][:60], "a new data key, a new blob in the frame")

	_, reader := b.reader(t, codec.KMSOptions{TTL: time.Minute})
	requireDecodes(t, reader, first, 0)
	require.EqualValues(t, 1, b.kms.decrypts.Load())
	// Cached decrypted keys expire after TTL too.
	b.clock.Advance(time.Minute)
	requireDecodes(t, reader, first, 0)
	require.EqualValues(t, 2, b.kms.decrypts.Load())
}

func TestKMSKeysReplaceTheDataKeyAfterMaxUses(t *testing.T) {
	t.Parallel()
	b := setupKMS(t, codec.KMSOptions{MaxUses: 3})
	frames := encodeN(t, b.codec, 7)
	require.EqualValues(t, 3, b.kms.generates.Load(), "3 + 3 + 1 values")
	requireDecodes(t, b.codec, frames, 0)
}

func TestKMSKeysDecryptEachBlobOnce(t *testing.T) {
	t.Parallel()
	b := setupKMS(t, codec.KMSOptions{MaxUses: 10})
	frames := encodeN(t, b.codec, 30) // three data keys
	require.EqualValues(t, 3, b.kms.generates.Load())

	_, reader := b.reader(t, codec.KMSOptions{})
	for range 3 {
		requireDecodes(t, reader, frames, 0)
	}
	require.EqualValues(t, 3, b.kms.decrypts.Load())
}

func TestKMSKeysCacheIsBounded(t *testing.T) {
	t.Parallel()
	b := setupKMS(t, codec.KMSOptions{MaxUses: 1})
	frames := encodeN(t, b.codec, 3) // three data keys
	_, reader := b.reader(t, codec.KMSOptions{CacheSize: 2})
	requireDecodes(t, reader, frames, 0)
	require.EqualValues(t, 3, b.kms.decrypts.Load())
	requireDecodes(t, reader, frames[1:], 1) // the two most recent are cached
	require.EqualValues(t, 3, b.kms.decrypts.Load())
	requireDecodes(t, reader, frames[:1], 0) // the first was evicted
	require.EqualValues(t, 4, b.kms.decrypts.Load())
}

func TestKMSKeysConcurrentEncodesMakeOneDataKey(t *testing.T) {
	t.Parallel()
	b := setupKMS(t, codec.KMSOptions{})
	b.kms.delay = 50 * time.Millisecond
	frames := make([][]byte, 16)
	errs := make([]error, len(frames))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range frames {
		wg.Go(func() {
			<-start
			frames[i], errs[i] = b.codec.Encode(t.Context(), secretJSON)
		})
	}
	close(start)
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	require.EqualValues(t, 1, b.kms.generates.Load())
	for _, f := range frames {
		got, err := b.codec.Decode(t.Context(), f)
		require.NoError(t, err)
		require.Equal(t, secretJSON, got)
	}
}

func TestKMSKeysConcurrentDecodesDecryptOnce(t *testing.T) {
	t.Parallel()
	b := setupKMS(t, codec.KMSOptions{})
	stored := roundTrip(t, b.codec, secretJSON)
	_, reader := b.reader(t, codec.KMSOptions{})
	b.kms.delay = 50 * time.Millisecond
	results := make([][]byte, 16)
	errs := make([]error, len(results))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range results {
		wg.Go(func() {
			<-start
			results[i], errs[i] = reader.Decode(t.Context(), stored)
		})
	}
	close(start)
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	for _, got := range results {
		require.Equal(t, secretJSON, got)
	}
	require.EqualValues(t, 1, b.kms.decrypts.Load())
}

func TestKMSKeysWaitersOutliveACancelledCaller(t *testing.T) {
	t.Parallel()
	b := setupKMS(t, codec.KMSOptions{})
	stored := roundTrip(t, b.codec, secretJSON)
	_, reader := b.reader(t, codec.KMSOptions{})
	b.kms.delay = 100 * time.Millisecond

	ctx, cancel := context.WithCancel(t.Context())
	first := make(chan error, 1)
	go func() {
		_, err := reader.Decode(ctx, stored)
		first <- err
	}()
	require.Eventually(t, func() bool { return b.kms.decrypts.Load() == 1 }, time.Second, time.Millisecond)
	second := make(chan error, 1)
	go func() {
		got, err := reader.Decode(t.Context(), stored)
		if err == nil && string(got) != string(secretJSON) {
			err = fmt.Errorf("decoded %q", got)
		}
		second <- err
	}()
	time.Sleep(10 * time.Millisecond) // let the second caller wait on the first one's Decrypt
	cancel()
	err := <-first
	require.ErrorIs(t, err, codec.ErrDecode)
	require.ErrorIs(t, err, context.Canceled)
	require.NoError(t, <-second)
}

func TestKMSKeysErrors(t *testing.T) {
	t.Parallel()
	b := setupKMS(t, codec.KMSOptions{})
	stored := roundTrip(t, b.codec, secretJSON)

	b.kms.setErrors(errFakeKMS, errFakeKMS)
	b.clock.Advance(codec.DefaultKMSTTL)
	_, err := b.codec.Encode(t.Context(), secretJSON)
	require.ErrorIs(t, err, errFakeKMS)
	require.NotErrorIs(t, err, codec.ErrDecode)
	require.ErrorContains(t, err, `codec: encode: get a data key: codec: KMS GenerateDataKey with key alias/hookflow: fake KMS: AccessDeniedException`)

	_, reader := b.reader(t, codec.KMSOptions{})
	_, err = reader.Decode(t.Context(), stored)
	require.ErrorIs(t, err, codec.ErrDecode)
	require.ErrorIs(t, err, errFakeKMS)
	require.ErrorContains(t, err, "KMS Decrypt of a data key")

	// Errors are not cached: once KMS answers again, so do the keys.
	b.kms.setErrors(nil, nil)
	got, err := reader.Decode(t.Context(), stored)
	require.NoError(t, err)
	require.Equal(t, secretJSON, got)
	roundTrip(t, b.codec, secretJSON)
}

func TestKMSKeysEncryptionContext(t *testing.T) {
	t.Parallel()
	ec := map[string]string{"app": "hookflow", "table": "runs"}
	b := setupKMS(t, codec.KMSOptions{EncryptionContext: ec})
	stored := roundTrip(t, b.codec, secretJSON)
	_, reader := b.reader(t, codec.KMSOptions{EncryptionContext: ec})
	got, err := reader.Decode(t.Context(), stored)
	require.NoError(t, err)
	require.Equal(t, secretJSON, got)
	require.Equal(t, []map[string]string{ec, ec}, b.kms.encryptionContexts(), "GenerateDataKey and Decrypt")

	_, other := b.reader(t, codec.KMSOptions{EncryptionContext: map[string]string{"app": "other"}})
	_, err = other.Decode(t.Context(), stored)
	require.ErrorIs(t, err, codec.ErrDecode)
	require.ErrorContains(t, err, "InvalidCiphertextException")
}

func TestKMSKeysContextEndsWhileWaiting(t *testing.T) {
	t.Parallel()
	b := setupKMS(t, codec.KMSOptions{})
	b.kms.delay = time.Second
	slow, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = b.codec.Encode(slow, secretJSON)
	}()
	defer func() { stop(); <-done }()
	require.Eventually(t, func() bool { return b.kms.generates.Load() == 1 }, time.Second, time.Millisecond)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err := b.codec.Encode(ctx, secretJSON)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, "wait for a KMS data key")
}

func TestNewKMSKeysValidates(t *testing.T) {
	t.Parallel()
	_, err := codec.NewKMSKeys(nil, codec.KMSOptions{TTL: -1, MaxUses: -1, CacheSize: -1})
	for _, want := range []string{
		"KMSOptions.KeyID is required", "KMSOptions.TTL -1ns is negative", "KMSOptions.MaxUses -1 is negative",
		"KMSOptions.CacheSize -1 is negative", "needs a KMS client",
	} {
		require.ErrorContains(t, err, want)
	}

	opts := codec.KMSOptions{KeyID: "k"}.WithDefaults()
	require.Equal(t, codec.DefaultKMSTTL, opts.TTL)
	require.Equal(t, codec.DefaultKMSMaxUses, opts.MaxUses)
	require.Equal(t, codec.DefaultKMSCacheSize, opts.CacheSize)
	require.NotNil(t, opts.Clock)
}

func TestKMSKeysNeverPrintKeyMaterial(t *testing.T) {
	t.Parallel()
	b := setupKMS(t, codec.KMSOptions{})
	key, _, err := b.keys.DataKey(t.Context())
	require.NoError(t, err)
	s := fmt.Sprintf("%v %+v %#v %s", b.keys, b.keys, b.keys, b.keys)
	require.Contains(t, s, "alias/hookflow")
	requireNoKeyMaterial(t, s, key)
}
