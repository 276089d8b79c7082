package codec_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/hookflow/hookflow/pkg/codec"
)

// The real client is a codec.KMSAPI.
var _ codec.KMSAPI = (*kms.Client)(nil)

// fakeKMS is a codec.KMSAPI that makes data keys in memory and counts its calls.
type fakeKMS struct {
	delay time.Duration // of every call

	generates, decrypts atomic.Int64

	mu          sync.Mutex
	blobs       map[string]fakeBlob // by CiphertextBlob
	generateErr error
	decryptErr  error
	contexts    []map[string]string // EncryptionContext of every call
}

type fakeBlob struct {
	keyID string
	key   []byte
	ec    map[string]string
}

func newFakeKMS() *fakeKMS { return &fakeKMS{blobs: map[string]fakeBlob{}} }

func (f *fakeKMS) GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyInput, _ ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error) {
	f.generates.Add(1)
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	if in.KeyId == nil || *in.KeyId == "" || in.KeySpec != types.DataKeySpecAes256 {
		return nil, fmt.Errorf("fake KMS: bad GenerateDataKey input %+v", in)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.contexts = append(f.contexts, in.EncryptionContext)
	if f.generateErr != nil {
		return nil, f.generateErr
	}
	key := make([]byte, codec.KeySize)
	_, _ = rand.Read(key)
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	blob := []byte("fake-blob:" + *in.KeyId + ":" + hex.EncodeToString(nonce))
	f.blobs[string(blob)] = fakeBlob{keyID: *in.KeyId, key: key, ec: maps.Clone(in.EncryptionContext)}
	return &kms.GenerateDataKeyOutput{KeyId: in.KeyId, Plaintext: key, CiphertextBlob: blob}, nil
}

func (f *fakeKMS) Decrypt(ctx context.Context, in *kms.DecryptInput, _ ...func(*kms.Options)) (*kms.DecryptOutput, error) {
	f.decrypts.Add(1)
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.contexts = append(f.contexts, in.EncryptionContext)
	if f.decryptErr != nil {
		return nil, f.decryptErr
	}
	b, ok := f.blobs[string(in.CiphertextBlob)]
	if !ok || !maps.Equal(b.ec, in.EncryptionContext) {
		return nil, &types.InvalidCiphertextException{Message: ptr("fake KMS: cannot decrypt the blob")}
	}
	return &kms.DecryptOutput{KeyId: &b.keyID, Plaintext: append([]byte(nil), b.key...)}, nil
}

func (f *fakeKMS) wait(ctx context.Context) error {
	if f.delay == 0 {
		return nil
	}
	select {
	case <-time.After(f.delay):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *fakeKMS) setErrors(generate, decrypt error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.generateErr, f.decryptErr = generate, decrypt
}

func (f *fakeKMS) encryptionContexts() []map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]string(nil), f.contexts...)
}

// fakeClock is a backend.Clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func ptr[T any](v T) *T { return &v }

var errFakeKMS = errors.New("fake KMS: AccessDeniedException")
